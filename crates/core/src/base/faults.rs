//! Uptime, jailing and base slashing (§4.3, §4.4): what consensus reports about validators.
//!
//! Each block, consensus reports the active validators that did not sign it; blocks a simulator
//! elides count as signed by all. Missing more than `downtime_max_missed_bps` of the last
//! `downtime_window_blocks` jails the validator for `jail_period_s` and slashes
//! `downtime_slash_bps` of its pool. Double-sign evidence slashes `double_sign_slash_bps` of the
//! stake bonded at the infraction — the pool, and unbonding entries and redelegations created at or
//! after the infraction height — burns it, and tombstones the validator.

use super::{DoubleSign, Uptime, ValidatorStatus, validator};
use crate::bank;
use crate::base::{RedelegationCumulative, RedelegationTargets, UnbondCumulative};
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, BPS_DENOMINATOR, Bps, MathError, mul_div_ceil, mul_div_floor};
use crate::state::State;
use crate::time::{Height, Timestamp};
use serde::{Deserialize, Serialize};

/// A fault reported by consensus (or injected by a scenario's `fault` step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Two conflicting votes at `height` (default: the current block).
    DoubleSign {
        /// The validator.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        /// Height of the infraction.
        #[serde(default)]
        height: Option<Height>,
    },
    /// The validator missed the last `blocks` blocks.
    Downtime {
        /// The validator.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        /// Consecutive blocks missed, ending now.
        blocks: u64,
    },
}

fn window_size(state: &State) -> u64 {
    state.params().downtime_window_blocks.max(1)
}

impl Uptime {
    /// Makes the bitmap fit `window` blocks, resetting it if the window changed.
    fn fit(&mut self, window: u64) {
        // `window` is at most `downtime_window_blocks`' upper bound (10,000): it fits usize.
        let words = usize::try_from(window.div_ceil(64)).unwrap_or(usize::MAX);
        if self.bits.len() != words {
            *self = Uptime {
                missed_in_epoch: self.missed_in_epoch,
                ..Uptime::default()
            };
            self.bits = vec![0; words];
        }
    }

    fn push(&mut self, missed: bool, window: u64) {
        self.fit(window);
        let pos = self.recorded.checked_rem(window).unwrap_or(0);
        // pos < window, so pos / 64 < bits.len() (a usize) and b < 64.
        let (w, b) = (usize::try_from(pos / 64).unwrap_or(0), pos % 64);
        if self.bits[w] >> b & 1 == 1 {
            self.missed = self.missed.saturating_sub(1);
        }
        if missed {
            self.bits[w] |= 1 << b;
            // Counters of blocks: u64 is out of reach (2^64 blocks).
            self.missed = self.missed.saturating_add(1);
            self.missed_in_epoch = self.missed_in_epoch.saturating_add(1);
        } else {
            self.bits[w] &= !(1 << b);
        }
        self.recorded = self.recorded.saturating_add(1);
    }

    /// Records `n` consecutive blocks, all signed or all missed: O(min(n, window)).
    fn run(&mut self, n: u64, missed: bool, window: u64) {
        self.fit(window);
        if n < window {
            (0..n).for_each(|_| self.push(missed, window));
            return;
        }
        // The whole window is overwritten.
        let fill = if missed { u64::MAX } else { 0 };
        self.bits.iter_mut().for_each(|w| *w = fill);
        self.missed = if missed { window } else { 0 };
        if missed {
            self.missed_in_epoch = self.missed_in_epoch.saturating_add(n);
        }
        self.recorded = self.recorded.saturating_add(n);
    }
}

/// Records a block: `elided` blocks signed by every active validator, then one block that the
/// validators in `missed` did not sign. Jails those over the limit. O(active set).
pub fn record_signatures(
    state: &mut State,
    events: &mut Vec<Event>,
    elided: u64,
    missed: &[Address],
    now: Timestamp,
) -> HookResult {
    let window = window_size(state);
    for addr in super::active_set(state) {
        let mut v = validator(state, addr)
            .or_broken("an active validator")?
            .clone();
        v.uptime.run(elided, false, window);
        v.uptime.push(missed.contains(&addr), window);
        super::store_validator(state, addr, v);
        check_downtime(state, events, addr, now)?;
    }
    Ok(())
}

