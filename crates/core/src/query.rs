//! Read-only queries (PROTOCOL.md §11): the same names in the API, the CLI and scenarios.
//!
//! Amounts are token base units (decimal strings in JSON), shares are strategy shares, times are
//! unix seconds. Every view is computed from state alone; nothing here writes.

use crate::bank;
use crate::error::{Error, Result};
use crate::ids::{Address, AssetId, SetRef, SlashId, WithdrawalId};
use crate::invariants;
use crate::num::{Amount, Bps, Shares, WAD, Wad, mul_div_ceil};
use crate::restaking::{
    self, Admission, Commitments, Destination, Membership, Position, SlashOutcome, SlashStatus,
    bridge_value, scaled_value_floor, settled_position,
};
use crate::restaking::{
    Allocations, Deposits, Magnitudes, Memberships, OperatorSets, Positions, ServiceSlashes,
    SetMembers, SlashRequests, StakerWithdrawals, Strategies, Terms, Withdrawals,
};
use crate::state::State;
use crate::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

/// A read request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Query {
    Balance {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        asset: String,
    },
    Asset {
        asset: String,
    },
    Strategy {
        strategy: String,
    },
    Operator {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
    },
    Service {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
    },
    OperatorSet {
        set: SetRef,
    },
    Position {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
    },
    Withdrawals {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
    },
    SlashRequests {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
    },
    Validator {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
    },
    BaseDelegation {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        delegator: Address,
    },
    Lst {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        account: Option<Address>,
    },
    RewardProgram {
        id: u64,
    },
    Yield {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    ExitPath {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
    },
    Vault {
        vault: String,
    },
    Governance {
        #[serde(default)]
        proposal: Option<u64>,
    },
    Params,
    Invariants,
    /// The consensus committee of an epoch (default: the epoch of the next block).
    Consensus {
        #[serde(default)]
        epoch: Option<u64>,
    },
}

impl Query {
    /// The query's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Balance { .. } => "balance",
            Self::Asset { .. } => "asset",
            Self::Strategy { .. } => "strategy",
            Self::Operator { .. } => "operator",
            Self::Service { .. } => "service",
            Self::OperatorSet { .. } => "operator_set",
            Self::Position { .. } => "position",
            Self::Withdrawals { .. } => "withdrawals",
            Self::SlashRequests { .. } => "slash_requests",
            Self::Params => "params",
            Self::Validator { .. } => "validator",
            Self::BaseDelegation { .. } => "base_delegation",
            Self::Lst { .. } => "lst",
            Self::RewardProgram { .. } => "reward_program",
            Self::Yield { .. } => "yield",
            Self::ExitPath { .. } => "exit_path",
            Self::Vault { .. } => "vault",
            Self::Governance { .. } => "governance",
            Self::Invariants => "invariants",
            Self::Consensus { .. } => "consensus",
        }
    }

    /// Answers the query as JSON.
    pub fn run(&self, state: &State) -> Result<serde_json::Value> {
        let value = match self {
            Self::Balance { account, asset } => to_json(balance(state, *account, asset)?),
            Self::Asset { asset } => to_json(bank::asset(state, bank::asset_id(state, asset)?)?),
            Self::Strategy { strategy } => to_json(strategy_view(state, strategy)?),
            Self::Operator { operator } => to_json(operator_view(state, *operator)?),
            Self::Service { service } => to_json(service_view(state, *service)?),
            Self::OperatorSet { set } => to_json(operator_set_view(state, *set)?),
            Self::Position { staker } => to_json(position_view(state, *staker)?),
            Self::Withdrawals { staker } => to_json(withdrawals_view(state, *staker)?),
            Self::SlashRequests { service } => to_json(slash_requests_view(state, *service)?),
            Self::Params => to_json(state.params()),
            Self::Validator { validator } => to_json(validator_view(state, *validator)?),
            Self::BaseDelegation { delegator } => to_json(base_delegation_view(state, *delegator)?),
            Self::Lst { account } => to_json(lst_view(state, *account)?),
            Self::RewardProgram { id } => to_json(reward_program_view(state, *id)?),
            Self::Yield { account } => to_json(crate::insight::yield_view(state, *account)?),
            Self::ExitPath { account } => to_json(crate::insight::exit_view(state, *account)?),
            Self::Vault { vault } => to_json(crate::vault::vault_view(state, vault)?),
            Self::Governance { proposal } => {
                to_json(crate::governance::governance_view(state, *proposal)?)
            }
            Self::Invariants => to_json(InvariantsView::of(state)),
            Self::Consensus { epoch } => to_json(consensus_view(state, *epoch)),
        };
        Ok(value)
    }
}

/// `consensus {epoch?}`: the committee of a consensus epoch (docs/consensus.md).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsensusView {
    /// Heights per consensus epoch; 0 on a single-producer chain (no committees).
    pub consensus_epoch_blocks: u64,
    /// The last executed height.
    pub height: u64,
    /// The epoch asked for (default: the next block's).
    pub epoch: u64,
    /// Its committee, if kept (none on a single-producer chain, for an epoch not yet chosen,
    /// or one pruned after the evidence window).
    pub committee: Option<crate::base::Committee>,
    /// The bonded stake of each seat when the committee was written, in seat order: a seat
    /// leads a view with probability its stake over their sum (docs/consensus.md, "Leaders").
    pub seat_stakes: Option<Vec<crate::num::Amount>>,
}

/// `consensus {epoch?}`.
pub fn consensus_view(state: &State, epoch: Option<u64>) -> ConsensusView {
    let l = state.params().consensus_epoch_blocks;
    let height = state.meta().height.get();
    let epoch =
        epoch.unwrap_or_else(|| crate::base::consensus::epoch_of(height.saturating_add(1), l));
    ConsensusView {
        consensus_epoch_blocks: l,
        height,
        epoch,
        committee: crate::base::consensus::committee(state, epoch),
        seat_stakes: crate::base::consensus::seat_stakes(state, epoch),
    }
}

fn to_json<T: Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// `balance {account, asset}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceView {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account: Address,
    /// The asset symbol.
    pub asset: String,
    /// Its balance.
    pub amount: Amount,
}

/// `balance {account, asset}`.
pub fn balance(state: &State, account: Address, asset: &str) -> Result<BalanceView> {
    let id = bank::asset_id(state, asset)?;
    Ok(BalanceView {
        account,
        asset: asset.to_owned(),
        amount: bank::balance(state, account, id),
    })
}

