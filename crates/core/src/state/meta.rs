//! The chain's position (`Meta`: height, time, epoch and the id counters), the id allocator,
//! and the timer queue's entries ([`Timer`], scheduled with [`schedule`], run by the app
//! layer's `block::begin_block`), with their tables (`params`, `meta`, `timers`,
//! `epoch_starts`). State-layer pieces every component uses, so they sit below the components
//! (docs/architecture.md, "Layers").

use crate::ids::{Address, AssetId, EscrowId, SetRef};
use crate::num::MathError;
use crate::params::Params;
use crate::state::State;
use crate::time::{Duration, Epoch, Height, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use std::sync::LazyLock;

crate::state::tables! {
    /// Protocol parameters (PROTOCOL.md §13).
    1 params: ParamsTable(() => Params),
    /// Chain position and id counters.
    2 meta: MetaTable(() => Meta),
    /// Delayed effects keyed by due time and a sequence number.
    7 timers: Timers((Timestamp, u64) => Timer),
    /// When each epoch after the first started (epochs are never renumbered).
    8 epoch_starts: EpochStarts(Timestamp => Epoch),
}

/// The chain's position and id counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Meta {
    /// EIP-712 chain id.
    pub chain_id: u64,
    /// Height of the last block begun.
    pub height: Height,
    /// Time of the last block begun.
    pub time: Timestamp,
    /// Time of the first block; epochs count from it.
    pub genesis_time: Timestamp,
    /// The account allowed to sign governance actions.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub governance: Address,
    /// The last epoch whose start has been processed.
    pub epoch: Epoch,
    /// When `epoch` started.
    pub epoch_start: Timestamp,
    /// The length of `epoch`, fixed when it started (the parameter in force then).
    pub epoch_len: Duration,
    /// Next withdrawal id.
    pub next_withdrawal: u64,
    /// Next slash request id.
    pub next_slash: u64,
    /// Next escrow id.
    pub next_escrow: u64,
    /// Next timer sequence number.
    pub next_timer: u64,
    /// Next validator index.
    pub next_validator: u64,
    /// Next unbonding entry id.
    pub next_unbonding: u64,
    /// Next redelegation lock id.
    pub next_redelegation: u64,
    /// Next reward program id.
    pub next_program: u64,
}

/// A delayed effect.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Timer {
    /// A pending allocation change takes effect.
    AllocationEffect {
        /// The operator.
        operator: Address,
        /// The set.
        set: SetRef,
        /// The strategy.
        strategy: AssetId,
    },
    /// Queued withdrawals of an operator leave its slashable window.
    QueueMature {
        /// The operator.
        operator: Address,
        /// The strategy.
        strategy: AssetId,
        /// The bucket's completion time.
        at: Timestamp,
    },
    /// Redelegated stake leaves its old operator's slashable window.
    BridgeMature {
        /// The old operator.
        from: Address,
        /// The strategy.
        strategy: AssetId,
        /// The new operator.
        to: Address,
        /// The chunk's maturity time.
        at: Timestamp,
    },
    /// A slash escrow is released.
    EscrowRelease {
        /// The escrow.
        escrow: EscrowId,
    },
    /// Loosened operator commitments take effect.
    CommitmentsEffect {
        /// The operator.
        operator: Address,
    },
    /// A new slasher/resolver takes over.
    SlasherEffect {
        /// The service.
        service: Address,
    },
    /// An unbonding entry of the LST pool completes; its RAM returns to the buffer.
    LstUnbonding {
        /// The entry.
        id: u64,
    },
    /// A slash request's execution window closes: if still pending, it expires.
    SlashExpiry {
        /// The request.
        id: crate::ids::SlashId,
    },
    /// An operator's commission change for a service takes effect.
    CommissionEffect {
        /// The operator.
        operator: Address,
        /// The service.
        service: Address,
    },
    /// A proposal's deposit period ends (it expires unless its vote has started).
    GovDepositEnd {
        /// The proposal.
        proposal: u64,
    },
    /// A proposal's voting period ends: it is tallied.
    GovVotingEnd {
        /// The proposal.
        proposal: u64,
    },
    /// A passed proposal's timelock ends: its changes apply.
    GovApply {
        /// The proposal.
        proposal: u64,
    },
}