/// A double sign that tombstoned a validator: what the app layer passes on to the holders of
/// stake it reached beyond the validator's own pool (the liquid staking pool's unbonding entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoubleSignReach {
    /// The tombstoned validator (its [`DoubleSign`] record says what was reached).
    pub validator: Address,
}

/// Applies a fault. A double sign that slashed (the first against its validator) returns its
/// reach. Not atomic on its own: [`crate::block::apply_fault`] wraps it.
pub fn apply_fault(
    state: &mut State,
    events: &mut Vec<Event>,
    fault: &Fault,
    height: Height,
    now: Timestamp,
) -> Result<Option<DoubleSignReach>> {
    match fault {
        Fault::Downtime {
            validator: addr,
            blocks,
        } => {
            let mut v = validator(state, *addr)?.clone();
            if v.status != ValidatorStatus::Active {
                return Err(Error::ValidatorUnavailable {
                    validator: crate::ids::fmt_address(addr),
                    status: v.status.name(),
                });
            }
            v.uptime.run(*blocks, true, window_size(state));
            super::store_validator(state, *addr, v);
            check_downtime(state, events, *addr, now)?;
            Ok(None)
        }
        Fault::DoubleSign {
            validator: addr,
            height: at,
        } => double_sign(state, events, *addr, at.unwrap_or(height), height),
    }
}

fn check_downtime(
    state: &mut State,
    events: &mut Vec<Event>,
    addr: Address,
    now: Timestamp,
) -> HookResult {
    let p = state.params();
    let window = window_size(state);
    let limit = mul_div_floor(
        u128::from(window),
        u128::from(p.downtime_max_missed_bps.get()),
        BPS_DENOMINATOR,
    )?;
    let (jail_period, bps) = (p.jail_period_s, p.downtime_slash_bps);
    let mut v = validator(state, addr)
        .or_broken("a validator with uptime")?
        .clone();
    if u128::from(v.uptime.missed) <= limit || v.status != ValidatorStatus::Active {
        return Ok(());
    }
    let burned = slash_pool(state, &mut v, bps)?;
    v.status = ValidatorStatus::Jailed {
        until: now.checked_add(jail_period)?,
    };
    v.uptime = Uptime {
        missed_in_epoch: v.uptime.missed_in_epoch,
        ..Uptime::default()
    };
    super::store_validator(state, addr, v);
    events.push(Event::BaseSlashed {
        validator: addr,
        fault: "downtime",
        pool: burned,
        unbonding: Amount::ZERO,
        redelegations: Amount::ZERO,
    });
    events.push(Event::ValidatorStatusChanged {
        validator: addr,
        status: "jailed",
    });
    Ok(())
}

/// Burns `ceil(bonded · bps)` of a pool; returns it.
fn slash_pool(state: &mut State, v: &mut super::Validator, bps: Bps) -> HookResult<Amount> {
    let burned = Amount::new(
        mul_div_ceil(v.bonded.get(), u128::from(bps.get()), BPS_DENOMINATOR)?.min(v.bonded.get()),
    );
    v.bonded = v.bonded.checked_sub(burned)?;
    bank::burn(
        state,
        &mut Vec::new(),
        module::base_bonded(),
        AssetId::NATIVE,
        burned,
    )
    .or_broken("burning from the bonded account")?;
    Ok(burned)
}

