//! Liquid restaking vaults issuing LRTs (PROTOCOL.md §8).
//!
//! A vault is a module account (`module::vault(index)`) that holds one restakable asset: idle
//! tokens for instant exits, and restaking positions with operators its curator chooses within a
//! published policy. Its LRT is a bank asset whose issuer is the vault's module account, so no
//! key can mint or burn it: only the vault's actions do, and only against value.
//!
//! # Value
//!
//! `A = idle − reserved + deposits + positions + withdrawals in flight + recognized rewards −
//! performance fee owed − unvested rewards`, every part read from state (strategy accounting,
//! operator magnitudes, queued withdrawals' payouts): there is no oracle, and the vault's own
//! books (`idle`) decide what it owns, so a plain transfer to the vault's account or to the
//! strategy is surplus that never enters `A`. Positions and in-flight withdrawals are valued one
//! by one, each rounded down, with their current slashing factors, so a slash lowers `A` at once.
//!
//! `T = LRT supply + LRT burned by pending requests`. One unit is worth `A / T`. A request burns
//! its LRT but stays exposed (its units stay in `T`) until it is finalized, when it is paid
//! `min(value at request, value then)` and leaves `T`: so it shares every slash with the holders
//! exactly pro rata (the min rule), and what it gives up to the min rule stays with the holders.
//!
//! # Rewards and vesting
//!
//! Restaking rewards in the vault's asset are *recognized* at the epoch boundary that
//! distributes them (and by `vault_harvest`): the performance fee is set aside and the rest
//! *vests* linearly over one epoch into `A`. What finalized requests give up to the min rule vests
//! the same way. So `A` never jumps up: a deposit made just before a boundary and withdrawn just
//! after earns only for the time it was in (no just-in-time reward sniping). `vault_harvest`
//! claims recognized rewards into `idle` (compounding) without moving `A`. Rewards in other
//! assets cannot be valued without an oracle: they are claimed into a side pocket that is shown
//! but never enters `A`.
//!
//! # Fees
//!
//! All fees go to the curator: management (≤ 500 bps a year of `A`, charged at each epoch
//! boundary for the time since the last charge, minted as LRT at the rate after the fee),
//! performance (≤ 2000 bps of recognized rewards, paid in the asset at harvest), deposit and
//! withdrawal (≤ 100 bps, paid in the asset; the withdrawal fee applies to instant exits, the
//! queue is the free, slow path). A fee may rise once per epoch per kind, by at most
//! `max(25 %, 10 bps)`, effective from the next epoch; decreases apply at once.
//!
//! # Exits
//!
//! - `vault_withdraw_instant` pays from the free buffer (`idle − reserved`), only while no due
//!   request waits (the queue has priority).
//! - `vault_request_withdrawal` burns LRT now; the request becomes due after
//!   `withdrawal_delay_s` (so an LRT holder never leaves faster than a direct restaker, except
//!   through the paid, bounded buffer), then is finalized in FIFO order as liquidity allows, at
//!   epoch boundaries and by any `vault_harvest`/`vault_claim`/instant exit, at most
//!   `vault_queue_batch` per call. The curator's deallocations are restaking withdrawals with
//!   their full delay (slashable until they complete); completed ones are collected into `idle`
//!   the same way and fund the queue.
//!
//! # Invariants (checked in [`check`])
//!
//! - Bank conservation holds for the LRT like any asset; the dead account holds at least every
//!   seed.
//! - `reserved ≤ idle ≤` the vault account's balance; `reserved = Σ` finalized payouts;
//!   `queued_lrt = Σ` pending requests' LRT; the queue and owner indexes match the requests.
//! - §12.6, state-checkable part: at the current state, depositing any amount and withdrawing
//!   the LRT it mints at once never returns more than was put in; the rate moves only by rewards
//!   (vesting), fees, slashes and rounding in the vault's favour (checked across transitions by
//!   the property tests).
//!
//! # Arithmetic
//!
//! See [`math`]: every conversion is named for its rounding, always in the vault's favour.

mod check;
mod create;
mod curate;
mod deposit;
mod exit;
mod harvest;
pub mod insight;
pub mod math;
pub mod tables;
mod types;
mod view;

#[cfg(test)]
mod tests;

