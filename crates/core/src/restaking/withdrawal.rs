//! Withdrawals and redelegation (§6.7).
//!
//! `queue_withdrawal` takes deposit shares out of a position at once and keeps their scaled
//! amount in the operator's direct term until `withdrawal_delay_s` passes, so every slash in that
//! window reaches them; the payout is computed at completion with the operator's magnitude at the
//! end of the delay. Undelegated deposit shares are not slashable and can be completed at once.
//!
//! `redelegate` moves stake to another operator at once: it is delegated there (slashable by the
//! new operator's sets, counted in its stake) and, through a bridge term, stays slashable by the
//! old operator until `withdrawal_delay_s` passes. Until then that tranche can neither be
//! redelegated again (no hopping) nor queued for withdrawal; the rest of the position can.

use super::delegation::{
    bridge_scale_in_floor, convert_bridged, load_position, magnitude_at, scale_in_floor,
    scaled_value_floor, store_settled_position,
};
use super::strategy::{deposit_shares, insufficient_shares, redeem_shares, set_deposit_shares};
use super::{Position, Tranche, Withdrawal};
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, WithdrawalId, fmt_address, module};
use crate::num::{MathError, ShareAmount, Shares, mul_div_ceil, mul_div_floor};
use crate::restaking::{
    BridgeChunks, Bridges, BridgesIn, QueueBuckets, QueueReleases, StakerWithdrawals, Terms,
    Withdrawals,
};
use crate::state::State;
use crate::state::meta::{IdKind, Timer, next_id, schedule};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a completed withdrawal is received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Receive {
    /// As the strategy's tokens.
    #[default]
    Tokens,
    /// As undelegated deposit shares, ready to delegate again.
    Shares,
}

/// Takes `amount` deposit shares from the direct part of a settled position: returns
/// `(shares, scaled, pending)` that leave (`pending`: of the position's units removed, those that
/// joined this epoch). Fails if they are not there, naming locked tranches if those are
/// why.
///
/// # Arithmetic
///
/// A partial take rounds both sides down: the leaving part gets `floor(scaled · shares / held)`,
/// the position keeps `scaled − ceil(scaled · shares / held)`. The unit between (if any) stays in
/// the operator's term, owned by nobody, so neither part is ever worth more than its exact share
/// however the two are slashed afterwards.
fn take_direct(
    staker: Address,
    p: &mut Position,
    amount: ShareAmount,
) -> Result<(Shares, u128, u128)> {
    let shares = amount.resolve(p.shares);
    if shares.is_zero() {
        if let Some(t) = p.tranches.iter().min_by_key(|t| t.matures_at) {
            return Err(Error::RedelegationPending {
                shares: t.shares,
                matures_at: t.matures_at,
            });
        }
        return Err(Error::invalid("shares", "nothing to take"));
    }
    if shares > p.shares {
        let locked = p
            .tranches
            .iter()
            .try_fold(Shares::ZERO, |acc, t| acc.checked_add(t.shares))?;
        if let Some(t) = p.tranches.iter().max_by_key(|t| t.matures_at)
            && shares <= p.shares.checked_add(locked)?
        {
            return Err(Error::RedelegationPending {
                shares: locked,
                matures_at: t.matures_at,
            });
        }
        return Err(insufficient_shares(staker, p.shares, shares));
    }
    let (leaving, removed) = if shares == p.shares {
        (p.scaled, p.scaled)
    } else {
        (
            mul_div_floor(p.scaled, shares.get(), p.shares.get())?,
            mul_div_ceil(p.scaled, shares.get(), p.shares.get())?,
        )
    };
    p.shares = p.shares.checked_sub(shares)?;
    p.scaled = p.scaled.checked_sub(removed).ok_or(MathError::Underflow)?;
    // Stake that joined this epoch leaves first.
    let from_pending = removed.min(p.pending_scaled);
    p.pending_scaled = p.pending_scaled.saturating_sub(from_pending); // from_pending ≤ it
    Ok((shares, leaving, from_pending))
}

fn check_withdrawal_limit(state: &State, staker: Address) -> Result<()> {
    let max = state.params().max_withdrawals_per_staker;
    let queued = state
        .range::<StakerWithdrawals, _>((staker, WithdrawalId(0))..)
        .take_while(|((s, _), _)| *s == staker)
        .count();
    if queued >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_withdrawals_per_staker",
            max: u64::from(max),
        });
    }
    Ok(())
}

