//! Liquid staking (PROTOCOL.md §5): a protocol pool that mints an LST against RAM, spreads its
//! stake over the active set with equal weight, compounds rewards, takes a pool fee, and redeems
//! through a queue bounded by the unbonding period.
//!
//! # Arithmetic
//!
//! The pool's value is its liquid buffer, plus its base delegations (free, pending, locked) and
//! unbonding entries at their current values, minus what it owes to redemptions. With `S` LST
//! supply, `V` value and `v` virtual shares: deposits mint `floor(amount · (S + v) / (V + v))`;
//! a redemption burns its LST at request, fixing `value_at_request = floor(lst · (V + v) /
//! (S + v))`, and pays at claim `min(value_at_request, floor(lst · (V' + v) / (S' + v)))` — so a
//! slash during the queue is shared with the holders who stayed, and rewards after the request are
//! not. The fee is `ceil(reward · lst_fee_bps)` of each epoch's increase in value, minted as LST to
//! the treasury at the rate after the fee.
//!
//! # Invariants
//!
//! - The LST's supply is what holders hold; the pool's buffer is the RAM balance of its module
//!   account; `owed` is Σ value at request of unclaimed redemptions.

use crate::bank::{self, AssetKind};
use crate::base::{self, BaseDelegation, ValidatorStatus};
use crate::block::{Timer, schedule};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, BPS_DENOMINATOR, MathError, ShareAmount, mul_div_ceil, mul_div_floor};
use crate::state::{
    BaseDelegations, DelegatorUnbondings, LstPools, LstSnapshots, RedemptionBatches, Redemptions,
    State, Unbondings, Validators,
};
use crate::time::{Epoch, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Symbol of the liquid staking token.
pub const LST_SYMBOL: &str = "stRAM";

/// The pool's books.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct LstPool {
    /// The LST asset.
    pub asset: AssetId,
    /// Σ value at request of unclaimed redemptions.
    pub owed: Amount,
    /// RAM in the pool's unbonding entries, after any slash that reached them.
    pub unbonding: Amount,
    /// Value after the last fee charge (deposits add to it, redemptions take from it).
    pub last_value: Amount,
    /// Next redemption id.
    pub next_redemption: u64,
    /// Σ value at request of redemptions made this epoch.
    pub requested_this_epoch: Amount,
    /// Σ pool fees charged, in RAM.
    pub fees_charged: Amount,
}

/// A redemption in the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct Redemption {
    /// Who is paid.
    pub owner: Address,
    /// LST burned.
    pub lst: Amount,
    /// Its value when requested.
    pub value_at_request: Amount,
    /// Epoch of the request (its batch).
    pub epoch: Epoch,
    /// When it was requested.
    pub requested_at: Timestamp,
}

/// The pool at one epoch boundary, for yields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
pub struct LstSnapshot {
    /// Time of the boundary.
    pub time: Timestamp,
    /// Value and supply after the boundary's work.
    pub value: Amount,
    /// LST supply.
    pub supply: Amount,
    /// Cumulative net base rewards of the pool by source.
    pub earned: [Amount; 4],
    /// Cumulative pool fees.
    pub fees: Amount,
}

/// Creates the LST asset, its restaking strategy and the pool (genesis).
pub fn init(state: &mut State) -> Result<AssetId> {
    let asset = bank::register_asset(state, LST_SYMBOL, 18, None, AssetKind::Lst)?;
    crate::restaking::create_strategy(state, asset)?;
    state.put::<LstPools>(
        (),
        LstPool {
            asset,
            ..LstPool::default()
        },
    );
    Ok(asset)
}

/// The pool.
pub fn pool(state: &State) -> Result<LstPool> {
    state
        .get::<LstPools>(&())
        .cloned()
        .ok_or_else(|| Error::UnknownAsset(LST_SYMBOL.to_owned()))
}

/// The pool's assets and value: (assets, value = assets − owed).
pub fn value(state: &State, p: &LstPool) -> Result<(Amount, Amount)> {
    let mut assets =
        bank::balance(state, module::lst_pool(), AssetId::NATIVE).checked_add(p.unbonding)?;
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        if let Some(d) = base::settled_delegation(state, module::lst_pool(), *v)? {
            assets = assets.checked_add(base::base_delegation_value(state, *v, &d)?.total()?)?;
        }
    }
    let value = assets.saturating_sub(p.owed);
    Ok((assets, value))
}

fn supply(state: &State, p: &LstPool) -> Result<Amount> {
    Ok(bank::asset(state, p.asset)?.supply)
}

