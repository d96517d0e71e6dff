//! The vault's conversions, each rounding in the vault's favour (the direction is in the name).
//!
//! `A` is the vault's value (assets), `T` its units: LRT supply plus LRT burned by pending
//! requests (still exposed). One unit is worth `A / T`.
//!
//! | conversion | rounding | who it favours |
//! |---|---|---|
//! | LRT minted for a deposit `floor(x · T / A)` | floor | holders (the depositor gets ≤ its share) |
//! | assets paid for LRT `floor(l · A / T)` | floor | holders (the leaver gets ≤ its share) |
//! | fees `ceil(x · bps)` | ceil | the fee payee, never the payer |
//! | LRT minted for a management fee `floor(f · T / (A − f))` | floor | holders |
//! | unvested rewards `ceil(v · left / period)` | ceil | value is never ahead of vesting |
//! | buffer target `ceil(A · bps)` | ceil | liquidity |
//! | per-operator cap `floor(A · bps)` | floor | diversification |

use crate::num::{Amount, BPS_DENOMINATOR, Bps, MathError, WAD, mul_div_ceil, mul_div_floor};
use crate::time::{Duration, Timestamp};

/// LRT minted for `net` assets deposited: `floor(net · T / A)`.
pub fn lrt_for_assets_floor(
    net: Amount,
    assets: Amount,
    units: Amount,
) -> Result<Amount, MathError> {
    mul_div_floor(net.get(), units.get(), assets.get()).map(Amount::new)
}

/// Assets `lrt` is worth: `floor(lrt · A / T)`.
pub fn assets_for_lrt_floor(
    lrt: Amount,
    assets: Amount,
    units: Amount,
) -> Result<Amount, MathError> {
    mul_div_floor(lrt.get(), assets.get(), units.get()).map(Amount::new)
}

/// Assets per LRT, × 1e18: `floor(A · WAD / T)`.
pub fn rate_wad_floor(assets: Amount, units: Amount) -> Result<u128, MathError> {
    mul_div_floor(assets.get(), WAD, units.get())
}

/// LRT that carry `fee` of value at the rate after minting them: `floor(f · T / (A − f))`.
pub fn fee_lrt_floor(fee: Amount, assets: Amount, units: Amount) -> Result<Amount, MathError> {
    let rest = assets.checked_sub(fee)?;
    mul_div_floor(fee.get(), units.get(), rest.get()).map(Amount::new)
}

/// `ceil(x · bps / 10_000)`.
pub fn fee_ceil(x: Amount, bps: Bps) -> Result<Amount, MathError> {
    bps.fee_ceil(x)
}

/// Management fee for holding `assets` over `elapsed` at `bps` per year:
/// `ceil(A · bps · elapsed / (10_000 · year))`.
pub fn management_fee_ceil(
    assets: Amount,
    bps: Bps,
    elapsed: Duration,
) -> Result<Amount, MathError> {
    let per_year = mul_div_ceil(assets.get(), u128::from(bps.get()), BPS_DENOMINATOR)?;
    mul_div_ceil(
        per_year,
        u128::from(elapsed.get()),
        u128::from(Duration::YEAR.get()),
    )
    .map(Amount::new)
}

/// Of `amount` vesting linearly over `[from, until]`, what is still unvested at `now`:
/// `ceil(amount · (until − now) / (until − from))`.
pub fn unvested_ceil(
    amount: Amount,
    from: Timestamp,
    until: Timestamp,
    now: Timestamp,
) -> Result<Amount, MathError> {
    if now >= until || amount.is_zero() {
        return Ok(Amount::ZERO);
    }
    let left = until.saturating_since(now.max(from)).get();
    let period = until.saturating_since(from).get();
    mul_div_ceil(amount.get(), u128::from(left), u128::from(period)).map(Amount::new)
}

/// The buffer target: `ceil(A · bps / 10_000)`.
pub fn buffer_target_ceil(assets: Amount, bps: Bps) -> Result<Amount, MathError> {
    bps.fee_ceil(assets)
}

/// The most one operator may hold: `floor(A · bps / 10_000)`.
pub fn operator_cap_floor(assets: Amount, bps: Bps) -> Result<Amount, MathError> {
    bps.of_floor(assets)
}

