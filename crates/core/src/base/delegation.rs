//! Delegation as validator shares (§4.2): bonding, unbonding, redelegation, claims, and the
//! locks native restaking puts on base stake (§6.8).

use super::{
    BaseDelegation, DoubleSign, PendingBond, RedelegationLock, Unbonding, Validator,
    ValidatorStatus, index_amount, validator,
};
use crate::bank;
use crate::base::{
    Activations, BaseDelegations, DelegatorUnbondings, ModuleUnbondings, RedelegationCumulative,
    RedelegationTargets, UnbondCumulative, Unbondings, ValidatorIndexes, Validators,
};
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, fmt_address, module};
use crate::num::{Amount, MathError, ShareAmount, mul_div_ceil, mul_div_floor};
use crate::state::State;
use crate::state::meta::{IdKind, next_id};
use crate::time::{Epoch, Height, Timestamp};
use alloy_primitives::U256;

/// How much of a delegation an action takes: shares, or a RAM amount (converted to the shares
/// that cover it, rounded up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseAmount {
    /// Validator shares (`"all"` allowed).
    Shares(ShareAmount),
    /// RAM.
    Amount(Amount),
}

impl BaseAmount {
    /// Resolves to shares given `held` shares and the pool, failing if more than held.
    fn shares(self, v: &Validator, held: u128, delegator: &Address) -> Result<u128> {
        let shares = match self {
            Self::Shares(ShareAmount::All) => held,
            Self::Shares(ShareAmount::Exact(s)) => s.get(),
            Self::Amount(a) => {
                if v.bonded.is_zero() {
                    return Err(Error::invalid("amount", "the validator has nothing bonded"));
                }
                mul_div_ceil(a.get(), v.shares, v.bonded.get())?
            }
        };
        if shares == 0 {
            return Err(Error::invalid("shares", "nothing to take"));
        }
        if shares > held {
            return Err(Error::InsufficientShares {
                account: fmt_address(delegator),
                available: crate::num::Shares::new(held),
                required: crate::num::Shares::new(shares),
            });
        }
        Ok(shares)
    }
}

/// The validator at dense `index`.
pub fn validator_by_index(state: &State, index: u32) -> Result<Address> {
    state
        .get::<ValidatorIndexes>(&index)
        .copied()
        .ok_or_else(|| Error::UnknownValidator(format!("#{index}")))
}

fn double_sign_of(state: &State, v: Address) -> Option<DoubleSign> {
    state.get::<Validators>(&v).and_then(|x| x.double_sign)
}

/// `amount − ceil(amount · bps)` if `ds` reached the entry, else `amount`.
fn after_double_sign(
    amount: u128,
    ds: Option<DoubleSign>,
    height: Height,
    id: u64,
    mark: impl Fn(&DoubleSign) -> u64,
) -> Result<u128> {
    match ds {
        Some(d) if d.reaches(height, id, mark(&d)) => {
            let cut = mul_div_ceil(amount, u128::from(d.bps.get()), crate::num::BPS_DENOMINATOR)?;
            Ok(amount.saturating_sub(cut))
        }
        _ => Ok(amount),
    }
}

/// Shares that earn in the pool for this delegation: free and locked.
fn earning_shares(d: &BaseDelegation) -> u128 {
    d.locked
        .iter()
        .fold(d.shares, |acc, l| acc.saturating_add(l.shares))
}

/// Realizes rewards of the earning shares up to the given indices.
fn realize_to(d: &mut BaseDelegation, net: &[U256; 4], commission: &[U256; 4]) -> Result<()> {
    let shares = earning_shares(d);
    for i in 0..4 {
        let dn = net[i].saturating_sub(d.net_index_at[i]);
        let dc = commission[i].saturating_sub(d.commission_index_at[i]);
        d.earned_net[i] = d.earned_net[i].checked_add(index_amount(shares, dn)?)?;
        d.earned_commission[i] = d.earned_commission[i].checked_add(index_amount(shares, dc)?)?;
        d.net_index_at[i] = d.net_index_at[i].max(net[i]);
        d.commission_index_at[i] = d.commission_index_at[i].max(commission[i]);
    }
    Ok(())
}