/// Tokens (RAM for native terms) `shares` of a term strategy are worth now.
pub fn shares_value(state: &State, strategy: AssetId, shares: Shares) -> Result<Amount> {
    restaking::term_value(state, strategy, shares)
}

/// `strategy {strategy}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrategyView {
    /// The strategy's name.
    pub strategy: String,
    /// Every share in existence.
    pub total_shares: Shares,
    /// Tokens accounted for.
    pub tokens: Amount,
    /// Tokens in the module account (≥ `tokens`; the excess is donated surplus).
    pub balance: Amount,
    /// Tokens per share, scaled by 1e18, including the virtual offset.
    pub rate_wad: Wad,
}

/// `strategy {strategy}`.
pub fn strategy_view(state: &State, name: &str) -> Result<StrategyView> {
    let id = restaking::strategy_id(state, name)?;
    let s = state.get::<Strategies>(&id).cloned().unwrap_or_default();
    let v = state.params().virtual_shares;
    let rate = crate::num::mul_div_floor(
        s.tokens.get().saturating_add(v),
        WAD,
        s.total_shares.get().saturating_add(v),
    )?;
    Ok(StrategyView {
        strategy: name.to_owned(),
        total_shares: s.total_shares,
        tokens: s.tokens,
        balance: bank::balance(state, crate::ids::module::strategy(id), id),
        rate_wad: Wad::new(rate),
    })
}

/// One strategy of an operator.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorStrategyView {
    /// The strategy.
    pub strategy: String,
    /// Current max magnitude.
    pub max_magnitude: Wad,
    /// Σ allocations and pending increases.
    pub encumbered: Wad,
    /// Tokens delegated (positions, including redelegated tranches).
    pub delegated: Amount,
    /// The same in strategy shares.
    pub delegated_shares: Shares,
    /// Tokens in queued withdrawals still slashable.
    pub queued: Amount,
}

/// One allocation of an operator.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocationView {
    /// The set.
    pub set: SetRef,
    /// The strategy.
    pub strategy: String,
    /// Current (slashable) magnitude.
    pub magnitude: Wad,
    /// Magnitude after the pending change, if any.
    pub pending_magnitude: Option<Wad>,
    /// When the pending change takes effect.
    pub effect_at: Option<Timestamp>,
    /// Whether the set can slash it now.
    pub slashable: bool,
    /// Tokens the set can slash now: delegated and queued stake × magnitude / max magnitude.
    pub slashable_amount: Amount,
    /// The set's service's objective double-sign rule, if it declared one (§6.6).
    pub double_sign_wad: Option<Wad>,
    /// Tokens verified double-sign evidence would take from this allocation now (`slashable_amount`
    /// × `double_sign_wad`, within the per-event cap); absent without a rule.
    pub double_sign_exposure: Option<Amount>,
}

/// One set membership of an operator.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipView {
    /// The set.
    pub set: SetRef,
    /// `registered` or `deregistered`.
    pub status: &'static str,
    /// End of slashability after deregistration.
    pub slashable_until: Option<Timestamp>,
}

/// `operator {operator}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorView {
    /// The operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// Metadata URI.
    pub metadata_uri: String,
    /// Allocation delay.
    pub allocation_delay_s: Duration,
    /// Default commission.
    pub default_commission_bps: Bps,
    /// Double-sign key.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signing_key: Address,
    /// Keys it replaced that double-sign evidence still counts for, until `accountable_until`.
    pub retired_signing_keys: Vec<RetiredSigningKeyView>,
    /// Commitments in force.
    pub commitments: Commitments,
    /// Looser commitments in waiting and when they apply.
    pub pending_commitments: Option<(Commitments, Timestamp)>,
    /// Per strategy.
    pub strategies: Vec<OperatorStrategyView>,
    /// Allocations.
    pub allocations: Vec<AllocationView>,
    /// Set memberships.
    pub sets: Vec<MembershipView>,
    /// Its commission on each service it is a member of (the rate in force and any change
    /// waiting for `commission_delay_s`).
    pub service_commissions: Vec<ServiceCommissionView>,
}

/// An operator's commission on one service's rewards.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceCommissionView {
    /// The service.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub service: Address,
    /// In force now.
    pub commission_bps: Bps,
    /// A change and when it applies.
    pub pending: Option<(Bps, Timestamp)>,
    /// Commission earned from this service's reward programs so far, per reward asset.
    pub earned: Vec<RewardView>,
}

/// A replaced signing key still accountable for double signs.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetiredSigningKeyView {
    /// The key.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub key: Address,
    /// When `set_signing_key` replaced it.
    pub replaced_at: Timestamp,
    /// Evidence by it counts strictly before this time.
    pub accountable_until: Timestamp,
}

/// Tokens delegated to (operator, strategy) — positions, including redelegated tranches — and in
/// its queue, over all its terms; and the delegated strategy shares.
pub fn operator_stake(
    state: &State,
    operator: Address,
    strategy: AssetId,
) -> Result<(Amount, Amount, Shares)> {
    let m = restaking::max_magnitude(state, operator, strategy);
    let (mut delegated, mut queued, mut shares) = (Amount::ZERO, Amount::ZERO, Shares::ZERO);
    for term in restaking::terms_of(state, operator, strategy) {
        let t = restaking::term(state, operator, term);
        let mut d = scaled_value_floor(t.position_scaled, m)?;
        for ((_, _, from), ()) in state
            .range::<crate::restaking::BridgesIn, _>((operator, term, Address::ZERO)..)
            .take_while(|((to, s, _), _)| *to == operator && *s == term)
        {
            if let Some(b) = state.get::<crate::restaking::Bridges>(&(*from, term, operator)) {
                d = d.checked_add(bridge_value(
                    b.scaled,
                    restaking::max_magnitude(state, *from, term),
                    m,
                )?)?;
            }
        }
        let q = scaled_value_floor(t.queued_scaled, m)?;
        delegated = delegated.checked_add(shares_value(state, term, d)?)?;
        queued = queued.checked_add(shares_value(state, term, q)?)?;
        shares = shares.checked_add(d)?;
    }
    Ok((delegated, queued, shares))
}