/// RAM per LST, × 1e18, with the virtual offset.
pub fn rate_wad(state: &State) -> Result<u128> {
    let p = pool(state)?;
    let (_, value) = value(state, &p)?;
    let v = state.params().virtual_shares;
    Ok(mul_div_floor(
        value.get().saturating_add(v),
        crate::num::WAD,
        supply(state, &p)?.get().saturating_add(v),
    )?)
}

/// RAM that `lst` is worth now (floor).
pub fn lst_value(state: &State, lst: Amount) -> Result<Amount> {
    let p = pool(state)?;
    let (_, value) = value(state, &p)?;
    let v = state.params().virtual_shares;
    Ok(Amount::new(mul_div_floor(
        lst.get(),
        value.get().saturating_add(v),
        supply(state, &p)?.get().saturating_add(v),
    )?))
}

/// `lst_deposit {amount}`: RAM into the pool, LST to the signer.
pub fn deposit(
    state: &mut State,
    ctx: &mut Ctx,
    amount: Amount,
    min_out: Option<Amount>,
) -> Result<Amount> {
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let mut p = pool(state)?;
    let (_, value) = value(state, &p)?;
    let v = state.params().virtual_shares;
    let minted = Amount::new(mul_div_floor(
        amount.get(),
        supply(state, &p)?.get().saturating_add(v),
        value.get().saturating_add(v),
    )?);
    if minted.is_zero() {
        return Err(Error::ZeroShares(amount));
    }
    if let Some(min) = min_out.filter(|m| minted < *m) {
        return Err(Error::Slippage {
            received: minted.get(),
            minimum: min.get(),
        });
    }
    bank::transfer(
        state,
        ctx.signer,
        module::lst_pool(),
        AssetId::NATIVE,
        amount,
    )?;
    bank::mint(state, &mut ctx.events, ctx.signer, p.asset, minted)?;
    p.last_value = p.last_value.checked_add(amount)?;
    state.put::<LstPools>((), p);
    ctx.emit(Event::LstDeposited {
        account: ctx.signer,
        amount,
        lst: minted,
    });
    Ok(minted)
}

/// `lst_request_redeem {shares}`: burns LST now and queues its value.
pub fn request_redeem(state: &mut State, ctx: &mut Ctx, shares: ShareAmount) -> Result<u64> {
    let mut p = pool(state)?;
    let held = bank::balance(state, ctx.signer, p.asset);
    let lst = Amount::new(shares.resolve(crate::num::Shares::new(held.get())).get());
    if lst.is_zero() {
        return Err(Error::invalid("shares", "nothing to redeem"));
    }
    let value_at_request = lst_value(state, lst)?;
    bank::burn(state, &mut ctx.events, ctx.signer, p.asset, lst)?;
    let id = p.next_redemption;
    p.next_redemption = id.checked_add(1).ok_or(MathError::Overflow)?;
    p.owed = p.owed.checked_add(value_at_request)?;
    p.last_value = p.last_value.saturating_sub(value_at_request);
    p.requested_this_epoch = p.requested_this_epoch.checked_add(value_at_request)?;
    state.put::<LstPools>((), p);
    let epoch = state.meta().epoch;
    state.put::<Redemptions>(
        id,
        Redemption {
            owner: ctx.signer,
            lst,
            value_at_request,
            epoch,
            requested_at: ctx.now,
        },
    );
    ctx.emit(Event::LstRedeemRequested {
        id,
        account: ctx.signer,
        lst,
        value_at_request,
    });
    Ok(id)
}

/// When a redemption of `epoch` can be claimed: `None` until its batch has been processed.
pub fn claimable_at(state: &State, epoch: Epoch) -> Option<Timestamp> {
    state.get::<RedemptionBatches>(&epoch).copied()
}

