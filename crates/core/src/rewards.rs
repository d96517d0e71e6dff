//! Restaking rewards and fees (PROTOCOL.md §7).
//!
//! A service funds a *reward program* for one of its operator sets: the amount is escrowed and
//! streamed evenly per epoch. At each epoch's closing boundary its slice is split over the set's
//! operators by weight — Σ over the set's strategies of (allocated slashable stake, or delegated
//! stake) × the program's multiplier for the strategy (default: its value in RAM) — counting only
//! stake that was already there when the epoch began. An epoch with no eligible weight refunds its
//! slice. From each operator's share the protocol fee goes to the treasury, then the operator's
//! commission for that service; the rest raises a reward-per-unit index of each of the operator's
//! *reward terms* (its direct terms and the bridges of stake redelegated to it), in proportion to
//! their weight. Positions claim `scaled · Δindex` in O(1): the work per epoch is O(programs ×
//! operators in their sets × terms), never O(delegators).
//!
//! # Timing
//!
//! Stake that joins a reward term during epoch `e` is *pending* for `e`: it is not counted in `e`'s
//! weights and does not share `e`'s slice. At `e`'s boundary, after the distribution, the term's
//! indices are snapshotted; a position's pending part earns from that snapshot on. When a
//! redelegated tranche's old-operator window closes, its bridge's and its new operator's indices
//! are snapshotted, so the tranche earns the bridge's rewards up to then and the direct term's
//! after.
//!
//! # Invariants
//!
//! - A program's escrow is its amount less what it has streamed.
//! - The reward pool holds at least Σ claimable over all positions.

pub mod tables;

pub use crate::restaking::ledger::{
    PositionReward, RewardIndex, Stream, TermKey, accrue_position, activate_pending, add_pending,
    direct, remove_pending, snapshot_maturity, term_indexes,
};
pub use tables::*;

use crate::bank;
use crate::base::INDEX_SCALE;
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, SetRef, fmt_address, module};
use crate::num::{Amount, BPS_DENOMINATOR, Bps, MathError, WAD, Wad, mul_div_ceil, mul_div_floor};
use crate::restaking::ledger::pending_of;
use crate::restaking::{self, Position};
use crate::restaking::{RewardIndexes, SetJoins, SetMembers};
use crate::state::State;
use crate::state::meta::{IdKind, Timer, next_id, schedule};
use crate::time::{Duration, Epoch, Timestamp};
use alloy_primitives::U256;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// How a program weighs operators.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// By slashable stake allocated to the set (unique stake).
    #[default]
    Allocated,
    /// By stake delegated to the operator.
    Delegated,
}

/// A reward program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardProgram {
    /// The funding service.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub service: Address,
    /// The set it rewards.
    pub set: SetRef,
    /// The reward asset.
    pub asset: AssetId,
    /// Total amount.
    pub amount: Amount,
    /// First epoch streamed.
    pub start_epoch: Epoch,
    /// Number of epochs streamed.
    pub epochs: u64,
    /// Weighting.
    pub weighting: Weighting,
    /// Multipliers per strategy (WAD; default: the strategy's value in RAM).
    pub multipliers: Vec<(AssetId, Wad)>,
    /// Streamed so far (distributed, fees, commissions, refunds).
    pub streamed: Amount,
    /// Of which refunded for epochs with no eligible operator.
    pub refunded: Amount,
    /// Of which paid to delegators' indices.
    pub distributed: Amount,
    /// Of which protocol fees.
    pub protocol_fees: Amount,
    /// Of which operator commissions.
    pub commissions: Amount,
}

/// An operator's commission on one service's rewards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCommission {
    /// In force.
    pub bps: Bps,
    /// A change and when it applies.
    pub pending: Option<(Bps, Timestamp)>,
}

/// Arguments of `create_reward_program`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRewardProgram {
    /// The funding service (must sign).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub service: Address,
    /// The set.
    pub set: SetRef,
    /// Reward asset symbol.
    pub asset: String,
    /// Total amount.
    pub amount: Amount,
    /// Unix time to start streaming from (default: now); streaming starts at the first epoch
    /// boundary at or after it.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Duration; streamed over `ceil(duration / epoch_length)` epochs.
    pub duration_s: Duration,
    /// `"allocated"` or `"delegated"`.
    #[serde(default)]
    pub weighting: Weighting,
    /// Multiplier per strategy symbol, WAD.
    #[serde(default)]
    pub multipliers: Option<std::collections::BTreeMap<String, Wad>>,
}