/// `operator {operator}`.
pub fn operator_view(state: &State, operator: Address) -> Result<OperatorView> {
    let op = restaking::operator(state, operator)?.clone();
    let now = state.now();
    let mut strategies = Vec::new();
    let mut keys: std::collections::BTreeSet<AssetId> = state
        .range::<Terms, _>((operator, AssetId(0))..)
        .take_while(|((o, _), _)| *o == operator)
        .map(|((_, t), _)| restaking::magnitude_key(*t))
        .collect();
    keys.extend(
        state
            .range::<Magnitudes, _>((operator, AssetId(0))..)
            .take_while(|((o, _), _)| *o == operator)
            .map(|((_, s), _)| *s),
    );
    for strategy in keys {
        let mag = restaking::magnitude(state, operator, strategy);
        let (delegated, queued, delegated_shares) = operator_stake(state, operator, strategy)?;
        strategies.push(OperatorStrategyView {
            strategy: restaking::strategy_name(state, strategy),
            max_magnitude: mag.max_magnitude,
            encumbered: mag.encumbered,
            delegated,
            delegated_shares,
            queued,
        });
    }
    let mut allocations = Vec::new();
    for ((_, set, strategy), a) in state
        .range::<Allocations, _>(
            (
                operator,
                SetRef {
                    service: Address::ZERO,
                    id: 0,
                },
                AssetId(0),
            )..,
        )
        .take_while(|((o, _, _), _)| *o == operator)
    {
        let slashable_mag = restaking::slashable_magnitude(state, operator, *set, *strategy, now);
        let double_sign_wad = objective_wad(state, *set)?;
        let double_sign_exposure = match double_sign_wad {
            Some(wad) => {
                let cut = Wad::new(mul_div_ceil(slashable_mag.get(), wad.get(), WAD)?);
                Some(slashable_amount(state, operator, *strategy, cut)?)
            }
            None => None,
        };
        allocations.push(AllocationView {
            set: *set,
            strategy: restaking::strategy_name(state, *strategy),
            magnitude: a.current,
            pending_magnitude: a.pending.map(|p| p.target),
            effect_at: a.pending.map(|p| p.effect_at),
            slashable: !slashable_mag.is_zero(),
            slashable_amount: slashable_amount(state, operator, *strategy, slashable_mag)?,
            double_sign_wad,
            double_sign_exposure,
        });
    }
    let sets = state
        .range::<Memberships, _>(
            (
                operator,
                SetRef {
                    service: Address::ZERO,
                    id: 0,
                },
            )..,
        )
        .take_while(|((o, _), _)| *o == operator)
        .map(|((_, set), m)| match m {
            Membership::Registered => MembershipView {
                set: *set,
                status: "registered",
                slashable_until: None,
            },
            Membership::Deregistered { slashable_until } => MembershipView {
                set: *set,
                status: "deregistered",
                slashable_until: Some(*slashable_until),
            },
        })
        .collect::<Vec<MembershipView>>();
    // Services of its sets, and those it earned from before leaving them.
    let mut earned: std::collections::BTreeMap<Address, Vec<RewardView>> = Default::default();
    for ((_, service, asset), amount) in state
        .range::<crate::rewards::CommissionsEarned, _>((operator, Address::ZERO, AssetId(0))..)
        .take_while(|((o, _, _), _)| *o == operator)
    {
        earned.entry(*service).or_default().push(RewardView {
            asset: crate::bank::symbol(state, *asset),
            amount: *amount,
        });
    }
    let services: std::collections::BTreeSet<Address> = sets
        .iter()
        .map(|m| m.set.service)
        .chain(earned.keys().copied())
        .collect();
    let service_commissions = services
        .into_iter()
        .map(|service| ServiceCommissionView {
            service,
            commission_bps: crate::rewards::commission_of(state, operator, service),
            pending: state
                .get::<crate::rewards::ServiceCommissions>(&(operator, service))
                .and_then(|c| c.pending),
            earned: earned.remove(&service).unwrap_or_default(),
        })
        .collect();
    Ok(OperatorView {
        operator,
        metadata_uri: op.metadata_uri,
        allocation_delay_s: op.allocation_delay,
        default_commission_bps: op.default_commission,
        signing_key: op.signing_key,
        retired_signing_keys: restaking::retired_signing_keys(state, operator)
            .filter(|(_, _, until)| state.meta().time < *until)
            .map(
                |(key, replaced_at, accountable_until)| RetiredSigningKeyView {
                    key,
                    replaced_at,
                    accountable_until,
                },
            )
            .collect(),
        commitments: op.commitments,
        pending_commitments: op.pending_commitments,
        strategies,
        allocations,
        sets,
        service_commissions,
    })
}

/// The fraction double-sign evidence slashes in `set`: the service's `double_sign_wad` within its
/// per-event cap, or `None` when it declared no objective rule.
fn objective_wad(state: &State, set: SetRef) -> Result<Option<Wad>> {
    let service = restaking::service(state, set.service)?;
    Ok(service
        .double_sign_wad
        .map(|w| w.min(service.max_slash_per_event)))
}

/// Tokens a set slashing `magnitude` fully would take from the operator's stake in `strategy`.
fn slashable_amount(
    state: &State,
    operator: Address,
    strategy: AssetId,
    magnitude: Wad,
) -> Result<Amount> {
    let m = restaking::max_magnitude(state, operator, strategy);
    if magnitude.is_zero() || m.is_zero() {
        return Ok(Amount::ZERO);
    }
    let (delegated, queued, _) = operator_stake(state, operator, strategy)?;
    let exposed = delegated.checked_add(queued)?;
    Ok(Amount::new(crate::num::mul_div_floor(
        exposed.get(),
        magnitude.get(),
        m.get(),
    )?))
}

/// `service {service}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceView {
    /// The service.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub service: Address,
    /// Metadata URI.
    pub metadata_uri: String,
    /// Slasher in force.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub slasher: Address,
    /// Resolver in force.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub resolver: Option<Address>,
    /// Veto window.
    pub veto_window_s: Duration,
    /// Per-event cap.
    pub max_slash_per_event_wad: Wad,
    /// Slash destination.
    pub destination: Destination,
    /// Escrow time of executed slashes.
    pub resolution_delay_s: Duration,
    /// Objective double-sign slash.
    pub double_sign_wad: Option<Wad>,
    /// Slasher change in waiting: (slasher, resolver, effect_at).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<(String, Option<String>, Timestamp)>))]
    pub pending_slasher: Option<(Address, Option<Address>, Timestamp)>,
    /// Its operator sets.
    pub sets: Vec<SetRef>,
}

/// `service {service}`.
pub fn service_view(state: &State, service: Address) -> Result<ServiceView> {
    let s = restaking::service(state, service)?.clone();
    let sets = state
        .range::<OperatorSets, _>(SetRef { service, id: 0 }..)
        .take_while(|(set, _)| set.service == service)
        .map(|(set, _)| *set)
        .collect();
    Ok(ServiceView {
        service,
        metadata_uri: s.metadata_uri,
        slasher: s.slasher,
        resolver: s.resolver,
        veto_window_s: s.veto_window,
        max_slash_per_event_wad: s.max_slash_per_event,
        destination: s.destination,
        resolution_delay_s: s.resolution_delay,
        double_sign_wad: s.double_sign_wad,
        pending_slasher: s
            .pending_slasher
            .map(|p| (p.slasher, p.resolver, p.effect_at)),
        sets,
    })
}