/// `lst_claim {id}`: pays `min(value at request, value now)` once the batch's unbonding is over.
pub fn claim(state: &mut State, ctx: &mut Ctx, id: u64) -> Result<Amount> {
    let r = state
        .get::<Redemptions>(&id)
        .cloned()
        .ok_or(Error::UnknownRedemption(id))?;
    if r.owner != ctx.signer {
        return Err(Error::unauthorized(
            "lst_claim",
            &ctx.signer,
            "the redemption's owner",
        ));
    }
    let ready = claimable_at(state, r.epoch).filter(|t| *t <= ctx.now);
    let Some(_) = ready else {
        return Err(Error::RedemptionNotReady {
            id,
            claimable_at: claimable_at(state, r.epoch),
        });
    };
    let mut p = pool(state)?;
    // Its value at finalization: the burned LST priced at today's rate (`owed` is already out of
    // the pool's value, so the rate is that of the holders who stayed).
    let now_value = lst_value(state, r.lst)?;
    let paid = r.value_at_request.min(now_value);
    let buffer = bank::balance(state, module::lst_pool(), AssetId::NATIVE);
    if buffer < paid {
        return Err(Error::RedemptionNotFunded {
            id,
            available: buffer,
            required: paid,
        });
    }
    bank::transfer(state, module::lst_pool(), r.owner, AssetId::NATIVE, paid)?;
    p.owed = p.owed.checked_sub(r.value_at_request)?;
    // What the redemption does not take back stays with the holders.
    p.last_value = p
        .last_value
        .checked_add(r.value_at_request.checked_sub(paid)?)?;
    state.put::<LstPools>((), p);
    state.delete::<Redemptions>(&id);
    ctx.emit(Event::LstClaimed {
        id,
        account: r.owner,
        amount: paid,
    });
    Ok(paid)
}

/// Timer: an unbonding entry of the pool completed; its RAM returns to the buffer.
pub fn collect_unbonding(state: &mut State, id: u64) -> Result<()> {
    let Some(u) = state.get::<Unbondings>(&id).cloned() else {
        return Ok(());
    };
    let mut p = pool(state)?;
    let paid = base::unbonding_value(state, id, &u)?;
    base::pay_unbonding(state, id)?;
    p.unbonding = p.unbonding.saturating_sub(paid);
    state.put::<LstPools>((), p);
    Ok(())
}

/// A double sign reached the pool's unbonding entries at `validator`: lower the tracked amount.
pub fn on_double_sign(state: &mut State, validator: Address) -> Result<()> {
    let Ok(mut p) = pool(state) else {
        return Ok(());
    };
    let mut before = Amount::ZERO;
    let mut after = Amount::ZERO;
    for ((_, id), ()) in state
        .range::<DelegatorUnbondings, _>((module::lst_pool(), 0u64)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        if let Some(u) = state
            .get::<Unbondings>(id)
            .filter(|u| u.validator == validator)
        {
            before = before.checked_add(u.amount)?;
            after = after.checked_add(base::unbonding_value(state, *id, u)?)?;
        }
    }
    p.unbonding = p.unbonding.saturating_sub(before.saturating_sub(after));
    state.put::<LstPools>((), p);
    Ok(())
}

/// Epoch boundary work, after base rewards and the new active set: charge the fee on the epoch's
/// rewards, schedule this epoch's redemptions, keep enough liquidity for what is owed, delegate
/// the free buffer and move stake off validators that left the active set.
pub fn on_epoch(
    state: &mut State,
    events: &mut Vec<Event>,
    closing: Epoch,
    now: Timestamp,
) -> Result<()> {
    let Ok(mut p) = pool(state) else {
        return Ok(());
    };
    charge_fee(state, events, &mut p)?;
    let unbonding_period = state.params().unbonding_period_s;
    if !p.requested_this_epoch.is_zero() {
        state.put::<RedemptionBatches>(closing, now.checked_add(unbonding_period)?);
        p.requested_this_epoch = Amount::ZERO;
    }
    let buffer = bank::balance(state, module::lst_pool(), AssetId::NATIVE);
    let covered = buffer.checked_add(p.unbonding)?;
    state.put::<LstPools>((), p.clone());
    if p.owed > covered {
        undelegate_for(state, p.owed.checked_sub(covered)?, now)?;
    }
    let mut p = pool(state)?;
    let free = buffer.saturating_sub(p.owed);
    rebalance(state, free)?;
    let (_, value) = value(state, &p)?;
    p.last_value = value;
    state.put::<LstPools>((), p.clone());
    snapshot(state, &p, value, now)
}

fn charge_fee(state: &mut State, events: &mut Vec<Event>, p: &mut LstPool) -> Result<()> {
    let (_, value) = value(state, p)?;
    let reward = value.saturating_sub(p.last_value);
    let fee = Amount::new(mul_div_ceil(
        reward.get(),
        u128::from(state.params().lst_fee_bps.get()),
        BPS_DENOMINATOR,
    )?);
    if fee.is_zero() || fee >= value {
        return Ok(());
    }
    let v = state.params().virtual_shares;
    let supply = supply(state, p)?;
    // New LST worth `fee` at the rate after minting: fee · (S + v) / (V − fee + v).
    let minted = Amount::new(mul_div_floor(
        fee.get(),
        supply.get().saturating_add(v),
        value.get() - fee.get() + v,
    )?);
    bank::mint(state, events, module::treasury(), p.asset, minted)?;
    p.fees_charged = p.fees_charged.checked_add(fee)?;
    events.push(Event::FeeCharged {
        layer: "lst",
        kind: "lst_pool_fee",
        on: module::lst_pool(),
        to: module::treasury(),
        asset: p.asset,
        amount: minted,
    });
    Ok(())
}

