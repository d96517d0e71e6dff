//! Read-only views of vaults (§11 `vault`, and the vault layer of `position`).

use super::exit::requests_of;
use super::math::{assets_for_lrt_floor, buffer_target_ceil, rate_wad_floor};
use super::{
    FeeKind, Policy, RequestStatus, VaultFees, VaultValue, books, config, index_of, policy_at,
    positions_of, value, withdrawals_of,
};
use crate::bank;
use crate::error::Result;
use crate::ids::{Address, AssetId, SetRef, WithdrawalId, module};
use crate::num::{Amount, BPS_DENOMINATOR, Bps, WAD, Wad, mul_div_floor};
use crate::query::PositionEntryView;
use crate::restaking::Withdrawals;
use crate::state::State;
use crate::time::{Epoch, Timestamp};
use crate::vault::{VaultFinalized, VaultQueue, VaultRequests, Vaults};
use serde::Serialize;

/// Most pending (and most finalized) requests the `vault` query lists.
pub const MAX_QUEUE_VIEW: usize = 1_000;

/// A request in a vault's queue.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultRequestView {
    /// Its id (`vault_claim {id}`).
    pub id: u64,
    /// Who is paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner: Address,
    /// LRT burned.
    pub lrt: Amount,
    /// Its value when requested.
    pub value_at_request: Amount,
    /// When it is due (earliest finalization and claim).
    pub claimable_at: Timestamp,
    /// `pending` or `finalized`.
    pub status: &'static str,
    /// Finalized: what it pays. Pending: `min(value at request, value now)`.
    pub payout: Amount,
}

/// One of the vault's restaking positions.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultPositionView {
    /// The position as `position` shows it (withdrawable, pending rewards, exposure per set).
    #[serde(flatten)]
    pub position: PositionEntryView,
    /// Its share of the vault's value.
    pub share_bps: u64,
    /// Whether the policy in force still allows the operator.
    pub allowed: bool,
    /// Sets the operator has allocated the vault's strategy to since the allocation whose
    /// service the policy does not allow (the curator should deallocate).
    pub outside_policy: Vec<SetRef>,
}

/// A restaking withdrawal in flight (a deallocation).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultWithdrawalView {
    /// The restaking withdrawal.
    pub id: WithdrawalId,
    /// The operator it leaves.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub operator: Option<Address>,
    /// What it would pay now.
    pub payout: Amount,
    /// When it completes (and is collected into idle).
    pub completable_at: Timestamp,
}

/// Fees charged so far, per kind, in the vault's asset.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeesChargedView {
    /// Management (value of the LRT minted).
    pub management: Amount,
    /// Performance.
    pub performance: Amount,
    /// Deposit.
    pub deposit: Amount,
    /// Withdrawal.
    pub withdrawal: Amount,
}

/// Rewards on their way into the value.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultRewardsView {
    /// Recognized, not harvested yet (gross).
    pub recognized: Amount,
    /// Performance fee owed on them.
    pub performance_fee_owed: Amount,
    /// Not vested yet.
    pub unvested: Amount,
    /// When the current vesting ends.
    pub vesting_until: Timestamp,
    /// Cumulative gross rewards recognized, per funding service.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<(String, Amount)>))]
    pub earned: Vec<(Address, Amount)>,
    /// Rewards in other assets, held apart and never valued (no oracle).
    pub side_pocket: Vec<(String, Amount)>,
}

/// `vault {vault}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultView {
    /// The vault (its LRT symbol).
    pub vault: String,
    /// Its module account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account: Address,
    /// The asset it holds.
    pub asset: String,
    /// The curator.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub curator: Address,
    /// Assets per LRT, × 1e18 (`A · 1e18 / T`, floor).
    pub rate_wad: Wad,
    /// Value of the LRT outstanding: `floor(supply · A / T)`.
    pub total_value: Amount,
    /// LRT supply.
    pub lrt_supply: Amount,
    /// Free idle assets: what instant exits can take.
    pub buffer: Amount,
    /// What pending slash requests against the vault's operators would take if executed now
    /// (rounded up). Instant exits are priced at `A` minus this; deposits and queued requests
    /// at `A`.
    pub pending_slash_loss: Amount,
    /// Assets per LRT for an instant exit, × 1e18, before its fee: `(A − pending_slash_loss) ·
    /// 1e18 / T`, floor.
    pub exit_rate_wad: Wad,
    /// Buffer the curator keeps when allocating.
    pub buffer_target: Amount,
    /// The withdrawal queue: pending requests in FIFO order, then finalized unclaimed ones (at
    /// most [`MAX_QUEUE_VIEW`] of each).
    pub queue: Vec<VaultRequestView>,
    /// The value and its parts (`assets` is `A`, including what pending requests may get).
    pub value: VaultValue,
    /// Idle assets reserved for finalized requests.
    pub reserved: Amount,
    /// Largest value accepted.
    pub deposit_cap: Amount,
    /// Buffer target, bps of value.
    pub buffer_bps: Bps,
    /// The seed (LRT held by the dead account).
    pub seed: Amount,
    /// Smallest queued withdrawal.
    pub min_request: Amount,
    /// Fees in force now.
    pub fees: VaultFees,
    /// Fee rises and the epoch they apply from.
    pub pending_fees: Option<(VaultFees, Epoch)>,
    /// Fees charged so far.
    pub fees_charged: FeesChargedView,
    /// Policy in force.
    pub policy: Policy,
    /// A looser policy and when it applies.
    pub pending_policy: Option<(Policy, Timestamp)>,
    /// Restaking positions.
    pub positions: Vec<VaultPositionView>,
    /// Deallocations in flight.
    pub withdrawals: Vec<VaultWithdrawalView>,
    /// Rewards.
    pub rewards: VaultRewardsView,
}