/// One member of an operator set.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetMemberView {
    /// The operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// Per strategy of the set: magnitude and slashable tokens.
    pub allocations: Vec<SetAllocationView>,
}

/// A member's allocation for one strategy of the set.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetAllocationView {
    /// The strategy.
    pub strategy: String,
    /// Current magnitude.
    pub magnitude: Wad,
    /// Tokens the set can slash.
    pub slashable: Amount,
}

/// `operator_set {set}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperatorSetView {
    /// The set.
    pub set: SetRef,
    /// Its strategies.
    pub strategies: Vec<String>,
    /// Admission rule.
    pub admission: Admission,
    /// Registered operators.
    pub operators: Vec<SetMemberView>,
    /// Σ slashable tokens per strategy (registered operators).
    pub total_slashable: Vec<(String, Amount)>,
}

/// `operator_set {set}`.
pub fn operator_set_view(state: &State, set: SetRef) -> Result<OperatorSetView> {
    let os = restaking::operator_set(state, set)?.clone();
    let now = state.now();
    let mut totals = vec![Amount::ZERO; os.strategies.len()];
    let mut operators = Vec::new();
    for ((_, operator), ()) in state
        .range::<SetMembers, _>((set, Address::ZERO)..)
        .take_while(|((s, _), _)| *s == set)
    {
        let mut allocations = Vec::with_capacity(os.strategies.len());
        for (i, strategy) in os.strategies.iter().enumerate() {
            let magnitude = restaking::slashable_magnitude(state, *operator, set, *strategy, now);
            let slashable = slashable_amount(state, *operator, *strategy, magnitude)?;
            totals[i] = totals[i].checked_add(slashable)?;
            allocations.push(SetAllocationView {
                strategy: restaking::strategy_name(state, *strategy),
                magnitude,
                slashable,
            });
        }
        operators.push(SetMemberView {
            operator: *operator,
            allocations,
        });
    }
    let names: Vec<String> = os
        .strategies
        .iter()
        .map(|s| restaking::strategy_name(state, *s))
        .collect();
    Ok(OperatorSetView {
        set,
        total_slashable: names.iter().cloned().zip(totals).collect(),
        strategies: names,
        admission: os.admission,
        operators,
    })
}

/// An undelegated deposit.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositView {
    /// The strategy.
    pub strategy: String,
    /// Deposit shares.
    pub shares: Shares,
    /// Their value in tokens.
    pub value: Amount,
}

/// A set's reach into a position.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExposureView {
    /// The set.
    pub set: SetRef,
    /// The operator whose allocation the set slashes.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// Tokens this position loses if the set slashes its whole allocation now.
    pub slashable: Amount,
    /// Tokens it loses in the largest single event the set's cap allows.
    pub worst_event: Amount,
    /// The set's objective double-sign rule, if its service declared one (§6.6).
    pub double_sign_wad: Option<Wad>,
    /// Tokens it loses if double-sign evidence against the operator is verified in this set now
    /// (the allocation × `double_sign_wad`); absent without a rule.
    pub double_sign_loss: Option<Amount>,
}

/// Stake redelegated into a position, still slashable by its old operator.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockedView {
    /// The old operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub from: Address,
    /// Deposit shares.
    pub shares: Shares,
    /// Value in tokens.
    pub value: Amount,
    /// When it is free.
    pub matures_at: Timestamp,
}

/// A delegation position.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionEntryView {
    /// The operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// The strategy.
    pub strategy: String,
    /// Deposit shares (direct and redelegated).
    pub shares: Shares,
    /// Tokens it could withdraw now.
    pub withdrawable: Amount,
    /// The same in strategy shares.
    pub withdrawable_shares: Shares,
    /// Redelegated parts still slashable by their old operator.
    pub locked: Vec<LockedView>,
    /// Unclaimed rewards per asset (restaking rewards arrive with reward programs).
    pub pending_rewards: Vec<RewardView>,
    /// Per set that can slash it.
    pub exposure: Vec<ExposureView>,
}

/// Unclaimed rewards of one asset.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardView {
    /// The reward asset.
    pub asset: String,
    /// Amount claimable.
    pub amount: Amount,
}

/// `position {staker}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionView {
    /// The staker.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub staker: Address,
    /// Undelegated deposits.
    pub deposits: Vec<DepositView>,
    /// Delegation positions.
    pub positions: Vec<PositionEntryView>,
    /// Σ values of deposits and positions, per strategy.
    pub total_value: Vec<(String, Amount)>,
    /// Σ worst single events over all sets, bounded by each position's value, per strategy.
    pub worst_case_loss: Vec<(String, Amount)>,
    /// LRT held (and queued): exposure through each vault to its operators and their sets.
    pub vaults: Vec<crate::vault::VaultHoldingView>,
    /// Queued governance changes, and whether this staker's exit completes before each applies.
    pub governance: Vec<crate::governance::GovernanceFlag>,
}

/// `position {staker}`.
pub fn position_view(state: &State, staker: Address) -> Result<PositionView> {
    let now = state.now();
    let mut totals: std::collections::BTreeMap<AssetId, (Amount, Amount)> = Default::default();
    let mut deposits = Vec::new();
    for ((_, strategy), shares) in state
        .range::<Deposits, _>((staker, AssetId(0))..)
        .take_while(|((s, _), _)| *s == staker)
    {
        let value = shares_value(state, *strategy, *shares)?;
        let t = totals.entry(*strategy).or_default();
        t.0 = t.0.checked_add(value)?;
        deposits.push(DepositView {
            strategy: restaking::strategy_name(state, *strategy),
            shares: *shares,
            value,
        });
    }
    let mut positions = Vec::new();
    let keys: Vec<(Address, AssetId)> = state
        .range::<Positions, _>((staker, Address::ZERO, AssetId(0))..)
        .take_while(|((s, _, _), _)| *s == staker)
        .map(|((_, o, st), _)| (*o, *st))
        .collect();
    for (operator, strategy) in keys {
        let Some(p) = settled_position(state, staker, operator, strategy, now)? else {
            continue;
        };
        let entry = position_entry(state, operator, strategy, &p, now)?;
        let worst: Amount = entry
            .exposure
            .iter()
            .try_fold(Amount::ZERO, |acc, e| acc.checked_add(e.worst_event))?;
        let t = totals.entry(strategy).or_default();
        t.0 = t.0.checked_add(entry.withdrawable)?;
        t.1 = t.1.checked_add(worst.min(entry.withdrawable))?;
        positions.push(entry);
    }
    let name = |id: &AssetId| restaking::strategy_name(state, *id);
    Ok(PositionView {
        staker,
        deposits,
        positions,
        total_value: totals.iter().map(|(id, t)| (name(id), t.0)).collect(),
        worst_case_loss: totals.iter().map(|(id, t)| (name(id), t.1)).collect(),
        vaults: crate::vault::holdings_view(state, staker)?,
        governance: if crate::governance::queued_changes(state).is_empty() {
            Vec::new()
        } else {
            crate::insight::exit_view(state, staker)?.governance
        },
    })
}

