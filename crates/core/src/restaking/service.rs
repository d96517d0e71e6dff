//! Services and operator sets (§6.3).
//!
//! A service is the account that registers it. Its per-event slash cap and slash destination are
//! fixed at creation; its slasher and resolver can change only after `config_delay_s`. Operators
//! join sets with the service's consent (open sets, or an approval) and stay slashable by a set
//! they leave for `deallocation_delay_s`.

use super::{
    Admission, Destination, Membership, OperatorSet, PendingSlasher, Service, check_metadata,
};
use crate::block::{Timer, schedule};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, SetRef, fmt_address};
use crate::num::Wad;
use crate::state::{Memberships, OperatorSets, Services, SetApprovals, SetMembers, State};
use crate::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

/// Arguments of `register_service`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterService {
    /// Where its metadata lives.
    #[serde(default)]
    pub metadata_uri: String,
    /// Who may slash.
    pub slasher: Address,
    /// Who may veto; omit for instant slashing.
    #[serde(default)]
    pub resolver: Option<Address>,
    /// Veto window (ignored without a resolver).
    #[serde(default)]
    pub veto_window_s: Duration,
    /// Largest fraction of an allocation one event may take; fixed forever.
    pub max_slash_per_event_wad: Wad,
    /// `"burn"` or `{"redistribute": "<account>"}`; fixed forever.
    pub destination: Destination,
    /// Escrow time of executed slashes (default: the `resolution_delay_s` parameter).
    #[serde(default)]
    pub resolution_delay_s: Option<Duration>,
    /// Fraction slashed by objective double-sign evidence; omit for none.
    #[serde(default)]
    pub double_sign_wad: Option<Wad>,
}

/// `register_service {…}`, signed by the service's account.
pub fn register_service(state: &mut State, ctx: &mut Ctx, args: RegisterService) -> Result<()> {
    if state.contains::<Services>(&ctx.signer) {
        return Err(Error::ServiceExists(fmt_address(&ctx.signer)));
    }
    check_metadata(state, "metadata_uri", &args.metadata_uri)?;
    let cap = args.max_slash_per_event_wad;
    if cap.is_zero() || cap > Wad::ONE {
        return Err(Error::invalid(
            "max_slash_per_event_wad",
            "must be in (0, 1e18]",
        ));
    }
    if args.double_sign_wad.is_some_and(|w| w.is_zero() || w > cap) {
        return Err(Error::invalid(
            "double_sign_wad",
            "must be in (0, max_slash_per_event_wad]",
        ));
    }
    let veto_window = match args.resolver {
        Some(_) => {
            check_veto_window(state, args.veto_window_s)?;
            args.veto_window_s
        }
        None => Duration::ZERO,
    };
    let service = Service {
        metadata_uri: args.metadata_uri,
        slasher: args.slasher,
        resolver: args.resolver,
        veto_window,
        max_slash_per_event: cap,
        destination: args.destination,
        resolution_delay: args
            .resolution_delay_s
            .unwrap_or(state.params().resolution_delay_s),
        double_sign_wad: args.double_sign_wad,
        pending_slasher: None,
        sets: 0,
        registered_at: ctx.now,
    };
    state.put::<Services>(ctx.signer, service);
    ctx.emit(Event::ServiceRegistered {
        service: ctx.signer,
    });
    Ok(())
}

/// A veto window must be positive and shorter than the delays that keep stake slashable, so a
/// requested slash can always still be executed when the window ends.
fn check_veto_window(state: &State, window: Duration) -> Result<()> {
    let p = state.params();
    let bound = p.deallocation_delay_s.min(p.withdrawal_delay_s);
    if window.get() == 0 || window >= bound {
        return Err(Error::invalid(
            "veto_window_s",
            format!(
                "with a resolver it must be in (0, {bound}) seconds: shorter than the deallocation and withdrawal delays"
            ),
        ));
    }
    Ok(())
}

