//! An LRT de-peg: a StableSwap LRT/ETH pool feeding lending markets with looped positions,
//! run in liquidation rounds until the price settles.
//!
//! # Model
//! Coin 0 of the pool is the LRT, coin 1 ETH; collateral is LRT, debt ETH. Each round:
//! 1. holders sell that round's shock amount of LRT into the pool;
//! 2. every market reads its oracle: the pool's marginal price (`market`), or the issuer's
//!    exchange rate (`exchange_rate`, changed only by the scenario's `exchange_rate` shock);
//! 3. every position with health factor `HF = collateral·price·LT / debt < 1` is liquidated:
//!    the repaid debt is `close_factor·debt` (all of it when `HF < full_below`), the seized
//!    collateral `repaid·(1 + bonus)/price`; if that exceeds the collateral, all collateral is
//!    seized and only `collateral·price/(1 + bonus)` is repaid; a position left with debt and
//!    no collateral is written off as **bad debt**;
//!    With `"liquidators": "profitable"` (the default) a liquidation happens only if selling its
//!    seized collateral into the pool, after the round's earlier liquidations, returns at least
//!    the debt repaid (liquidators stop when slippage eats the bonus); with `"always"` every
//!    unhealthy position is liquidated;
//! 4. liquidators sell the round's seized LRT into the pool in one swap (their profit or loss is
//!    reported), which the next round's market oracle sees.
//!
//! The run stops when a round has neither a shock sale nor a liquidation (the price has
//! settled), or after `max_rounds`. Looped positions are built at the initial oracle price (the
//! pool's price for a market oracle, 1 for an exchange-rate oracle, before the shock): equity e
//! looped k times at the market's LTV holds `e·Σ_{i≤k} LTV^i` of value as collateral and owes
//! that minus e.

use serde_json::{Map, Value, json};

use super::stableswap::{Pool, from_units, to_units};
use super::{Fields, check_fraction};
use crate::RiskError;
use crate::num::{Rational, number_json, parse_json_number};
use num_traits::{One, Signed, Zero};

/// Most rounds a de-peg may run.
pub const MAX_ROUNDS: u64 = 10_000;
/// Most positions.
pub const MAX_POSITIONS: usize = 100_000;
/// Most loops of one looped position.
pub const MAX_LOOPS: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Oracle {
    Market,
    ExchangeRate,
}

#[derive(Debug, Clone)]
struct Market {
    id: String,
    ltv: Rational,
    threshold: Rational,
    bonus: Rational,
    close_factor: Rational,
    full_below: Rational,
    oracle: Oracle,
}

/// When liquidators act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liquidators {
    /// Only when the sale of the seized collateral covers the debt repaid.
    Profitable,
    /// On every unhealthy position.
    Always,
}

#[derive(Debug, Clone)]
struct Position {
    market: usize,
    collateral: Rational,
    debt: Rational,
}

/// The `depeg` section.
#[derive(Debug, Clone)]
pub struct Depeg {
    pool: Pool,
    markets: Vec<Market>,
    positions: Vec<Position>,
    sells: Vec<Rational>,
    exchange_rate: Rational,
    max_rounds: u64,
    liquidators: Liquidators,
}

#[derive(Debug, Default, Clone)]
struct MarketTotals {
    liquidations: u64,
    repaid: Rational,
    seized: Rational,
    bad_debt: Rational,
}