/// The positions `staker` holds with `operator`, one per strategy: one row of the operator's
/// delegator list (the node finds the stakers; this values them exactly as `position` does).
pub fn delegator_positions(
    state: &State,
    staker: Address,
    operator: Address,
) -> Result<Vec<PositionEntryView>> {
    let now = state.now();
    let strategies: Vec<AssetId> = state
        .range::<Positions, _>((staker, operator, AssetId(0))..)
        .take_while(|((s, o, _), _)| *s == staker && *o == operator)
        .map(|((_, _, st), _)| *st)
        .collect();
    let mut out = Vec::with_capacity(strategies.len());
    for strategy in strategies {
        if let Some(p) = settled_position(state, staker, operator, strategy, now)? {
            out.push(position_entry(state, operator, strategy, &p, now)?);
        }
    }
    Ok(out)
}

pub(crate) fn position_entry(
    state: &State,
    operator: Address,
    strategy: AssetId,
    p: &Position,
    now: Timestamp,
) -> Result<PositionEntryView> {
    let value = restaking::position_value(state, operator, strategy, p)?;
    let locked = value
        .locked
        .iter()
        .map(|(shares, v, from, matures_at)| {
            Ok(LockedView {
                from: *from,
                shares: *shares,
                value: shares_value(state, strategy, *v)?,
                matures_at: *matures_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut exposure = set_exposures(state, operator, strategy, now, |m, cut| {
        position_value_at(state, strategy, p, m, cut)
    })?;
    for t in &p.tranches {
        let m_to = restaking::max_magnitude(state, operator, strategy);
        exposure.extend(set_exposures(
            state,
            t.from,
            strategy,
            now,
            |m_from, cut| {
                let before = bridge_value(t.scaled, m_from, m_to)?;
                let after = bridge_value(t.scaled, m_from.checked_sub(cut)?, m_to)?;
                Ok((before, after))
            },
        )?);
    }
    let exposure = exposure
        .into_iter()
        .map(|e| {
            Ok(ExposureView {
                set: e.set,
                operator: e.operator,
                slashable: shares_value(state, strategy, e.slashable)?,
                worst_event: shares_value(state, strategy, e.worst_event)?,
                double_sign_wad: e.double_sign_wad,
                double_sign_loss: e
                    .double_sign_loss
                    .map(|l| shares_value(state, strategy, l))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PositionEntryView {
        operator,
        strategy: restaking::strategy_name(state, strategy),
        shares: value.shares,
        withdrawable: shares_value(state, strategy, value.withdrawable)?,
        withdrawable_shares: value.withdrawable,
        locked,
        pending_rewards: pending_rewards(state, p),
        exposure,
    })
}

/// The value of a position before and after its operator's magnitude drops by `cut`.
fn position_value_at(
    state: &State,
    strategy: AssetId,
    p: &Position,
    m: Wad,
    cut: Wad,
) -> Result<(Shares, Shares)> {
    let after_m = m.checked_sub(cut)?;
    let mut before = scaled_value_floor(p.scaled, m)?;
    let mut after = scaled_value_floor(p.scaled, after_m)?;
    for t in &p.tranches {
        let m_from = restaking::max_magnitude(state, t.from, strategy);
        before = before.checked_add(bridge_value(t.scaled, m_from, m)?)?;
        after = after.checked_add(bridge_value(t.scaled, m_from, after_m)?)?;
    }
    Ok((before, after))
}

/// One set's reach into a position, in strategy shares.
struct SetExposure {
    set: SetRef,
    operator: Address,
    slashable: Shares,
    worst_event: Shares,
    double_sign_wad: Option<Wad>,
    double_sign_loss: Option<Shares>,
}

/// For every set that can slash `operator` in `strategy` now: the exact shares lost if the set
/// slashed its whole allocation, if it slashed the most one event allows, and if double-sign
/// evidence were verified (sets with an objective rule).
fn set_exposures(
    state: &State,
    operator: Address,
    strategy: AssetId,
    now: Timestamp,
    loss_at: impl Fn(Wad, Wad) -> Result<(Shares, Shares)>,
) -> Result<Vec<SetExposure>> {
    let m = restaking::max_magnitude(state, operator, strategy);
    let mut out = Vec::new();
    for ((_, set, st), _) in state
        .range::<Allocations, _>(
            (
                operator,
                SetRef {
                    service: Address::ZERO,
                    id: 0,
                },
                AssetId(0),
            )..,
        )
        .take_while(|((o, _, _), _)| *o == operator)
    {
        if *st != restaking::magnitude_key(strategy) {
            continue;
        }
        let allocated = restaking::slashable_magnitude(state, operator, *set, *st, now);
        if allocated.is_zero() {
            continue;
        }
        let cap = restaking::service(state, set.service)?.max_slash_per_event;
        let loss = |wad: Wad| -> Result<Shares> {
            let cut = Wad::new(mul_div_ceil(allocated.get(), wad.get(), WAD)?);
            let (before, after) = loss_at(m, cut)?;
            Ok(before.checked_sub(after)?)
        };
        let double_sign_wad = objective_wad(state, *set)?;
        out.push(SetExposure {
            set: *set,
            operator,
            slashable: loss(Wad::ONE)?,
            worst_event: loss(cap)?,
            double_sign_wad,
            double_sign_loss: double_sign_wad.map(loss).transpose()?,
        });
    }
    Ok(out)
}

/// A queued withdrawal.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawalView {
    /// Its id.
    pub id: WithdrawalId,
    /// The operator it left (absent for undelegated shares).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub operator: Option<Address>,
    /// The strategy.
    pub strategy: String,
    /// Deposit shares withdrawn.
    pub shares: Shares,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// When it can be completed.
    pub completable_at: Timestamp,
    /// Tokens it would pay now (slashes so far applied).
    pub payout: Amount,
    /// The same in strategy shares.
    pub payout_shares: Shares,
}

/// `withdrawals {staker}`.
pub fn withdrawals_view(state: &State, staker: Address) -> Result<Vec<WithdrawalView>> {
    let mut out = Vec::new();
    for ((_, id), ()) in state
        .range::<StakerWithdrawals, _>((staker, WithdrawalId(0))..)
        .take_while(|((s, _), _)| *s == staker)
    {
        let w = state
            .get::<Withdrawals>(id)
            .ok_or(Error::UnknownWithdrawal(*id))?;
        let payout_shares = restaking::withdrawal_payout_shares(state, w)?;
        out.push(WithdrawalView {
            id: *id,
            operator: w.operator,
            strategy: restaking::strategy_name(state, w.strategy),
            shares: w.shares,
            queued_at: w.queued_at,
            completable_at: w.completable_at,
            payout: shares_value(state, w.strategy, payout_shares)?,
            payout_shares,
        });
    }
    Ok(out)
}

/// A slash request.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlashRequestView {
    /// Its id.
    pub id: SlashId,
    /// The operator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// The set.
    pub set: SetRef,
    /// Strategies named.
    pub strategies: Vec<String>,
    /// Fraction requested.
    pub wad: Wad,
    /// Status.
    pub status: SlashStatus,
    /// `double_sign`: verified double-sign evidence (§6.6, no slasher, no veto); `slasher`: the
    /// service's slasher asked for it.
    pub kind: &'static str,
    /// The service height of the double sign it punished (`double_sign` only).
    pub double_sign_height: Option<u64>,
    /// The service's reason.
    pub evidence: String,
    /// When requested.
    pub requested_at: Timestamp,
    /// When executable.
    pub executable_at: Timestamp,
    /// What it took, once executed.
    pub outcome: Vec<SlashOutcomeView>,
}

/// What an executed slash took from one strategy.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlashOutcomeView {
    /// The strategy.
    pub strategy: String,
    /// Magnitude removed.
    pub magnitude: Wad,
    /// Shares removed.
    pub shares: Shares,
    /// Tokens moved to escrow.
    pub amount: Amount,
}

/// `slash_requests {service}`.
pub fn slash_requests_view(state: &State, service: Address) -> Result<Vec<SlashRequestView>> {
    restaking::service(state, service)?;
    let mut out = Vec::new();
    for ((_, id), ()) in state
        .range::<ServiceSlashes, _>((service, SlashId(0))..)
        .take_while(|((s, _), _)| *s == service)
    {
        let r = state
            .get::<SlashRequests>(id)
            .ok_or(Error::UnknownSlash(*id))?;
        let outcome = r
            .outcome
            .iter()
            .map(|o: &SlashOutcome| SlashOutcomeView {
                strategy: restaking::strategy_name(state, o.strategy),
                magnitude: o.magnitude,
                shares: o.shares,
                amount: o.amount,
            })
            .collect();
        let double_sign_height = restaking::double_sign_height(state, r.operator, r.set, *id);
        out.push(SlashRequestView {
            id: *id,
            kind: if double_sign_height.is_some() {
                "double_sign"
            } else {
                "slasher"
            },
            double_sign_height,
            operator: r.operator,
            set: r.set,
            strategies: r
                .strategies
                .iter()
                .map(|s| restaking::strategy_name(state, *s))
                .collect(),
            wad: r.wad,
            status: r.status,
            evidence: r.evidence.clone(),
            requested_at: r.requested_at,
            executable_at: r.executable_at,
            outcome,
        });
    }
    Ok(out)
}

/// `invariants`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvariantsView {
    /// Whether every invariant holds.
    pub ok: bool,
    /// What does not hold.
    pub violations: Vec<String>,
}

impl InvariantsView {
    /// Checks the state.
    pub fn of(state: &State) -> Self {
        let violations = invariants::check(state);
        Self {
            ok: violations.is_empty(),
            violations,
        }
    }
}

fn pending_rewards(state: &State, p: &Position) -> Vec<RewardView> {
    let mut by_asset: std::collections::BTreeMap<AssetId, Amount> = Default::default();
    // The direct part's and every redelegated tranche's: all claimable at once.
    let tranches = p.tranches.iter().flat_map(|t| t.rewards.iter());
    for r in p
        .rewards
        .iter()
        .chain(tranches)
        .filter(|r| !r.claimable.is_zero())
    {
        let e = by_asset.entry(r.asset).or_insert(Amount::ZERO);
        *e = e.saturating_add(r.claimable);
    }
    by_asset
        .into_iter()
        .map(|(a, amount)| RewardView {
            asset: crate::bank::symbol(state, a),
            amount,
        })
        .collect()
}

/// Rewards of one source at a validator.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceView {
    /// The source.
    pub source: &'static str,
    /// Gross, before commission.
    pub gross: Amount,
    /// The validator's commission on it.
    pub commission: Amount,
}

/// `validator {validator}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidatorView {
    /// The validator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub validator: Address,
    /// `pending`, `active`, `jailed`, `tombstoned`.
    pub status: &'static str,
    /// Jailed until.
    pub jailed_until: Option<Timestamp>,
    /// Commission.
    pub commission_bps: Bps,
    /// A commission change and the epoch it applies from.
    pub pending_commission: Option<PendingCommissionView>,
    /// Validator shares outstanding.
    pub shares: Shares,
    /// RAM bonded.
    pub bonded: Amount,
    /// RAM waiting to bond.
    pub pending_bonded: Amount,
    /// RAM per share, × 1e18.
    pub rate_wad: Wad,
    /// Missed blocks in the uptime window.
    pub missed_blocks: u64,
    /// The uptime window.
    pub window_blocks: u64,
    /// Missed blocks this epoch.
    pub missed_in_epoch: u64,
    /// Rewards by source.
    pub rewards: Vec<SourceView>,
    /// Double sign: (infraction height, slashed at height, bps).
    pub double_sign: Option<DoubleSignView>,
    /// Its native-restaking term is `RAM-native` with this validator.
    pub index: u32,
}

/// A scheduled commission change.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingCommissionView {
    /// The new rate.
    pub commission_bps: Bps,
    /// The first epoch it applies to.
    pub from_epoch: crate::time::Epoch,
}