/// The delegation with activated bonds converted (existing shares earn up to each activation,
/// then the new shares join) and matured locks folded in. Pure.
pub fn settled_delegation(
    state: &State,
    delegator: Address,
    validator_addr: Address,
) -> Result<Option<BaseDelegation>> {
    let Some(mut d) = state
        .get::<BaseDelegations>(&(delegator, validator_addr))
        .cloned()
    else {
        return Ok(None);
    };
    let epoch = state.meta().epoch;
    let now = state.now();
    let (active, waiting): (Vec<PendingBond>, Vec<PendingBond>) =
        d.pending.into_iter().partition(|p| p.epoch <= epoch);
    d.pending = waiting;
    for p in active {
        let act = state
            .get::<Activations>(&(p.epoch, validator_addr))
            .cloned()
            .unwrap_or_default();
        let minted = act.shares.ok_or_else(|| {
            Error::invalid("activation", "an activated bond has no activation record")
        })?;
        realize_to(&mut d, &act.net_index, &act.commission_index)?;
        let shares = mul_div_floor(p.amount.get(), minted, act.amount.get().max(1))?;
        d.shares = d.shares.checked_add(shares).ok_or(MathError::Overflow)?;
    }
    let (matured, live): (Vec<RedelegationLock>, Vec<RedelegationLock>) =
        d.locked.into_iter().partition(|l| l.matures_at <= now);
    d.locked = live;
    for l in matured {
        let kept = after_double_sign(
            l.shares,
            double_sign_of(state, l.from),
            l.created_height,
            l.id,
            |d| d.redelegation_mark,
        )?;
        d.shares = d.shares.checked_add(kept).ok_or(MathError::Overflow)?;
    }
    Ok(Some(d))
}

/// The shares a redelegation lock is worth after any double sign of its source that reached it.
pub fn lock_shares_after_slash(state: &State, l: &RedelegationLock) -> Result<u128> {
    after_double_sign(
        l.shares,
        double_sign_of(state, l.from),
        l.created_height,
        l.id,
        |d| d.redelegation_mark,
    )
}

/// What a base delegation is worth now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseDelegationValue {
    /// RAM value of free shares.
    pub free: Amount,
    /// RAM waiting in pending bonds.
    pub pending: Amount,
    /// RAM value of redelegated shares still locked (after any loss to their source).
    pub locked: Amount,
}

impl BaseDelegationValue {
    /// Everything.
    pub fn total(&self) -> Result<Amount, MathError> {
        self.free
            .checked_add(self.pending)?
            .checked_add(self.locked)
    }
}

/// The value of a settled delegation.
pub fn base_delegation_value(
    state: &State,
    validator_addr: Address,
    d: &BaseDelegation,
) -> Result<BaseDelegationValue> {
    let v = validator(state, validator_addr)?;
    let free = v.value_of(d.shares)?;
    let pending = d
        .pending
        .iter()
        .try_fold(Amount::ZERO, |acc, p| acc.checked_add(p.amount))?;
    let mut locked = Amount::ZERO;
    for l in &d.locked {
        let kept = after_double_sign(
            l.shares,
            double_sign_of(state, l.from),
            l.created_height,
            l.id,
            |d| d.redelegation_mark,
        )?;
        locked = locked.checked_add(v.value_of(kept)?)?;
    }
    Ok(BaseDelegationValue {
        free,
        pending,
        locked,
    })
}

/// Loads a delegation for writing (settled; a fresh one if absent), with its rewards realized to
/// now so that its shares can change.
fn load(state: &State, delegator: Address, validator_addr: Address) -> Result<BaseDelegation> {
    let v = validator(state, validator_addr)?;
    let net = v.sources.clone().map(|t| t.net_per_share);
    let commission = v.sources.clone().map(|t| t.commission_per_share);
    let mut d = match settled_delegation(state, delegator, validator_addr)? {
        Some(d) => d,
        None => BaseDelegation {
            since: state.now(),
            rate_at_since: super::rate(v),
            net_index_at: net,
            commission_index_at: commission,
            ..BaseDelegation::default()
        },
    };
    realize_to(&mut d, &net, &commission)?;
    Ok(d)
}

