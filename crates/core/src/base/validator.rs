//! Validators (§4.1): creation, commission with rate-limited changes, jail release, the active set
//! chosen at each epoch boundary, activation of pending bonds, and the proposer of each block.

use super::{Activation, Uptime, Validator, ValidatorStatus, validator};
use crate::base::{
    Activations, ActiveSet, CommissionChanges, ValidatorIndexes, ValidatorPower, Validators,
};
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, fmt_address};
use crate::num::{Amount, Bps, MathError};
use crate::state::State;
use crate::time::{Epoch, Height};
use alloy_primitives::{U256, keccak256};

/// `create_validator {commission_bps, self_bond}`, signed by the validator's account; the self
/// bond is delegated like any other bond.
pub fn create_validator(
    state: &mut State,
    ctx: &mut Ctx,
    commission: Bps,
    self_bond: Amount,
) -> Result<()> {
    let addr = ctx.signer;
    let min = state.params().min_self_bond;
    if self_bond < min {
        return Err(Error::invalid(
            "self_bond",
            format!(
                "{self_bond} is below min_self_bond ({min}): a validator bonds at least that much of its own"
            ),
        ));
    }
    insert_validator(state, addr, commission, ctx.now)?;
    super::delegation::bond(state, addr, addr, self_bond)?;
    ctx.emit(Event::ValidatorCreated {
        validator: addr,
        commission,
        self_bond,
    });
    Ok(())
}

/// A genesis validator: registered with `self_bond` minted straight into its pool.
pub fn genesis_validator(
    state: &mut State,
    addr: Address,
    self_bond: Amount,
    commission: Bps,
    now: crate::time::Timestamp,
) -> Result<()> {
    insert_validator(state, addr, commission, now)?;
    let mut v = validator(state, addr)?.clone();
    v.shares = self_bond.get();
    v.bonded = self_bond;
    super::store_validator(state, addr, v);
    crate::bank::mint(
        state,
        &mut Vec::new(),
        crate::ids::module::base_bonded(),
        crate::ids::AssetId::NATIVE,
        self_bond,
    )?;
    let d = super::BaseDelegation {
        shares: self_bond.get(),
        since: now,
        rate_at_since: U256::from(super::INDEX_SCALE),
        ..super::BaseDelegation::default()
    };
    state.put::<crate::base::BaseDelegations>((addr, addr), d);
    Ok(())
}

/// Registers a validator with no stake (genesis and `create_validator`).
pub(crate) fn insert_validator(
    state: &mut State,
    addr: Address,
    commission: Bps,
    now: crate::time::Timestamp,
) -> Result<()> {
    if state.contains::<Validators>(&addr) {
        return Err(Error::ValidatorExists(fmt_address(&addr)));
    }
    let max = state.params().commission_max_bps;
    if commission > max {
        return Err(Error::CommissionChange(format!(
            "{commission} is above commission_max_bps ({max})"
        )));
    }
    let index = u32::try_from(crate::state::meta::next_id(
        state,
        crate::state::meta::IdKind::Validator,
    )?)
    .ok()
    .filter(|i| *i < crate::ids::NATIVE_TERM_BASE)
    .ok_or(Error::LimitExceeded {
        limit: "validators",
        max: u64::from(crate::ids::NATIVE_TERM_BASE),
    })?;
    let v = Validator {
        index,
        commission,
        pending_commission: None,
        last_commission_change: None,
        status: ValidatorStatus::Pending,
        shares: 0,
        bonded: Amount::ZERO,
        pending_bonded: Amount::ZERO,
        uptime: Uptime::default(),
        sources: Default::default(),
        double_sign: None,
        created_at: now,
    };
    super::store_validator(state, addr, v);
    state.put::<ValidatorIndexes>(index, addr);
    Ok(())
}