impl Depeg {
    pub(crate) fn parse(f: &Fields<'_>) -> Result<Self, RiskError> {
        f.only(&[
            "pool",
            "markets",
            "positions",
            "shock",
            "max_rounds",
            "liquidators",
        ])?;
        let liquidators = match f.opt_str("liquidators")?.as_deref() {
            None | Some("profitable") => Liquidators::Profitable,
            Some("always") => Liquidators::Always,
            Some(other) => {
                return Err(RiskError::scenario(
                    f.path("liquidators"),
                    format!("`{other}`: expected profitable or always"),
                ));
            }
        };
        let pool = parse_pool(&f.object("pool")?)?;
        let markets = f
            .array("markets")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_market(&Fields::new(v, &format!("{}[{i}]", f.path("markets")))?))
            .collect::<Result<Vec<_>, _>>()?;
        let shock = f.object("shock")?;
        shock.only(&["sell", "sell_per_round", "sell_rounds", "exchange_rate"])?;
        let exchange_rate = shock
            .opt_number("exchange_rate")?
            .unwrap_or_else(Rational::one);
        let sells = parse_sells(&shock)?;
        let initial = |m: &Market| match m.oracle {
            Oracle::Market => pool.spot_price(0),
            Oracle::ExchangeRate => Rational::one(),
        };
        let items = f.array("positions")?;
        if items.len() > MAX_POSITIONS {
            return Err(RiskError::LimitExceeded {
                what: "positions",
                count: items.len(),
                limit: MAX_POSITIONS,
            });
        }
        let positions = items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                parse_position(
                    &markets,
                    &initial,
                    &Fields::new(v, &format!("{}[{i}]", f.path("positions")))?,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_rounds = f.count("max_rounds", 100, MAX_ROUNDS)?;
        Ok(Self {
            pool,
            markets,
            positions,
            sells,
            exchange_rate,
            max_rounds,
            liquidators,
        })
    }

    pub(crate) fn steps(&self) -> u64 {
        self.max_rounds
    }

    pub(crate) fn run(&self, progress: &mut dyn FnMut(u64)) -> Result<Value, RiskError> {
        let mut pool = self.pool.clone();
        let mut positions = self.positions.clone();
        let mut totals = vec![MarketTotals::default(); self.markets.len()];
        let start_price = pool.spot_price(0);
        let mut trace = Vec::new();
        let mut rounds = 0u64;
        let mut settled = false;
        while rounds < self.max_rounds {
            let sell = self
                .sells
                .get(rounds as usize)
                .cloned()
                .unwrap_or_else(Rational::zero);
            let round = self.round(&mut pool, &mut positions, &mut totals, &sell);
            rounds += 1;
            progress(rounds);
            let quiet =
                round.liquidations == 0 && sell.is_zero() && rounds as usize >= self.sells.len();
            trace.push(round.to_json(rounds));
            if quiet {
                settled = true;
                break;
            }
        }
        progress(self.max_rounds);
        Ok(self.report(
            &pool,
            &positions,
            &totals,
            &start_price,
            rounds,
            settled,
            trace,
        ))
    }