/// Writes a delegation back settled (activated bonds turned into shares, rewards realized), so
/// that its stored shares are the ones it votes with.
pub(crate) fn settle_stored(
    state: &mut State,
    delegator: Address,
    validator: Address,
) -> Result<()> {
    let d = load(state, delegator, validator)?;
    store(state, delegator, validator, d);
    Ok(())
}

/// Writes a delegation (deleting an empty one). Governance keeps the vote shares of delegators
/// who voted in step with these writes: its observer of `BaseDelegations`, registered by the app
/// layer (`crate::schema::OBSERVERS`), sees each one just before it is made, so base does not
/// use governance.
fn store(state: &mut State, delegator: Address, validator_addr: Address, d: BaseDelegation) {
    if d.shares == 0 && d.pending.is_empty() && d.locked.is_empty() {
        state.delete::<BaseDelegations>(&(delegator, validator_addr));
    } else {
        state.put::<BaseDelegations>((delegator, validator_addr), d);
    }
}

fn put_validator(state: &mut State, addr: Address, v: Validator) {
    super::store_validator(state, addr, v);
}

fn usable(v: &Validator, addr: &Address) -> Result<()> {
    if v.status == ValidatorStatus::Tombstoned {
        return Err(Error::ValidatorUnavailable {
            validator: fmt_address(addr),
            status: "tombstoned",
        });
    }
    Ok(())
}

/// Bonds `amount` RAM of `delegator` to a validator: it waits in the pending bucket of the epoch it
/// activates at (`current + 1 + bonding_epochs`) and earns from then on. Returns that epoch.
pub fn bond(
    state: &mut State,
    delegator: Address,
    validator_addr: Address,
    amount: Amount,
) -> Result<Epoch> {
    let mut v = validator(state, validator_addr)?.clone();
    usable(&v, &validator_addr)?;
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let epoch = Epoch::new(
        state
            .meta()
            .epoch
            .get()
            .checked_add(1 + u64::from(state.params().bonding_epochs))
            .ok_or(MathError::Overflow)?,
    );
    bank::transfer(
        state,
        delegator,
        module::base_bonded(),
        AssetId::NATIVE,
        amount,
    )?;
    let mut bucket = state
        .get::<Activations>(&(epoch, validator_addr))
        .cloned()
        .unwrap_or_default();
    bucket.amount = bucket.amount.checked_add(amount)?;
    state.put::<Activations>((epoch, validator_addr), bucket);
    v.pending_bonded = v.pending_bonded.checked_add(amount)?;
    put_validator(state, validator_addr, v);
    let mut d = load(state, delegator, validator_addr)?;
    match d.pending.iter_mut().find(|p| p.epoch == epoch) {
        Some(p) => p.amount = p.amount.checked_add(amount)?,
        None => d.pending.push(PendingBond { epoch, amount }),
    }
    store(state, delegator, validator_addr, d);
    Ok(epoch)
}

/// `delegate_base {validator, amount}`.
pub fn delegate_base(
    state: &mut State,
    ctx: &mut Ctx,
    validator_addr: Address,
    amount: Amount,
) -> Result<Epoch> {
    let epoch = bond(state, ctx.signer, validator_addr, amount)?;
    ctx.emit(Event::BaseDelegated {
        delegator: ctx.signer,
        validator: validator_addr,
        amount,
        active_from: epoch,
    });
    Ok(epoch)
}

/// `undelegate_base {validator, shares | amount}`: burns free shares now; the RAM unbonds for
/// `unbonding_period_s` and stays slashable for the validator's earlier infractions.
pub fn undelegate_base(
    state: &mut State,
    ctx: &mut Ctx,
    validator_addr: Address,
    amount: BaseAmount,
) -> Result<u64> {
    let delegator = ctx.signer;
    let d = load(state, delegator, validator_addr)?;
    let v = validator(state, validator_addr)?;
    let shares = amount.shares(v, d.shares, &delegator)?;
    let id = undelegate_shares(
        state,
        delegator,
        validator_addr,
        shares,
        ctx.height,
        ctx.now,
    )?;
    if let Some(u) = state.get::<Unbondings>(&id) {
        ctx.emit(Event::BaseUndelegated {
            delegator,
            validator: validator_addr,
            amount: u.amount,
            completes_at: u.completes_at,
            id,
        });
    }
    Ok(id)
}