pub use check::check;
pub use create::create_vault;
pub use curate::{allocate, deallocate, set_fees, set_policy};
pub use deposit::deposit;
pub use exit::{claim, request_withdrawal, withdraw_instant};
pub use harvest::{harvest, on_epoch};
pub use tables::*;
pub use types::*;
pub use view::{
    VaultExposureView, VaultHoldingView, VaultPositionView, VaultRequestView, VaultView,
    holdings_view, vault_view,
};

use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::ids::{Address, AssetId, module};
use crate::num::Amount;
use crate::restaking::{
    Deposits, OperatorPendingSlashes, Positions, StakerWithdrawals, Withdrawals,
};
use crate::state::State;
use crate::time::{Epoch, Timestamp};
use std::collections::BTreeMap;

/// The vault issuing the LRT named `symbol`.
pub fn index_of(state: &State, symbol: &str) -> Result<u32> {
    let unknown = || Error::UnknownVault(symbol.to_owned());
    let lrt = bank::asset_id(state, symbol).map_err(|_| unknown())?;
    state.get::<VaultByLrt>(&lrt).copied().ok_or_else(unknown)
}

/// The configuration of vault `index`.
pub fn config(state: &State, index: u32) -> Result<VaultConfig> {
    state
        .get::<Vaults>(&index)
        .cloned()
        .ok_or_else(|| Error::UnknownVault(format!("#{index}")))
}

/// The books of vault `index`.
pub fn books(state: &State, index: u32) -> Result<VaultBooks> {
    state
        .get::<VaultBooksTable>(&index)
        .cloned()
        .ok_or_else(|| Error::UnknownVault(format!("#{index}")))
}

/// The vault's LRT symbol.
pub fn symbol(state: &State, cfg: &VaultConfig) -> String {
    bank::symbol(state, cfg.lrt)
}

/// Fees in force during `epoch`.
pub fn fees_at(cfg: &VaultConfig, epoch: Epoch) -> VaultFees {
    match cfg.pending_fees {
        Some((fees, from)) if from <= epoch => fees,
        _ => cfg.fees,
    }
}

/// Policy in force at `now`.
pub fn policy_at(cfg: &VaultConfig, now: Timestamp) -> &Policy {
    match &cfg.pending_policy {
        Some((policy, at)) if *at <= now => policy,
        _ => &cfg.policy,
    }
}

/// Folds delayed fee and policy changes that are due into the configuration; returns whether
/// anything changed. (Reads use [`fees_at`] and [`policy_at`], so folding is only tidying.)
fn fold_due(cfg: &mut VaultConfig, epoch: Epoch, now: Timestamp) -> bool {
    let mut changed = false;
    if let Some((fees, from)) = cfg.pending_fees
        && from <= epoch
    {
        cfg.fees = fees;
        cfg.pending_fees = None;
        changed = true;
    }
    if let Some((policy, at)) = cfg.pending_policy.take() {
        if at <= now {
            cfg.policy = policy;
            changed = true;
        } else {
            cfg.pending_policy = Some((policy, at));
        }
    }
    changed
}

/// Stores the configuration after folding what is due.
fn fold_config(state: &mut State, index: u32, now: Timestamp) -> Result<VaultConfig> {
    let mut cfg = config(state, index)?;
    if fold_due(&mut cfg, state.meta().epoch, now) {
        state.put::<Vaults>(index, cfg.clone());
    }
    Ok(cfg)
}

/// What the vault is worth, part by part.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultValue {
    /// Idle assets not reserved for finalized requests: the buffer for instant exits.
    pub idle_free: Amount,
    /// Undelegated strategy deposit shares, in tokens.
    pub deposits: Amount,
    /// Restaking positions, withdrawable now, in tokens.
    pub positions: Amount,
    /// Restaking withdrawals in flight (the curator's deallocations), as they would pay now.
    pub in_flight: Amount,
    /// Recognized, unharvested rewards net of the performance fee owed on them.
    pub rewards: Amount,
    /// Recognized rewards not vested yet (not part of the value).
    pub unvested: Amount,
    /// `A`: the sum of the parts above minus `unvested`.
    pub assets: Amount,
    /// LRT supply.
    pub supply: Amount,
    /// LRT burned by pending requests, still exposed.
    pub queued_lrt: Amount,
}

impl VaultValue {
    /// `T`: LRT supply plus queued LRT.
    pub fn units(&self) -> Result<Amount> {
        Ok(self.supply.checked_add(self.queued_lrt)?)
    }
}