impl Meta {
    /// When the current epoch ends: the next boundary (`None` only if time overflows).
    pub fn next_boundary(&self) -> Option<Timestamp> {
        self.epoch_start.checked_add(self.epoch_len.max_one()).ok()
    }
}

static DEFAULT_PARAMS: LazyLock<Params> = LazyLock::new(Params::default);
static DEFAULT_META: LazyLock<Meta> = LazyLock::new(Meta::default);

impl State {
    /// The parameters in force.
    pub fn params(&self) -> &Params {
        self.get::<ParamsTable>(&()).unwrap_or(&DEFAULT_PARAMS)
    }

    /// The chain's position and counters.
    pub fn meta(&self) -> &Meta {
        self.get::<MetaTable>(&()).unwrap_or(&DEFAULT_META)
    }

    /// Current block time.
    pub fn now(&self) -> Timestamp {
        self.meta().time
    }

    /// The epoch containing time `t`: past epochs from their recorded starts, later ones
    /// counted with the epoch length in force (a change of `epoch_length_s` applies from the next
    /// boundary, so past epochs are never renumbered).
    pub fn epoch_at(&self, t: Timestamp) -> Epoch {
        let meta = self.meta();
        if t < meta.epoch_start {
            return self
                .range::<EpochStarts, _>(..=t)
                .next_back()
                .map_or(Epoch::new(0), |(_, e)| *e);
        }
        let Some(end) = meta.next_boundary() else {
            return meta.epoch;
        };
        if t < end {
            return meta.epoch;
        }
        let later = t
            .get()
            .saturating_sub(end.get())
            .checked_div(self.params().epoch_length_s.max_one().get())
            .unwrap_or(0);
        Epoch::new(meta.epoch.get().saturating_add(1).saturating_add(later))
    }

    /// When epoch `e` starts, for the current epoch or a later one (counted with the epoch length
    /// in force); a past epoch answers its recorded start.
    pub fn epoch_start(&self, e: Epoch) -> Result<Timestamp, MathError> {
        let meta = self.meta();
        if e <= meta.epoch {
            if e == meta.epoch {
                return Ok(meta.epoch_start);
            }
            return Ok(self
                .iter::<EpochStarts>()
                .find(|(_, x)| **x == e)
                .map_or(meta.genesis_time, |(t, _)| *t));
        }
        let first = meta.epoch_start.checked_add(meta.epoch_len.max_one())?;
        let later = e.get().saturating_sub(meta.epoch.get()).saturating_sub(1);
        let span = later
            .checked_mul(self.params().epoch_length_s.max_one().get())
            .ok_or(MathError::Overflow)?;
        first.checked_add(Duration::new(span))
    }
}

/// Which counter an id comes from.
#[derive(Clone, Copy, Debug)]
pub enum IdKind {
    /// Withdrawals.
    Withdrawal,
    /// Slash requests.
    Slash,
    /// Escrows.
    Escrow,
    /// Timers.
    Timer,
    /// Validator indexes.
    Validator,
    /// Unbonding entries.
    Unbonding,
    /// Redelegation locks.
    Redelegation,
    /// Reward programs.
    Program,
}

/// Takes the next id of a kind.
pub fn next_id(state: &mut State, kind: IdKind) -> Result<u64, MathError> {
    let mut meta = state.meta().clone();
    let counter = match kind {
        IdKind::Withdrawal => &mut meta.next_withdrawal,
        IdKind::Slash => &mut meta.next_slash,
        IdKind::Escrow => &mut meta.next_escrow,
        IdKind::Timer => &mut meta.next_timer,
        IdKind::Validator => &mut meta.next_validator,
        IdKind::Unbonding => &mut meta.next_unbonding,
        IdKind::Redelegation => &mut meta.next_redelegation,
        IdKind::Program => &mut meta.next_program,
    };
    let id = *counter;
    *counter = id.checked_add(1).ok_or(MathError::Overflow)?;
    state.put::<MetaTable>((), meta);
    Ok(id)
}

/// Schedules `timer` to run at the first block at or after `at`.
pub fn schedule(state: &mut State, at: Timestamp, timer: Timer) -> Result<(), MathError> {
    let seq = next_id(state, IdKind::Timer)?;
    state.put::<Timers>((at, seq), timer);
    Ok(())
}
