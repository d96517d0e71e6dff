//! The curator's actions (§8): allocate and deallocate within the policy, change fees and
//! policy within their limits.

use super::create::{check_fee_caps, loosens, meet, normalize_policy};
use super::math::{buffer_target_ceil, max_fee_after_rise, operator_cap_floor};
use super::{
    AmountOrAll, FeeKind, Limits, Policy, VaultConfig, VaultFees, as_vault, books, fold_config,
    index_of, policy_at, value,
};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, SetRef, WithdrawalId, fmt_address, module};
use crate::num::{Amount, Bps, ShareAmount, Shares, mul_div_ceil};
use crate::restaking;
use crate::restaking::Allocations;
use crate::state::State;
use crate::time::Timestamp;
use crate::vault::{VaultBooksTable, Vaults};

fn curator_config(
    state: &mut State,
    ctx: &Ctx,
    vault: &str,
    action: &'static str,
) -> Result<VaultConfig> {
    let index = index_of(state, vault)?;
    let cfg = fold_config(state, index, ctx.now)?;
    if ctx.signer != cfg.curator {
        return Err(Error::unauthorized(
            action,
            &ctx.signer,
            format!("the curator of {vault} ({})", fmt_address(&cfg.curator)),
        ));
    }
    Ok(cfg)
}

/// `vault_allocate {vault, operator, amount}`, by the curator: deposits `amount` of idle assets
/// into the strategy and delegates the shares to `operator`. The operator must be allowed, every
/// set it has allocated the vault's strategy to must belong to an allowed service, the
/// operator's share of the vault must stay within `max_per_operator_bps`, and the idle buffer
/// must stay at or above its target. Returns the shares delegated.
pub fn allocate(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    operator: Address,
    amount: Amount,
) -> Result<Shares> {
    let cfg = curator_config(state, ctx, vault, "vault_allocate")?;
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    restaking::operator(state, operator)?;
    let policy = policy_at(&cfg, ctx.now).clone();
    if policy.allowed_operators.binary_search(&operator).is_err() {
        return Err(Error::VaultPolicyViolated(format!(
            "operator {} is not allowed",
            fmt_address(&operator)
        )));
    }
    check_operator_services(state, operator, cfg.asset, &policy)?;
    let mut b = books(state, cfg.index)?;
    let v = value(state, &cfg, &b, ctx.now)?;
    let left = v
        .idle_free
        .checked_sub(amount)
        .map_err(|_| Error::VaultBufferInsufficient {
            available: v.idle_free,
            required: amount,
        })?;
    let target = buffer_target_ceil(v.assets, cfg.buffer_bps)?;
    if left < target {
        return Err(Error::VaultBufferBelowTarget { left, target });
    }
    let held = operator_value(state, cfg.index, operator, cfg.asset)?;
    let cap = operator_cap_floor(v.assets, policy.max_per_operator_bps)?;
    if held.checked_add(amount)? > cap {
        return Err(Error::VaultPolicyViolated(format!(
            "{} would hold {} of the vault's {}, above max_per_operator_bps ({})",
            fmt_address(&operator),
            held.checked_add(amount)?,
            v.assets,
            policy.max_per_operator_bps
        )));
    }
    let symbol = crate::bank::symbol(state, cfg.asset);
    let shares = as_vault(ctx, cfg.index, |c| {
        let shares = restaking::deposit(state, c, &symbol, amount, None)?;
        restaking::delegate(
            state,
            c,
            operator,
            &symbol,
            None,
            ShareAmount::Exact(shares),
        )
    })?;
    b.idle = b.idle.checked_sub(amount)?;
    state.put::<VaultBooksTable>(cfg.index, b);
    ctx.emit(Event::VaultAllocated {
        vault: module::vault(cfg.index),
        operator,
        amount,
        shares,
    });
    Ok(shares)
}

/// Every set `operator` has allocated (or is allocating) `asset` to belongs to an allowed
/// service: the vault's stake is exposed to exactly those sets.
fn check_operator_services(
    state: &State,
    operator: Address,
    asset: AssetId,
    policy: &Policy,
) -> Result<()> {
    match sets_outside_policy(state, operator, asset, policy).first() {
        Some(set) => Err(Error::VaultPolicyViolated(format!(
            "operator {} allocates to {set}, whose service is not allowed",
            fmt_address(&operator)
        ))),
        None => Ok(()),
    }
}

