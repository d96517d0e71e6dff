//! Exit race: part of the holders sell through the AMM, the rest queue for redemption.
//!
//! # Arithmetic
//! The AMM share `φ·H` of the holdings H is sold in `tranches` equal, consecutive swaps (the
//! first sellers get the best prices). The rest is redeemed at the exchange rate (NAV) after
//! `queue_days`, less a possible slash during the queue; its present value discounts that at
//! simple interest, `value / (1 + r·T/365)`. The break-even discount δ* at which buying on the
//! AMM and redeeming through the queue pays exactly the carry solves `δ/(1−δ) = r·T/365`.

use serde_json::{Value, json};

use super::lending::parse_pool;
use super::stableswap::{Pool, from_units, to_units};
use super::{Fields, check_fraction};
use crate::RiskError;
use crate::num::{Rational, number_json};
use num_traits::{One, Signed, Zero};

/// Most AMM tranches.
pub const MAX_TRANCHES: u64 = 100_000;

/// The `exit_race` section.
#[derive(Debug, Clone)]
pub struct ExitRace {
    pool: Pool,
    holdings: Rational,
    amm_share: Rational,
    tranches: u64,
    nav: Rational,
    queue_days: Rational,
    annual_rate: Rational,
    queue_slash: Rational,
}

impl ExitRace {
    pub(crate) fn parse(f: &Fields<'_>) -> Result<Self, RiskError> {
        f.only(&[
            "pool",
            "holdings",
            "amm_share",
            "tranches",
            "nav",
            "queue_days",
            "annual_rate",
            "queue_slash",
        ])?;
        let tranches = f.count("tranches", 10, MAX_TRANCHES)?;
        if tranches == 0 {
            return Err(RiskError::scenario(
                f.path("tranches"),
                "must be at least 1",
            ));
        }
        Ok(Self {
            pool: parse_pool(&f.object("pool")?)?,
            holdings: f.number("holdings")?,
            amm_share: f.fraction("amm_share")?,
            tranches,
            nav: f.opt_number("nav")?.unwrap_or_else(Rational::one),
            queue_days: f.number("queue_days")?,
            annual_rate: f.number("annual_rate")?,
            queue_slash: {
                let q = f.opt_number("queue_slash")?.unwrap_or_else(Rational::zero);
                check_fraction(&f.path("queue_slash"), &q)?;
                q
            },
        })
    }

    pub(crate) fn steps(&self) -> u64 {
        self.tranches
    }

    pub(crate) fn run(&self, progress: &mut dyn FnMut(u64)) -> Result<Value, RiskError> {
        let mut pool = self.pool.clone();
        let start_price = pool.spot_price(0);
        let to_sell = &self.holdings * &self.amm_share;
        let tranche = &to_sell / Rational::from_integer(self.tranches.into());
        let mut received = Rational::zero();
        let (mut first, mut last) = (None, Rational::zero());
        for k in 0..self.tranches {
            let out = from_units(&pool.swap(0, &to_units(&tranche)).amount_out);
            let price = if tranche.is_positive() {
                &out / &tranche
            } else {
                Rational::zero()
            };
            first.get_or_insert_with(|| price.clone());
            last = price;
            received += out;
            progress(k + 1);
        }
        let amm_average = if to_sell.is_positive() {
            &received / &to_sell
        } else {
            Rational::zero()
        };
        let queued = &self.holdings - &to_sell;
        let redeemed = &queued * &self.nav * (Rational::one() - &self.queue_slash);
        let carry = &self.annual_rate * &self.queue_days / Rational::from_integer(365.into());
        let present = &redeemed / (Rational::one() + &carry);
        let queue_per_unit = if queued.is_positive() {
            &present / &queued
        } else {
            &self.nav / (Rational::one() + &carry)
        };
        let break_even = &carry / (Rational::one() + &carry);
        let better = if amm_average > queue_per_unit {
            "amm"
        } else {
            "queue"
        };
        Ok(json!({
            "amm": {
                "amount": number_json(&to_sell),
                "received": number_json(&received),
                "average_price": number_json(&amm_average),
                "first_tranche_price": number_json(&first.unwrap_or_else(Rational::zero)),
                "last_tranche_price": number_json(&last),
                "start_price": number_json(&start_price),
                "final_price": number_json(&pool.spot_price(0)),
            },
            "queue": {
                "amount": number_json(&queued),
                "received_at_exit": number_json(&redeemed),
                "present_value": number_json(&present),
                "present_value_per_unit": number_json(&queue_per_unit),
                "delay_days": number_json(&self.queue_days),
            },
            "break_even_discount": number_json(&break_even),
            "better_per_unit": better,
        }))
    }
}
