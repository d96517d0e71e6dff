//! Delegation positions and their value (§6.4).
//!
//! A staker may hold positions with several operators (split delegation). A position's direct
//! part is `scaled` shares of its operator's direct term: its value is
//! `floor(scaled · m / WAD)`, where `m` is the operator's current `max_magnitude`. Because new
//! stake is scaled in at the magnitude of its arrival, earlier slashes never touch it (this is
//! EigenLayer's deposit scaling factor, stored as the product `deposit_shares · dsf` so no
//! precision is lost to a second division).
//!
//! # Arithmetic
//!
//! `scaled = floor(real · WAD / m)` on the way in, `real = floor(scaled · m / WAD)` on the way
//! out: a round trip never creates value.

use super::strategy::{deposit_shares, insufficient_shares, set_deposit_shares};
use super::{Position, Term, Tranche};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, fmt_address};
use crate::num::{MathError, ShareAmount, Shares, WAD, Wad, mul_div_floor, mul_mul_div_floor};
use crate::restaking::{MagnitudeHistory, Positions, Terms};
use crate::state::State;
use crate::time::Timestamp;

/// `floor(real · WAD / m)`: real shares scaled into a term with magnitude `m`.
pub fn scale_in_floor(real: Shares, m: Wad) -> Result<u128, MathError> {
    mul_div_floor(real.get(), WAD, m.get())
}

/// `floor(scaled · m / WAD)`: the real shares `scaled` is worth at magnitude `m`.
pub fn scaled_value_floor(scaled: u128, m: Wad) -> Result<Shares, MathError> {
    mul_div_floor(scaled, m.get(), WAD).map(Shares::new)
}

/// `floor(x · m_from · m_to / WAD²)`: the real shares a bridge amount is worth.
pub fn bridge_value(x: u128, m_from: Wad, m_to: Wad) -> Result<Shares, MathError> {
    mul_mul_div_floor(x, m_from.get(), m_to.get(), WAD * WAD).map(Shares::new)
}

/// `floor(real · WAD² / (m_from · m_to))`: real shares scaled into a bridge; zero if either
/// magnitude is zero (nothing can be scaled into a fully slashed term).
pub(super) fn bridge_scale_in_floor(
    real: Shares,
    m_from: Wad,
    m_to: Wad,
) -> Result<u128, MathError> {
    if m_from.is_zero() || m_to.is_zero() {
        return Ok(0);
    }
    let step = mul_div_floor(real.get(), WAD, m_from.get())?;
    mul_div_floor(step, WAD, m_to.get())
}

/// The magnitude of (operator, strategy) after every slash strictly before `t` (`strategy` may
/// be a term strategy).
pub fn magnitude_at(state: &State, operator: Address, strategy: AssetId, t: Timestamp) -> Wad {
    let strategy = super::magnitude_key(strategy);
    state
        .range::<MagnitudeHistory, _>(
            (operator, strategy, Timestamp::new(0))..(operator, strategy, t),
        )
        .next_back()
        .map_or(Wad::ONE, |(_, m)| *m)
}

/// A matured tranche converted into its new operator's direct units: `(real, scaled)`, where
/// `real` is its value when the old operator's window closed and `scaled` its share of the new
/// operator's direct term.
pub fn tranche_conversion(
    state: &State,
    to: Address,
    strategy: AssetId,
    tranche: &Tranche,
) -> Result<(Shares, u128)> {
    let at = tranche.matures_at;
    let m_from = magnitude_at(state, tranche.from, strategy, at);
    let m_to = magnitude_at(state, to, strategy, at);
    convert_bridged(tranche.scaled, m_from, m_to)
}

/// Bridge units → (real shares, direct scaled units of the new operator), both floored.
pub(super) fn convert_bridged(x: u128, m_from: Wad, m_to: Wad) -> Result<(Shares, u128)> {
    let real = bridge_value(x, m_from, m_to)?;
    let scaled = if real.is_zero() {
        0
    } else {
        scale_in_floor(real, m_to)?
    };
    Ok((real, scaled))
}