/// Burns `shares` free shares of `delegator` and creates their unbonding entry (the user path:
/// `max_unbondings_per_delegator` applies).
pub fn undelegate_shares(
    state: &mut State,
    delegator: Address,
    validator_addr: Address,
    shares: u128,
    height: Height,
    now: Timestamp,
) -> Result<u64> {
    check_unbonding_limit(state, delegator)?;
    let value = burn_free_shares(state, delegator, validator_addr, shares)?;
    let id = next_id(state, IdKind::Unbonding)?;
    insert_unbonding(state, id, delegator, validator_addr, value, height, now)?;
    Ok(id)
}

/// Takes back up to `want` RAM of a module account's bonds at a validator that are still waiting to
/// activate (latest first): they never joined the validator's pool, earned nothing and carry no
/// slash exposure, so the RAM returns to the account at once — the liquid staking pool uses it to
/// pay redemptions without waiting for the bond to activate and then an unbonding period.
/// Returns the RAM taken back.
pub(crate) fn cancel_pending_module(
    state: &mut State,
    delegator: Address,
    validator_addr: Address,
    want: Amount,
) -> HookResult<Amount> {
    let epoch = state.meta().epoch;
    let mut d = load(state, delegator, validator_addr).or_broken("a module delegation")?;
    let mut taken = Amount::ZERO;
    for p in d.pending.iter_mut().rev().filter(|p| p.epoch > epoch) {
        let take = p.amount.min(want.saturating_sub(taken));
        if take.is_zero() {
            break;
        }
        let key = (p.epoch, validator_addr);
        let mut bucket = state
            .get::<Activations>(&key)
            .cloned()
            .or_broken("a pending bond's bucket")?;
        bucket.amount = bucket.amount.checked_sub(take)?;
        if bucket.amount.is_zero() {
            state.delete::<Activations>(&key);
        } else {
            state.put::<Activations>(key, bucket);
        }
        p.amount = p.amount.checked_sub(take)?;
        taken = taken.checked_add(take)?;
    }
    if taken.is_zero() {
        return Ok(taken);
    }
    d.pending.retain(|p| !p.amount.is_zero());
    store(state, delegator, validator_addr, d);
    let mut v = validator(state, validator_addr)
        .or_broken("a module delegation's validator")?
        .clone();
    v.pending_bonded = v.pending_bonded.checked_sub(taken)?;
    put_validator(state, validator_addr, v);
    bank::transfer(
        state,
        module::base_bonded(),
        delegator,
        AssetId::NATIVE,
        taken,
    )
    .or_broken("returning a pending bond")?;
    Ok(taken)
}

/// Unbonds `shares` free shares of a module account (the liquid staking pool) at a validator:
/// the internal path of block hooks, bound by protocol design rather than by a user limit.
/// Entries made at one height with one completion time merge, so a module holds at most one
/// entry per validator per epoch boundary (`unbonding_period_s / epoch_length_s` per validator).
/// Returns the entry, the RAM it took and whether the entry is new (a timer is then due).
pub(crate) fn unbond_module(
    state: &mut State,
    delegator: Address,
    validator_addr: Address,
    shares: u128,
    height: Height,
    now: Timestamp,
) -> HookResult<(u64, Amount, bool)> {
    let value = burn_free_shares(state, delegator, validator_addr, shares)
        .or_broken("a module's free shares")?;
    let completes_at = now.checked_add(state.params().unbonding_period_s)?;
    let merge_key = (delegator, validator_addr, completes_at);
    let merge = state
        .get::<ModuleUnbondings>(&merge_key)
        .copied()
        .filter(|id| {
            let last = last_unbond_point(state, validator_addr).map(|(k, _)| k);
            state
                .get::<Unbondings>(id)
                .is_some_and(|u| u.created_height == height)
                && last == Some((validator_addr, height, *id))
        });
    match merge {
        Some(id) => {
            move_to_unbonding(state, value).or_broken("bonded RAM to unbonding")?;
            let mut u = state.get::<Unbondings>(&id).cloned().or_broken("entry")?;
            u.amount = u.amount.checked_add(value)?;
            state.put::<Unbondings>(id, u);
            let point = (validator_addr, height, id);
            let c = state
                .get::<UnbondCumulative>(&point)
                .copied()
                .or_broken("point")?;
            state.put::<UnbondCumulative>(point, c.checked_add(value)?);
            Ok((id, value, false))
        }
        None => {
            let id = next_id(state, IdKind::Unbonding)?;
            insert_unbonding(state, id, delegator, validator_addr, value, height, now)
                .or_broken("a module's unbonding entry")?;
            state.put::<ModuleUnbondings>(merge_key, id);
            Ok((id, value, true))
        }
    }
}