/// The largest multiplier a program may give a strategy: 10¹⁸ RAM base units per base unit
/// (as a WAD). Weights are `value · multiplier / WAD` in 256 bits, so any 128-bit value times any
/// allowed multiplier fits.
pub const MAX_MULTIPLIER_WAD: u128 = crate::pricing::MAX_PRICE_WAD;

/// `create_reward_program {service, set, asset, amount, start?, duration_s, weighting,
/// multipliers?}`, signed by the service.
pub fn create_reward_program(
    state: &mut State,
    ctx: &mut Ctx,
    args: CreateRewardProgram,
) -> Result<u64> {
    if ctx.signer != args.service || args.set.service != args.service {
        return Err(Error::unauthorized(
            "create_reward_program",
            &ctx.signer,
            format!("the service of {}", args.set),
        ));
    }
    let os = restaking::operator_set(state, args.set)?.clone();
    let asset = bank::asset_id(state, &args.asset)?;
    let p = state.params().clone();
    let epochs = args
        .duration_s
        .get()
        .div_ceil(p.epoch_length_s.get().max(1));
    if epochs == 0 {
        return Err(Error::invalid("duration_s", "must be positive"));
    }
    if args.amount.get() < u128::from(epochs) {
        return Err(Error::invalid(
            "amount",
            format!("must be at least one unit per epoch ({epochs})"),
        ));
    }
    let live = state.get::<SetPrograms>(&args.set).copied().unwrap_or(0);
    if live >= p.max_programs_per_set {
        return Err(Error::LimitExceeded {
            limit: "max_programs_per_set",
            max: u64::from(p.max_programs_per_set),
        });
    }
    let mut multipliers = Vec::new();
    for (name, w) in args.multipliers.unwrap_or_default() {
        if w.get() > MAX_MULTIPLIER_WAD {
            return Err(Error::invalid(
                "multipliers",
                format!("{name}: {w} is above the largest multiplier {MAX_MULTIPLIER_WAD}"),
            ));
        }
        let id = restaking::strategy_id(state, &name)?;
        if !os.strategies.contains(&id) {
            return Err(Error::StrategyNotInSet {
                set: args.set.to_string(),
                strategy: name,
            });
        }
        multipliers.push((id, w));
    }
    let start_epoch = first_epoch_from(state, args.start.unwrap_or(ctx.now))?;
    bank::transfer(
        state,
        ctx.signer,
        module::reward_escrow(),
        asset,
        args.amount,
    )?;
    let id = next_id(state, IdKind::Program)?;
    state.put::<RewardPrograms>(
        id,
        RewardProgram {
            service: args.service,
            set: args.set,
            asset,
            amount: args.amount,
            start_epoch,
            epochs,
            weighting: args.weighting,
            multipliers,
            streamed: Amount::ZERO,
            refunded: Amount::ZERO,
            distributed: Amount::ZERO,
            protocol_fees: Amount::ZERO,
            commissions: Amount::ZERO,
        },
    );
    state.put::<ActivePrograms>(id, ());
    state.put::<SetPrograms>(args.set, live.checked_add(1).ok_or(MathError::Overflow)?);
    ctx.emit(Event::RewardProgramCreated {
        id,
        service: args.service,
        set: args.set,
        asset,
        amount: args.amount,
        start_epoch,
        epochs,
    });
    Ok(id)
}

/// The first epoch that starts at or after `start`, and not before the current epoch.
fn first_epoch_from(state: &State, start: Timestamp) -> Result<Epoch> {
    let e = state.epoch_at(start);
    let e = if state.epoch_start(e)? == start {
        e
    } else {
        e.next()?
    };
    Ok(e.max(state.meta().epoch))
}

/// An operator's commission on a service's rewards now.
pub fn commission_of(state: &State, operator: Address, service: Address) -> Bps {
    match state.get::<ServiceCommissions>(&(operator, service)) {
        Some(c) => c.bps,
        None => restaking::operator(state, operator)
            .map_or(state.params().default_commission_bps, |o| {
                o.default_commission
            }),
    }
}

