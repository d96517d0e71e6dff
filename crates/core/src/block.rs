//! Blocks: the chain's position, delayed effects and what happens when time moves.
//!
//! Delayed effects (allocation changes, the end of a withdrawal's or a redelegation's slashable
//! window, escrow releases, configuration changes) are stored as [`Timer`]s keyed by due time and
//! a sequence number. [`begin_block`] runs every timer due at or before the block's time, oldest
//! first, before any transaction of the block: so at time `t` everything due at `t` has
//! happened, and "slashable until `t`" means slashable by transactions strictly before `t`.

use crate::ctx::Ctx;
use crate::error::{BlockError, Error, HookResult, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, EscrowId, SetRef};
use crate::num::MathError;
use crate::params::Params;
use crate::restaking;
use crate::state::{EpochStarts, MetaTable, ParamsTable, State, Timers};
use crate::time::{Duration, Epoch, Height, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;
use std::sync::LazyLock;

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

/// What consensus says about a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Height; above the previous block's (consecutive under consensus).
    pub height: Height,
    /// Time; never earlier than the previous block's.
    pub time: Timestamp,
    /// Who proposed it (receives priority tips and MEV).
    pub proposer: Option<Address>,
    /// Active validators that did not sign it. Blocks elided between two headers (a height gap)
    /// count as signed by all.
    pub missed: Vec<Address>,
    /// Equivocation evidence consensus found (each verified here; invalid items are skipped).
    pub evidence: Vec<crate::base::ConsensusEvidence>,
}

