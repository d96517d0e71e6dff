//! Liquid staking (PROTOCOL.md §5): a protocol pool that mints an LST against RAM, spreads its
//! stake over the active set with equal weight, compounds rewards, takes a pool fee, and redeems
//! through a queue bounded by the unbonding period.
//!
//! # Arithmetic
//!
//! The pool's value `V` is its liquid buffer, plus its base delegations (free, pending, locked)
//! and unbonding entries at their current values. Its units are the LST supply `S` plus the
//! `queued` units of redemptions not yet paid: a redemption burns its LST at request but its
//! units stay in the pool, exposed like everyone's, until it is paid. With `v` virtual shares the
//! rate is `(V + v) / (S + queued + v)`: deposits mint `floor(amount / rate)`; a redemption fixes
//! `value_at_request = floor(lst · rate)` and pays at claim `min(value_at_request, floor(lst ·
//! rate'))` — a slash during the queue falls on redeemers and holders in exactly the same
//! proportion, and rewards after the request stay with the holders. The fee is
//! `ceil(reward · lst_fee_bps)` of each epoch's increase in value, minted as LST to the treasury
//! at the rate after the fee.
//!
//! # Invariants
//!
//! - The LST's supply is what holders hold; the pool's buffer is the RAM balance of its module
//!   account; `owed` is Σ value at request of unclaimed redemptions.

pub mod tables;

pub use tables::*;