fn check_unbonding_limit(state: &State, delegator: Address) -> Result<()> {
    let max = state.params().max_unbondings_per_delegator;
    let held = state
        .range::<DelegatorUnbondings, _>((delegator, 0u64)..)
        .take_while(|((d, _), _)| *d == delegator)
        .count();
    if held >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_unbondings_per_delegator",
            max: u64::from(max),
        });
    }
    Ok(())
}

/// Burns `shares` free shares of a delegation from its validator's pool; returns their RAM value
/// (still in the bonded account).
fn burn_free_shares(
    state: &mut State,
    delegator: Address,
    validator_addr: Address,
    shares: u128,
) -> Result<Amount> {
    let mut d = load(state, delegator, validator_addr)?;
    let mut v = validator(state, validator_addr)?.clone();
    d.shares = d.shares.checked_sub(shares).ok_or(MathError::Underflow)?;
    let value = v.value_of(shares)?;
    v.shares = v.shares.checked_sub(shares).ok_or(MathError::Underflow)?;
    v.bonded = v.bonded.checked_sub(value)?;
    put_validator(state, validator_addr, v);
    store(state, delegator, validator_addr, d);
    Ok(value)
}

fn move_to_unbonding(state: &mut State, amount: Amount) -> Result<()> {
    bank::transfer(
        state,
        module::base_bonded(),
        module::base_unbonding(),
        AssetId::NATIVE,
        amount,
    )
}

/// The last point of a validator's cumulative unbonding series.
fn last_unbond_point(state: &State, v: Address) -> Option<((Address, Height, u64), Amount)> {
    state
        .range::<UnbondCumulative, _>(
            (v, Height::new(0), 0u64)..=(v, Height::new(u64::MAX), u64::MAX),
        )
        .next_back()
        .map(|(k, c)| (*k, *c))
}

/// Creates unbonding entry `id` of `amount` (moving it to the unbonding account) and its point in
/// the validator's cumulative series.
fn insert_unbonding(
    state: &mut State,
    id: u64,
    delegator: Address,
    validator_addr: Address,
    amount: Amount,
    height: Height,
    now: Timestamp,
) -> Result<()> {
    move_to_unbonding(state, amount)?;
    let completes_at = now.checked_add(state.params().unbonding_period_s)?;
    let last = last_unbond_point(state, validator_addr).map_or(Amount::ZERO, |(_, c)| c);
    state.put::<UnbondCumulative>((validator_addr, height, id), last.checked_add(amount)?);
    state.put::<Unbondings>(
        id,
        Unbonding {
            delegator,
            validator: validator_addr,
            amount,
            created_height: height,
            completes_at,
        },
    );
    state.put::<DelegatorUnbondings>((delegator, id), ());
    Ok(())
}

/// RAM an unbonding entry pays (its amount, less a double sign of its validator that reached it).
pub fn unbonding_value(state: &State, id: u64, u: &Unbonding) -> Result<Amount> {
    let kept = after_double_sign(
        u.amount.get(),
        double_sign_of(state, u.validator),
        u.created_height,
        id,
        |d| d.unbonding_mark,
    )?;
    Ok(Amount::new(kept))
}

/// `claim_unbonded {}`: pays every completed entry of the signer.
pub fn claim_unbonded(state: &mut State, ctx: &mut Ctx) -> Result<Amount> {
    let ids = claimable_unbondings(state, ctx.signer, ctx.now);
    if ids.is_empty() {
        return Err(Error::NothingToClaim {
            account: crate::ids::fmt_address(&ctx.signer),
            what: "no unbonding has completed yet",
        });
    }
    let mut total = Amount::ZERO;
    for id in ids {
        total = total.checked_add(pay_unbonding(state, id)?)?;
    }
    ctx.emit(Event::UnbondedClaimed {
        delegator: ctx.signer,
        amount: total,
    });
    Ok(total)
}