/// `set_service_slasher {slasher, resolver?}`, signed by the service: takes effect after
/// `config_delay_s`.
pub fn set_service_slasher(
    state: &mut State,
    ctx: &mut Ctx,
    slasher: Address,
    resolver: Option<Address>,
) -> Result<()> {
    let mut service = super::service(state, ctx.signer)?.clone();
    if resolver.is_some() {
        check_veto_window(state, service.veto_window)?;
    }
    let effect_at = ctx.now.checked_add(state.params().config_delay_s)?;
    service.pending_slasher = Some(PendingSlasher {
        slasher,
        resolver,
        effect_at,
    });
    state.put::<Services>(ctx.signer, service);
    schedule(
        state,
        effect_at,
        Timer::SlasherEffect {
            service: ctx.signer,
        },
    )?;
    ctx.emit(Event::SlasherChanged {
        service: ctx.signer,
        slasher,
        resolver,
        effect_at,
    });
    Ok(())
}

/// Timer: a slasher change reaches its effect time.
pub fn apply_slasher_effect(state: &mut State, service: Address, now: Timestamp) {
    let Some(mut s) = state.get::<Services>(&service).cloned() else {
        return;
    };
    match s.pending_slasher.take() {
        Some(p) if p.effect_at <= now => {
            s.slasher = p.slasher;
            s.resolver = p.resolver;
            state.put::<Services>(service, s);
        }
        // Superseded by a newer change still in waiting.
        _ => {}
    }
}

/// `create_operator_set {set_id, strategies, admission?}`, signed by the service.
pub fn create_operator_set(
    state: &mut State,
    ctx: &mut Ctx,
    set_id: u32,
    strategies: &[String],
    admission: Admission,
) -> Result<SetRef> {
    let mut service = super::service(state, ctx.signer)?.clone();
    let set = SetRef {
        service: ctx.signer,
        id: set_id,
    };
    if state.contains::<OperatorSets>(&set) {
        return Err(Error::SetExists(set.to_string()));
    }
    let p = state.params();
    if service.sets >= p.max_sets_per_service {
        return Err(Error::LimitExceeded {
            limit: "max_sets_per_service",
            max: u64::from(p.max_sets_per_service),
        });
    }
    if strategies.is_empty() {
        return Err(Error::invalid(
            "strategies",
            "a set needs at least one strategy",
        ));
    }
    if strategies.len() > p.max_strategies_per_set as usize {
        return Err(Error::LimitExceeded {
            limit: "max_strategies_per_set",
            max: u64::from(p.max_strategies_per_set),
        });
    }
    let mut ids = Vec::with_capacity(strategies.len());
    for name in strategies {
        let id = super::strategy_id(state, name)?;
        if ids.contains(&id) {
            return Err(Error::invalid(
                "strategies",
                format!("`{name}` is listed twice"),
            ));
        }
        ids.push(id);
    }
    service.sets = service
        .sets
        .checked_add(1)
        .ok_or(crate::num::MathError::Overflow)?;
    state.put::<Services>(ctx.signer, service);
    state.put::<OperatorSets>(
        set,
        OperatorSet {
            strategies: ids,
            admission,
            members: 0,
        },
    );
    ctx.emit(Event::OperatorSetCreated { set });
    Ok(set)
}

/// `approve_operator {operator, set}`, signed by the set's service.
pub fn approve_operator(
    state: &mut State,
    ctx: &mut Ctx,
    operator: Address,
    set: SetRef,
) -> Result<()> {
    super::operator_set(state, set)?;
    if ctx.signer != set.service {
        return Err(Error::unauthorized(
            "approve_operator",
            &ctx.signer,
            format!("the service of {set}"),
        ));
    }
    state.put::<SetApprovals>((set, operator), ());
    ctx.emit(Event::OperatorApproved { operator, set });
    Ok(())
}