/// `set_service_commission {service, commission_bps}`, signed by the operator: applies after
/// `commission_delay_s`.
pub fn set_service_commission(
    state: &mut State,
    ctx: &mut Ctx,
    service: Address,
    bps: Bps,
) -> Result<Timestamp> {
    restaking::operator(state, ctx.signer)?;
    restaking::service(state, service)?;
    if bps > Bps::ONE {
        return Err(Error::invalid("commission_bps", "must be at most 10000"));
    }
    let current = commission_of(state, ctx.signer, service);
    let effect_at = ctx.now.checked_add(state.params().commission_delay_s)?;
    state.put::<ServiceCommissions>(
        (ctx.signer, service),
        ServiceCommission {
            bps: current,
            pending: Some((bps, effect_at)),
        },
    );
    schedule(
        state,
        effect_at,
        Timer::CommissionEffect {
            operator: ctx.signer,
            service,
        },
    )?;
    ctx.emit(Event::ServiceCommissionScheduled {
        operator: ctx.signer,
        service,
        commission: bps,
        effect_at,
    });
    Ok(effect_at)
}

/// Timer: a commission change reaches its effect time.
pub fn apply_commission_effect(
    state: &mut State,
    operator: Address,
    service: Address,
    now: Timestamp,
) {
    let Some(mut c) = state
        .get::<ServiceCommissions>(&(operator, service))
        .copied()
    else {
        return;
    };
    if let Some((bps, _)) = c.pending.filter(|(_, at)| *at <= now) {
        c.bps = bps;
        c.pending = None;
        state.put::<ServiceCommissions>((operator, service), c);
    }
}

// --- distribution ----------------------------------------------------------------------------

/// One reward term's weight in an operator's share.
struct TermWeight {
    key: TermKey,
    /// Active scaled units.
    units: u128,
    /// Active value in the strategy's tokens (RAM for native).
    value: Amount,
}

/// Distributes the closing epoch's slice of every live program. Operators' commissions are
/// summed over all programs and paid once per operator and asset at the end.
///
/// A block hook: everything it moves sits in the reward escrow already, and every weight is
/// bounded (`value · multiplier` with both capped), so it never fails on a user condition.
/// O(live programs × operators in their sets × terms), never O(delegators); both factors are
/// bounded by parameters (`max_programs_per_set`, `max_operators_per_set`).
pub fn distribute_epoch(state: &mut State, events: &mut Vec<Event>, closing: Epoch) -> HookResult {
    let ids: Vec<u64> = state.iter::<ActivePrograms>().map(|(id, _)| *id).collect();
    let mut commissions: std::collections::BTreeMap<(Address, AssetId), Amount> =
        Default::default();
    for id in ids {
        let Some(program) = state.get::<RewardPrograms>(&id).cloned() else {
            continue;
        };
        if closing < program.start_epoch {
            continue;
        }
        let last = program
            .start_epoch
            .get()
            .saturating_add(program.epochs.saturating_sub(1));
        if closing.get() > last {
            end_program(state, id, program.set)?;
            continue;
        }
        let slice = if closing.get() == last {
            program.amount.checked_sub(program.streamed)?
        } else {
            Amount::new(mul_div_floor(
                program.amount.get(),
                1,
                u128::from(program.epochs),
            )?)
        };
        let set = program.set;
        distribute_slice(state, events, id, program, slice, closing, &mut commissions)?;
        if closing.get() == last {
            end_program(state, id, set)?;
        }
    }
    for ((operator, asset), amount) in commissions {
        bank::transfer(state, module::reward_escrow(), operator, asset, amount)
            .or_broken("operator commission from the reward escrow")?;
        events.push(Event::FeeCharged {
            layer: "restaking",
            kind: "operator_commission",
            on: operator,
            to: operator,
            asset,
            amount,
        });
    }
    Ok(())
}

/// A program stops streaming: it leaves the live index and its set's count.
fn end_program(state: &mut State, id: u64, set: SetRef) -> HookResult {
    if state.delete::<ActivePrograms>(&id).is_none() {
        return Ok(());
    }
    let live = state
        .get::<SetPrograms>(&set)
        .copied()
        .or_broken("the set's program count")?
        .checked_sub(1)
        .ok_or(MathError::Underflow)?;
    if live == 0 {
        state.delete::<SetPrograms>(&set);
    } else {
        state.put::<SetPrograms>(set, live);
    }
    Ok(())
}

