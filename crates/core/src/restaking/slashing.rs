//! Slashing (§6.6): instant or through a veto window, capped per event, into escrow, then burnt
//! or redistributed after the resolution delay.
//!
//! # The cost of a slash
//!
//! A slash of `wad` on operator `o`'s allocation `a` to a set removes
//! `ceil(a · wad / WAD)` magnitude from the allocation and from `m_o`. Every term `o` belongs to
//! (its direct term and the bridges of stake redelegated to or from it) then keeps
//! `floor(scaled · factors')` real shares and gives up the rest. That is O(1) per term plus
//! O(live bridges of `o`), independent of the number of delegators; each delegator's value falls
//! by `m_o' / m_o` the next time it is read.
//!
//! # Invariants
//!
//! - A slash never takes more magnitude than `ceil(a · max_slash_per_event / WAD)`.
//! - It only reaches current allocations of operators still slashable by the set: pending
//!   increases, other sets' allocations, undelegated deposits and withdrawals past their delay are
//!   untouched.
//! - Stake that arrives after a slash is scaled in at the new magnitude and is never reduced by
//!   it.

use super::delegation::{bridge_value, scaled_value_floor};
use super::strategy::redeem_shares;
use super::{
    Allocation, Escrow, Membership, PendingAllocation, SlashOutcome, SlashRequest, SlashStatus,
};
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, module};
use crate::num::{MathError, Shares, WAD, Wad, mul_div_ceil};
use crate::restaking::{
    Allocations, Bridges, BridgesIn, Escrows, MagnitudeHistory, Magnitudes, Memberships,
    OperatorPendingSlashes, ServiceSlashes, SlashRequests, Terms,
};
use crate::state::State;
use crate::state::meta::{IdKind, Timer, next_id, schedule};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Arguments of `slash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlashArgs {
    /// The operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// The set whose allocation is slashed.
    pub set: SetRef,
    /// Strategies to slash (each must be in the set).
    pub strategies: Vec<String>,
    /// Fraction of the allocation to slash, in `(0, max_slash_per_event]`.
    pub wad: Wad,
    /// The service's stated reason (bounded by `max_metadata_len`).
    #[serde(default)]
    pub evidence: String,
}

/// The magnitude a set can slash now: the current allocation if the operator is still
/// slashable by the set, zero otherwise.
pub fn slashable_magnitude(
    state: &State,
    operator: Address,
    set: SetRef,
    strategy: AssetId,
    now: Timestamp,
) -> Wad {
    let member = state
        .get::<Memberships>(&(operator, set))
        .is_some_and(|m| m.slashable_at(now));
    if !member {
        return Wad::ZERO;
    }
    state
        .get::<Allocations>(&(operator, set, strategy))
        .map_or(Wad::ZERO, |a| a.current)
}

/// `slash {operator, set, strategies, wad, evidence}`, signed by the set's service slasher.
/// Without a resolver the slash executes at once; with one it becomes a request that can be
/// vetoed until `veto_window_s` has passed.
pub fn request_slash(state: &mut State, ctx: &mut Ctx, args: SlashArgs) -> Result<SlashId> {
    let service = super::service(state, args.set.service)?.clone();
    if ctx.signer != service.slasher {
        return Err(Error::unauthorized(
            "slash",
            &ctx.signer,
            format!("the slasher of {}", args.set),
        ));
    }
    if args.wad.is_zero() || args.wad > Wad::ONE {
        return Err(Error::invalid("wad", "must be in (0, 1e18]"));
    }
    if args.wad > service.max_slash_per_event {
        return Err(Error::SlashExceedsCap {
            requested: args.wad,
            cap: service.max_slash_per_event,
        });
    }
    super::check_metadata(state, "evidence", &args.evidence)?;
    let strategies = resolve_strategies(state, args.set, &args.strategies)?;
    let slashable = strategies
        .iter()
        .any(|s| !slashable_magnitude(state, args.operator, args.set, *s, ctx.now).is_zero());
    if !slashable {
        return Err(Error::not_slashable(&args.operator, &args.set));
    }
    let request = SlashRequest {
        service: args.set.service,
        operator: args.operator,
        set: args.set,
        strategies,
        wad: args.wad,
        evidence: args.evidence,
        requested_at: ctx.now,
        executable_at: ctx.now.checked_add(service.veto_window)?,
        status: SlashStatus::Pending,
        outcome: Vec::new(),
    };
    if service.resolver.is_none() {
        return execute_at_once(state, &mut ctx.events, request, ctx.now);
    }
    let id = SlashId(next_id(state, IdKind::Slash)?);
    state.put::<OperatorPendingSlashes>((request.operator, id), ());
    schedule(state, expiry(state, &request)?, Timer::SlashExpiry { id })?;
    ctx.emit(Event::SlashRequested {
        id,
        operator: request.operator,
        set: request.set,
        wad: request.wad,
        executable_at: request.executable_at,
    });
    state.put::<SlashRequests>(id, request);
    state.put::<ServiceSlashes>((args.set.service, id), ());
    Ok(id)
}

/// Records `request` as a slash executed at `now` and applies it through the one slashing path
/// ([`apply_slash`]): magnitudes, pending deallocations, queued withdrawals, escrow, events. Used
/// by `slash` for services without a resolver and by objective double-sign evidence.
pub(super) fn execute_at_once(
    state: &mut State,
    events: &mut Vec<Event>,
    mut request: SlashRequest,
    now: Timestamp,
) -> Result<SlashId> {
    let id = SlashId(next_id(state, IdKind::Slash)?);
    request.outcome = apply_slash(state, events, id, &request, now)?;
    request.status = SlashStatus::Executed;
    let service = request.service;
    state.put::<SlashRequests>(id, request);
    state.put::<ServiceSlashes>((service, id), ());
    Ok(id)
}

fn resolve_strategies(state: &State, set: SetRef, names: &[String]) -> Result<Vec<AssetId>> {
    let os = super::operator_set(state, set)?;
    if names.is_empty() {
        return Err(Error::invalid("strategies", "name at least one strategy"));
    }
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = super::strategy_id(state, name)?;
        if !os.strategies.contains(&id) {
            return Err(Error::StrategyNotInSet {
                set: set.to_string(),
                strategy: name.clone(),
            });
        }
        if ids.contains(&id) {
            return Err(Error::invalid(
                "strategies",
                format!("`{name}` is listed twice"),
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

fn pending_request(state: &State, id: SlashId) -> Result<SlashRequest> {
    let request = state
        .get::<SlashRequests>(&id)
        .cloned()
        .ok_or(Error::UnknownSlash(id))?;
    if request.status != SlashStatus::Pending {
        return Err(Error::SlashNotPending {
            id,
            status: request.status.name(),
        });
    }
    Ok(request)
}

/// `veto_slash {id}`, signed by the service's resolver before the window closes.
pub fn veto_slash(state: &mut State, ctx: &mut Ctx, id: SlashId) -> Result<()> {
    let mut request = pending_request(state, id)?;
    let service = super::service(state, request.service)?;
    if service.resolver != Some(ctx.signer) {
        return Err(Error::unauthorized(
            "veto_slash",
            &ctx.signer,
            "the service's resolver",
        ));
    }
    if ctx.now >= request.executable_at {
        return Err(Error::VetoWindowClosed {
            id,
            closed_at: request.executable_at,
        });
    }
    request.status = SlashStatus::Vetoed;
    state.delete::<OperatorPendingSlashes>(&(request.operator, id));
    state.put::<SlashRequests>(id, request);
    ctx.emit(Event::SlashVetoed { id });
    Ok(())
}

/// `execute_slash {id}`, by anyone once the veto window has passed.
pub fn execute_slash(state: &mut State, ctx: &mut Ctx, id: SlashId) -> Result<()> {
    let mut request = pending_request(state, id)?;
    if ctx.now < request.executable_at {
        return Err(Error::VetoWindowOpen {
            id,
            executable_at: request.executable_at,
        });
    }
    let member = state
        .get::<Memberships>(&(request.operator, request.set))
        .copied();
    if !member.is_some_and(|m: Membership| m.slashable_at(ctx.now)) {
        return Err(Error::not_slashable(&request.operator, &request.set));
    }
    request.outcome = apply_slash(state, &mut ctx.events, id, &request, ctx.now)?;
    request.status = SlashStatus::Executed;
    state.delete::<OperatorPendingSlashes>(&(request.operator, id));
    state.put::<SlashRequests>(id, request);
    Ok(())
}

/// When a request stops being executable (and stops holding withdrawals): its veto window's end
/// plus `slash_execution_window_s`.
fn expiry(state: &State, request: &SlashRequest) -> Result<Timestamp, MathError> {
    request
        .executable_at
        .checked_add(state.params().slash_execution_window_s)
}

/// Timer: a request's execution window closed. Still pending, it expires: it can no longer be
/// executed and stops holding withdrawals.
pub fn expire_slash(state: &mut State, events: &mut Vec<Event>, id: SlashId) {
    let Some(mut request) = state
        .get::<SlashRequests>(&id)
        .cloned()
        .filter(|r| r.status == SlashStatus::Pending)
    else {
        return;
    };
    request.status = SlashStatus::Expired;
    state.delete::<OperatorPendingSlashes>(&(request.operator, id));
    state.put::<SlashRequests>(id, request);
    events.push(Event::SlashExpired { id });
}

/// Until when pending requests against `operator` hold stake of `strategy` that reached the end
/// of its delay at `at`: the latest expiry among those made at or before `at` that name it and
/// have not expired by `now` (`None` when none does). A request made later never reaches that
/// stake; one made before can still be executed, so the stake stays exposed until the requests
/// expire (the stake is then released even if they were vetoed or executed earlier: one
/// re-check, never a loop).
pub fn held_until(
    state: &State,
    operator: Address,
    strategy: AssetId,
    at: Timestamp,
    now: Timestamp,
) -> Result<Option<Timestamp>, MathError> {
    let key = super::magnitude_key(strategy);
    let mut until = None;
    for ((_, id), ()) in state
        .range::<OperatorPendingSlashes, _>((operator, SlashId(0))..)
        .take_while(|((o, _), ())| *o == operator)
    {
        let Some(request) = state.get::<SlashRequests>(id) else {
            continue;
        };
        let end = expiry(state, request)?;
        if request.requested_at <= at && end > now && request.strategies.contains(&key) {
            until = Some(until.map_or(end, |u: Timestamp| u.max(end)));
        }
    }
    Ok(until)
}

/// The pending slash requests against `operator` (neither vetoed nor executed) that name
/// `strategy`, each as the magnitude it would cut if executed now (rounded up, as the slash
/// rounds), with the operator's current max magnitude for that strategy.
pub fn pending_cuts_ceil(
    state: &State,
    operator: Address,
    strategy: AssetId,
) -> Result<Vec<(SlashId, Wad, Wad)>> {
    let mut pending = state
        .range::<OperatorPendingSlashes, _>((operator, SlashId(0))..)
        .take_while(|((o, _), ())| *o == operator)
        .peekable();
    if pending.peek().is_none() {
        return Ok(Vec::new());
    }
    let max = super::max_magnitude(state, operator, strategy);
    let mut cuts = Vec::new();
    for ((_, id), ()) in pending {
        let Some(request) = state.get::<SlashRequests>(id) else {
            continue;
        };
        if !request.strategies.contains(&strategy) {
            continue;
        }
        let current = state
            .get::<Allocations>(&(operator, request.set, strategy))
            .map_or(Wad::ZERO, |a| a.current);
        let cut = mul_div_ceil(current.get(), request.wad.get(), WAD)?;
        if cut > 0 {
            cuts.push((*id, Wad::new(cut), max));
        }
    }
    Ok(cuts)
}

/// Applies a slash to every strategy it names.
fn apply_slash(
    state: &mut State,
    events: &mut Vec<Event>,
    id: SlashId,
    request: &SlashRequest,
    now: Timestamp,
) -> Result<Vec<SlashOutcome>> {
    let service = super::service(state, request.service)?.clone();
    let mut outcomes = Vec::with_capacity(request.strategies.len());
    for &strategy in &request.strategies {
        let key = (request.operator, request.set, strategy);
        let Some(alloc) = state
            .get::<Allocations>(&key)
            .cloned()
            .filter(|a| !a.current.is_zero())
        else {
            outcomes.push(SlashOutcome {
                strategy,
                magnitude: Wad::ZERO,
                shares: Shares::ZERO,
                amount: crate::num::Amount::ZERO,
            });
            continue;
        };
        let magnitude = Wad::new(mul_div_ceil(alloc.current.get(), request.wad.get(), WAD)?);
        debug_assert!(
            magnitude.get()
                <= mul_div_ceil(alloc.current.get(), service.max_slash_per_event.get(), WAD)?,
            "a slash never exceeds the per-event cap"
        );
        let taken = cut_magnitude(state, request.operator, strategy, magnitude)?;
        super::allocation::store_allocation(
            state,
            key,
            slashed_allocation(&alloc, magnitude, request.wad)?,
        );
        // Several slashes in one block leave the last magnitude: reads ask for the magnitude
        // after every slash strictly before some later time.
        state.put::<MagnitudeHistory>(
            (request.operator, strategy, now),
            super::max_magnitude(state, request.operator, strategy),
        );
        let release_at = now.checked_add(service.resolution_delay)?;
        let mut shares = Shares::ZERO;
        let mut amount = crate::num::Amount::ZERO;
        for (term, taken) in taken {
            let (asset, source, value) = redeem_term_shares(state, term, taken)?;
            let escrow = escrow_tokens(
                state,
                id,
                asset,
                source,
                value,
                release_at,
                service.destination,
            )?;
            events.push(Event::Slashed {
                id,
                operator: request.operator,
                set: request.set,
                strategy: term,
                magnitude,
                shares: taken,
                amount: value,
                escrow,
            });
            shares = shares.checked_add(taken)?;
            amount = amount.checked_add(value)?;
        }
        outcomes.push(SlashOutcome {
            strategy,
            magnitude,
            shares,
            amount,
        });
    }
    Ok(outcomes)
}

/// Lowers `max_magnitude` of (operator, strategy) by `cut` and takes from every term the
/// operator belongs to what it no longer covers: its direct term (for `RAM-native`, one per
/// validator) and the bridges of stake redelegated to or from it. Returns the real shares taken
/// per term strategy.
fn cut_magnitude(
    state: &mut State,
    operator: Address,
    strategy: AssetId,
    cut: Wad,
) -> Result<Vec<(AssetId, Shares)>> {
    let mut mag = super::magnitude(state, operator, strategy);
    let m = mag.max_magnitude.checked_sub(cut)?;
    mag.max_magnitude = m;
    mag.encumbered = mag.encumbered.checked_sub(cut)?;
    state.put::<Magnitudes>((operator, strategy), mag);
    let terms: Vec<AssetId> = if strategy == AssetId::NATIVE {
        state
            .range::<Terms, _>((operator, super::native_term(0))..=(operator, AssetId(u32::MAX)))
            .map(|((_, t), _)| *t)
            .collect()
    } else {
        vec![strategy]
    };
    let mut taken = Vec::with_capacity(terms.len());
    for t in terms {
        taken.push((t, cut_terms(state, operator, t, m)?));
    }
    Ok(taken)
}

/// Takes from the direct term of (operator, term) and its bridges what magnitude `m` no longer
/// covers.
fn cut_terms(state: &mut State, operator: Address, term_id: AssetId, m: Wad) -> Result<Shares> {
    let mut term = super::term(state, operator, term_id);
    let keep = scaled_value_floor(term.exposed_scaled()?, m)?;
    let mut taken = term.shares.checked_sub(keep)?;
    term.shares = keep;
    state.put::<Terms>((operator, term_id), term);
    let outgoing: Vec<Address> = state
        .range::<Bridges, _>((operator, term_id, Address::ZERO)..)
        .take_while(|((from, s, _), _)| *from == operator && *s == term_id)
        .map(|((_, _, to), _)| *to)
        .collect();
    for to in outgoing {
        let m_to = super::max_magnitude(state, to, term_id);
        taken = taken.checked_add(cut_bridge(state, (operator, term_id, to), m, m_to)?)?;
    }
    let incoming: Vec<Address> = state
        .range::<BridgesIn, _>((operator, term_id, Address::ZERO)..)
        .take_while(|((to, s, _), _)| *to == operator && *s == term_id)
        .map(|((_, _, from), _)| *from)
        .collect();
    for from in incoming {
        let m_from = super::max_magnitude(state, from, term_id);
        taken = taken.checked_add(cut_bridge(state, (from, term_id, operator), m_from, m)?)?;
    }
    Ok(taken)
}

fn cut_bridge(
    state: &mut State,
    key: (Address, AssetId, Address),
    m_from: Wad,
    m_to: Wad,
) -> Result<Shares> {
    let Some(mut bridge) = state.get::<Bridges>(&key).cloned() else {
        return Ok(Shares::ZERO);
    };
    let keep = bridge_value(bridge.scaled, m_from, m_to)?;
    let taken = bridge.shares.checked_sub(keep)?;
    bridge.shares = keep;
    state.put::<Bridges>(key, bridge);
    Ok(taken)
}

/// The allocation after losing `cut` magnitude to a slash of `wad`: a pending decrease shrinks
/// by `ceil(decrease · wad / WAD)` (less is freed, so less escapes), a pending increase keeps its
/// size.
fn slashed_allocation(alloc: &Allocation, cut: Wad, wad: Wad) -> Result<Allocation> {
    let current = alloc.current.checked_sub(cut)?;
    let pending = match alloc.pending {
        None => None,
        Some(p) if p.target < alloc.current => {
            let decrease = alloc.current.checked_sub(p.target)?;
            let shrink = Wad::new(mul_div_ceil(decrease.get(), wad.get(), WAD)?);
            let decrease = decrease.checked_sub(shrink)?;
            Some(PendingAllocation {
                target: current.checked_sub(decrease)?,
                ..p
            })
        }
        Some(p) => {
            let increase = p.target.checked_sub(alloc.current)?;
            Some(PendingAllocation {
                target: current.checked_add(increase)?,
                ..p
            })
        }
    };
    Ok(Allocation { current, pending })
}

/// Turns slashed real shares of a term into tokens leaving their holder: strategy tokens for a
/// strategy term, base stake (RAM) for a native term. Returns (asset, account holding them,
/// amount).
fn redeem_term_shares(
    state: &mut State,
    term: AssetId,
    shares: Shares,
) -> Result<(AssetId, Address, crate::num::Amount)> {
    if super::is_native_term(term) {
        let amount = crate::base::burn_native_shares(state, term, shares)?;
        Ok((AssetId::NATIVE, module::base_bonded(), amount))
    } else {
        let amount = redeem_shares(state, term, shares)?;
        Ok((term, module::strategy(term), amount))
    }
}

/// Moves slashed tokens from their holder into escrow until `release_at`.
fn escrow_tokens(
    state: &mut State,
    slash: SlashId,
    asset: AssetId,
    source: Address,
    amount: crate::num::Amount,
    release_at: Timestamp,
    destination: super::Destination,
) -> Result<Option<EscrowId>> {
    if amount.is_zero() {
        return Ok(None);
    }
    bank::transfer(state, source, module::slash_escrow(), asset, amount)?;
    let id = EscrowId(next_id(state, IdKind::Escrow)?);
    state.put::<Escrows>(
        id,
        Escrow {
            slash,
            asset,
            amount,
            release_at,
            destination,
        },
    );
    schedule(state, release_at, Timer::EscrowRelease { escrow: id })?;
    Ok(Some(id))
}

/// Pays `to` `floor(amount · bps / 10_000)` of each of `escrows` (created by slash `id`) out of
/// the escrow at once; the rest stays escrowed for its destination. An escrow paid out whole is
/// removed (its release timer then finds nothing).
pub(super) fn pay_from_escrows(
    state: &mut State,
    events: &mut Vec<Event>,
    id: SlashId,
    escrows: &[EscrowId],
    to: Address,
    bps: crate::num::Bps,
) -> Result<()> {
    if bps == crate::num::Bps::ZERO {
        return Ok(());
    }
    for escrow_id in escrows {
        let Some(mut escrow) = state.get::<Escrows>(escrow_id).cloned() else {
            continue;
        };
        let reward = bps.of_floor(escrow.amount)?;
        if reward.is_zero() {
            continue;
        }
        escrow.amount = escrow.amount.checked_sub(reward)?;
        bank::transfer(state, module::slash_escrow(), to, escrow.asset, reward)?;
        if escrow.amount.is_zero() {
            state.delete::<Escrows>(escrow_id);
        } else {
            state.put::<Escrows>(*escrow_id, escrow.clone());
        }
        events.push(Event::EvidenceRewarded {
            id,
            escrow: *escrow_id,
            submitter: to,
            asset: escrow.asset,
            amount: reward,
        });
    }
    Ok(())
}

/// Timer: an escrow's resolution delay has passed; burn or redistribute it.
pub fn release_escrow(state: &mut State, events: &mut Vec<Event>, id: EscrowId) -> HookResult {
    let Some(escrow) = state.delete::<Escrows>(&id) else {
        return Ok(());
    };
    match escrow.destination {
        super::Destination::Burn => {
            bank::burn(
                state,
                events,
                module::slash_escrow(),
                escrow.asset,
                escrow.amount,
            )
            .or_broken("burn escrowed slash")?;
        }
        super::Destination::Redistribute(to) => {
            bank::transfer(
                state,
                module::slash_escrow(),
                to,
                escrow.asset,
                escrow.amount,
            )
            .or_broken("pay escrowed slash")?;
        }
    }
    events.push(Event::EscrowReleased {
        id,
        asset: escrow.asset,
        amount: escrow.amount,
        destination: escrow.destination,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_shrinks_a_pending_decrease_in_proportion_rounding_up() {
        let alloc = Allocation {
            current: Wad::new(1_000),
            pending: Some(PendingAllocation {
                target: Wad::new(400),
                effect_at: Timestamp::new(9),
            }),
        };
        // 10% of 1000 = 100 removed; the pending decrease of 600 shrinks by ceil(60) to 540.
        let after = slashed_allocation(&alloc, Wad::new(100), Wad::new(WAD / 10)).unwrap();
        assert_eq!(after.current, Wad::new(900));
        assert_eq!(after.pending.unwrap().target, Wad::new(360));
    }

    #[test]
    fn a_slash_leaves_a_pending_increase_whole() {
        let alloc = Allocation {
            current: Wad::new(1_000),
            pending: Some(PendingAllocation {
                target: Wad::new(1_500),
                effect_at: Timestamp::new(9),
            }),
        };
        let after = slashed_allocation(&alloc, Wad::new(250), Wad::new(WAD / 4)).unwrap();
        assert_eq!(after.current, Wad::new(750));
        assert_eq!(after.pending.unwrap().target, Wad::new(1_250));
    }
}