/// The position with its rewards accrued to now and every tranche whose window has closed
/// folded into its direct part. Pure: reads use it to show what a write would store.
pub fn settled_position(
    state: &State,
    staker: Address,
    operator: Address,
    strategy: AssetId,
    now: Timestamp,
) -> Result<Option<Position>> {
    let Some(mut p) = state
        .get::<Positions>(&(staker, operator, strategy))
        .cloned()
    else {
        return Ok(None);
    };
    super::ledger::accrue_position(state, operator, strategy, &mut p, now)?;
    Ok(Some(p))
}

/// What a position is worth now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionValue {
    /// Deposit shares: direct plus redelegated.
    pub shares: Shares,
    /// Real strategy shares it could withdraw (direct and redelegated parts).
    pub withdrawable: Shares,
    /// Of `shares`, those redelegated here and still locked, with their value and release time.
    pub locked: Vec<(Shares, Shares, Address, Timestamp)>,
}

/// The value of a settled position of `operator` in `strategy`.
pub fn position_value(
    state: &State,
    operator: Address,
    strategy: AssetId,
    p: &Position,
) -> Result<PositionValue> {
    let m = super::max_magnitude(state, operator, strategy);
    let mut withdrawable = scaled_value_floor(p.scaled, m)?;
    let mut shares = p.shares;
    let mut locked = Vec::with_capacity(p.tranches.len());
    for t in &p.tranches {
        let m_from = super::max_magnitude(state, t.from, strategy);
        let value = bridge_value(t.scaled, m_from, m)?;
        withdrawable = withdrawable.checked_add(value)?;
        shares = shares.checked_add(t.shares)?;
        locked.push((t.shares, value, t.from, t.matures_at));
    }
    Ok(PositionValue {
        shares,
        withdrawable,
        locked,
    })
}

/// Loads a position for writing, settling matured tranches; a new one if absent, subject to
/// `max_positions_per_staker`.
pub(super) fn load_position(
    state: &State,
    staker: Address,
    operator: Address,
    strategy: AssetId,
    now: Timestamp,
) -> Result<Position> {
    if let Some(p) = settled_position(state, staker, operator, strategy, now)? {
        return Ok(p);
    }
    let held = state
        .range::<Positions, _>((staker, Address::ZERO, AssetId(0))..)
        .take_while(|((s, _, _), _)| *s == staker)
        .count();
    let max = state.params().max_positions_per_staker;
    if held >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_positions_per_staker",
            max: u64::from(max),
        });
    }
    let mut p = Position {
        since: now,
        pending_epoch: state.meta().epoch,
        ..Position::default()
    };
    // Checkpoint every existing reward index, so the new position earns only from now on.
    super::ledger::accrue_position(state, operator, strategy, &mut p, now)?;
    Ok(p)
}

/// Stores a position, removing it when nothing is left (no stake and no unclaimed rewards).
pub fn store_settled_position(
    state: &mut State,
    staker: Address,
    operator: Address,
    strategy: AssetId,
    p: Position,
) {
    let key = (staker, operator, strategy);
    let unclaimed = p.rewards.iter().any(|r| !r.claimable.is_zero());
    if p.shares.is_zero() && p.scaled == 0 && p.tranches.is_empty() && !unclaimed {
        state.delete::<Positions>(&key);
    } else {
        state.put::<Positions>(key, p);
    }
}