/// `floor(x · num / den)` for the weights (`num ≤ den` in every use). Weights can exceed 128
/// bits; both are shifted right until `den` fits 128 bits, so the product fits 256 (the relative
/// error is below 2⁻¹²⁷ and the result still never exceeds `x`).
fn part_of(x: u128, num: U256, den: U256) -> Result<u128, MathError> {
    if num >= den {
        return Ok(x);
    }
    let shift = den.bit_len().saturating_sub(128);
    // shift < 128 < 256: never shifts out of range.
    let shr = |x: U256| x.checked_shr(shift).unwrap_or(U256::ZERO);
    let (num, den) = (shr(num), shr(den));
    if den.is_zero() {
        return Ok(0);
    }
    crate::num::to_u128(crate::num::div_floor_u256(
        crate::num::wide_mul(x, crate::num::to_u128(num)?),
        den,
    )?)
}

/// Returns `amount` of the program's escrow to its service, counted as refunded.
fn refund(state: &mut State, program: &mut RewardProgram, amount: Amount) -> HookResult {
    bank::transfer(
        state,
        module::reward_escrow(),
        program.service,
        program.asset,
        amount,
    )
    .or_broken("a refund from the reward escrow")?;
    program.refunded = program.refunded.checked_add(amount)?;
    Ok(())
}

fn distribute_slice(
    state: &mut State,
    events: &mut Vec<Event>,
    id: u64,
    mut program: RewardProgram,
    slice: Amount,
    closing: Epoch,
    commissions: &mut std::collections::BTreeMap<(Address, AssetId), Amount>,
) -> HookResult {
    let weights = set_weights(state, &program, closing)?;
    let total = weights.iter().try_fold(U256::ZERO, |acc, (_, w, _)| {
        crate::num::checked_add_u256(acc, *w)
    })?;
    program.streamed = program.streamed.checked_add(slice)?;
    if total.is_zero() {
        refund(state, &mut program, slice)?;
        events.push(Event::RewardRefunded {
            program: id,
            amount: slice,
        });
        state.put::<RewardPrograms>(id, program);
        return Ok(());
    }
    let protocol_bps = u128::from(state.params().protocol_fee_bps.get());
    let stream = (program.service, program.asset);
    let (mut fees, mut rests, mut dust) = (Amount::ZERO, Amount::ZERO, slice);
    for (operator, w, terms) in weights {
        let share = Amount::new(part_of(slice.get(), w, total)?);
        dust = dust.checked_sub(share)?;
        let fee =
            Amount::new(mul_div_ceil(share.get(), protocol_bps, BPS_DENOMINATOR)?.min(share.get()));
        let after_fee = share.checked_sub(fee)?;
        let bps = u128::from(commission_of(state, operator, program.service).get());
        let commission =
            Amount::new(mul_div_ceil(after_fee.get(), bps, BPS_DENOMINATOR)?.min(after_fee.get()));
        let rest = after_fee.checked_sub(commission)?;
        fees = fees.checked_add(fee)?;
        rests = rests.checked_add(rest)?;
        if !commission.is_zero() {
            let owed = commissions
                .entry((operator, program.asset))
                .or_insert(Amount::ZERO);
            *owed = owed.checked_add(commission)?;
        }
        program.protocol_fees = program.protocol_fees.checked_add(fee)?;
        program.commissions = program.commissions.checked_add(commission)?;
        if !commission.is_zero() {
            let key = (operator, program.service, program.asset);
            let earned = state
                .get::<CommissionsEarned>(&key)
                .copied()
                .unwrap_or(Amount::ZERO)
                .checked_add(commission)?;
            state.put::<CommissionsEarned>(key, earned);
        }
        let assigned = raise_indexes(state, stream, &terms, w, (rest, fee, commission))?;
        program.distributed = program.distributed.checked_add(assigned)?;
    }
    bank::transfer(
        state,
        module::reward_escrow(),
        module::treasury(),
        program.asset,
        fees,
    )
    .or_broken("protocol fees from the reward escrow")?;
    bank::transfer(
        state,
        module::reward_escrow(),
        module::reward_pool(),
        program.asset,
        rests,
    )
    .or_broken("rewards from the escrow to the pool")?;
    if !fees.is_zero() {
        events.push(Event::FeeCharged {
            layer: "restaking",
            kind: "protocol_fee",
            on: program.service,
            to: module::treasury(),
            asset: program.asset,
            amount: fees,
        });
    }
    // Operators' shares round down; what that leaves of the slice goes back to the service.
    if !dust.is_zero() {
        refund(state, &mut program, dust)?;
    }
    events.push(Event::RewardDistributed {
        program: id,
        amount: slice,
    });
    state.put::<RewardPrograms>(id, program);
    Ok(())
}