/// `queue_withdrawal {operator?, strategy, shares}`, signed by the staker.
pub fn queue_withdrawal(
    state: &mut State,
    ctx: &mut Ctx,
    operator: Option<Address>,
    strategy_name: &str,
    validator: Option<Address>,
    amount: ShareAmount,
) -> Result<WithdrawalId> {
    let staker = ctx.signer;
    let strategy = super::resolve_term(state, strategy_name, validator)?;
    check_withdrawal_limit(state, staker)?;
    let (shares, scaled, completable_at) = match operator {
        None => {
            let available = deposit_shares(state, staker, strategy);
            let shares = amount.resolve(available);
            if shares.is_zero() || shares > available {
                return Err(insufficient_shares(staker, available, shares));
            }
            set_deposit_shares(state, staker, strategy, available.checked_sub(shares)?);
            (shares, shares.get(), ctx.now)
        }
        Some(operator) => {
            let mut p =
                super::delegation::settled_position(state, staker, operator, strategy, ctx.now)?
                    .ok_or_else(|| no_position(staker, operator, strategy_name))?;
            let (shares, scaled, pending) = take_direct(staker, &mut p, amount)?;
            super::ledger::remove_pending(
                state,
                super::ledger::direct(operator, strategy),
                pending,
            )?;
            store_settled_position(state, staker, operator, strategy, p);
            let completable_at = ctx.now.checked_add(state.params().withdrawal_delay_s)?;
            enqueue(state, operator, strategy, scaled, completable_at, ctx.now)?;
            (shares, scaled, completable_at)
        }
    };
    let id = WithdrawalId(next_id(state, IdKind::Withdrawal)?);
    let w = Withdrawal {
        staker,
        operator,
        strategy,
        shares,
        scaled,
        queued_at: ctx.now,
        completable_at,
    };
    state.put::<Withdrawals>(id, w);
    state.put::<StakerWithdrawals>((staker, id), ());
    ctx.emit(Event::WithdrawalQueued {
        id,
        staker,
        operator,
        strategy,
        shares,
        completable_at,
    });
    Ok(id)
}

fn no_position(staker: Address, operator: Address, strategy: &str) -> Error {
    Error::NoPosition {
        staker: fmt_address(&staker),
        operator: fmt_address(&operator),
        strategy: strategy.to_owned(),
    }
}

/// Moves `scaled` from the operator's positions to its queue, slashable until `completable_at`.
fn enqueue(
    state: &mut State,
    operator: Address,
    strategy: AssetId,
    scaled: u128,
    completable_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    let mut term = super::term(state, operator, strategy);
    term.position_scaled = term
        .position_scaled
        .checked_sub(scaled)
        .ok_or(MathError::Underflow)?;
    term.queued_scaled = term
        .queued_scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    state.put::<Terms>((operator, strategy), term);
    let key = (operator, strategy, completable_at);
    let bucket = state.get::<QueueBuckets>(&key).copied();
    state.put::<QueueBuckets>(
        key,
        bucket
            .unwrap_or(0)
            .checked_add(scaled)
            .ok_or(MathError::Overflow)?,
    );
    if completable_at <= now {
        mature_queue_bucket(
            state,
            &mut Vec::new(),
            operator,
            strategy,
            completable_at,
            now,
        )?;
    } else if bucket.is_none() {
        schedule(
            state,
            completable_at,
            Timer::QueueMature {
                operator,
                strategy,
                at: completable_at,
            },
        )?;
    }
    Ok(())
}