/// `delegate {operator, strategy, shares}`: moves the signer's deposit shares into a position
/// with `operator`. The stake is slashable by the operator's sets from now on.
pub fn delegate(
    state: &mut State,
    ctx: &mut Ctx,
    operator: Address,
    strategy_name: &str,
    validator: Option<Address>,
    amount: ShareAmount,
) -> Result<Shares> {
    let staker = ctx.signer;
    super::operator(state, operator)?;
    let strategy = super::resolve_term(state, strategy_name, validator)?;
    let available = deposit_shares(state, staker, strategy);
    let shares = amount.resolve(available);
    if shares.is_zero() {
        return Err(Error::invalid("shares", "nothing to delegate"));
    }
    if shares > available {
        return Err(insufficient_shares(staker, available, shares));
    }
    let m = super::max_magnitude(state, operator, strategy);
    if m.is_zero() {
        return Err(Error::FullySlashed {
            operator: fmt_address(&operator),
            strategy: strategy_name.to_owned(),
        });
    }
    let scaled = scale_in_floor(shares, m)?;
    let mut term: Term = super::term(state, operator, strategy);
    let mut position = load_position(state, staker, operator, strategy, ctx.now)?;
    position.shares = position.shares.checked_add(shares)?;
    position.scaled = position
        .scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    // New stake earns from the next epoch.
    position.pending_epoch = state.meta().epoch;
    position.pending_scaled = position
        .pending_scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    super::ledger::add_pending(state, super::ledger::direct(operator, strategy), scaled)?;
    term.position_scaled = term
        .position_scaled
        .checked_add(scaled)
        .ok_or(MathError::Overflow)?;
    term.shares = term.shares.checked_add(shares)?;
    state.put::<Terms>((operator, strategy), term);
    store_settled_position(state, staker, operator, strategy, position);
    set_deposit_shares(state, staker, strategy, available.checked_sub(shares)?);
    ctx.emit(Event::Delegated {
        staker,
        operator,
        strategy,
        shares,
    });
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deposit_after_a_slash_keeps_its_full_value_tv20() {
        // TV-20: 100e18 delegated at m = WAD, slashed to m = 0.5, then 50e18 more delegated.
        // EigenLayer's double `divWad` gives 99,999,999,999,999,999,900 (100 wei lost); storing
        // the product `deposit_shares · dsf` as one scaled integer keeps every wei.
        let e18 = 10u128.pow(18);
        let first = scale_in_floor(Shares::new(100 * e18), Wad::ONE).unwrap();
        let half = Wad::new(e18 / 2);
        assert_eq!(
            scaled_value_floor(first, half).unwrap(),
            Shares::new(50 * e18)
        );
        let second = scale_in_floor(Shares::new(50 * e18), half).unwrap();
        assert_eq!(
            scaled_value_floor(first + second, half).unwrap(),
            Shares::new(100 * e18)
        );
    }

    proptest! {
        #[test]
        fn scaling_in_and_out_never_creates_value(real in 0u128..1u128 << 100, m in 1u128..=WAD) {
            let m = Wad::new(m);
            let scaled = scale_in_floor(Shares::new(real), m).unwrap();
            prop_assert!(scaled_value_floor(scaled, m).unwrap().get() <= real);
        }

        #[test]
        fn scaling_loses_at_most_one_unit_per_round_trip(real in 0u128..1u128 << 100, m in 1u128..=WAD) {
            let m = Wad::new(m);
            let scaled = scale_in_floor(Shares::new(real), m).unwrap();
            prop_assert!(scaled_value_floor(scaled, m).unwrap().get() + 1 >= real);
        }

        #[test]
        fn bridging_never_creates_value(
            real in 0u128..1u128 << 100, a in 1u128..=WAD, b in 1u128..=WAD,
        ) {
            let (a, b) = (Wad::new(a), Wad::new(b));
            let x = bridge_scale_in_floor(Shares::new(real), a, b).unwrap();
            prop_assert!(bridge_value(x, a, b).unwrap().get() <= real);
            let (r, s) = convert_bridged(x, a, b).unwrap();
            prop_assert!(scaled_value_floor(s, b).unwrap() <= r);
        }

        #[test]
        fn a_lower_magnitude_never_raises_a_value(
            scaled in 0u128..1u128 << 100, m in 0u128..=WAD, cut in 0u128..=WAD,
        ) {
            let lower = m.saturating_sub(cut);
            prop_assert!(
                scaled_value_floor(scaled, Wad::new(lower)).unwrap()
                    <= scaled_value_floor(scaled, Wad::new(m)).unwrap()
            );
        }
    }
}