/// The double sign a validator was slashed for (it is tombstoned).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DoubleSignView {
    /// Height of the infraction.
    pub infraction_height: crate::time::Height,
    /// Height at which the slash ran.
    pub slashed_height: crate::time::Height,
    /// Fraction slashed.
    pub slash_bps: Bps,
}

/// `validator {validator}`.
pub fn validator_view(state: &State, addr: Address) -> Result<ValidatorView> {
    let v = crate::base::validator(state, addr)?;
    let rate = crate::num::mul_div_floor(v.bonded.get(), WAD, v.shares.max(1))?;
    Ok(ValidatorView {
        validator: addr,
        status: v.status.name(),
        jailed_until: match v.status {
            crate::base::ValidatorStatus::Jailed { until } => Some(until),
            _ => None,
        },
        commission_bps: v.commission,
        pending_commission: v.pending_commission.map(|(commission_bps, from_epoch)| {
            PendingCommissionView {
                commission_bps,
                from_epoch,
            }
        }),
        shares: Shares::new(v.shares),
        bonded: v.bonded,
        pending_bonded: v.pending_bonded,
        rate_wad: Wad::new(if v.shares == 0 { WAD } else { rate }),
        missed_blocks: v.uptime.missed,
        window_blocks: state.params().downtime_window_blocks,
        missed_in_epoch: v.uptime.missed_in_epoch,
        rewards: crate::base::Source::ALL
            .iter()
            .map(|s| SourceView {
                source: s.name(),
                gross: v.sources[s.index()].gross,
                commission: v.sources[s.index()].commission,
            })
            .collect(),
        double_sign: v.double_sign.map(|d| DoubleSignView {
            infraction_height: d.infraction_height,
            slashed_height: d.slashed_height,
            slash_bps: d.bps,
        }),
        index: v.index,
    })
}