/// Active validators, in address order.
fn active_validators(state: &State) -> Vec<Address> {
    state
        .iter::<Validators>()
        .filter(|(_, v)| v.status == ValidatorStatus::Active)
        .map(|(a, _)| *a)
        .collect()
}

/// The pool's free shares and their value at each validator it delegates to.
fn holdings(state: &State) -> Result<Vec<(Address, u128, Amount)>> {
    let mut out = Vec::new();
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        let d: BaseDelegation =
            base::settled_delegation(state, module::lst_pool(), *v)?.unwrap_or_default();
        let value = base::validator(state, *v)?.value_of(d.shares)?;
        out.push((*v, d.shares, value));
    }
    Ok(out)
}

/// Undelegates `amount` of free stake, largest holdings first.
fn undelegate_for(state: &mut State, amount: Amount, now: Timestamp) -> Result<()> {
    let mut left = amount;
    let mut held = holdings(state)?;
    held.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    for (v, shares, value) in held {
        if left.is_zero() {
            break;
        }
        if value.is_zero() {
            continue;
        }
        let take = left.min(value);
        let taken_shares = if take == value {
            shares
        } else {
            mul_div_ceil(take.get(), shares, value.get())?.min(shares)
        };
        let height = state.meta().height;
        let id = base::undelegate_shares(state, module::lst_pool(), v, taken_shares, height, now)?;
        let u = state
            .get::<Unbondings>(&id)
            .cloned()
            .ok_or(Error::invalid("unbonding", "just created"))?;
        let mut p = pool(state)?;
        p.unbonding = p.unbonding.checked_add(u.amount)?;
        state.put::<LstPools>((), p);
        schedule(state, u.completes_at, Timer::LstUnbonding { id })?;
        left = left.saturating_sub(u.amount);
    }
    Ok(())
}

/// Moves stake off validators that left the active set and delegates `free` buffer RAM, so each
/// active validator approaches an equal share.
fn rebalance(state: &mut State, free: Amount) -> Result<()> {
    let active = active_validators(state);
    if active.is_empty() {
        return Ok(());
    }
    let held = holdings(state)?;
    for (v, shares, _) in &held {
        if shares > &0 && !active.contains(v) {
            let target = lightest(state, &active)?;
            let (height, now) = (state.meta().height, state.now());
            base::redelegate_shares(state, module::lst_pool(), *v, target, *shares, height, now)?;
        }
    }
    let n = active.len() as u128;
    let each = Amount::new(mul_div_floor(free.get(), 1, n)?);
    if each.is_zero() {
        return Ok(());
    }
    for v in active {
        base::bond(state, module::lst_pool(), v, each)?;
    }
    Ok(())
}

/// The active validator where the pool holds the least.
fn lightest(state: &State, active: &[Address]) -> Result<Address> {
    let held = holdings(state)?;
    let value_at = |v: &Address| {
        held.iter()
            .find(|(a, _, _)| a == v)
            .map_or(Amount::ZERO, |(_, _, x)| *x)
    };
    active
        .iter()
        .min_by(|a, b| value_at(a).cmp(&value_at(b)).then(a.cmp(b)))
        .copied()
        .ok_or_else(|| Error::invalid("validators", "no active validator"))
}

/// Records the pool at this boundary for trailing yields, keeping `yield_window_epochs` of them.
fn snapshot(state: &mut State, p: &LstPool, value: Amount, now: Timestamp) -> Result<()> {
    let epoch = state.meta().epoch;
    let window = state.params().yield_window_epochs;
    if let Some(old) = epoch.get().checked_sub(window) {
        state.delete::<LstSnapshots>(&Epoch::new(old));
    }
    let supply = supply(state, p)?;
    if supply.is_zero() {
        return Ok(());
    }
    let mut earned = [Amount::ZERO; 4];
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        let e = base::delegation_earnings(state, module::lst_pool(), *v)?;
        for (i, x) in e.net.iter().enumerate() {
            earned[i] = earned[i].checked_add(*x)?;
        }
    }
    state.put::<LstSnapshots>(
        epoch,
        LstSnapshot {
            time: now,
            value,
            supply,
            earned,
            fees: p.fees_charged,
        },
    );
    Ok(())
}