/// `set_validator_commission {commission_bps}`: at most one change per epoch, by at most
/// `commission_max_change_bps`, never above `commission_max_bps`; applies from the next epoch.
pub fn set_validator_commission(
    state: &mut State,
    ctx: &mut Ctx,
    commission: Bps,
) -> Result<Epoch> {
    let addr = ctx.signer;
    let mut v = validator(state, addr)?.clone();
    let p = state.params();
    let epoch = state.meta().epoch;
    if v.last_commission_change == Some(epoch) {
        return Err(Error::CommissionChange("one change per epoch".into()));
    }
    if commission > p.commission_max_bps {
        return Err(Error::CommissionChange(format!(
            "{commission} is above commission_max_bps ({})",
            p.commission_max_bps
        )));
    }
    let step = commission.get().abs_diff(v.commission.get());
    if step > p.commission_max_change_bps.get() {
        return Err(Error::CommissionChange(format!(
            "a change of {step} bps is above commission_max_change_bps ({})",
            p.commission_max_change_bps
        )));
    }
    let from = epoch.next()?;
    if let Some((_, old)) = v.pending_commission {
        state.delete::<CommissionChanges>(&(old, addr));
    }
    v.pending_commission = Some((commission, from));
    v.last_commission_change = Some(epoch);
    super::store_validator(state, addr, v);
    state.put::<CommissionChanges>((from, addr), ());
    ctx.emit(Event::CommissionScheduled {
        validator: addr,
        commission,
        from_epoch: from,
    });
    Ok(from)
}

/// `unjail {}`, signed by a jailed validator once its jail period is over.
pub fn unjail(state: &mut State, ctx: &mut Ctx) -> Result<()> {
    let addr = ctx.signer;
    let mut v = validator(state, addr)?.clone();
    match v.status {
        ValidatorStatus::Jailed { until } if until <= ctx.now => {
            v.status = ValidatorStatus::Pending;
            v.uptime = Uptime::default();
            super::store_validator(state, addr, v);
            ctx.emit(Event::ValidatorUnjailed { validator: addr });
            Ok(())
        }
        ValidatorStatus::Jailed { until } => Err(Error::ValidatorUnavailable {
            validator: fmt_address(&addr),
            status: if until > ctx.now {
                "jailed until later"
            } else {
                "jailed"
            },
        }),
        other => Err(Error::ValidatorUnavailable {
            validator: fmt_address(&addr),
            status: other.name(),
        }),
    }
}

/// At the boundary that starts `epoch`: pending bonds of `epoch` join their pools at the current
/// rate, and commission changes for `epoch` apply. O(validators with a bond or a change due).
pub fn activate_epoch(state: &mut State, epoch: Epoch) -> HookResult {
    let due: Vec<Address> = state
        .range::<Activations, _>((epoch, Address::ZERO)..)
        .take_while(|((e, _), _)| *e == epoch)
        .map(|((_, v), _)| *v)
        .collect();
    for addr in due {
        let mut act: Activation = state
            .get::<Activations>(&(epoch, addr))
            .cloned()
            .unwrap_or_default();
        let mut v = validator(state, addr)
            .or_broken("a pending bond's validator")?
            .clone();
        let minted = v.shares_for(act.amount)?;
        v.shares = v.shares.checked_add(minted).ok_or(MathError::Overflow)?;
        v.bonded = v.bonded.checked_add(act.amount)?;
        v.pending_bonded = v.pending_bonded.checked_sub(act.amount)?;
        act.shares = Some(minted);
        act.net_index = v.sources.clone().map(|t| t.net_per_share);
        act.commission_index = v.sources.clone().map(|t| t.commission_per_share);
        state.put::<Activations>((epoch, addr), act);
        super::store_validator(state, addr, v);
    }
    let changing: Vec<Address> = state
        .range::<CommissionChanges, _>((epoch, Address::ZERO)..=(epoch, Address::repeat_byte(0xff)))
        .map(|((_, a), ())| *a)
        .collect();
    for addr in changing {
        state.delete::<CommissionChanges>(&(epoch, addr));
        let mut v = validator(state, addr)
            .or_broken("a commission change's validator")?
            .clone();
        if let Some((c, _)) = v.pending_commission.filter(|(_, e)| *e <= epoch) {
            v.commission = c;
            v.pending_commission = None;
            super::store_validator(state, addr, v);
        }
    }
    Ok(())
}