/// `vault {vault}`.
pub fn vault_view(state: &State, vault: &str) -> Result<VaultView> {
    let index = index_of(state, vault)?;
    let cfg = config(state, index)?;
    let b = books(state, index)?;
    let now = state.now();
    let v = value(state, &cfg, &b, now)?;
    let units = v.units()?;
    let account = module::vault(index);
    let mut queue = Vec::new();
    let pending = state.range::<VaultQueue, _>((index, 0u64)..=(index, u64::MAX));
    let finalized = state.range::<VaultFinalized, _>((index, 0u64)..=(index, u64::MAX));
    let ids: Vec<u64> = pending
        .take(MAX_QUEUE_VIEW)
        .chain(finalized.take(MAX_QUEUE_VIEW))
        .map(|((_, id), ())| *id)
        .collect();
    for id in ids {
        let Some(r) = state.get::<VaultRequests>(&id) else {
            continue;
        };
        let payout = match r.status {
            RequestStatus::Pending => r
                .value_at_request
                .min(assets_for_lrt_floor(r.lrt, v.assets, units)?),
            RequestStatus::Finalized { payout, .. } => payout,
        };
        queue.push(request_view(id, r, payout));
    }
    let policy = policy_at(&cfg, now).clone();
    let mut positions = Vec::new();
    let keys: Vec<(Address, AssetId)> = positions_of(state, account)
        .map(|((_, o, t), _)| (o, t))
        .collect();
    for (operator, term) in keys {
        let Some(p) = crate::restaking::settled_position(state, account, operator, term, now)?
        else {
            continue;
        };
        let entry = crate::query::position_entry(state, operator, term, &p, now)?;
        let share_bps = if v.assets.is_zero() {
            0
        } else {
            u64::try_from(mul_div_floor(
                entry.withdrawable.get(),
                BPS_DENOMINATOR,
                v.assets.get(),
            )?)
            .unwrap_or(u64::MAX)
        };
        positions.push(VaultPositionView {
            allowed: policy.allowed_operators.binary_search(&operator).is_ok(),
            outside_policy: super::curate::sets_outside_policy(state, operator, cfg.asset, &policy),
            position: entry,
            share_bps,
        });
    }
    let mut withdrawals = Vec::new();
    for id in withdrawals_of(state, account) {
        if let Some(w) = state.get::<Withdrawals>(&id) {
            let shares = crate::restaking::withdrawal_payout_shares(state, w)?;
            withdrawals.push(VaultWithdrawalView {
                id,
                operator: w.operator,
                payout: crate::restaking::term_value(state, w.strategy, shares)?,
                completable_at: w.completable_at,
            });
        }
    }
    let recognized = super::sum(&b.seen)?;
    let pending_slash_loss = super::pending_slash_loss_ceil(state, &cfg, state.now())?;
    let fc = b.fees_charged;
    Ok(VaultView {
        vault: vault.to_owned(),
        account,
        asset: bank::symbol(state, cfg.asset),
        curator: cfg.curator,
        rate_wad: Wad::new(rate_wad_floor(v.assets, units)?),
        total_value: assets_for_lrt_floor(v.supply, v.assets, units)?,
        lrt_supply: v.supply,
        buffer: v.idle_free,
        pending_slash_loss,
        exit_rate_wad: Wad::new(rate_wad_floor(
            v.assets.saturating_sub(pending_slash_loss),
            units,
        )?),
        buffer_target: buffer_target_ceil(v.assets, cfg.buffer_bps)?,
        queue,
        reserved: b.reserved,
        deposit_cap: cfg.deposit_cap,
        buffer_bps: cfg.buffer_bps,
        seed: cfg.seed,
        min_request: cfg.min_request,
        fees: super::fees_at(&cfg, state.meta().epoch),
        pending_fees: cfg.pending_fees.filter(|(_, e)| *e > state.meta().epoch),
        fees_charged: FeesChargedView {
            management: fc[FeeKind::Management.index()],
            performance: fc[FeeKind::Performance.index()],
            deposit: fc[FeeKind::Deposit.index()],
            withdrawal: fc[FeeKind::Withdrawal.index()],
        },
        policy,
        pending_policy: cfg.pending_policy.clone().filter(|(_, at)| *at > now),
        positions,
        withdrawals,
        rewards: VaultRewardsView {
            recognized,
            performance_fee_owed: b.pending_fee,
            unvested: v.unvested,
            vesting_until: b.vesting.until,
            earned: b.earned.clone(),
            side_pocket: b
                .side_pocket
                .iter()
                .map(|(a, x)| (bank::symbol(state, *a), *x))
                .collect(),
        },
        value: v,
    })
}