    fn round(
        &self,
        pool: &mut Pool,
        positions: &mut [Position],
        totals: &mut [MarketTotals],
        sell: &Rational,
    ) -> Round {
        let price_before = pool.spot_price(0);
        if sell.is_positive() {
            pool.swap(0, &to_units(sell));
        }
        let market_price = pool.spot_price(0);
        let mut round = Round {
            price_before,
            oracle_price: market_price.clone(),
            sold: sell.clone(),
            ..Round::default()
        };
        let mut sold_value = Rational::zero();
        for p in positions.iter_mut() {
            let m = &self.markets[p.market];
            let price = match m.oracle {
                Oracle::Market => market_price.clone(),
                Oracle::ExchangeRate => self.exchange_rate.clone(),
            };
            let mut trial = p.clone();
            let Some((repaid, seized, bad)) = liquidate(m, &mut trial, &price) else {
                continue;
            };
            let value = from_units(
                &pool
                    .quote(0, &to_units(&(&round.seized + &seized)))
                    .amount_out,
            );
            if self.liquidators == Liquidators::Profitable && &value - &sold_value < repaid {
                round.declined += 1;
                continue;
            }
            sold_value = value;
            *p = trial;
            {
                let t = &mut totals[p.market];
                t.liquidations += 1;
                t.repaid += &repaid;
                t.seized += &seized;
                t.bad_debt += &bad;
                round.liquidations += 1;
                round.repaid += repaid;
                round.seized += seized;
                round.bad_debt += bad;
            }
        }
        let proceeds = if round.seized.is_positive() {
            from_units(&pool.swap(0, &to_units(&round.seized)).amount_out)
        } else {
            Rational::zero()
        };
        round.liquidator_pnl = &proceeds - &round.repaid;
        round.price_after = pool.spot_price(0);
        round
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        pool: &Pool,
        positions: &[Position],
        totals: &[MarketTotals],
        start_price: &Rational,
        rounds: u64,
        settled: bool,
        trace: Vec<Value>,
    ) -> Value {
        let final_price = pool.spot_price(0);
        let mut markets = Map::new();
        for (m, t) in self.markets.iter().zip(totals) {
            let underwater: Rational = positions
                .iter()
                .filter(|p| self.markets[p.market].id == m.id)
                .map(|p| {
                    let gap = &p.debt - &p.collateral * &final_price;
                    if gap.is_positive() {
                        gap
                    } else {
                        Rational::zero()
                    }
                })
                .sum();
            markets.insert(
                m.id.clone(),
                json!({
                    "oracle": match m.oracle { Oracle::Market => "market", Oracle::ExchangeRate => "exchange_rate" },
                    "liquidations": t.liquidations,
                    "debt_repaid": number_json(&t.repaid),
                    "collateral_seized": number_json(&t.seized),
                    "bad_debt": number_json(&t.bad_debt),
                    "underwater_at_market_price": number_json(&underwater),
                }),
            );
        }
        let repaid: Rational = totals.iter().map(|t| &t.repaid).sum();
        let seized: Rational = totals.iter().map(|t| &t.seized).sum();
        let bad: Rational = totals.iter().map(|t| &t.bad_debt).sum();
        json!({
            "start_price": number_json(start_price),
            "final_price": number_json(&final_price),
            "rounds": rounds,
            "settled": settled,
            "liquidated": { "debt_repaid": number_json(&repaid), "collateral_seized": number_json(&seized) },
            "bad_debt": number_json(&bad),
            "pool": {
                "balances": [number_json(&from_units(&pool.balances[0])), number_json(&from_units(&pool.balances[1]))],
            },
            "markets": markets,
            "trace": trace,
        })
    }
}

/// One liquidation: `(repaid, seized, bad debt written off)`, or `None` if the position is
/// healthy (or has no debt).
fn liquidate(
    m: &Market,
    p: &mut Position,
    price: &Rational,
) -> Option<(Rational, Rational, Rational)> {
    if !p.debt.is_positive() {
        return None;
    }
    let hf = &p.collateral * price * &m.threshold / &p.debt;
    if hf >= Rational::one() {
        return None;
    }
    let factor = if hf < m.full_below {
        Rational::one()
    } else {
        m.close_factor.clone()
    };
    let one_plus = Rational::one() + &m.bonus;
    let mut repaid = &factor * &p.debt;
    let mut seized = if price.is_positive() {
        &repaid * &one_plus / price
    } else {
        p.collateral.clone()
    };
    if seized > p.collateral {
        seized = p.collateral.clone();
        repaid = &seized * price / &one_plus;
    }
    p.debt -= &repaid;
    p.collateral -= &seized;
    let bad = if p.collateral.is_zero() && p.debt.is_positive() {
        std::mem::replace(&mut p.debt, Rational::zero())
    } else {
        Rational::zero()
    };
    Some((repaid, seized, bad))
}

#[derive(Debug, Default)]
struct Round {
    price_before: Rational,
    oracle_price: Rational,
    price_after: Rational,
    sold: Rational,
    liquidations: u64,
    declined: u64,
    repaid: Rational,
    seized: Rational,
    bad_debt: Rational,
    liquidator_pnl: Rational,
}

impl Round {
    fn to_json(&self, n: u64) -> Value {
        json!({
            "round": n,
            "shock_sold": number_json(&self.sold),
            "price_before": number_json(&self.price_before),
            "oracle_price": number_json(&self.oracle_price),
            "liquidations": self.liquidations,
            "declined": self.declined,
            "debt_repaid": number_json(&self.repaid),
            "collateral_sold": number_json(&self.seized),
            "bad_debt": number_json(&self.bad_debt),
            "liquidator_pnl": number_json(&self.liquidator_pnl),
            "price_after": number_json(&self.price_after),
        })
    }
}