/// One base delegation.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaseDelegationEntry {
    /// The validator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub validator: Address,
    /// Free shares.
    pub shares: Shares,
    /// RAM value of the free shares.
    pub value: Amount,
    /// Bonds waiting for their activation epoch.
    pub pending: Vec<PendingBondView>,
    /// Shares redelegated in and still reachable by their source validator.
    pub locked: Vec<BaseLockView>,
    /// Everything.
    pub total: Amount,
    /// Rewards by source since it opened: net and commission.
    pub earned: Vec<SourceView>,
    /// Since when.
    pub since: Timestamp,
}

/// A bond waiting to activate.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingBondView {
    /// The epoch it counts from.
    pub active_from: crate::time::Epoch,
    /// RAM.
    pub amount: Amount,
}

/// Stake redelegated in that its source validator can still slash; it cannot move again yet.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaseLockView {
    /// The source validator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub from: Address,
    /// Its RAM value now.
    pub value: Amount,
    /// When the source can no longer reach it.
    pub matures_at: Timestamp,
}

/// An unbonding entry.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnbondingView {
    /// Its id.
    pub id: u64,
    /// The validator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub validator: Address,
    /// RAM it will pay.
    pub amount: Amount,
    /// When.
    pub completes_at: Timestamp,
}

/// `base_delegation {delegator}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaseDelegationView {
    /// The delegator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub delegator: Address,
    /// Per validator.
    pub delegations: Vec<BaseDelegationEntry>,
    /// Unbonding entries.
    pub unbonding: Vec<UnbondingView>,
}

/// `delegator`'s delegation to validator `v`, settled and valued (`None` if it has none): one
/// entry of `base_delegation`, and one row of the validator's delegator list.
pub fn base_delegation_entry(
    state: &State,
    delegator: Address,
    v: Address,
) -> Result<Option<BaseDelegationEntry>> {
    let Some(d) = crate::base::settled_delegation(state, delegator, v)? else {
        return Ok(None);
    };
    let value = crate::base::base_delegation_value(state, v, &d)?;
    let val = crate::base::validator(state, v)?;
    let earned = crate::base::delegation_earnings(state, delegator, v)?;
    let mut locked = Vec::new();
    for l in &d.locked {
        locked.push(BaseLockView {
            from: l.from,
            value: val.value_of(crate::base::lock_shares_after_slash(state, l)?)?,
            matures_at: l.matures_at,
        });
    }
    Ok(Some(BaseDelegationEntry {
        validator: v,
        shares: Shares::new(d.shares),
        value: value.free,
        pending: d
            .pending
            .iter()
            .map(|p| PendingBondView {
                active_from: p.epoch,
                amount: p.amount,
            })
            .collect(),
        locked,
        total: value.total()?,
        earned: crate::base::Source::ALL
            .iter()
            .map(|s| SourceView {
                source: s.name(),
                gross: earned.net[s.index()].saturating_add(earned.commission[s.index()]),
                commission: earned.commission[s.index()],
            })
            .collect(),
        since: d.since,
    }))
}

/// `base_delegation {delegator}`.
pub fn base_delegation_view(state: &State, delegator: Address) -> Result<BaseDelegationView> {
    let mut delegations = Vec::new();
    let validators: Vec<Address> = state
        .range::<crate::base::BaseDelegations, _>((delegator, Address::ZERO)..)
        .take_while(|((d, _), _)| *d == delegator)
        .map(|((_, v), _)| *v)
        .collect();
    for v in validators {
        if let Some(entry) = base_delegation_entry(state, delegator, v)? {
            delegations.push(entry);
        }
    }
    let mut unbonding = Vec::new();
    for ((_, id), ()) in state
        .range::<crate::base::DelegatorUnbondings, _>((delegator, 0u64)..)
        .take_while(|((d, _), _)| *d == delegator)
    {
        if let Some(u) = state.get::<crate::base::Unbondings>(id) {
            unbonding.push(UnbondingView {
                id: *id,
                validator: u.validator,
                amount: crate::base::unbonding_value(state, *id, u)?,
                completes_at: u.completes_at,
            });
        }
    }
    Ok(BaseDelegationView {
        delegator,
        delegations,
        unbonding,
    })
}

/// A redemption in the LST queue.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionView {
    /// Its id.
    pub id: u64,
    /// Owner.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner: Address,
    /// LST burned.
    pub lst: Amount,
    /// Value when requested.
    pub value_at_request: Amount,
    /// What it would pay now: min(value at request, value now).
    pub payout_now: Amount,
    /// When it can be claimed (once its batch is scheduled).
    pub claimable_at: Option<Timestamp>,
}

/// An account's LST, in both views.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LstBalanceView {
    /// Non-rebasing: LST held.
    pub shares: Amount,
    /// Rebasing: its value in RAM.
    pub rebasing_balance: Amount,
}