/// Chooses the active set for the epoch starting now: the top `max_validators` by bonded stake
/// (ties: lower address) among validators neither jailed nor tombstoned whose own stake is at
/// least `min_self_bond`. Reads the stake index from the top and the previous set, never every
/// registered validator: O(active set · log n), plus the candidates it passes over for too small
/// a self bond (each of which holds more stake than the last validator chosen).
pub fn select_active_set(state: &mut State, events: &mut Vec<Event>) -> HookResult {
    let (max, min_self, bft) = {
        let p = state.params();
        (
            p.max_validators as usize,
            p.min_self_bond,
            p.consensus_epoch_blocks > 0,
        )
    };
    let mut chosen = std::collections::BTreeSet::new();
    for ((_, addr), ()) in state.iter::<ValidatorPower>() {
        if chosen.len() >= max {
            break;
        }
        let v = validator(state, *addr).or_broken("an indexed validator")?;
        // Under BFT consensus a seat needs a consensus key (docs/consensus.md).
        let keyed = !bft || state.get::<crate::base::ConsensusKeys>(addr).is_some();
        if keyed && self_bond(state, *addr, v)? >= min_self {
            chosen.insert(*addr);
        }
    }
    for addr in super::active_set(state) {
        if !chosen.contains(&addr) {
            let mut v = validator(state, addr)
                .or_broken("an active validator")?
                .clone();
            v.status = ValidatorStatus::Pending;
            v.uptime.missed_in_epoch = 0;
            super::store_validator(state, addr, v);
            events.push(Event::ValidatorStatusChanged {
                validator: addr,
                status: ValidatorStatus::Pending.name(),
            });
        }
    }
    for addr in chosen {
        let mut v = validator(state, addr)
            .or_broken("a chosen validator")?
            .clone();
        if v.status != ValidatorStatus::Active {
            events.push(Event::ValidatorStatusChanged {
                validator: addr,
                status: ValidatorStatus::Active.name(),
            });
        }
        v.status = ValidatorStatus::Active;
        v.uptime.missed_in_epoch = 0;
        super::store_validator(state, addr, v);
    }
    Ok(())
}

/// RAM the validator's own account has bonded with it (active shares only).
fn self_bond(state: &State, addr: Address, v: &Validator) -> HookResult<Amount> {
    let shares = state
        .get::<crate::base::BaseDelegations>(&(addr, addr))
        .map_or(0, |d| d.shares);
    let activated = super::delegation::settled_delegation(state, addr, addr)
        .or_broken("the validator's own delegation")?
        .map_or(shares, |d| d.shares);
    Ok(v.value_of(activated)?)
}

/// The proposer of the block at `height`: an active validator chosen with probability
/// proportional to bonded stake, from a hash of the height (deterministic, no randomness).
pub fn proposer_for(state: &State, height: Height) -> Option<Address> {
    let (active, bonded): (Vec<Address>, Vec<Amount>) = state
        .iter::<ActiveSet>()
        .filter_map(|(a, ())| state.get::<Validators>(a).map(|v| (*a, v.bonded)))
        .unzip();
    let i = stake_draw(&bonded, keccak256(height.get().to_be_bytes()).0)?;
    active.get(i).copied()
}

/// The index `seed` draws from `weights` in proportion to them: the first i with
/// `seed mod Σw < w₀ + … + wᵢ` (a zero weight is never drawn); `None` if every weight is zero.
/// Block proposers (single producer) and consensus leaders are both drawn this way.
pub fn stake_draw(weights: &[Amount], seed: [u8; 32]) -> Option<usize> {
    let total = weights
        .iter()
        .fold(U256::ZERO, |t, w| t.saturating_add(U256::from(w.get())));
    let draw = U256::from_be_bytes(seed).checked_rem(total)?;
    let mut cumulative = U256::ZERO;
    weights.iter().position(|w| {
        cumulative = cumulative.saturating_add(U256::from(w.get()));
        draw < cumulative
    })
}