/// The value of vault `cfg` with `books` at `now` (pure).
pub fn value(
    state: &State,
    cfg: &VaultConfig,
    books: &VaultBooks,
    now: Timestamp,
) -> Result<VaultValue> {
    let account = module::vault(cfg.index);
    let idle_free = books.idle.checked_sub(books.reserved)?;
    let deposit_shares = state
        .get::<Deposits>(&(account, cfg.asset))
        .copied()
        .unwrap_or_default();
    let deposits = crate::restaking::term_value(state, cfg.asset, deposit_shares)?;
    let mut positions = Amount::ZERO;
    for ((_, operator, term), p) in positions_of(state, account) {
        let shares = crate::restaking::position_value(state, operator, term, p)?.withdrawable;
        positions = positions.checked_add(crate::restaking::term_value(state, term, shares)?)?;
    }
    let mut in_flight = Amount::ZERO;
    for id in withdrawals_of(state, account) {
        if let Some(w) = state.get::<Withdrawals>(&id) {
            let shares = crate::restaking::withdrawal_payout_shares(state, w)?;
            in_flight =
                in_flight.checked_add(crate::restaking::term_value(state, w.strategy, shares)?)?;
        }
    }
    let seen = sum(&books.seen)?;
    let rewards = seen.saturating_sub(books.pending_fee);
    let v = books.vesting;
    let unvested = math::unvested_ceil(v.amount, v.from, v.until, now)?;
    let gross = idle_free
        .checked_add(deposits)?
        .checked_add(positions)?
        .checked_add(in_flight)?
        .checked_add(rewards)?;
    Ok(VaultValue {
        idle_free,
        deposits,
        positions,
        in_flight,
        rewards,
        unvested,
        assets: gross.saturating_sub(unvested),
        supply: bank::asset(state, cfg.lrt)?.supply,
        queued_lrt: books.queued_lrt,
    })
}

/// The value of vault `index` now.
pub fn value_now(state: &State, index: u32) -> Result<VaultValue> {
    value(
        state,
        &config(state, index)?,
        &books(state, index)?,
        state.now(),
    )
}

/// What the vault would lose if every pending slash request against its operators executed
/// now (rounded up): per operator, its tokens there (positions and deallocations still
/// slashable) times the magnitude the requests would cut over the operator's max magnitude.
/// Instant exits are priced net of it, so a holder who sees a request in its veto window cannot
/// leave the loss to those who stay; if the request is vetoed, those who stayed keep the
/// difference. Deposits and queued requests are not affected (queued LRT stays exposed).
pub fn pending_slash_loss_ceil(state: &State, cfg: &VaultConfig, now: Timestamp) -> Result<Amount> {
    let pending = state.count::<OperatorPendingSlashes>();
    if pending == 0 {
        return Ok(Amount::ZERO);
    }
    let account = module::vault(cfg.index);
    // Per operator with pending requests naming the vault's asset: the cut they would make
    // (capped at the max magnitude) and that max.
    let cut_of = |operator: Address| -> Result<Option<(u128, u128)>> {
        let cuts = crate::restaking::pending_cuts_ceil(state, operator, cfg.asset)?;
        let Some(&(_, _, max)) = cuts.first().filter(|c| !c.2.is_zero()) else {
            return Ok(None);
        };
        let sum = cuts
            .iter()
            .try_fold(0u128, |sum, (_, c, _)| sum.checked_add(c.get()))
            .ok_or(crate::num::MathError::Overflow)?;
        Ok(Some((sum.min(max.get()), max.get())))
    };
    // Few pending requests (the usual case): look the vault up at each of their operators;
    // otherwise look each of the vault's operators up in the index.
    let mut cuts: BTreeMap<Address, (u128, u128)> = BTreeMap::new();
    if pending <= MAX_PENDING_SCAN {
        let mut last = None;
        for ((operator, _), ()) in state.iter::<OperatorPendingSlashes>() {
            if last != Some(*operator) {
                last = Some(*operator);
                if let Some(c) = cut_of(*operator)? {
                    cuts.insert(*operator, c);
                }
            }
        }
    } else {
        for ((_, operator, _), _) in positions_of(state, account) {
            if let Some(c) = cut_of(operator)? {
                cuts.insert(operator, c);
            }
        }
        for id in withdrawals_of(state, account) {
            if let Some(operator) = state.get::<Withdrawals>(&id).and_then(|w| w.operator)
                && let Some(c) = cut_of(operator)?
            {
                cuts.insert(operator, c);
            }
        }
    }
    if cuts.is_empty() {
        return Ok(Amount::ZERO);
    }
    let mut loss = Amount::ZERO;
    let mut add = |tokens: Amount, (cut, max): (u128, u128)| -> Result<()> {
        let lost = crate::num::mul_div_ceil(tokens.get(), cut, max)?;
        loss = loss.checked_add(Amount::new(lost))?;
        Ok(())
    };
    for (&operator, &c) in &cuts {
        let key = (account, operator, cfg.asset);
        if let Some(p) = state.get::<Positions>(&key) {
            let shares =
                crate::restaking::position_value(state, operator, cfg.asset, p)?.withdrawable;
            add(crate::restaking::term_value(state, cfg.asset, shares)?, c)?;
        }
    }
    for id in withdrawals_of(state, account) {
        let Some(w) = state.get::<Withdrawals>(&id) else {
            continue;
        };
        let Some(c) = w
            .operator
            .filter(|_| now < w.completable_at || crate::restaking::withdrawal_held(state, w))
            .and_then(|o| cuts.get(&o).copied())
        else {
            continue;
        };
        let shares = crate::restaking::withdrawal_payout_shares(state, w)?;
        add(crate::restaking::term_value(state, w.strategy, shares)?, c)?;
    }
    Ok(loss)
}