/// `lst {account?}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LstView {
    /// The LST's symbol.
    pub symbol: String,
    /// Supply.
    pub supply: Amount,
    /// Pool value (assets − owed), RAM.
    pub total_value: Amount,
    /// RAM per LST, × 1e18.
    pub rate_wad: Wad,
    /// Liquid RAM in the pool.
    pub buffer: Amount,
    /// At most owed to queued redemptions (Σ value at request; kept liquid).
    pub owed: Amount,
    /// LST units of queued redemptions, still exposed with the pool until paid.
    pub queued: Amount,
    /// RAM unbonding for the pool.
    pub unbonding: Amount,
    /// Pool fee.
    pub fee_bps: Bps,
    /// Fees charged so far (RAM).
    pub fees_charged: Amount,
    /// Redemptions in the queue.
    pub queue_length: usize,
    /// The account's redemptions when an account is given, else the oldest 100 of the queue.
    pub redemptions: Vec<RedemptionView>,
    /// The account's holding, when asked.
    pub account: Option<LstBalanceView>,
}

/// Redemptions listed by `lst` without an account.
const QUEUE_HEAD: usize = 100;

/// `lst {account?}`.
pub fn lst_view(state: &State, account: Option<Address>) -> Result<LstView> {
    let p = crate::lst::pool(state)?;
    let value = crate::lst::value(state)?;
    // The account's redemptions, or the head of the queue.
    let queue: Vec<(u64, crate::lst::Redemption)> = match account {
        Some(a) => crate::lst::redemptions_of(state, a),
        None => state
            .iter::<crate::lst::Redemptions>()
            .take(QUEUE_HEAD)
            .map(|(id, r)| (*id, r.clone()))
            .collect(),
    };
    let mut redemptions = Vec::new();
    for (id, r) in &queue {
        redemptions.push(RedemptionView {
            id: *id,
            owner: r.owner,
            lst: r.lst,
            value_at_request: r.value_at_request,
            payout_now: r.value_at_request.min(crate::lst::lst_value(state, r.lst)?),
            claimable_at: crate::lst::claimable_at(state, r.epoch),
        });
    }
    let account = match account {
        Some(a) => {
            let shares = crate::bank::balance(state, a, p.asset);
            Some(LstBalanceView {
                shares,
                rebasing_balance: crate::lst::lst_value(state, shares)?,
            })
        }
        None => None,
    };
    Ok(LstView {
        symbol: crate::bank::symbol(state, p.asset),
        supply: crate::bank::asset(state, p.asset)?.supply,
        total_value: value,
        rate_wad: Wad::new(crate::lst::rate_wad(state)?),
        buffer: crate::bank::balance(state, crate::ids::module::lst_pool(), AssetId::NATIVE),
        owed: p.owed,
        queued: p.queued,
        unbonding: p.unbonding,
        fee_bps: state.params().lst_fee_bps,
        fees_charged: p.fees_charged,
        queue_length: state.count::<crate::lst::Redemptions>(),
        redemptions,
        account,
    })
}

/// `reward_program {id}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardProgramView {
    /// Its id.
    pub id: u64,
    /// The program.
    #[serde(flatten)]
    pub program: crate::rewards::RewardProgram,
    /// The reward asset's symbol.
    pub asset_symbol: String,
    /// Still in escrow.
    pub escrowed: Amount,
    /// Whether it still streams.
    pub active: bool,
}

/// `reward_program {id}`.
pub fn reward_program_view(state: &State, id: u64) -> Result<RewardProgramView> {
    let program = state
        .get::<crate::rewards::RewardPrograms>(&id)
        .cloned()
        .ok_or_else(|| Error::invalid("id", format!("no reward program {id}")))?;
    Ok(RewardProgramView {
        id,
        asset_symbol: crate::bank::symbol(state, program.asset),
        escrowed: program.amount.saturating_sub(program.streamed),
        active: state.contains::<crate::rewards::ActivePrograms>(&id),
        program,
    })
}

/// A schema, or a reference to a component (feature `openapi`).
#[cfg(feature = "openapi")]
pub type SchemaRef = utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>;

/// The OpenAPI schema of every query's answer (feature `openapi`): per query name the schema
/// (a reference to a component, or an array of one), and every component those reference,
/// all generated from the view types.
#[cfg(feature = "openapi")]
pub fn response_schemas() -> (
    std::collections::BTreeMap<&'static str, SchemaRef>,
    Vec<(String, SchemaRef)>,
) {
    use std::collections::BTreeMap;
    use utoipa::openapi::schema::ArrayBuilder;
    use utoipa::openapi::{Ref, RefOr};
    type Components = Vec<(String, SchemaRef)>;
    fn one<T: utoipa::ToSchema>(c: &mut Components) -> SchemaRef {
        c.push((T::name().into_owned(), T::schema()));
        T::schemas(c);
        RefOr::Ref(Ref::from_schema_name(T::name()))
    }
    fn many<T: utoipa::ToSchema>(c: &mut Components) -> SchemaRef {
        ArrayBuilder::new().items(one::<T>(c)).into()
    }
    let mut c = Components::new();
    let answers = BTreeMap::from([
        ("balance", one::<BalanceView>(&mut c)),
        ("asset", one::<bank::Asset>(&mut c)),
        ("strategy", one::<StrategyView>(&mut c)),
        ("operator", one::<OperatorView>(&mut c)),
        ("service", one::<ServiceView>(&mut c)),
        ("operator_set", one::<OperatorSetView>(&mut c)),
        ("position", one::<PositionView>(&mut c)),
        ("withdrawals", many::<WithdrawalView>(&mut c)),
        ("slash_requests", many::<SlashRequestView>(&mut c)),
        ("params", one::<crate::params::Params>(&mut c)),
        ("validator", one::<ValidatorView>(&mut c)),
        ("base_delegation", one::<BaseDelegationView>(&mut c)),
        ("lst", one::<LstView>(&mut c)),
        ("reward_program", one::<RewardProgramView>(&mut c)),
        ("yield", one::<crate::insight::YieldView>(&mut c)),
        ("exit_path", one::<crate::insight::ExitView>(&mut c)),
        ("vault", one::<crate::vault::VaultView>(&mut c)),
        (
            "governance",
            one::<crate::governance::GovernanceView>(&mut c),
        ),
        ("invariants", one::<InvariantsView>(&mut c)),
        ("consensus", one::<ConsensusView>(&mut c)),
    ]);
    c.sort_by(|a, b| a.0.cmp(&b.0));
    c.dedup_by(|a, b| a.0 == b.0);
    (answers, c)
}