/// Timer: queued withdrawals of (operator, strategy) reach the end of their delay. They leave the
/// operator's term with the real shares they are worth; the withdrawals are paid from those.
///
/// A slash request made during their delay and still pending holds them (they stay in the term,
/// exposed) until it is resolved or expires: the timer runs again then, and the withdrawals pay
/// at the magnitude of their release (kept in `QueueReleases`).
pub fn mature_queue_bucket(
    state: &mut State,
    events: &mut Vec<Event>,
    operator: Address,
    strategy: AssetId,
    at: Timestamp,
    now: Timestamp,
) -> HookResult {
    let Some(&scaled) = state.get::<QueueBuckets>(&(operator, strategy, at)) else {
        return Ok(());
    };
    if let Some(until) = super::held_until(state, operator, strategy, at, now)? {
        schedule(
            state,
            until,
            Timer::QueueMature {
                operator,
                strategy,
                at,
            },
        )?;
        events.push(Event::WithdrawalsHeld {
            operator,
            strategy,
            until,
        });
        return Ok(());
    }
    state.delete::<QueueBuckets>(&(operator, strategy, at));
    let m = super::max_magnitude(state, operator, strategy);
    if now > at {
        state.put::<QueueReleases>((operator, strategy, at), m);
    }
    let mut term = super::term(state, operator, strategy);
    let released = scaled_value_floor(scaled, m)?;
    term.queued_scaled = term
        .queued_scaled
        .checked_sub(scaled)
        .ok_or(MathError::Underflow)?;
    term.shares = term.shares.checked_sub(released)?;
    state.put::<Terms>((operator, strategy), term);
    Ok(())
}

/// Whether `w`'s bucket is still in the operator's term past its delay: a pending slash request
/// held it at maturity and it has not been released yet (a slash still reaches it). Once every
/// request that held it is resolved, completing it releases the bucket on the spot.
pub fn withdrawal_held(state: &State, w: &Withdrawal) -> bool {
    w.operator.is_some_and(|operator| {
        state
            .get::<QueueBuckets>(&(operator, w.strategy, w.completable_at))
            .is_some()
    })
}

/// The real shares a withdrawal pays: its scaled amount at the operator's magnitude when the
/// delay ended (or will end), or when a pending slash request released it.
pub fn withdrawal_payout_shares(state: &State, w: &Withdrawal) -> Result<Shares> {
    match w.operator {
        None => Ok(Shares::new(w.scaled)),
        Some(operator) => {
            let m = match state.get::<QueueReleases>(&(operator, w.strategy, w.completable_at)) {
                Some(m) => *m,
                None if withdrawal_held(state, w) => {
                    super::max_magnitude(state, operator, w.strategy)
                }
                None => magnitude_at(state, operator, w.strategy, w.completable_at),
            };
            Ok(scaled_value_floor(w.scaled, m)?)
        }
    }
}

/// `complete_withdrawal {id, receive}`, signed by the staker after the delay.
pub fn complete_withdrawal(
    state: &mut State,
    ctx: &mut Ctx,
    id: WithdrawalId,
    receive: Receive,
) -> Result<Shares> {
    let w = state
        .get::<Withdrawals>(&id)
        .cloned()
        .ok_or(Error::UnknownWithdrawal(id))?;
    if w.staker != ctx.signer {
        return Err(Error::unauthorized(
            "complete_withdrawal",
            &ctx.signer,
            "the staker who queued it",
        ));
    }
    completable(state, id, &w, ctx.now)?;
    pay_withdrawal(state, &mut ctx.events, id, &w, receive, ctx.now)
}

/// Whether `w` can be completed at `now`: past its delay and not held by a pending slash request
/// (one that is vetoed, executed or expired holds it no longer, even before its release timer).
pub fn completable(state: &State, id: WithdrawalId, w: &Withdrawal, now: Timestamp) -> Result<()> {
    if now < w.completable_at {
        return Err(Error::WithdrawalNotReady {
            id,
            completable_at: w.completable_at,
        });
    }
    if let Some(operator) = w.operator.filter(|_| withdrawal_held(state, w))
        && let Some(until) = super::held_until(state, operator, w.strategy, w.completable_at, now)?
    {
        return Err(Error::WithdrawalHeld { id, until });
    }
    Ok(())
}