/// The sets `operator` has allocated (or is allocating) `asset` to whose service the policy
/// does not allow.
pub(super) fn sets_outside_policy(
    state: &State,
    operator: Address,
    asset: AssetId,
    policy: &Policy,
) -> Vec<SetRef> {
    let start = (
        operator,
        SetRef {
            service: Address::ZERO,
            id: 0,
        },
        AssetId(0),
    );
    state
        .range::<Allocations, _>(start..)
        .take_while(|((o, _, _), _)| *o == operator)
        .filter(|((_, set, strategy), a)| {
            *strategy == asset
                && !a.encumbered().is_zero()
                && policy.allowed_services.binary_search(&set.service).is_err()
        })
        .map(|((_, set, _), _)| *set)
        .collect()
}

/// Tokens the vault's position with `operator` is worth now.
fn operator_value(state: &State, index: u32, operator: Address, asset: AssetId) -> Result<Amount> {
    let key = (module::vault(index), operator, asset);
    let Some(p) = state.get::<crate::restaking::Positions>(&key) else {
        return Ok(Amount::ZERO);
    };
    let shares = restaking::position_value(state, operator, asset, p)?.withdrawable;
    restaking::term_value(state, asset, shares)
}

/// `vault_deallocate {vault, operator, amount}`, by the curator (always allowed: it only lowers
/// risk): queues a restaking withdrawal of `amount` tokens' worth (or `"all"`) of the position
/// with `operator`. It keeps its full delay and stays slashable until it completes; then it is
/// collected into the vault's idle assets and funds the queue. Returns the withdrawal id.
pub fn deallocate(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    operator: Address,
    amount: AmountOrAll,
) -> Result<WithdrawalId> {
    let cfg = curator_config(state, ctx, vault, "vault_deallocate")?;
    let account = module::vault(cfg.index);
    let p = restaking::settled_position(state, account, operator, cfg.asset, ctx.now)?.ok_or_else(
        || Error::NoPosition {
            staker: fmt_address(&account),
            operator: fmt_address(&operator),
            strategy: crate::bank::symbol(state, cfg.asset),
        },
    )?;
    let shares = match amount {
        AmountOrAll::All => ShareAmount::All,
        AmountOrAll::Exact(tokens) => {
            deposit_shares_for_tokens_ceil(state, &cfg, operator, &p, tokens)?
        }
    };
    let symbol = crate::bank::symbol(state, cfg.asset);
    let taken = match shares {
        ShareAmount::All => p.shares,
        ShareAmount::Exact(s) => s,
    };
    let id = as_vault(ctx, cfg.index, |c| {
        restaking::queue_withdrawal(state, c, Some(operator), &symbol, None, shares)
    })?;
    ctx.emit(Event::VaultDeallocated {
        vault: account,
        operator,
        shares: taken,
        withdrawal: id,
    });
    Ok(id)
}

/// The deposit shares of position `p` worth at least `tokens` (rounded up, so the curator gets
/// at least what it asked for), or all of them.
fn deposit_shares_for_tokens_ceil(
    state: &State,
    cfg: &VaultConfig,
    operator: Address,
    p: &restaking::Position,
    tokens: Amount,
) -> Result<ShareAmount> {
    if tokens.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let withdrawable = restaking::position_value(state, operator, cfg.asset, p)?.withdrawable;
    let worth = restaking::term_value(state, cfg.asset, withdrawable)?;
    if tokens >= worth || withdrawable.is_zero() {
        return Ok(ShareAmount::All);
    }
    let s = state
        .get::<crate::restaking::Strategies>(&cfg.asset)
        .cloned()
        .unwrap_or_default();
    let v = state.params().virtual_shares;
    let real = mul_div_ceil(
        tokens.get(),
        s.total_shares.get().saturating_add(v),
        s.tokens.get().saturating_add(v),
    )?;
    let deposit = mul_div_ceil(real, p.shares.get(), withdrawable.get())?;
    if deposit >= p.shares.get() {
        return Ok(ShareAmount::All);
    }
    Ok(ShareAmount::Exact(Shares::new(deposit.max(1))))
}