/// Reads `{ "amplification", "balances": [lrt, eth], "fee" }`.
pub(crate) fn parse_pool(f: &Fields<'_>) -> Result<Pool, RiskError> {
    f.only(&["amplification", "balances", "fee"])?;
    let a = f.number("amplification")?;
    if !a.is_integer() {
        return Err(RiskError::scenario(
            f.path("amplification"),
            "must be an integer",
        ));
    }
    let balances = f.array("balances")?;
    let [b0, b1] = balances.as_slice() else {
        return Err(RiskError::scenario(
            f.path("balances"),
            "expected [lrt, eth]",
        ));
    };
    let b0 = parse_json_number(&f.path("balances[0]"), b0)?;
    let b1 = parse_json_number(&f.path("balances[1]"), b1)?;
    let fee = f.opt_number("fee")?.unwrap_or_else(Rational::zero);
    Pool::new(a.to_integer(), [to_units(&b0), to_units(&b1)], fee)
}

fn parse_market(f: &Fields<'_>) -> Result<Market, RiskError> {
    f.only(&[
        "id",
        "ltv",
        "liquidation_threshold",
        "bonus",
        "close_factor",
        "full_below",
        "oracle",
    ])?;
    let oracle = match f.opt_str("oracle")?.as_deref() {
        None | Some("market") => Oracle::Market,
        Some("exchange_rate") => Oracle::ExchangeRate,
        Some(other) => {
            return Err(RiskError::scenario(
                f.path("oracle"),
                format!("`{other}`: expected market or exchange_rate"),
            ));
        }
    };
    let ltv = f.fraction("ltv")?;
    let threshold = f.fraction("liquidation_threshold")?;
    if ltv > threshold || threshold.is_zero() {
        return Err(RiskError::scenario(
            f.path("ltv"),
            "need 0 < ltv ≤ liquidation_threshold ≤ 1",
        ));
    }
    let bonus = f.number("bonus")?;
    if bonus >= Rational::one() {
        return Err(RiskError::scenario(f.path("bonus"), "must lie in [0, 1)"));
    }
    let close_factor = f.opt_number("close_factor")?.unwrap_or_else(Rational::one);
    check_fraction(&f.path("close_factor"), &close_factor)?;
    if close_factor.is_zero() {
        return Err(RiskError::scenario(
            f.path("close_factor"),
            "must be positive",
        ));
    }
    let full_below = f.opt_number("full_below")?.unwrap_or_else(Rational::zero);
    Ok(Market {
        id: f.string("id")?,
        ltv,
        threshold,
        bonus,
        close_factor,
        full_below,
        oracle,
    })
}

fn parse_position(
    markets: &[Market],
    initial: &dyn Fn(&Market) -> Rational,
    f: &Fields<'_>,
) -> Result<Position, RiskError> {
    f.only(&["market", "collateral", "debt", "equity", "loops"])?;
    let id = f.string("market")?;
    let market = markets
        .iter()
        .position(|m| m.id == id)
        .ok_or_else(|| RiskError::scenario(f.path("market"), format!("unknown market `{id}`")))?;
    let m = &markets[market];
    if let Some(equity) = f.opt_number("equity")? {
        let loops = f.count("loops", 0, MAX_LOOPS)?;
        let mut factor = Rational::zero();
        let mut power = Rational::one();
        for _ in 0..=loops {
            factor += &power;
            power *= &m.ltv;
        }
        let value = &equity * &factor;
        let price = initial(m);
        return Ok(Position {
            market,
            collateral: &value / &price,
            debt: value - equity,
        });
    }
    Ok(Position {
        market,
        collateral: f.number("collateral")?,
        debt: f.number("debt")?,
    })
}

fn parse_sells(f: &Fields<'_>) -> Result<Vec<Rational>, RiskError> {
    let mut sells: Vec<Rational> = f
        .opt_array("sell")?
        .iter()
        .enumerate()
        .map(|(i, v)| parse_json_number(&format!("{}[{i}]", f.path("sell")), v))
        .collect::<Result<_, _>>()?;
    if let Some(per_round) = f.opt_number("sell_per_round")? {
        let n = f.count("sell_rounds", 1, MAX_ROUNDS)?;
        sells.extend((0..n).map(|_| per_round.clone()));
    }
    Ok(sells)
}