/// Pays a completable withdrawal to its staker (checked by the caller with [`completable`]).
pub(crate) fn pay_withdrawal(
    state: &mut State,
    events: &mut Vec<Event>,
    id: WithdrawalId,
    w: &Withdrawal,
    receive: Receive,
    now: Timestamp,
) -> Result<Shares> {
    // Held past its delay by requests that are resolved since: release its bucket now, at the
    // operator's magnitude of this moment (after any slash that executed).
    if let Some(operator) = w.operator.filter(|_| withdrawal_held(state, w)) {
        mature_queue_bucket(state, events, operator, w.strategy, w.completable_at, now)?;
    }
    let shares = withdrawal_payout_shares(state, w)?;
    let amount = match receive {
        Receive::Tokens if super::is_native_term(w.strategy) => {
            // Native stake returns to the staker's base delegation, ready to unbond.
            let validator = super::native_validator(state, w.strategy)?;
            crate::base::unlock_native_shares(state, w.staker, validator, shares.get())?;
            None
        }
        Receive::Tokens => {
            let amount = redeem_shares(state, w.strategy, shares)?;
            bank::transfer(
                state,
                module::strategy(w.strategy),
                w.staker,
                w.strategy,
                amount,
            )?;
            Some(amount)
        }
        Receive::Shares => {
            let held = deposit_shares(state, w.staker, w.strategy).checked_add(shares)?;
            set_deposit_shares(state, w.staker, w.strategy, held);
            None
        }
    };
    state.delete::<Withdrawals>(&id);
    state.delete::<StakerWithdrawals>(&(w.staker, id));
    events.push(Event::WithdrawalCompleted {
        id,
        staker: w.staker,
        shares,
        amount,
    });
    Ok(shares)
}

/// `redelegate {from_operator, to_operator, strategy, shares}`, signed by the staker.
pub fn redelegate(
    state: &mut State,
    ctx: &mut Ctx,
    from: Address,
    to: Address,
    strategy_name: &str,
    validator: Option<Address>,
    amount: ShareAmount,
) -> Result<Shares> {
    let staker = ctx.signer;
    if from == to {
        return Err(Error::invalid("to_operator", "is the same operator"));
    }
    super::operator(state, to)?;
    let strategy = super::resolve_term(state, strategy_name, validator)?;
    let mut source = super::delegation::settled_position(state, staker, from, strategy, ctx.now)?
        .ok_or_else(|| no_position(staker, from, strategy_name))?;
    let (shares, scaled, pending) = take_direct(staker, &mut source, amount)?;
    super::ledger::remove_pending(state, super::ledger::direct(from, strategy), pending)?;
    let m_from = super::max_magnitude(state, from, strategy);
    let m_to = super::max_magnitude(state, to, strategy);
    let mut term_from = super::term(state, from, strategy);
    let mut term_to = super::term(state, to, strategy);
    if m_to.is_zero() {
        return Err(Error::FullySlashed {
            operator: fmt_address(&to),
            strategy: strategy_name.to_owned(),
        });
    }
    let real = scaled_value_floor(scaled, m_from)?;
    if real.is_zero() {
        return Err(Error::invalid(
            "shares",
            "the stake has no value left to move",
        ));
    }
    term_from.position_scaled = term_from
        .position_scaled
        .checked_sub(scaled)
        .ok_or(MathError::Underflow)?;
    term_from.shares = term_from.shares.checked_sub(real)?;
    let mut target = load_position(state, staker, to, strategy, ctx.now)?;
    let window_end = ctx.now.checked_add(state.params().withdrawal_delay_s)?;
    if window_end <= ctx.now {
        let s = scale_in_floor(real, m_to)?;
        term_to.position_scaled = term_to
            .position_scaled
            .checked_add(s)
            .ok_or(MathError::Overflow)?;
        term_to.shares = term_to.shares.checked_add(real)?;
        target.shares = target.shares.checked_add(shares)?;
        target.scaled = target.scaled.checked_add(s).ok_or(MathError::Overflow)?;
        target.pending_epoch = state.meta().epoch;
        target.pending_scaled = target
            .pending_scaled
            .checked_add(s)
            .ok_or(MathError::Overflow)?;
        super::ledger::add_pending(state, super::ledger::direct(to, strategy), s)?;
    } else {
        let x = bridge_scale_in_floor(real, m_from, m_to)?;
        add_tranche(
            state,
            &mut target,
            Tranche {
                from,
                shares,
                scaled: x,
                matures_at: window_end,
                epoch: state.meta().epoch,
                activated: false,
                rewards: Vec::new(),
            },
        )?;
        add_to_bridge(state, (from, strategy, to), x, real, window_end)?;
    }
    state.put::<Terms>((from, strategy), term_from);
    state.put::<Terms>((to, strategy), term_to);
    store_settled_position(state, staker, from, strategy, source);
    store_settled_position(state, staker, to, strategy, target);
    ctx.emit(Event::Redelegated {
        staker,
        from,
        to,
        strategy,
        shares,
        slashable_by_old_until: window_end,
    });
    Ok(shares)
}

