//! Operators and their risk commitments (§6.2).
//!
//! Commitments bind the operator's own allocations. Tightening applies at once; loosening waits
//! `config_delay_s` (longer than the withdrawal delay), so delegators who disagree can leave
//! before it applies. A newer statement supersedes a loosening still in waiting.

use super::{Commitments, Operator, check_metadata};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, fmt_address};
use crate::num::{Bps, Wad};
use crate::restaking::Operators;
use crate::state::State;
use crate::state::meta::{Timer, schedule};
use crate::time::Duration;

/// `register_operator {metadata_uri, allocation_delay_s, default_commission_bps, signing_key?}`,
/// signed by the operator's own account.
pub fn register_operator(
    state: &mut State,
    ctx: &mut Ctx,
    metadata_uri: String,
    allocation_delay: Duration,
    default_commission: Bps,
    signing_key: Option<Address>,
) -> Result<()> {
    if state.contains::<Operators>(&ctx.signer) {
        return Err(Error::OperatorExists(fmt_address(&ctx.signer)));
    }
    check_metadata(state, "metadata_uri", &metadata_uri)?;
    if default_commission > Bps::ONE {
        return Err(Error::invalid(
            "default_commission_bps",
            "must be at most 10000",
        ));
    }
    let operator = Operator {
        metadata_uri,
        allocation_delay,
        default_commission,
        signing_key: signing_key.unwrap_or(ctx.signer),
        commitments: Commitments::default(),
        pending_commitments: None,
        registered_at: ctx.now,
    };
    state.put::<Operators>(ctx.signer, operator);
    ctx.emit(Event::OperatorRegistered {
        operator: ctx.signer,
    });
    Ok(())
}

/// `set_operator_commitments {allowed_services?, max_total_wad?, max_per_set_wad?}`, signed by
/// the operator.
pub fn set_operator_commitments(state: &mut State, ctx: &mut Ctx, new: Commitments) -> Result<()> {
    let mut operator = super::operator(state, ctx.signer)?.clone();
    let new = normalize(state, new)?;
    let effect_at = if loosens(&operator.commitments, &new) {
        let at = ctx.now.checked_add(state.params().config_delay_s)?;
        operator.pending_commitments = Some((new, at));
        schedule(
            state,
            at,
            Timer::CommitmentsEffect {
                operator: ctx.signer,
            },
        )?;
        at
    } else {
        operator.commitments = new;
        operator.pending_commitments = None;
        ctx.now
    };
    state.put::<Operators>(ctx.signer, operator);
    ctx.emit(Event::CommitmentsChanged {
        operator: ctx.signer,
        effect_at,
    });
    Ok(())
}

fn normalize(state: &State, mut c: Commitments) -> Result<Commitments> {
    for (field, wad) in [
        ("max_total_wad", c.max_total_wad),
        ("max_per_set_wad", c.max_per_set_wad),
    ] {
        if wad.is_some_and(|w| w > Wad::ONE) {
            return Err(Error::invalid(field, "must be at most 1e18"));
        }
    }
    if let Some(list) = c.allowed_services.as_mut() {
        list.sort();
        list.dedup();
        let max = state.params().max_allowed_services;
        if list.len() > max as usize {
            return Err(Error::LimitExceeded {
                limit: "max_allowed_services",
                max: u64::from(max),
            });
        }
    }
    Ok(c)
}

/// Whether `new` permits anything `old` forbade.
fn loosens(old: &Commitments, new: &Commitments) -> bool {
    let services = match (&old.allowed_services, &new.allowed_services) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(old), Some(new)) => new.iter().any(|s| old.binary_search(s).is_err()),
    };
    let cap = |old: Option<Wad>, new: Option<Wad>| match (old, new) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(o), Some(n)) => n > o,
    };
    services
        || cap(old.max_total_wad, new.max_total_wad)
        || cap(old.max_per_set_wad, new.max_per_set_wad)
}

/// Timer: a loosening reaches its effect time.
pub fn apply_commitments_effect(state: &mut State, operator: Address, now: crate::time::Timestamp) {
    let Some(mut op) = state.get::<Operators>(&operator).cloned() else {
        return;
    };
    match op.pending_commitments.take() {
        Some((c, at)) if at <= now => {
            op.commitments = c;
            state.put::<Operators>(operator, op);
        }
        // Superseded by a newer statement, or not yet due: leave it.
        _ => {}
    }
}

/// Checks a prospective allocation against the operator's commitments in force.
pub(super) fn check_commitments(
    operator: Address,
    commitments: &Commitments,
    service: Address,
    set_magnitude: Wad,
    total_encumbered: Wad,
    max_magnitude: Wad,
) -> Result<()> {
    let violated = |rule: String| Error::CommitmentViolated {
        operator: fmt_address(&operator),
        rule,
    };
    if let Some(allowed) = &commitments.allowed_services
        && allowed.binary_search(&service).is_err()
    {
        return Err(violated(format!(
            "service {} is not allowed",
            fmt_address(&service)
        )));
    }
    let cap_of = |w: Wad| {
        crate::num::mul_div_floor(w.get(), max_magnitude.get(), crate::num::WAD).map(Wad::new)
    };
    if let Some(cap) = commitments.max_total_wad
        && total_encumbered > cap_of(cap)?
    {
        return Err(violated(format!(
            "total allocation above {cap} of magnitude"
        )));
    }
    if let Some(cap) = commitments.max_per_set_wad
        && set_magnitude > cap_of(cap)?
    {
        return Err(violated(format!(
            "allocation to one set above {cap} of magnitude"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_a_cap_or_adding_a_service_loosens() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let strict = Commitments {
            allowed_services: Some(vec![a]),
            max_total_wad: Some(Wad::new(5)),
            max_per_set_wad: None,
        };
        assert!(!loosens(&strict, &strict));
        assert!(loosens(
            &strict,
            &Commitments {
                allowed_services: Some(vec![a, b]),
                ..strict.clone()
            }
        ));
        assert!(loosens(
            &strict,
            &Commitments {
                max_total_wad: Some(Wad::new(6)),
                ..strict.clone()
            }
        ));
        assert!(loosens(
            &strict,
            &Commitments {
                max_total_wad: None,
                ..strict.clone()
            }
        ));
        assert!(!loosens(
            &strict,
            &Commitments {
                max_per_set_wad: Some(Wad::new(1)),
                ..strict.clone()
            }
        ));
        assert!(!loosens(&Commitments::default(), &strict));
    }
}
