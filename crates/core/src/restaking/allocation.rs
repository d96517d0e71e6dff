//! Allocation of unique stake (§6.5).
//!
//! Per (operator, strategy) the operator has `max_magnitude` and allocates parts of it to sets.
//! The slashable stake of the operator in a set is `delegated · allocated / max_magnitude`, so
//! the sum of allocations never exceeds the magnitude and no stake backs two sets.
//!
//! `allocate {set, strategy, magnitude}` names the new target. An increase reserves magnitude at
//! once and becomes slashable after the operator's `allocation_delay_s`; a decrease of slashable
//! magnitude takes `deallocation_delay_s` and stays slashable until then; a decrease of
//! magnitude the set can no longer slash is immediate. One pending change per (operator, set,
//! strategy).

use super::operator::check_commitments;
use super::{Allocation, Membership, PendingAllocation};
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, SetRef, fmt_address};
use crate::num::Wad;
use crate::restaking::{AllocationRaises, Allocations, Magnitudes, Memberships};
use crate::state::State;
use crate::state::meta::{Timer, schedule};
use crate::time::Timestamp;

/// `allocate {set, strategy, magnitude}`, signed by the operator. Returns when the change takes
/// effect.
///
/// `deposits_paused_until` is the guardian's pause (governance's, read by the action dispatch
/// and handed down so that restaking does not use governance): an increase before it is
/// refused with [`Error::DepositsPaused`]; a decrease (deallocation) is never paused.
pub fn allocate(
    state: &mut State,
    ctx: &mut Ctx,
    set: SetRef,
    strategy_name: &str,
    magnitude: Wad,
    deposits_paused_until: Timestamp,
) -> Result<Timestamp> {
    let operator = ctx.signer;
    let op = super::operator(state, operator)?.clone();
    let strategy = super::strategy_id(state, strategy_name)?;
    let os = super::operator_set(state, set)?;
    if !os.strategies.contains(&strategy) {
        return Err(Error::StrategyNotInSet {
            set: set.to_string(),
            strategy: strategy_name.to_owned(),
        });
    }
    if magnitude > Wad::ONE {
        return Err(Error::invalid("magnitude", "must be at most 1e18"));
    }
    let key = (operator, set, strategy);
    let mut alloc = state.get::<Allocations>(&key).cloned().unwrap_or_default();
    if let Some(p) = alloc.pending {
        return Err(Error::AllocationPending {
            set: set.to_string(),
            effect_at: p.effect_at,
        });
    }
    if magnitude == alloc.current {
        return Err(Error::invalid("magnitude", "equals the current allocation"));
    }
    if magnitude > alloc.current && ctx.now < deposits_paused_until {
        // A new allocation; a decrease (deallocation) is never paused.
        return Err(Error::DepositsPaused {
            action: "allocate",
            until: deposits_paused_until,
        });
    }
    let membership = state.get::<Memberships>(&(operator, set)).copied();
    let mut mag = super::magnitude(state, operator, strategy);
    let effect_at = if magnitude > alloc.current {
        if membership != Some(Membership::Registered) {
            return Err(Error::NotRegistered {
                operator: fmt_address(&operator),
                set: set.to_string(),
            });
        }
        let increase = magnitude.checked_sub(alloc.current)?;
        let encumbered = mag.encumbered.checked_add(increase)?;
        if encumbered > mag.max_magnitude {
            return Err(Error::InsufficientMagnitude {
                available: mag.max_magnitude.saturating_sub(mag.encumbered),
                requested: increase,
            });
        }
        check_commitments(
            operator,
            &op.commitments,
            set.service,
            magnitude,
            encumbered,
            mag.max_magnitude,
        )?;
        mag.encumbered = encumbered;
        ctx.now.checked_add(op.allocation_delay)?
    } else {
        let slashable = membership.is_some_and(|m| m.slashable_at(ctx.now));
        if slashable {
            ctx.now.checked_add(state.params().deallocation_delay_s)?
        } else {
            mag.encumbered = mag
                .encumbered
                .checked_sub(alloc.current.checked_sub(magnitude)?)?;
            ctx.now
        }
    };
    state.put::<Magnitudes>((operator, strategy), mag);
    if effect_at <= ctx.now {
        note_raise(state, key, alloc.current, magnitude);
        alloc.current = magnitude;
        store_allocation(state, key, alloc);
        ctx.emit(Event::AllocationApplied {
            operator,
            set,
            strategy,
            magnitude,
        });
    } else {
        alloc.pending = Some(PendingAllocation {
            target: magnitude,
            effect_at,
        });
        state.put::<Allocations>(key, alloc);
        schedule(
            state,
            effect_at,
            Timer::AllocationEffect {
                operator,
                set,
                strategy,
            },
        )?;
        ctx.emit(Event::AllocationQueued {
            operator,
            set,
            strategy,
            magnitude,
            effect_at,
        });
    }
    Ok(effect_at)
}

/// Records an allocation rising from `before` to `after` in the current epoch: the epoch's reward
/// weight counts the smaller (new slashable stake earns from the next epoch, as new delegations
/// do, so an operator cannot allocate just before a distribution and take a full share).
fn note_raise(state: &mut State, key: (Address, SetRef, AssetId), before: Wad, after: Wad) {
    if after <= before {
        return;
    }
    let epoch = state.meta().epoch;
    let before = match state.get::<AllocationRaises>(&key) {
        Some((e, earlier)) if *e == epoch => (*earlier).min(before),
        _ => before,
    };
    state.put::<AllocationRaises>(key, (epoch, before));
}

/// The allocation `alloc` counted for the reward weight of epoch `epoch`: the smaller of its
/// current magnitude and its magnitude before a rise during that epoch.
pub fn rewarded_allocation(
    state: &State,
    key: (Address, SetRef, AssetId),
    current: Wad,
    epoch: crate::time::Epoch,
) -> Wad {
    match state.get::<AllocationRaises>(&key) {
        Some((e, before)) if *e == epoch => current.min(*before),
        _ => current,
    }
}

pub(super) fn store_allocation(
    state: &mut State,
    key: (Address, SetRef, AssetId),
    alloc: Allocation,
) {
    if alloc.current.is_zero() && alloc.pending.is_none() {
        state.delete::<Allocations>(&key);
    } else {
        state.put::<Allocations>(key, alloc);
    }
}

/// Timer: a pending allocation change reaches its effect time. A decrease frees its magnitude;
/// an increase was reserved when it was queued.
pub fn apply_allocation_effect(
    state: &mut State,
    events: &mut Vec<Event>,
    operator: Address,
    set: SetRef,
    strategy: AssetId,
    now: Timestamp,
) -> HookResult {
    let key = (operator, set, strategy);
    let Some(mut alloc) = state.get::<Allocations>(&key).cloned() else {
        return Ok(());
    };
    let Some(pending) = alloc.pending.filter(|p| p.effect_at <= now) else {
        return Ok(());
    };
    if pending.target < alloc.current {
        let mut mag = super::magnitude(state, operator, strategy);
        mag.encumbered = mag
            .encumbered
            .checked_sub(alloc.current.checked_sub(pending.target)?)?;
        state.put::<Magnitudes>((operator, strategy), mag);
    }
    note_raise(state, key, alloc.current, pending.target);
    alloc.current = pending.target;
    alloc.pending = None;
    store_allocation(state, key, alloc);
    events.push(Event::AllocationApplied {
        operator,
        set,
        strategy,
        magnitude: pending.target,
    });
    Ok(())
}