/// Raises each term's index by its share of `rest` (and the fee indices by its share of the
/// fees); returns the amount assigned to indices (the rest is rounding dust left in the pool).
fn raise_indexes(
    state: &mut State,
    stream: Stream,
    terms: &[(TermWeight, U256)],
    w_total: U256,
    amounts: (Amount, Amount, Amount),
) -> HookResult<Amount> {
    let (rest, fee, commission) = amounts;
    let step = |x: u128, units: u128| -> U256 {
        if x == 0 {
            U256::ZERO
        } else {
            // x < 2^128, INDEX_SCALE < 2^127: fits; units > 0 here (zero units leave the
            // index where it is).
            crate::num::div_floor_u256(crate::num::wide_mul(x, INDEX_SCALE), U256::from(units))
                .unwrap_or(U256::ZERO)
        }
    };
    let mut assigned = Amount::ZERO;
    for (t, w) in terms {
        if t.units == 0 || w.is_zero() {
            continue;
        }
        let net = part_of(rest.get(), *w, w_total)?;
        let pf = part_of(fee.get(), *w, w_total)?;
        let cm = part_of(commission.get(), *w, w_total)?;
        let key = (t.key.0, t.key.1, t.key.2, stream.0, stream.1);
        let mut idx = state
            .get::<RewardIndexes>(&key)
            .copied()
            .unwrap_or_default();
        idx.net = crate::num::checked_add_u256(idx.net, step(net, t.units))?;
        idx.protocol_fee = crate::num::checked_add_u256(idx.protocol_fee, step(pf, t.units))?;
        idx.commission = crate::num::checked_add_u256(idx.commission, step(cm, t.units))?;
        state.put::<RewardIndexes>(key, idx);
        assigned = assigned.checked_add(Amount::new(net))?;
    }
    Ok(assigned)
}

/// Weights of every operator registered in the program's set for the closing epoch: (operator,
/// weight, its terms with their weights). Counts only stake active since the epoch began: stake
/// that joined a term during it is pending, an operator that joined the set during it has no
/// weight, and an allocation raised during it counts at its level before the rise.
#[allow(clippy::type_complexity)]
fn set_weights(
    state: &State,
    program: &RewardProgram,
    closing: Epoch,
) -> HookResult<Vec<(Address, U256, Vec<(TermWeight, U256)>)>> {
    let os = restaking::operator_set(state, program.set).or_broken("a program's set")?;
    let now = state.now();
    let multipliers: Vec<(AssetId, Multiplier)> = os
        .strategies
        .iter()
        .map(|&s| multiplier(state, program, s).map(|m| (s, m)))
        .collect::<HookResult<_>>()?;
    let mut out = Vec::new();
    let members: Vec<Address> = state
        .range::<SetMembers, _>((program.set, Address::ZERO)..)
        .take_while(|((s, _), _)| *s == program.set)
        .map(|((_, o), _)| *o)
        .collect();
    for operator in members {
        if state.get::<SetJoins>(&(operator, program.set)) == Some(&closing) {
            continue;
        }
        let mut terms = Vec::new();
        let mut op_weight = U256::ZERO;
        for &(strategy, multiplier) in &multipliers {
            let m = restaking::max_magnitude(state, operator, strategy);
            if m.is_zero() {
                continue;
            }
            let factor = match program.weighting {
                Weighting::Allocated => restaking::rewarded_allocation(
                    state,
                    (operator, program.set, strategy),
                    restaking::slashable_magnitude(state, operator, program.set, strategy, now),
                    closing,
                ),
                Weighting::Delegated => m,
            };
            if factor.is_zero() {
                continue;
            }
            for tw in term_weights(state, operator, strategy, m)? {
                // value · (factor / m) (≤ value, 128 bits), then × the multiplier (≤ 2^120).
                let counted = mul_div_floor(tw.value.get(), factor.get(), m.get())?;
                let w = crate::num::div_floor_u256(
                    crate::num::wide_mul(counted, multiplier.num),
                    U256::from(multiplier.den),
                )?;
                op_weight = crate::num::checked_add_u256(op_weight, w)?;
                terms.push((tw, w));
            }
        }
        if !op_weight.is_zero() {
            out.push((operator, op_weight, terms));
        }
    }
    Ok(out)
}