/// Ids of `delegator`'s entries complete at `now`.
pub(crate) fn claimable_unbondings(state: &State, delegator: Address, now: Timestamp) -> Vec<u64> {
    state
        .range::<DelegatorUnbondings, _>((delegator, 0u64)..)
        .take_while(|((d, _), _)| *d == delegator)
        .filter(|((_, id), _)| {
            state
                .get::<Unbondings>(id)
                .is_some_and(|u| u.completes_at <= now)
        })
        .map(|((_, id), _)| *id)
        .collect()
}

/// Pays one completed entry to its delegator and removes it.
pub fn pay_unbonding(state: &mut State, id: u64) -> Result<Amount> {
    let u = state
        .delete::<Unbondings>(&id)
        .ok_or_else(|| Error::invalid("unbonding", format!("no entry {id}")))?;
    state.delete::<DelegatorUnbondings>(&(u.delegator, id));
    let merge_key = (u.delegator, u.validator, u.completes_at);
    if state.get::<ModuleUnbondings>(&merge_key) == Some(&id) {
        state.delete::<ModuleUnbondings>(&merge_key);
    }
    let value = unbonding_value(state, id, &u)?;
    bank::transfer(
        state,
        module::base_unbonding(),
        u.delegator,
        AssetId::NATIVE,
        value,
    )?;
    Ok(value)
}

/// `redelegate_base {from, to, shares | amount}`: moves free shares at once; the moved stake stays
/// slashable for `from`'s infractions until `unbonding_period_s` passes and cannot hop again until
/// then.
pub fn redelegate_base(
    state: &mut State,
    ctx: &mut Ctx,
    from: Address,
    to: Address,
    amount: BaseAmount,
) -> Result<u128> {
    let delegator = ctx.signer;
    let d = load(state, delegator, from)?;
    let shares = amount.shares(validator(state, from)?, d.shares, &delegator)?;
    let value = validator(state, from)?.value_of(shares)?;
    let minted = redelegate_shares(state, delegator, from, to, shares, ctx.height, ctx.now)?;
    let matures_at = ctx.now.checked_add(state.params().unbonding_period_s)?;
    ctx.emit(Event::BaseRedelegated {
        delegator,
        from,
        to,
        amount: value,
        slashable_by_source_until: matures_at,
    });
    Ok(minted)
}

/// Moves `shares` free shares of `delegator` from one validator to another; returns the
/// destination shares, locked until the source can no longer reach them.
pub fn redelegate_shares(
    state: &mut State,
    delegator: Address,
    from: Address,
    to: Address,
    shares: u128,
    height: Height,
    now: Timestamp,
) -> Result<u128> {
    if from == to {
        return Err(Error::invalid("to", "is the same validator"));
    }
    let mut vt = validator(state, to)?.clone();
    usable(&vt, &to)?;
    let mut source = load(state, delegator, from)?;
    let mut vf = validator(state, from)?.clone();
    let value = vf.value_of(shares)?;
    let minted = vt.shares_for(value)?;
    if minted == 0 {
        return Err(Error::invalid("shares", "too little to move"));
    }
    source.shares = source
        .shares
        .checked_sub(shares)
        .ok_or(MathError::Underflow)?;
    vf.shares = vf.shares.checked_sub(shares).ok_or(MathError::Underflow)?;
    vf.bonded = vf.bonded.checked_sub(value)?;
    vt.shares = vt.shares.checked_add(minted).ok_or(MathError::Overflow)?;
    vt.bonded = vt.bonded.checked_add(value)?;
    put_validator(state, from, vf);
    put_validator(state, to, vt);
    store(state, delegator, from, source);
    let id = next_id(state, IdKind::Redelegation)?;
    let matures_at = now.checked_add(state.params().unbonding_period_s)?;
    let mut target = load(state, delegator, to)?;
    let max = state.params().max_redelegations_per_position;
    if target.locked.len() >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_redelegations_per_position",
            max: u64::from(max),
        });
    }
    target.locked.push(RedelegationLock {
        id,
        from,
        shares: minted,
        created_height: height,
        matures_at,
    });
    store(state, delegator, to, target);
    let last = state
        .range::<RedelegationCumulative, _>(
            (from, to, Height::new(0), 0u64)..=(from, to, Height::new(u64::MAX), u64::MAX),
        )
        .next_back()
        .map_or(0, |(_, c)| *c);
    state.put::<RedelegationCumulative>(
        (from, to, height, id),
        last.checked_add(minted).ok_or(MathError::Overflow)?,
    );
    state.put::<RedelegationTargets>((from, to), ());
    Ok(minted)
}