fn request_view(id: u64, r: &super::VaultRequest, payout: Amount) -> VaultRequestView {
    VaultRequestView {
        id,
        owner: r.owner,
        lrt: r.lrt,
        value_at_request: r.value_at_request,
        claimable_at: r.claimable_at,
        status: r.status.name(),
        payout,
    }
}

/// What one set can take from a holder through a vault.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultExposureView {
    /// The operator the vault delegates to.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// The set.
    pub set: SetRef,
    /// The holder's loss if the set slashed the operator's whole allocation now.
    pub slashable: Amount,
    /// The holder's loss in the largest single event the set's cap allows.
    pub worst_event: Amount,
}

/// A holder's stake in one vault: LRT → vault → operator → set.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultHoldingView {
    /// The vault (its LRT symbol).
    pub vault: String,
    /// The vault's asset.
    pub asset: String,
    /// LRT held.
    pub lrt: Amount,
    /// LRT in the holder's pending requests (burned, still exposed).
    pub queued_lrt: Amount,
    /// Value of both, in the vault's asset.
    pub value: Amount,
    /// The holder's share of the vault, × 1e18.
    pub share_wad: Wad,
    /// Per (operator, set) the vault is exposed to: the holder's share of it.
    pub exposure: Vec<VaultExposureView>,
    /// Σ worst single events over all sets, bounded by the value.
    pub worst_case_loss: Amount,
}

/// The vault layer of `position {staker}`: every vault the staker holds LRT of (or has pending
/// requests in), with its exposure through the vault. O(vaults + the vaults' positions).
pub fn holdings_view(state: &State, staker: Address) -> Result<Vec<VaultHoldingView>> {
    let now = state.now();
    let mut queued: std::collections::BTreeMap<u32, Amount> = Default::default();
    for (_, r) in requests_of(state, staker) {
        if r.status == RequestStatus::Pending {
            let e = queued.entry(r.vault).or_default();
            *e = e.checked_add(r.lrt)?;
        }
    }
    let mut out = Vec::new();
    for (index, cfg) in state.iter::<Vaults>() {
        let lrt = bank::balance(state, staker, cfg.lrt);
        let q = queued.get(index).copied().unwrap_or_default();
        let exposed = lrt.checked_add(q)?;
        if exposed.is_zero() {
            continue;
        }
        let v = value(state, cfg, &books(state, *index)?, now)?;
        let units = v.units()?;
        let holder_value = assets_for_lrt_floor(exposed, v.assets, units)?;
        let share = |x: Amount| -> Result<Amount> {
            Ok(Amount::new(mul_div_floor(
                x.get(),
                exposed.get(),
                units.get(),
            )?))
        };
        let account = module::vault(*index);
        let keys: Vec<(Address, AssetId)> = positions_of(state, account)
            .map(|((_, o, t), _)| (o, t))
            .collect();
        let mut exposure = Vec::new();
        let mut worst = Amount::ZERO;
        for (operator, term) in keys {
            let Some(p) = crate::restaking::settled_position(state, account, operator, term, now)?
            else {
                continue;
            };
            let entry = crate::query::position_entry(state, operator, term, &p, now)?;
            for e in entry.exposure {
                let worst_event = share(e.worst_event)?;
                worst = worst.checked_add(worst_event)?;
                exposure.push(VaultExposureView {
                    operator: e.operator,
                    set: e.set,
                    slashable: share(e.slashable)?,
                    worst_event,
                });
            }
        }
        out.push(VaultHoldingView {
            vault: bank::symbol(state, cfg.lrt),
            asset: bank::symbol(state, cfg.asset),
            lrt,
            queued_lrt: q,
            value: holder_value,
            share_wad: Wad::new(mul_div_floor(exposed.get(), WAD, units.get())?),
            exposure,
            worst_case_loss: worst.min(holder_value),
        });
    }
    Ok(out)
}