/// The active stake of an operator in a strategy, per reward term.
fn term_weights(
    state: &State,
    operator: Address,
    strategy: AssetId,
    m: Wad,
) -> HookResult<Vec<TermWeight>> {
    let mut out = Vec::new();
    for term in restaking::terms_of(state, operator, strategy) {
        let key = direct(operator, term);
        let t = restaking::term(state, operator, term);
        let units = t.position_scaled.saturating_sub(pending_of(state, key));
        let value = restaking::term_value(state, term, restaking::scaled_value_floor(units, m)?)
            .or_broken("a term's value")?;
        out.push(TermWeight { key, units, value });
        for ((_, _, from), ()) in state
            .range::<crate::restaking::BridgesIn, _>((operator, term, Address::ZERO)..)
            .take_while(|((to, s, _), _)| *to == operator && *s == term)
        {
            let bkey = (*from, term, operator);
            let scaled = state
                .get::<crate::restaking::Bridges>(&bkey)
                .map_or(0, |b| b.scaled);
            let units = scaled.saturating_sub(pending_of(state, bkey));
            let shares =
                restaking::bridge_value(units, restaking::max_magnitude(state, *from, term), m)?;
            out.push(TermWeight {
                key: bkey,
                units,
                value: restaking::term_value(state, term, shares).or_broken("a bridge's value")?,
            });
        }
    }
    Ok(out)
}

/// A strategy's weight per token base unit, as a fraction of RAM base units.
#[derive(Clone, Copy, Debug)]
struct Multiplier {
    num: u128,
    den: u128,
}

/// A strategy's multiplier in a program: the program's own (a WAD per base unit, at most
/// [`MAX_MULTIPLIER_WAD`]), else the strategy's RAM value per base unit ([`crate::pricing`]).
fn multiplier(state: &State, program: &RewardProgram, strategy: AssetId) -> HookResult<Multiplier> {
    if let Some((_, w)) = program.multipliers.iter().find(|(s, _)| *s == strategy) {
        return Ok(Multiplier {
            num: w.get().min(MAX_MULTIPLIER_WAD),
            den: WAD,
        });
    }
    let p = crate::pricing::base_unit_price(state, strategy).or_broken("a strategy's price")?;
    Ok(Multiplier {
        num: p.num,
        den: p.den.max(1),
    })
}

// --- claims ----------------------------------------------------------------------------------

/// `claim_rewards {operator?, strategy?}`: pays everything claimable on the signer's positions
/// (optionally only those with one operator or strategy). O(positions × reward assets).
pub fn claim_rewards(
    state: &mut State,
    ctx: &mut Ctx,
    operator: Option<Address>,
    strategy: Option<AssetId>,
) -> Result<Vec<(AssetId, Amount)>> {
    let staker = ctx.signer;
    let keys: Vec<(Address, AssetId)> = state
        .range::<crate::restaking::Positions, _>((staker, Address::ZERO, AssetId(0))..)
        .take_while(|((s, _, _), _)| *s == staker)
        .map(|((_, o, t), _)| (*o, *t))
        .filter(|(o, t)| {
            operator.is_none_or(|x| x == *o)
                && strategy.is_none_or(|x| x == restaking::magnitude_key(*t))
        })
        .collect();
    let mut paid: std::collections::BTreeMap<AssetId, Amount> = Default::default();
    for (op, term) in keys {
        let Some(mut p) = restaking::settled_position(state, staker, op, term, ctx.now)? else {
            continue;
        };
        // The direct part and every redelegated tranche still in its old operator's window: a
        // tranche's rewards are as claimable as any (O(1) each).
        let tranche_rewards = p.tranches.iter_mut().flat_map(|t| t.rewards.iter_mut());
        for r in p.rewards.iter_mut().chain(tranche_rewards) {
            let e = paid.entry(r.asset).or_insert(Amount::ZERO);
            *e = e.checked_add(r.claimable)?;
            r.claimable = Amount::ZERO;
        }
        restaking::store_settled_position(state, staker, op, term, p);
    }
    let paid: Vec<(AssetId, Amount)> = paid.into_iter().filter(|(_, a)| !a.is_zero()).collect();
    if paid.is_empty() {
        return Err(Error::NothingToClaim {
            account: fmt_address(&staker),
            what: "no rewards have accrued",
        });
    }
    for (asset, amount) in &paid {
        bank::transfer(state, module::reward_pool(), staker, *asset, *amount)?;
        ctx.emit(Event::RewardsClaimed {
            staker,
            asset: *asset,
            amount: *amount,
        });
    }
    Ok(paid)
}

