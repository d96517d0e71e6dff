//! Blocks: the chain's position, delayed effects and what happens when time moves.
//!
//! Delayed effects (allocation changes, the end of a withdrawal's or a redelegation's slashable
//! window, escrow releases, configuration changes) are stored as [`Timer`]s keyed by due time and
//! a sequence number. [`begin_block`] runs every timer due at or before the block's time, oldest
//! first, before any transaction of the block: so at time `t` everything due at `t` has
//! happened, and "slashable until `t`" means slashable by transactions strictly before `t`.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, EscrowId, SetRef};
use crate::num::MathError;
use crate::params::Params;
use crate::restaking;
use crate::state::{MetaTable, ParamsTable, State, Timers};
use crate::time::{Epoch, Height, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use std::sync::LazyLock;

/// The chain's position and id counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
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
    pub governance: Address,
    /// The last epoch whose start has been processed.
    pub epoch: Epoch,
    /// Next withdrawal id.
    pub next_withdrawal: u64,
    /// Next slash request id.
    pub next_slash: u64,
    /// Next escrow id.
    pub next_escrow: u64,
    /// Next timer sequence number.
    pub next_timer: u64,
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
}

/// What consensus says about a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Height; above the previous block's (consecutive under consensus).
    pub height: Height,
    /// Time; never earlier than the previous block's.
    pub time: Timestamp,
    /// Who proposed it (receives priority tips).
    pub proposer: Option<Address>,
}

impl BlockHeader {
    /// A header at `height` and `time`, proposed by `proposer`.
    pub fn new(height: Height, time: Timestamp, proposer: Option<Address>) -> Self {
        Self { height, time, proposer }
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
}

/// Takes the next id of a kind.
pub fn next_id(state: &mut State, kind: IdKind) -> Result<u64> {
    let mut meta = state.meta().clone();
    let counter = match kind {
        IdKind::Withdrawal => &mut meta.next_withdrawal,
        IdKind::Slash => &mut meta.next_slash,
        IdKind::Escrow => &mut meta.next_escrow,
        IdKind::Timer => &mut meta.next_timer,
    };
    let id = *counter;
    *counter = id.checked_add(1).ok_or(MathError::Overflow)?;
    state.put::<MetaTable>((), meta);
    Ok(id)
}

/// Schedules `timer` to run at the first block at or after `at`.
pub fn schedule(state: &mut State, at: Timestamp, timer: Timer) -> Result<()> {
    let seq = next_id(state, IdKind::Timer)?;
    state.put::<Timers>((at, seq), timer);
    Ok(())
}

/// Starts a block: checks it follows the last one, then runs every timer due by its time.
/// Returns the events of the block's start.
pub fn begin_block(state: &mut State, header: &BlockHeader) -> Result<Vec<Event>> {
    let mut meta = state.meta().clone();
    // Consensus produces consecutive heights; simulators may elide empty blocks, so a gap is
    // allowed, a step back is not.
    if header.height < meta.height.next()? {
        return Err(Error::invalid(
            "height",
            format!(
                "expected at least {}, got {}",
                meta.height.next()?,
                header.height
            ),
        ));
    }
    if header.time < meta.time {
        return Err(Error::invalid(
            "time",
            format!("{} is before the last block's {}", header.time, meta.time),
        ));
    }
    meta.height = header.height;
    meta.time = header.time;
    state.put::<MetaTable>((), meta);
    let mut ctx = Ctx::new(Address::ZERO, header.height, header.time);
    run_due_timers(state, &mut ctx)?;
    Ok(ctx.events)
}

fn run_due_timers(state: &mut State, ctx: &mut Ctx) -> Result<()> {
    loop {
        let due = state
            .iter::<Timers>()
            .next()
            .filter(|((at, _), _)| *at <= ctx.now)
            .map(|(key, timer)| (*key, timer.clone()));
        let Some((key, timer)) = due else {
            return Ok(());
        };
        state.delete::<Timers>(&key);
        run_timer(state, ctx, timer)?;
    }
}

fn run_timer(state: &mut State, ctx: &mut Ctx, timer: Timer) -> Result<()> {
    match timer {
        Timer::AllocationEffect {
            operator,
            set,
            strategy,
        } => restaking::apply_allocation_effect(
            state,
            &mut ctx.events,
            operator,
            set,
            strategy,
            ctx.now,
        ),
        Timer::QueueMature {
            operator,
            strategy,
            at,
        } => restaking::mature_queue_bucket(state, operator, strategy, at),
        Timer::BridgeMature {
            from,
            strategy,
            to,
            at,
        } => restaking::mature_bridge_chunk(state, from, strategy, to, at),
        Timer::EscrowRelease { escrow } => {
            restaking::release_escrow(state, &mut ctx.events, escrow)
        }
        Timer::CommitmentsEffect { operator } => {
            restaking::apply_commitments_effect(state, operator, ctx.now);
            Ok(())
        }
        Timer::SlasherEffect { service } => {
            restaking::apply_slasher_effect(state, service, ctx.now);
            Ok(())
        }
    }
}
