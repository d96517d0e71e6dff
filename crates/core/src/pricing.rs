//! Cross-asset values in RAM (PROTOCOL.md §1): the one place that says what a price means.
//!
//! # The unit
//!
//! A governance price (`params.prices[symbol]`) is the RAM value of **one whole unit** of the
//! asset (`10^decimals` base units), as a WAD: `prices["rETH"] = 1.1e18` reads "1 rETH = 1.1
//! RAM", whatever the asset's decimals. An asset without a price counts one whole unit as one
//! RAM. The LST is valued at the pool's own rate (state, no oracle); RAM is RAM.
//!
//! Every caller — yields and exposures (insight), default reward-program multipliers, the live
//! risk graph — goes through [`base_unit_price`] or [`ram_value_floor`], so a 6-decimal asset is
//! valued the same everywhere (an earlier reading of the table as "WAD per base unit" would have
//! been off by 10¹² for it).
//!
//! # Bounds
//!
//! Prices are at most [`MAX_PRICE_WAD`] (checked when parameters are set), so a base-unit price
//! times a 128-bit amount always fits 256 bits.

use crate::bank;
use crate::error::Result;
use crate::ids::AssetId;
use crate::num::{Amount, MathError, WAD, mul_div_floor};
use crate::state::State;

/// The largest governance price: 10¹⁸ RAM per whole unit (as a WAD, 10³⁶).
pub const MAX_PRICE_WAD: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// Where a price comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// RAM itself.
    Native,
    /// The liquid staking pool's exchange rate.
    LstRate,
    /// The governance price table.
    Governance,
    /// No price set: one whole unit counts as one RAM.
    Default,
}

/// The RAM value of one base unit of `asset`, as an exact fraction `num / den` of RAM base
/// units, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseUnitPrice {
    /// Numerator.
    pub num: u128,
    /// Denominator (never zero).
    pub den: u128,
    /// Source.
    pub source: PriceSource,
}

impl BaseUnitPrice {
    /// `floor(amount · num / den)`.
    pub fn value_floor(&self, amount: Amount) -> Result<Amount, MathError> {
        mul_div_floor(amount.get(), self.num, self.den).map(Amount::new)
    }
}

/// `10^decimals` (RAM has 18 decimals; an asset's decimals are at most 38 so this fits).
fn whole_unit(decimals: u8) -> Result<u128, MathError> {
    10u128
        .checked_pow(u32::from(decimals))
        .ok_or(MathError::Overflow)
}

/// The RAM value of one base unit of `asset`.
pub fn base_unit_price(state: &State, asset: AssetId) -> Result<BaseUnitPrice> {
    if asset == AssetId::NATIVE {
        return Ok(BaseUnitPrice {
            num: 1,
            den: 1,
            source: PriceSource::Native,
        });
    }
    if let Ok(pool) = crate::lst::pool(state)
        && pool.asset == asset
    {
        let (value, units) = crate::lst::rate_parts(state)?;
        return Ok(BaseUnitPrice {
            num: value,
            den: units,
            source: PriceSource::LstRate,
        });
    }
    let a = bank::asset(state, asset)?;
    let whole = whole_unit(a.decimals)?;
    // One whole unit (10^decimals base units) is worth price / WAD RAM = price · 10^18 / WAD
    // RAM base units = price RAM base units, since WAD = 10^18.
    let (price, source) = match state.params().prices.get(&a.symbol) {
        Some(p) => (p.get(), PriceSource::Governance),
        None => (WAD, PriceSource::Default),
    };
    Ok(BaseUnitPrice {
        num: price,
        den: whole,
        source,
    })
}

/// The RAM value of `amount` base units of `asset` (floor).
pub fn ram_value_floor(state: &State, asset: AssetId, amount: Amount) -> Result<Amount> {
    if asset == AssetId::NATIVE {
        return Ok(amount);
    }
    Ok(base_unit_price(state, asset)?.value_floor(amount)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Genesis;

    fn chain(prices: &[(&str, u128)], assets: &[(&str, u8)]) -> State {
        let genesis: Genesis = serde_json::from_value(serde_json::json!({
            "assets": assets.iter().map(|(s, d)| serde_json::json!({"symbol": s, "decimals": d})).collect::<Vec<_>>(),
            "params": {"prices": prices.iter().map(|(s, p)| (s.to_string(), p.to_string())).collect::<std::collections::BTreeMap<_, _>>()},
        }))
        .unwrap();
        genesis.build().unwrap()
    }

    #[test]
    fn a_price_is_per_whole_unit_whatever_the_decimals() {
        // 1 USDC (6 decimals) = 0.0005 RAM; 1 rETH (18 decimals) = 1.1 RAM.
        let s = chain(
            &[("USDC", WAD / 2_000), ("rETH", WAD / 10 * 11)],
            &[("USDC", 6), ("rETH", 18)],
        );
        let usdc = bank::asset_id(&s, "USDC").unwrap();
        let reth = bank::asset_id(&s, "rETH").unwrap();
        // 1,000 USDC = 0.5 RAM.
        assert_eq!(
            ram_value_floor(&s, usdc, Amount::new(1_000_000_000)).unwrap(),
            Amount::new(WAD / 2)
        );
        // 2 rETH = 2.2 RAM.
        assert_eq!(
            ram_value_floor(&s, reth, Amount::new(2 * WAD)).unwrap(),
            Amount::new(WAD / 10 * 22)
        );
        assert_eq!(
            base_unit_price(&s, reth).unwrap().source,
            PriceSource::Governance
        );
    }

    #[test]
    fn an_unpriced_asset_counts_one_whole_unit_as_one_ram() {
        let s = chain(&[], &[("BTC", 8)]);
        let btc = bank::asset_id(&s, "BTC").unwrap();
        let p = base_unit_price(&s, btc).unwrap();
        assert_eq!(p.source, PriceSource::Default);
        assert_eq!(
            ram_value_floor(&s, btc, Amount::new(100_000_000)).unwrap(),
            Amount::new(WAD)
        );
        // One satoshi is worth 10^10 RAM base units.
        assert_eq!(
            p.value_floor(Amount::new(1)).unwrap(),
            Amount::new(10_000_000_000)
        );
    }
}