/// Every reward record of a settled position: its direct part's, then each live tranche's.
pub fn reward_records(p: &Position) -> impl Iterator<Item = &PositionReward> {
    p.rewards
        .iter()
        .chain(p.tranches.iter().flat_map(|t| t.rewards.iter()))
}

/// Rewards claimable on a settled position (direct part and tranches), by asset.
pub fn claimable(p: &Position) -> Result<Vec<(AssetId, Amount)>, MathError> {
    let mut out: Vec<(AssetId, Amount)> = Vec::new();
    for r in reward_records(p).filter(|r| !r.claimable.is_zero()) {
        match out.iter_mut().find(|(a, _)| *a == r.asset) {
            Some((_, x)) => *x = x.checked_add(r.claimable)?,
            None => out.push((r.asset, r.claimable)),
        }
    }
    Ok(out)
}

/// Invariants: each program's escrow covers what it has not streamed; the pool covers what is
/// claimable.
pub fn check(state: &State, v: &mut Vec<String>) -> Result<()> {
    let mut escrow: std::collections::BTreeMap<AssetId, u128> = Default::default();
    for (id, p) in state.iter::<RewardPrograms>() {
        let left = p.amount.checked_sub(p.streamed).map_err(|_| {
            Error::invalid(
                "program",
                format!("program {id} streamed more than its amount"),
            )
        })?;
        let e = escrow.entry(p.asset).or_default();
        *e = e.saturating_add(left.get()); // a saturated sum fails the comparison below
        let parts = p
            .refunded
            .checked_add(p.protocol_fees)?
            .checked_add(p.commissions)?
            .checked_add(p.distributed)?;
        if parts > p.streamed {
            v.push(format!("program {id}: refunds, fees, commissions and distributions {parts} exceed streamed {}", p.streamed));
        }
    }
    let mut by_programs: std::collections::BTreeMap<(Address, AssetId), u128> = Default::default();
    for p in state.iter::<RewardPrograms>().map(|(_, p)| p) {
        let c = by_programs.entry((p.service, p.asset)).or_default();
        *c = c.saturating_add(p.commissions.get());
    }
    let mut by_operators: std::collections::BTreeMap<(Address, AssetId), u128> = Default::default();
    for ((_, service, asset), earned) in state.iter::<CommissionsEarned>() {
        let c = by_operators.entry((*service, *asset)).or_default();
        *c = c.saturating_add(earned.get());
    }
    by_programs.retain(|_, c| *c > 0);
    if by_programs != by_operators {
        v.push(format!(
            "commissions earned per (service, asset): operators {by_operators:?}, programs {by_programs:?}"
        ));
    }
    for (asset, left) in escrow {
        let held = bank::balance(state, module::reward_escrow(), asset).get();
        if held != left {
            v.push(format!(
                "reward escrow holds {held} of asset {}, programs have {left} left",
                asset.0
            ));
        }
    }
    let now = state.now();
    let mut owed: std::collections::BTreeMap<AssetId, u128> = Default::default();
    for ((staker, op, term), _) in state.iter::<crate::restaking::Positions>() {
        if let Some(p) = restaking::settled_position(state, *staker, *op, *term, now)? {
            for r in reward_records(&p) {
                let o = owed.entry(r.asset).or_default();
                *o = o.saturating_add(r.claimable.get());
            }
        }
    }
    for (asset, claimable) in owed {
        let pool = bank::balance(state, module::reward_pool(), asset).get();
        if claimable > pool {
            v.push(format!(
                "rewards: claimable {claimable} of asset {} exceeds the pool's {pool}",
                asset.0
            ));
        }
    }
    Ok(())
}