impl BlockHeader {
    /// A header at `height` and `time`, proposed by `proposer`.
    pub fn new(height: Height, time: Timestamp, proposer: Option<Address>) -> Self {
        Self {
            height,
            time,
            proposer,
            missed: Vec::new(),
            evidence: Vec::new(),
        }
    }
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

/// Starts a block: checks it follows the last one; processes every epoch boundary its time
/// crosses, in order (timers due by each boundary first); runs the timers due by its time;
/// records which active validators signed. Returns the events of the block's start.
///
/// Total: the only failures are a header that does not follow the last block (nothing is
/// written) and a broken invariant, after which every write of the block is undone — a user
/// condition can never stop a block (PROTOCOL.md §12.8).
pub fn begin_block(state: &mut State, header: &BlockHeader) -> Result<Vec<Event>, BlockError> {
    let meta = state.meta();
    // Consensus produces consecutive heights; simulators may elide empty blocks, so a gap is
    // allowed, a step back is not.
    let next = meta.height.get().saturating_add(1);
    if header.height.get() < next {
        return Err(BlockError::BadHeader(format!(
            "height: expected at least {next}, got {}",
            header.height
        )));
    }
    if header.time < meta.time {
        return Err(BlockError::BadHeader(format!(
            "time: {} is before the last block's {}",
            header.time, meta.time
        )));
    }
    let mark = state.mark();
    match start_block(state, header) {
        Ok(events) => Ok(events),
        Err(broken) => {
            state.rollback_to(mark);
            Err(BlockError::Broken(broken))
        }
    }
}

fn start_block(state: &mut State, header: &BlockHeader) -> HookResult<Vec<Event>> {
    let meta = state.meta().clone();
    let elided = header
        .height
        .get()
        .saturating_sub(meta.height.get())
        .saturating_sub(1);
    let (last_height, last_time) = (meta.height, meta.time);
    let mut ctx = Ctx::new(Address::ZERO, header.height, header.time);
    ctx.proposer = header.proposer;
    let block_time = state.params().block_time_s.get().max(1);
    while let Some(boundary) = state.meta().next_boundary().filter(|b| *b <= header.time) {
        let closing = state.meta().epoch;
        // A boundary inside a run of elided empty blocks happens in the block at its time: the
        // state sees that block's height and time (so heights and times stay consistent for
        // everything keyed by them, such as unbonding entries reachable by double-sign evidence).
        let steps = boundary
            .get()
            .saturating_sub(last_time.get())
            .div_ceil(block_time)
            .max(1);
        let height = Height::new(
            last_height
                .get()
                .saturating_add(steps)
                .min(header.height.get()),
        );
        set_clock(state, height, boundary);
        let mut at_boundary = Ctx::new(Address::ZERO, height, boundary);
        run_due_timers(state, &mut at_boundary, boundary)?;
        end_epoch(state, &mut at_boundary.events, closing, boundary)?;
        ctx.events.append(&mut at_boundary.events);
    }
    set_clock(state, header.height, header.time);
    run_due_timers(state, &mut ctx, header.time)?;
    crate::base::record_signatures(state, &mut ctx.events, elided, &header.missed, header.time)?;
    for evidence in &header.evidence {
        // Consensus checked the evidence before voting for the block; one that does not hold
        // here (or convicts a validator already tombstoned) changes nothing.
        let _ =
            apply_consensus_evidence(state, &mut ctx.events, evidence, header.height, header.time);
    }
    crate::base::consensus::on_block(state, header.height)?;
    Ok(ctx.events)
}

fn set_clock(state: &mut State, height: Height, time: Timestamp) {
    let mut meta = state.meta().clone();
    meta.height = height;
    meta.time = time;
    state.put::<MetaTable>((), meta);
}

/// The boundary at the end of `closing`: base rewards and restaking rewards of the closing epoch
/// (weights as they stand now), then the next epoch starts — with the epoch length in force now
/// (a parameter change never renumbers past epochs) — pending stake activates, commission
/// changes apply, the active set is chosen, the liquid staking pool and the vaults do their
/// epoch work.
fn end_epoch(
    state: &mut State,
    events: &mut Vec<Event>,
    closing: Epoch,
    boundary: Timestamp,
) -> HookResult {
    crate::base::distribute_epoch_rewards(state, events)?;
    crate::rewards::distribute_epoch(state, events, closing)?;
    crate::rewards::activate_pending(state, closing)?;
    let next = closing.next()?;
    let mut meta = state.meta().clone();
    meta.epoch = next;
    meta.epoch_start = boundary;
    meta.epoch_len = state.params().epoch_length_s;
    state.put::<MetaTable>((), meta);
    state.put::<EpochStarts>(boundary, next);
    crate::base::activate_epoch(state, next)?;
    crate::base::select_active_set(state, events)?;
    crate::lst::on_epoch(state, events, closing, boundary)?;
    crate::vault::on_epoch(state, events, closing, boundary)?;
    events.push(Event::EpochStarted { epoch: next });
    Ok(())
}

fn run_due_timers(state: &mut State, ctx: &mut Ctx, upto: Timestamp) -> HookResult {
    loop {
        let due = state
            .iter::<Timers>()
            .next()
            .filter(|((at, _), _)| *at <= upto)
            .map(|(key, timer)| (*key, timer.clone()));
        let Some((key, timer)) = due else {
            return Ok(());
        };
        state.delete::<Timers>(&key);
        run_timer(state, ctx, timer)?;
    }
}

/// Checks consensus evidence and applies the double sign it proves, atomically. A validator
/// already tombstoned is not slashed again (and the evidence is refused).
pub fn apply_consensus_evidence(
    state: &mut State,
    events: &mut Vec<Event>,
    evidence: &crate::base::ConsensusEvidence,
    height: Height,
    now: Timestamp,
) -> Result<Address> {
    let (validator, infraction) = crate::base::consensus::check_evidence(state, evidence)?;
    let v = crate::base::validator(state, validator)?;
    if v.status == crate::base::ValidatorStatus::Tombstoned {
        return Err(Error::InvalidEvidence(format!(
            "validator {} is tombstoned already",
            crate::ids::fmt_address(&validator)
        )));
    }
    let fault = crate::base::Fault::DoubleSign {
        validator,
        height: Some(infraction),
    };
    apply_fault(state, events, &fault, height, now)?;
    events.push(Event::ConsensusEquivocation {
        validator,
        epoch: evidence.first.epoch,
        view: evidence.first.view,
    });
    Ok(validator)
}

/// Applies a fault reported by consensus (or a scenario's `fault` step) atomically: a fault that
/// cannot apply (evidence too old, an unknown validator) changes nothing. A double sign also
/// reaches the liquid staking pool's unbonding entries at that validator.
pub fn apply_fault(
    state: &mut State,
    events: &mut Vec<Event>,
    fault: &crate::base::Fault,
    height: Height,
    now: Timestamp,
) -> Result<()> {
    let mark = state.mark();
    let applied =
        crate::base::apply_fault(state, events, fault, height, now).and_then(|reach| match reach {
            Some(reach) => crate::lst::on_double_sign(state, reach).map_err(Error::from),
            None => Ok(()),
        });
    if applied.is_err() {
        state.rollback_to(mark);
    }
    applied
}

fn run_timer(state: &mut State, ctx: &mut Ctx, timer: Timer) -> HookResult {
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
        } => {
            restaking::mature_queue_bucket(state, &mut ctx.events, operator, strategy, at, ctx.now)
        }
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
        Timer::LstUnbonding { id } => crate::lst::collect_unbonding(state, id),
        Timer::SlashExpiry { id } => {
            restaking::expire_slash(state, &mut ctx.events, id);
            Ok(())
        }
        Timer::CommissionEffect { operator, service } => {
            crate::rewards::apply_commission_effect(state, operator, service, ctx.now);
            Ok(())
        }
        Timer::GovDepositEnd { .. } | Timer::GovVotingEnd { .. } | Timer::GovApply { .. } => {
            crate::governance::run_timer(state, ctx, &timer)
        }
    }
}