/// `vault_set_fees {vault, fees}`, by the curator. Each fee stays within its cap; a decrease
/// applies at once; a rise applies from the next epoch, at most once per epoch per fee and by at
/// most `max(25 %, 10 bps)` of the fee it rises from. Returns when rises take effect, if any.
pub fn set_fees(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    new: VaultFees,
) -> Result<Option<Timestamp>> {
    let mut cfg = curator_config(state, ctx, vault, "vault_set_fees")?;
    check_fee_caps(&new)?;
    let epoch = state.meta().epoch;
    let scheduled = cfg.pending_fees.map_or(cfg.fees, |(f, _)| f);
    for kind in FeeKind::ALL {
        let (from, to) = (kind.of(&scheduled), kind.of(&new));
        if to <= from {
            continue;
        }
        if let Some(last) = cfg.last_rise[kind.index()].filter(|e| *e == epoch) {
            return Err(Error::VaultFeeRiseTooEarly {
                fee: kind.name(),
                epoch: last,
            });
        }
        let max = max_fee_after_rise(from);
        if to > max {
            return Err(Error::VaultFeeRiseTooLarge {
                fee: kind.name(),
                from,
                max,
                requested: to,
            });
        }
        cfg.last_rise[kind.index()] = Some(epoch);
    }
    let mut now_fees = cfg.fees;
    let mut rises = false;
    for kind in FeeKind::ALL {
        let (current, to) = (kind.of(&cfg.fees), kind.of(&new));
        now_fees = kind.with(now_fees, current.min(to));
        rises |= to > current;
    }
    cfg.fees = now_fees;
    let next = epoch.next()?;
    cfg.pending_fees = rises.then_some((new, next));
    let effect_at = rises.then(|| state.epoch_start(next)).transpose()?;
    let index = cfg.index;
    state.put::<Vaults>(index, cfg);
    ctx.emit(Event::VaultFeesChanged {
        vault: module::vault(index),
        rises_from_epoch: rises.then_some(next),
    });
    Ok(effect_at)
}

/// `vault_set_policy {vault, policy?, deposit_cap?, buffer_bps?, min_request?}`, by the curator.
/// A policy that permits nothing new applies at once; one that loosens anything applies its
/// tighter part (what both allow) at once and the whole after `config_delay_s`, so holders who
/// disagree can leave first. The limits change at once. Returns when the change is complete.
pub fn set_policy(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    policy: Option<Policy>,
    limits: Limits,
) -> Result<Timestamp> {
    let mut cfg = curator_config(state, ctx, vault, "vault_set_policy")?;
    if policy.is_none() && limits == Limits::default() {
        return Err(Error::invalid(
            "policy",
            "give at least one of policy, deposit_cap, buffer_bps, min_request",
        ));
    }
    let mut effect_at = ctx.now;
    if let Some(new) = policy {
        let new = normalize_policy(state, new)?;
        if loosens(&cfg.policy, &new) {
            effect_at = ctx.now.checked_add(state.params().config_delay_s)?;
            cfg.policy = meet(&cfg.policy, &new);
            cfg.pending_policy = Some((new, effect_at));
        } else {
            cfg.policy = new;
            cfg.pending_policy = None;
        }
    }
    if let Some(min) = limits.min_request {
        if min.is_zero() {
            return Err(Error::invalid("min_request", "must be positive"));
        }
        cfg.min_request = min;
    }
    if let Some(cap) = limits.deposit_cap {
        if cap < cfg.seed {
            return Err(Error::invalid(
                "deposit_cap",
                "must be at least the seed amount",
            ));
        }
        cfg.deposit_cap = cap;
    }
    if let Some(bps) = limits.buffer_bps {
        if bps > Bps::ONE {
            return Err(Error::invalid("buffer_bps", "must be at most 10000"));
        }
        cfg.buffer_bps = bps;
    }
    let index = cfg.index;
    state.put::<Vaults>(index, cfg);
    ctx.emit(Event::VaultPolicyChanged {
        vault: module::vault(index),
        effect_at,
    });
    Ok(effect_at)
}