/// Up to this many pending slash requests network-wide, [`pending_slash_loss_ceil`] walks them
/// rather than the vault's positions.
const MAX_PENDING_SCAN: usize = 256;

/// The vault account's restaking positions: ((staker, operator, term), position).
fn positions_of(
    state: &State,
    account: Address,
) -> impl Iterator<Item = ((Address, Address, AssetId), &crate::restaking::Position)> {
    state
        .range::<Positions, _>((account, Address::ZERO, AssetId(0))..)
        .take_while(move |((s, _, _), _)| *s == account)
        .map(|(k, p)| (*k, p))
}

/// The vault account's queued restaking withdrawals, oldest first.
fn withdrawals_of(
    state: &State,
    account: Address,
) -> impl Iterator<Item = crate::ids::WithdrawalId> + '_ {
    state
        .range::<StakerWithdrawals, _>((account, crate::ids::WithdrawalId(0))..)
        .take_while(move |((s, _), _)| *s == account)
        .map(|((_, id), ())| *id)
}

/// Runs `f` with the vault's module account as the signer: the vault acts as a staker in the
/// restaking ledger (deposit, delegate, queue and complete withdrawals, claim rewards). Only
/// vault code can do this; no key signs for a module account.
fn as_vault<T>(ctx: &mut Ctx, index: u32, f: impl FnOnce(&mut Ctx) -> Result<T>) -> Result<T> {
    let mut sub = Ctx::new(module::vault(index), ctx.height, ctx.now);
    sub.proposer = ctx.proposer;
    sub.events = std::mem::take(&mut ctx.events);
    let out = f(&mut sub);
    ctx.events = sub.events;
    out
}

/// Σ of a keyed list of amounts.
fn sum<K>(list: &[(K, Amount)]) -> Result<Amount> {
    list.iter()
        .try_fold(Amount::ZERO, |acc, (_, a)| acc.checked_add(*a))
        .map_err(Error::from)
}

/// Adds `amount` under `key`; beyond `max` distinct keys, into `overflow`'s entry.
fn add_keyed<K: PartialEq + Copy>(
    list: &mut Vec<(K, Amount)>,
    key: K,
    amount: Amount,
    max: usize,
    overflow: K,
) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let key = if list.len() >= max && !list.iter().any(|(k, _)| *k == key) {
        overflow
    } else {
        key
    };
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, a)) => *a = a.checked_add(amount)?,
        None => list.push((key, amount)),
    }
    Ok(())
}

/// Adds `amount` to the rewards vesting into the value: what is still unvested and the new
/// amount vest linearly over the next `epoch_length_s`.
fn add_vesting(
    state: &State,
    books: &mut VaultBooks,
    amount: Amount,
    now: Timestamp,
) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let v = books.vesting;
    let left = math::unvested_ceil(v.amount, v.from, v.until, now)?;
    books.vesting = Vesting {
        amount: left.checked_add(amount)?,
        from: now,
        until: now.checked_add(state.params().epoch_length_s)?,
    };
    Ok(())
}