fn double_sign(
    state: &mut State,
    events: &mut Vec<Event>,
    addr: Address,
    infraction: Height,
    now_height: Height,
) -> Result<Option<DoubleSignReach>> {
    let mut v = validator(state, addr)?.clone();
    if v.status == ValidatorStatus::Tombstoned {
        // Tombstone cap: a validator is slashed once for a burst of double signs.
        return Ok(None);
    }
    let p = state.params();
    let window_blocks = p
        .unbonding_period_s
        .get()
        .checked_div(p.block_time_s.get())
        .unwrap_or(0);
    // Evidence must be younger than the unbonding period (strictly: stake that finished
    // unbonding in this very block has left).
    if infraction > now_height || now_height.get().saturating_sub(infraction.get()) >= window_blocks
    {
        return Err(Error::InvalidEvidence(format!(
            "infraction height {infraction} is not within the last {window_blocks} blocks"
        )));
    }
    let bps = p.double_sign_slash_bps;
    let pool = slash_pool(state, &mut v, bps)?;
    let unbonding = slash_unbondings(state, addr, infraction, bps)?;
    let redelegations = slash_redelegations(state, addr, infraction, bps)?;
    let meta = state.meta();
    v.double_sign = Some(DoubleSign {
        infraction_height: infraction,
        slashed_height: now_height,
        bps,
        unbonding_mark: meta.next_unbonding,
        redelegation_mark: meta.next_redelegation,
    });
    v.status = ValidatorStatus::Tombstoned;
    super::store_validator(state, addr, v);
    events.push(Event::BaseSlashed {
        validator: addr,
        fault: "double_sign",
        pool,
        unbonding,
        redelegations,
    });
    events.push(Event::ValidatorStatusChanged {
        validator: addr,
        status: "tombstoned",
    });
    Ok(Some(DoubleSignReach { validator: addr }))
}

/// Σ of a cumulative series from `infraction` on: last value − last value before it.
fn since_height<T: Copy + Into<u128>>(last: Option<T>, before: Option<T>) -> u128 {
    last.map_or(0, Into::into)
        .saturating_sub(before.map_or(0, Into::into))
}

fn slash_unbondings(
    state: &mut State,
    addr: Address,
    infraction: Height,
    bps: Bps,
) -> Result<Amount> {
    let series = (addr, Height::new(0), 0u64)..=(addr, Height::new(u64::MAX), u64::MAX);
    let last = state
        .range::<UnbondCumulative, _>(series)
        .next_back()
        .map(|(_, c)| c.get());
    let before = state
        .range::<UnbondCumulative, _>((addr, Height::new(0), 0u64)..(addr, infraction, 0u64))
        .next_back()
        .map(|(_, c)| c.get());
    let reached = since_height(last, before);
    let burned = Amount::new(mul_div_ceil(
        reached,
        u128::from(bps.get()),
        BPS_DENOMINATOR,
    )?);
    bank::burn(
        state,
        &mut Vec::new(),
        module::base_unbonding(),
        AssetId::NATIVE,
        burned,
    )?;
    Ok(burned)
}

fn slash_redelegations(
    state: &mut State,
    from: Address,
    infraction: Height,
    bps: Bps,
) -> Result<Amount> {
    let targets: Vec<Address> = state
        .range::<RedelegationTargets, _>((from, Address::ZERO)..)
        .take_while(|((f, _), _)| *f == from)
        .map(|((_, t), _)| *t)
        .collect();
    let mut total = Amount::ZERO;
    for to in targets {
        let last = state
            .range::<RedelegationCumulative, _>(
                (from, to, Height::new(0), 0u64)..=(from, to, Height::new(u64::MAX), u64::MAX),
            )
            .next_back()
            .map(|(_, c)| *c);
        let before = state
            .range::<RedelegationCumulative, _>(
                (from, to, Height::new(0), 0u64)..(from, to, infraction, 0u64),
            )
            .next_back()
            .map(|(_, c)| *c);
        let reached = since_height(last, before);
        if reached == 0 {
            continue;
        }
        let burn_shares = mul_div_ceil(reached, u128::from(bps.get()), BPS_DENOMINATOR)?;
        let mut vt = validator(state, to)?.clone();
        let burn_shares = burn_shares.min(vt.shares);
        let value = vt.value_of(burn_shares)?;
        vt.shares = vt
            .shares
            .checked_sub(burn_shares)
            .ok_or(MathError::Underflow)?;
        vt.bonded = vt
            .bonded
            .checked_sub(value)
            .map_err(|_| MathError::Underflow)?;
        super::store_validator(state, to, vt);
        bank::burn(
            state,
            &mut Vec::new(),
            module::base_bonded(),
            AssetId::NATIVE,
            value,
        )?;
        total = total.checked_add(value)?;
    }
    Ok(total)
}