/// `register_for_set {set}`, signed by the operator.
pub fn register_for_set(state: &mut State, ctx: &mut Ctx, set: SetRef) -> Result<()> {
    let operator = ctx.signer;
    let op = super::operator(state, operator)?;
    let allowed = op.commitments.allowed_services.as_ref();
    if allowed.is_some_and(|list| list.binary_search(&set.service).is_err()) {
        return Err(Error::CommitmentViolated {
            operator: fmt_address(&operator),
            rule: format!("service {} is not allowed", fmt_address(&set.service)),
        });
    }
    let mut os = super::operator_set(state, set)?.clone();
    if os.admission == Admission::Approval && !state.contains::<SetApprovals>(&(set, operator)) {
        return Err(Error::ApprovalRequired {
            operator: fmt_address(&operator),
            set: set.to_string(),
        });
    }
    let previous = state.get::<Memberships>(&(operator, set)).copied();
    if previous == Some(Membership::Registered) {
        return Err(Error::AlreadyRegistered {
            operator: fmt_address(&operator),
            set: set.to_string(),
        });
    }
    if previous.is_none() {
        check_set_limit(state, operator, ctx.now)?;
    }
    os.members = os
        .members
        .checked_add(1)
        .ok_or(crate::num::MathError::Overflow)?;
    state.put::<OperatorSets>(set, os);
    state.put::<Memberships>((operator, set), Membership::Registered);
    state.put::<SetMembers>((set, operator), ());
    ctx.emit(Event::RegisteredForSet { operator, set });
    Ok(())
}

/// Sets an operator is in or still slashable by; stale memberships are dropped first.
fn check_set_limit(state: &mut State, operator: Address, now: Timestamp) -> Result<()> {
    let stale: Vec<SetRef> = state
        .range::<Memberships, _>(
            (
                operator,
                SetRef {
                    service: Address::ZERO,
                    id: 0,
                },
            )..,
        )
        .take_while(|((op, _), _)| *op == operator)
        .filter(|(_, m)| !m.slashable_at(now))
        .map(|((_, set), _)| *set)
        .collect();
    for set in stale {
        state.delete::<Memberships>(&(operator, set));
    }
    let count = state
        .range::<Memberships, _>(
            (
                operator,
                SetRef {
                    service: Address::ZERO,
                    id: 0,
                },
            )..,
        )
        .take_while(|((op, _), _)| *op == operator)
        .count();
    let max = state.params().max_sets_per_operator;
    if count >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_sets_per_operator",
            max: u64::from(max),
        });
    }
    Ok(())
}

/// `deregister_from_set {set, operator?}`: by the operator itself, or by the set's service
/// naming the operator. The operator stays slashable by the set for `deallocation_delay_s`.
pub fn deregister_from_set(
    state: &mut State,
    ctx: &mut Ctx,
    set: SetRef,
    operator: Option<Address>,
) -> Result<Timestamp> {
    let operator = operator.unwrap_or(ctx.signer);
    if ctx.signer != operator && ctx.signer != set.service {
        return Err(Error::unauthorized(
            "deregister_from_set",
            &ctx.signer,
            format!("the operator or the service of {set}"),
        ));
    }
    let mut os = super::operator_set(state, set)?.clone();
    if state.get::<Memberships>(&(operator, set)) != Some(&Membership::Registered) {
        return Err(Error::NotRegistered {
            operator: fmt_address(&operator),
            set: set.to_string(),
        });
    }
    let slashable_until = ctx.now.checked_add(state.params().deallocation_delay_s)?;
    os.members = os.members.saturating_sub(1);
    state.put::<OperatorSets>(set, os);
    state.put::<Memberships>(
        (operator, set),
        Membership::Deregistered { slashable_until },
    );
    state.delete::<SetMembers>(&(set, operator));
    ctx.emit(Event::DeregisteredFromSet {
        operator,
        set,
        slashable_until,
    });
    Ok(slashable_until)
}
