//! Services and operator sets (§6.3).
//!
//! A service is the account that registers it. Its per-event slash cap and slash destination are
//! fixed at creation; its slasher and resolver can change only after `config_delay_s`. Operators
//! join sets with the service's consent (open sets, or an approval) and stay slashable by a set
//! they leave for `deallocation_delay_s`.
//!
//! A service may declare a [`SecurityProfile`] per operator set (`set_security_profile`): its
//! profit from corruption π and corruption threshold α (RISK.md §1), which the live `security`
//! query reads. The profile is a declaration for analysis only: it moves no funds and changes
//! no slashing rule, so it applies at once.

use super::{
    Admission, Destination, Membership, OperatorSet, PendingSlasher, Service, check_metadata,
};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, SetRef, fmt_address};
use crate::num::Amount;
use crate::num::Wad;
use crate::restaking::{
    Memberships, OperatorSets, SecurityProfiles, Services, SetApprovals, SetJoins, SetMembers,
};
use crate::state::State;
use crate::state::meta::{Timer, schedule};
use crate::time::{Duration, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Arguments of `register_service`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterService {
    /// Where its metadata lives.
    #[serde(default)]
    pub metadata_uri: String,
    /// Who may slash.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub slasher: Address,
    /// Who may veto; omit for instant slashing.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
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
    let max_members = state.params().max_operators_per_set;
    if os.members >= max_members {
        return Err(Error::LimitExceeded {
            limit: "max_operators_per_set",
            max: u64::from(max_members),
        });
    }
    os.members = os
        .members
        .checked_add(1)
        .ok_or(crate::num::MathError::Overflow)?;
    state.put::<OperatorSets>(set, os);
    state.put::<Memberships>((operator, set), Membership::Registered);
    state.put::<SetMembers>((set, operator), ());
    // The operator's weight in the set's reward programs counts from the next epoch.
    let epoch = state.meta().epoch;
    state.put::<SetJoins>((operator, set), epoch);
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

// --- security profiles (RISK.md §1) ---------------------------------------------------------

/// What a coalition that corrupts an operator set breaks; it decides the default threshold.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FaultModel {
    /// Halting the service takes more than a third of its stake: default α = 1/3.
    Liveness,
    /// Making it sign something false takes two thirds: default α = 2/3.
    Safety,
}

impl FaultModel {
    /// The default corruption threshold of this fault model.
    pub fn default_threshold(self) -> Threshold {
        match self {
            Self::Liveness => Threshold { num: 1, den: 3 },
            Self::Safety => Threshold { num: 2, den: 3 },
        }
    }
}

/// A corruption threshold α ∈ (0, 1] as an exact fraction, written `"p/q"` (or `"1"`) in JSON:
/// 1/3 and 2/3 have no exact basis-point or WAD form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Threshold {
    /// Numerator, 0 < num ≤ den.
    pub num: u64,
    /// Denominator, positive.
    pub den: u64,
}

impl Threshold {
    /// `num/den`, checked to lie in (0, 1].
    pub fn new(num: u64, den: u64) -> Result<Self> {
        if den == 0 || num == 0 || num > den {
            return Err(Error::invalid(
                "threshold",
                format!("{num}/{den} is not a fraction in (0, 1]"),
            ));
        }
        Ok(Self { num, den })
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl std::str::FromStr for Threshold {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = || Error::invalid("threshold", format!("`{text}` is not a fraction \"p/q\""));
        let (num, den) = text.split_once('/').unwrap_or((text, "1"));
        let parse = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse::<u64>().map_err(|_| bad())
        };
        Self::new(parse(num)?, parse(den)?)
    }
}

#[cfg(feature = "openapi")]
crate::openapi::text_schema!(Threshold, "a fraction `p/q`", "^[0-9]+(/[0-9]+)?$");

impl Serialize for Threshold {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <String as Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A service's declaration of what its operator set protects (RISK.md §1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityProfile {
    /// Profit from corruption π: what corrupting the set would gain an attacker, in RAM base
    /// units.
    pub profit: Amount,
    /// What corruption breaks.
    pub fault: FaultModel,
    /// Corruption threshold α: the share of the set's slashable stake that corrupts it.
    pub threshold: Threshold,
    /// When it was declared.
    pub declared_at: Timestamp,
}

/// Arguments of `set_security_profile`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetSecurityProfile {
    /// The signer's set.
    pub set_id: u32,
    /// Profit from corruption π, in RAM base units.
    pub profit: Amount,
    /// `"liveness"` (default α = 1/3) or `"safety"` (default α = 2/3).
    pub fault: FaultModel,
    /// α as `"p/q"` in (0, 1]; omit for the fault model's default.
    #[serde(default)]
    pub threshold: Option<Threshold>,
}

/// `set_security_profile {set_id, profit, fault, threshold?}`, signed by the set's service.
/// Replaces any earlier profile of the set at once.
pub fn set_security_profile(
    state: &mut State,
    ctx: &mut Ctx,
    args: SetSecurityProfile,
) -> Result<SetRef> {
    super::service(state, ctx.signer)?;
    let set = SetRef {
        service: ctx.signer,
        id: args.set_id,
    };
    super::operator_set(state, set)?;
    let threshold = match args.threshold {
        Some(t) => Threshold::new(t.num, t.den)?,
        None => args.fault.default_threshold(),
    };
    let profile = SecurityProfile {
        profit: args.profit,
        fault: args.fault,
        threshold,
        declared_at: ctx.now,
    };
    ctx.emit(Event::SecurityProfileSet {
        set,
        profit: profile.profit,
        threshold: threshold.to_string(),
    });
    state.put::<SecurityProfiles>(set, profile);
    Ok(set)
}

/// The security profile a set's service declared, if any.
pub fn security_profile(state: &State, set: SetRef) -> Option<&SecurityProfile> {
    state.get::<SecurityProfiles>(&set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_exact_fractions_in_the_unit_interval() {
        assert_eq!(
            "1/3".parse::<Threshold>().ok(),
            Some(Threshold { num: 1, den: 3 })
        );
        assert_eq!(
            "1".parse::<Threshold>().ok(),
            Some(Threshold { num: 1, den: 1 })
        );
        for bad in [
            "0/3", "4/3", "1/0", "", "/3", "1/", "-1/3", "0.5", "1/3/4", " 1/3",
        ] {
            assert_eq!(
                bad.parse::<Threshold>().map_err(|e| e.code()),
                Err("invalid_input"),
                "{bad}"
            );
        }
    }

    #[test]
    fn fault_models_default_to_a_third_and_two_thirds() {
        assert_eq!(FaultModel::Liveness.default_threshold().to_string(), "1/3");
        assert_eq!(FaultModel::Safety.default_threshold().to_string(), "2/3");
    }

    #[test]
    fn a_threshold_round_trips_through_json_as_a_fraction_string() {
        let t: Threshold = serde_json::from_str("\"2/5\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2/5\"");
        assert!(serde_json::from_str::<Threshold>("0.4").is_err());
    }
}