/// How far a fee may rise in one step: `max(floor(from / 4), 10)` bps above `from`.
pub fn max_fee_after_rise(from: Bps) -> Bps {
    let step = (from.get() / 4).max(10);
    Bps::new(from.get().saturating_add(step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use proptest::prelude::*;

    #[test]
    fn a_fresh_vault_mints_one_lrt_per_asset() {
        let seed = Amount::new(1_000_000);
        assert_eq!(
            lrt_for_assets_floor(Amount::new(40), seed, seed).unwrap(),
            Amount::new(40)
        );
        assert_eq!(rate_wad_floor(seed, seed).unwrap(), WAD);
    }

    #[test]
    fn fees_may_rise_by_a_quarter_or_ten_bps() {
        assert_eq!(max_fee_after_rise(Bps::ZERO), Bps::new(10));
        assert_eq!(max_fee_after_rise(Bps::new(20)), Bps::new(30));
        assert_eq!(max_fee_after_rise(Bps::new(400)), Bps::new(500));
        assert_eq!(max_fee_after_rise(Bps::new(1_000)), Bps::new(1_250));
    }

    #[test]
    fn a_year_of_management_fee_is_its_rate() {
        let fee = management_fee_ceil(Amount::new(1_000_000), Bps::new(200), Duration::YEAR);
        assert_eq!(fee, Ok(Amount::new(20_000)));
    }

    #[test]
    fn vesting_releases_linearly_and_rounds_the_unvested_part_up() {
        let (from, until) = (Timestamp::new(100), Timestamp::new(200));
        let v = |t| unvested_ceil(Amount::new(10), from, until, Timestamp::new(t)).unwrap();
        assert_eq!(v(100), Amount::new(10));
        assert_eq!(v(155), Amount::new(5));
        assert_eq!(v(191), Amount::new(1));
        assert_eq!(v(200), Amount::ZERO);
    }

    proptest! {
        #[test]
        fn deposit_then_exit_never_returns_more_than_was_put_in(
            assets in 1u128..1u128 << 100, units in 1u128..1u128 << 100, net in 1u128..1u128 << 100,
        ) {
            let (a, t, x) = (Amount::new(assets), Amount::new(units), Amount::new(net));
            let minted = lrt_for_assets_floor(x, a, t).unwrap();
            let back = assets_for_lrt_floor(
                minted,
                Amount::new(assets + net),
                Amount::new(units + minted.get()),
            ).unwrap();
            prop_assert!(back <= x);
        }

        #[test]
        fn deposits_and_exits_never_lower_the_rate_for_holders(
            assets in 1u128..1u128 << 90, units in 1u128..1u128 << 90, x in 1u128..1u128 << 90,
        ) {
            // rate = A / T; compare cross-multiplied in 256 bits.
            let w = |v: u128| U256::from(v);
            let minted = lrt_for_assets_floor(Amount::new(x), Amount::new(assets), Amount::new(units))
                .unwrap().get();
            let (a2, t2) = (assets + x, units + minted);
            prop_assert!(w(a2) * w(units) >= w(assets) * w(t2));
            let paid = assets_for_lrt_floor(Amount::new(minted), Amount::new(a2), Amount::new(t2))
                .unwrap().get();
            let (a3, t3) = (a2 - paid, t2 - minted);
            prop_assert!(w(a3) * w(t2) >= w(a2) * w(t3));
        }

        #[test]
        fn a_management_fee_mint_carries_at_most_the_fee(
            assets in 2u128..1u128 << 90, units in 1u128..1u128 << 90, fee_part in 1u128..1_000_000,
        ) {
            let fee = (assets / 2).min(fee_part).max(1);
            let minted = fee_lrt_floor(Amount::new(fee), Amount::new(assets), Amount::new(units))
                .unwrap().get();
            // The curator's new LRT are worth at most the fee at the rate after minting.
            let worth = assets_for_lrt_floor(Amount::new(minted), Amount::new(assets), Amount::new(units + minted))
                .unwrap().get();
            prop_assert!(worth <= fee);
        }

        #[test]
        fn unvested_never_grows_with_time(
            amount in 0u128..1u128 << 100, from in 0u64..1_000, len in 1u64..10_000, a in 0u64..12_000, b in 0u64..12_000,
        ) {
            let (from, until) = (Timestamp::new(from), Timestamp::new(from + len));
            let (early, late) = (a.min(b), a.max(b));
            let u1 = unvested_ceil(Amount::new(amount), from, until, Timestamp::new(early)).unwrap();
            let u2 = unvested_ceil(Amount::new(amount), from, until, Timestamp::new(late)).unwrap();
            prop_assert!(u2 <= u1);
            prop_assert!(u1.get() <= amount);
        }
    }
}