/// Rewards a delegation has earned since it opened, by source: net and commission.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Earnings {
    /// Net of commission, per source.
    pub net: [Amount; 4],
    /// Commission charged, per source.
    pub commission: [Amount; 4],
}

/// What a delegation has earned since it opened (realized plus accrued), by source.
pub fn delegation_earnings(
    state: &State,
    delegator: Address,
    validator_addr: Address,
) -> Result<Earnings> {
    let Some(mut d) = settled_delegation(state, delegator, validator_addr)? else {
        return Ok(Earnings::default());
    };
    let v = validator(state, validator_addr)?;
    let net = v.sources.clone().map(|t| t.net_per_share);
    let commission = v.sources.clone().map(|t| t.commission_per_share);
    realize_to(&mut d, &net, &commission)?;
    Ok(Earnings {
        net: d.earned_net,
        commission: d.earned_commission,
    })
}

/// Moves `shares` free shares of `staker` at `validator` to the native-restaking module (which
/// then holds them on the staker's behalf). Returns the shares locked.
pub fn lock_native_shares(
    state: &mut State,
    staker: Address,
    validator_addr: Address,
    amount: BaseAmount,
) -> Result<u128> {
    let mut d = load(state, staker, validator_addr)?;
    let v = validator(state, validator_addr)?.clone();
    usable(&v, &validator_addr)?;
    let shares = amount.shares(&v, d.shares, &staker)?;
    d.shares = d.shares.checked_sub(shares).ok_or(MathError::Underflow)?;
    store(state, staker, validator_addr, d);
    let mut m = load(state, module::native_restaking(), validator_addr)?;
    m.shares = m.shares.checked_add(shares).ok_or(MathError::Overflow)?;
    store(state, module::native_restaking(), validator_addr, m);
    Ok(shares)
}

/// Returns `shares` validator shares held by the native-restaking module to `staker`'s free
/// shares.
pub fn unlock_native_shares(
    state: &mut State,
    staker: Address,
    validator_addr: Address,
    shares: u128,
) -> Result<()> {
    let mut m = load(state, module::native_restaking(), validator_addr)?;
    m.shares = m.shares.checked_sub(shares).ok_or(MathError::Underflow)?;
    store(state, module::native_restaking(), validator_addr, m);
    let mut d = load(state, staker, validator_addr)?;
    d.shares = d.shares.checked_add(shares).ok_or(MathError::Overflow)?;
    store(state, staker, validator_addr, d);
    Ok(())
}

/// A restaking slash of native stake: burns `shares` of the native-restaking module's shares at
/// the term's validator, removing their RAM from the pool. Returns the RAM, which stays in the
/// base-bonded account for the caller to move to the slash escrow.
pub fn burn_native_shares(
    state: &mut State,
    term: AssetId,
    shares: crate::num::Shares,
) -> Result<Amount> {
    let validator_addr = validator_by_index(state, term.0 & !crate::ids::NATIVE_TERM_BASE)?;
    let mut v = validator(state, validator_addr)?.clone();
    let value = v.value_of(shares.get())?;
    v.shares = v
        .shares
        .checked_sub(shares.get())
        .ok_or(MathError::Underflow)?;
    v.bonded = v.bonded.checked_sub(value)?;
    put_validator(state, validator_addr, v);
    let mut m = load(state, module::native_restaking(), validator_addr)?;
    m.shares = m
        .shares
        .checked_sub(shares.get())
        .ok_or(MathError::Underflow)?;
    store(state, module::native_restaking(), validator_addr, m);
    Ok(value)
}