use crate::bank::{self, AssetKind};
use crate::base::{self, BaseDelegation};
use crate::base::{BaseDelegations, ModuleUnbondings, Unbondings};
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, BPS_DENOMINATOR, MathError, ShareAmount, mul_div_ceil, mul_div_floor};
use crate::state::State;
use crate::state::meta::{Timer, schedule};
use crate::time::{Epoch, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Symbol of the liquid staking token.
pub const LST_SYMBOL: &str = "stRAM";

/// The pool's books.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LstPool {
    /// The LST asset.
    pub asset: AssetId,
    /// Σ value at request of unclaimed redemptions (the most they can take: what the pool keeps
    /// liquid for them).
    pub owed: Amount,
    /// LST units of unclaimed redemptions: burned, but still counted in the pool's units.
    pub queued: Amount,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redemption {
    /// Who is paid.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Creates the LST asset and the pool (genesis; the app layer then makes the asset a
/// restaking strategy).
pub fn init(state: &mut State) -> Result<AssetId> {
    let asset = bank::register_asset(state, LST_SYMBOL, 18, None, AssetKind::Lst)?;
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

/// The pool's value: everything it holds, at current values.
pub fn value(state: &State) -> Result<Amount> {
    let p = pool(state)?;
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
    Ok(assets)
}

/// The pool's units: LST supply plus the units of unpaid redemptions.
pub fn units(state: &State, p: &LstPool) -> Result<Amount> {
    Ok(bank::asset(state, p.asset)?.supply.checked_add(p.queued)?)
}

/// The pool's rate as a fraction `(V + v, U + v)`: RAM base units per LST base unit, with the
/// virtual offset.
pub fn rate_parts(state: &State) -> Result<(u128, u128)> {
    let p = pool(state)?;
    let v = state.params().virtual_shares;
    Ok((
        value(state)?.get().saturating_add(v),
        units(state, &p)?.get().saturating_add(v),
    ))
}

/// RAM per LST, × 1e18, with the virtual offset.
pub fn rate_wad(state: &State) -> Result<u128> {
    let p = pool(state)?;
    let value = value(state)?;
    let v = state.params().virtual_shares;
    Ok(mul_div_floor(
        value.get().saturating_add(v),
        crate::num::WAD,
        units(state, &p)?.get().saturating_add(v),
    )?)
}

/// RAM that `lst` is worth now (floor), at the pool's rate with the virtual offset (the rate
/// deposits mint at).
pub fn lst_value(state: &State, lst: Amount) -> Result<Amount> {
    let p = pool(state)?;
    let value = value(state)?;
    let v = state.params().virtual_shares;
    Ok(Amount::new(mul_div_floor(
        lst.get(),
        value.get().saturating_add(v),
        units(state, &p)?.get().saturating_add(v),
    )?))
}

/// What a redemption of `lst` units is worth now: the lower of the value at the pool's rate and
/// the exact pro-rata share `lst · V / U` (floor). The virtual offset moves the rate towards 1,
/// which is *above* pro rata once a slash has taken the rate below 1; a redeemer is never paid
/// more than its share of what the pool holds, so the queue can always be paid in full.
pub fn redeem_value_floor(state: &State, lst: Amount) -> Result<Amount> {
    let p = pool(state)?;
    let units = units(state, &p)?;
    if units.is_zero() {
        return Ok(Amount::ZERO);
    }
    let pro_rata = Amount::new(mul_div_floor(lst.get(), value(state)?.get(), units.get())?);
    Ok(lst_value(state, lst)?.min(pro_rata))
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
    let value = value(state)?;
    let v = state.params().virtual_shares;
    let minted = Amount::new(mul_div_floor(
        amount.get(),
        units(state, &p)?.get().saturating_add(v),
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
    let value_at_request = redeem_value_floor(state, lst)?;
    bank::burn(state, &mut ctx.events, ctx.signer, p.asset, lst)?;
    let id = p.next_redemption;
    p.next_redemption = id.checked_add(1).ok_or(MathError::Overflow)?;
    p.owed = p.owed.checked_add(value_at_request)?;
    p.queued = p.queued.checked_add(lst)?;
    p.requested_this_epoch = p.requested_this_epoch.checked_add(value_at_request)?;
    state.put::<LstPools>((), p);
    let epoch = state.meta().epoch;
    state.put::<AccountRedemptions>((ctx.signer, id), ());
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
    // Its value at finalization: its units at today's value, never above pro rata.
    let now_value = redeem_value_floor(state, r.lst)?;
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
    p.queued = p.queued.checked_sub(r.lst)?;
    // The pool's value falls by what was paid; what the cap keeps back stays with the holders.
    p.last_value = p.last_value.saturating_sub(paid);
    state.put::<LstPools>((), p);
    state.delete::<Redemptions>(&id);
    state.delete::<AccountRedemptions>(&(r.owner, id));
    ctx.emit(Event::LstClaimed {
        id,
        account: r.owner,
        amount: paid,
    });
    Ok(paid)
}

/// Timer: an unbonding entry of the pool completed; its RAM returns to the buffer.
pub fn collect_unbonding(state: &mut State, id: u64) -> HookResult {
    let Some(u) = state.get::<Unbondings>(&id).cloned() else {
        return Ok(());
    };
    let mut p = pool(state).or_broken("the pool")?;
    let paid = base::unbonding_value(state, id, &u).or_broken("a pool entry's value")?;
    base::pay_unbonding(state, id).or_broken("paying a pool entry")?;
    p.unbonding = p.unbonding.saturating_sub(paid);
    state.put::<LstPools>((), p);
    Ok(())
}

/// A double sign tombstoned `reach.validator`: lower the tracked value of the pool's unbonding
/// entries there by what the slash took from them. O(the pool's entries at that validator), at
/// most one per epoch boundary of the unbonding period.
pub fn on_double_sign(state: &mut State, reach: base::DoubleSignReach) -> HookResult {
    let Ok(mut p) = pool(state) else {
        return Ok(());
    };
    let pool_account = module::lst_pool();
    let ids: Vec<u64> = state
        .range::<ModuleUnbondings, _>(
            (pool_account, reach.validator, Timestamp::new(0))
                ..=(pool_account, reach.validator, Timestamp::new(u64::MAX)),
        )
        .map(|(_, id)| *id)
        .collect();
    let mut loss = Amount::ZERO;
    for id in ids {
        if let Some(u) = state.get::<Unbondings>(&id) {
            let kept = base::unbonding_value(state, id, u).or_broken("a pool entry's value")?;
            loss = loss.checked_add(u.amount.saturating_sub(kept))?;
        }
    }
    p.unbonding = p.unbonding.saturating_sub(loss);
    state.put::<LstPools>((), p);
    Ok(())
}

/// Epoch boundary work, after base rewards and the new active set: charge the fee on the epoch's
/// rewards, schedule this epoch's redemptions, unbond the stake of validators that left the active
/// set, keep enough liquidity for what is owed, and delegate the free buffer.
///
/// Total and bounded by design: the pool only ever unbonds through the internal path (one merged
/// entry per validator and boundary) and never redelegates, so it never holds a redelegation
/// lock, every share it holds can be unbonded at once, and a redemption waits at most one
/// unbonding period after its batch closes — whatever validator churn happens.
pub fn on_epoch(
    state: &mut State,
    events: &mut Vec<Event>,
    closing: Epoch,
    now: Timestamp,
) -> HookResult {
    let Ok(mut p) = pool(state) else {
        return Ok(());
    };
    charge_fee(state, events, &mut p)?;
    let unbonding_period = state.params().unbonding_period_s;
    if !p.requested_this_epoch.is_zero() {
        state.put::<RedemptionBatches>(closing, now.checked_add(unbonding_period)?);
        p.requested_this_epoch = Amount::ZERO;
    }
    state.put::<LstPools>((), p);
    let active = base::active_set(state);
    leave_inactive(state, &active, now)?;
    let p = pool(state).or_broken("the pool")?;
    let mut buffer = bank::balance(state, module::lst_pool(), AssetId::NATIVE);
    if p.owed > buffer.checked_add(p.unbonding)? {
        // Bonds still waiting to activate come back at once; only the rest is unbonded.
        cancel_pending(state, p.owed.checked_sub(buffer.checked_add(p.unbonding)?)?)?;
        buffer = bank::balance(state, module::lst_pool(), AssetId::NATIVE);
        let covered = buffer.checked_add(p.unbonding)?;
        if p.owed > covered {
            undelegate_for(state, p.owed.checked_sub(covered)?, now)?;
        }
    }
    let free = buffer.saturating_sub(p.owed);
    delegate_free(state, &active, free)?;
    let mut p = pool(state).or_broken("the pool")?;
    let value = value(state).or_broken("the pool's value")?;
    p.last_value = value;
    state.put::<LstPools>((), p.clone());
    snapshot(state, &p, value, now)
}

fn charge_fee(state: &mut State, events: &mut Vec<Event>, p: &mut LstPool) -> HookResult {
    let value = value(state).or_broken("the pool's value")?;
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
    let units = units(state, p).or_broken("the pool's units")?;
    // New LST worth `fee` at the rate after minting: fee · (U + v) / (V − fee + v).
    let minted = Amount::new(mul_div_floor(
        fee.get(),
        units.get().saturating_add(v),
        value.checked_sub(fee)?.get().saturating_add(v),
    )?);
    bank::mint(state, events, module::treasury(), p.asset, minted).or_broken("the pool fee")?;
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

/// The pool's free shares and their value at each validator it delegates to.
fn holdings(state: &State) -> HookResult<Vec<(Address, u128, Amount)>> {
    let mut out = Vec::new();
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        let d: BaseDelegation = base::settled_delegation(state, module::lst_pool(), *v)
            .or_broken("the pool's delegation")?
            .unwrap_or_default();
        let value = base::validator(state, *v)
            .or_broken("a validator the pool holds")?
            .value_of(d.shares)?;
        out.push((*v, d.shares, value));
    }
    Ok(out)
}

/// Unbonds `shares` of the pool at validator `v` through the internal path.
fn unbond(state: &mut State, v: Address, shares: u128, now: Timestamp) -> HookResult<Amount> {
    let height = state.meta().height;
    let (id, amount, new) = base::unbond_module(state, module::lst_pool(), v, shares, height, now)?;
    let mut p = pool(state).or_broken("the pool")?;
    p.unbonding = p.unbonding.checked_add(amount)?;
    state.put::<LstPools>((), p);
    if new {
        let at = state
            .get::<Unbondings>(&id)
            .or_broken("a new entry")?
            .completes_at;
        schedule(state, at, Timer::LstUnbonding { id })?;
    }
    Ok(amount)
}

/// Unbonds everything the pool holds at validators outside the active set (jailed, tombstoned,
/// fallen below the cut-off): the RAM returns to the buffer after the unbonding period and is
/// spread over the active set then. Unbonding rather than redelegating costs that stake one
/// unbonding period of rewards, and keeps every share the pool holds free of redelegation locks.
fn leave_inactive(state: &mut State, active: &[Address], now: Timestamp) -> HookResult {
    for (v, shares, _) in holdings(state)? {
        if shares > 0 && active.binary_search(&v).is_err() {
            unbond(state, v, shares, now)?;
        }
    }
    Ok(())
}

/// Takes back up to `amount` of the pool's bonds that have not activated yet, into the buffer.
fn cancel_pending(state: &mut State, amount: Amount) -> HookResult {
    let validators: Vec<Address> = state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
        .map(|((_, v), _)| *v)
        .collect();
    let mut left = amount;
    for v in validators {
        if left.is_zero() {
            break;
        }
        let back = base::cancel_pending_module(state, module::lst_pool(), v, left)?;
        left = left.saturating_sub(back);
    }
    Ok(())
}

/// Undelegates `amount` of free stake, largest holdings first.
fn undelegate_for(state: &mut State, amount: Amount, now: Timestamp) -> HookResult {
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
        let unbonded = unbond(state, v, taken_shares, now)?;
        left = left.saturating_sub(unbonded);
    }
    Ok(())
}

/// Delegates `free` buffer RAM evenly over the active set (the remainder stays in the buffer).
fn delegate_free(state: &mut State, active: &[Address], free: Amount) -> HookResult {
    let Some(n) = u128::try_from(active.len()).ok().filter(|n| *n > 0) else {
        return Ok(());
    };
    let each = Amount::new(mul_div_floor(free.get(), 1, n)?);
    if each.is_zero() {
        return Ok(());
    }
    for v in active {
        base::bond(state, module::lst_pool(), *v, each).or_broken("bonding the pool's buffer")?;
    }
    Ok(())
}

/// Records the pool at this boundary for trailing yields, keeping `yield_window_epochs` of them.
fn snapshot(state: &mut State, p: &LstPool, value: Amount, now: Timestamp) -> HookResult {
    let epoch = state.meta().epoch;
    let window = state.params().yield_window_epochs;
    if let Some(old) = epoch.get().checked_sub(window) {
        state.delete::<LstSnapshots>(&Epoch::new(old));
    }
    let supply = units(state, p).or_broken("the pool's units")?;
    if supply.is_zero() {
        return Ok(());
    }
    let mut earned = [Amount::ZERO; 4];
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((module::lst_pool(), Address::ZERO)..)
        .take_while(|((d, _), _)| *d == module::lst_pool())
    {
        let e = base::delegation_earnings(state, module::lst_pool(), *v)
            .or_broken("the pool's earnings")?;
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

/// The redemptions `account` has in the queue, oldest first.
pub fn redemptions_of(state: &State, account: Address) -> Vec<(u64, Redemption)> {
    state
        .range::<AccountRedemptions, _>((account, 0u64)..)
        .take_while(|((a, _), _)| *a == account)
        .filter_map(|((_, id), ())| state.get::<Redemptions>(id).map(|r| (*id, r.clone())))
        .collect()
}