fn add_tranche(state: &State, p: &mut Position, t: Tranche) -> Result<()> {
    if let Some(same) = p
        .tranches
        .iter_mut()
        .find(|x| x.from == t.from && x.matures_at == t.matures_at && x.epoch == t.epoch)
    {
        same.shares = same.shares.checked_add(t.shares)?;
        same.scaled = same
            .scaled
            .checked_add(t.scaled)
            .ok_or(MathError::Overflow)?;
        return Ok(());
    }
    let max = state.params().max_redelegations_per_position;
    if p.tranches.len() >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_redelegations_per_position",
            max: u64::from(max),
        });
    }
    p.tranches.push(t);
    Ok(())
}

fn add_to_bridge(
    state: &mut State,
    key: (Address, AssetId, Address),
    scaled: u128,
    real: Shares,
    matures_at: Timestamp,
) -> Result<()> {
    let (from, strategy, to) = key;
    let mut bridge = state.get::<Bridges>(&key).cloned().unwrap_or_default();
    bridge.scaled = bridge
        .scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    bridge.shares = bridge.shares.checked_add(real)?;
    state.put::<Bridges>(key, bridge);
    state.put::<BridgesIn>((to, strategy, from), ());
    let chunk_key = (from, strategy, to, matures_at);
    let chunk = state.get::<BridgeChunks>(&chunk_key).copied();
    let epoch = state.meta().epoch;
    let mut next = chunk.unwrap_or_default();
    next.scaled = next.scaled.checked_add(scaled).ok_or(MathError::Overflow)?;
    next.epoch = next.epoch.max(epoch);
    state.put::<BridgeChunks>(chunk_key, next);
    super::ledger::add_pending(state, key, scaled)?;
    if chunk.is_none() {
        schedule(
            state,
            matures_at,
            Timer::BridgeMature {
                from,
                strategy,
                to,
                at: matures_at,
            },
        )?;
    }
    Ok(())
}

/// Timer: redelegated stake leaves its old operator's reach and joins the new operator's direct
/// term (positions fold their tranche in when next touched, with the same magnitudes).
pub fn mature_bridge_chunk(
    state: &mut State,
    from: Address,
    strategy: AssetId,
    to: Address,
    at: Timestamp,
) -> HookResult {
    let key = (from, strategy, to);
    let Some(chunk) = state
        .get::<BridgeChunks>(&(from, strategy, to, at))
        .copied()
    else {
        return Ok(());
    };
    super::ledger::snapshot_maturity(state, key, at);
    state.delete::<BridgeChunks>(&(from, strategy, to, at));
    let Some(mut bridge) = state.get::<Bridges>(&key).cloned() else {
        return Ok(());
    };
    let m_from = super::max_magnitude(state, from, strategy);
    let m_to = super::max_magnitude(state, to, strategy);
    let mut term_to = super::term(state, to, strategy);
    let (real, scaled) =
        convert_bridged(chunk.scaled, m_from, m_to).or_broken("convert a maturing bridge")?;
    bridge.scaled = bridge
        .scaled
        .checked_sub(chunk.scaled)
        .ok_or(MathError::Underflow)?;
    bridge.shares = bridge.shares.checked_sub(real)?;
    term_to.position_scaled = term_to
        .position_scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    term_to.shares = term_to.shares.checked_add(real)?;
    state.put::<Terms>((to, strategy), term_to);
    if chunk.epoch >= state.meta().epoch {
        // Created this epoch: still pending, it stays pending in the new operator's term.
        super::ledger::remove_pending(state, key, chunk.scaled)
            .or_broken("move pending reward weight")?;
        super::ledger::add_pending(state, super::ledger::direct(to, strategy), scaled)
            .or_broken("move pending reward weight")?;
    }
    if bridge.scaled == 0 {
        // Any dust left in `bridge.shares` belongs to nobody and stays in the strategy.
        state.delete::<Bridges>(&key);
        state.delete::<BridgesIn>(&(to, strategy, from));
    } else {
        state.put::<Bridges>(key, bridge);
    }
    Ok(())
}
