//! A two-coin StableSwap pool (Curve), in integer base units, deterministic.
//!
//! # Arithmetic
//! Balances are integers in base units of 10⁻¹⁸. With `Ann = A·nⁿ = 4A` (A the whitepaper
//! amplification; Curve's code stores `A·n^(n−1) = 2A`), the invariant D solves
//! `Ann·(x+y) + D = Ann·D + D³/(4xy)`:
//! - `get_d`: Newton from D = x + y, `D ← (Ann·S + 2·D_P)·D / ((Ann−1)·D + 3·D_P)` with
//!   `D_P = D³/(4xy)` built by floor divisions, until it moves by at most one unit;
//! - `get_y`: the other balance for a new x at fixed D, Newton `y ← (y² + c)/(2y + b − D)`
//!   with `c = D³/(4x·Ann)` and `b = x + D/Ann`, until it moves by at most one unit.
//!
//! A swap pays `x_j − y − 1` (one unit kept by the pool) minus a fee rounded up, so rounding
//! always favours the pool: the invariant of the balances after a swap is never below the one
//! before. The marginal price of coin 0 in coin 1 is the exact rational
//! `(Ann + D³/(4x²y)) / (Ann + D³/(4xy²))`.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::RiskError;
use crate::num::Rational;

/// Decimals of the base unit.
pub const DECIMALS: u32 = 18;
const MAX_ITERATIONS: usize = 255;

/// Converts an amount to base units (rounded down).
#[must_use]
pub fn to_units(q: &Rational) -> BigInt {
    (q * Rational::from_integer(unit())).floor().to_integer()
}

/// Converts base units to an amount.
#[must_use]
pub fn from_units(n: &BigInt) -> Rational {
    Rational::new(n.clone(), unit())
}

fn unit() -> BigInt {
    BigInt::from(10u8).pow(DECIMALS)
}

/// A two-coin StableSwap pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// Whitepaper amplification A.
    pub amplification: BigInt,
    /// Balances in base units (coin 0, coin 1).
    pub balances: [BigInt; 2],
    /// Fee on the output, a fraction in [0, 1).
    pub fee: Rational,
}

/// Result of a swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    /// Input, base units.
    pub amount_in: BigInt,
    /// Output paid, base units.
    pub amount_out: BigInt,
    /// Fee kept by the pool, base units.
    pub fee: BigInt,
}

impl Pool {
    /// A pool; checks A ≥ 1, positive balances and a fee in [0, 1).
    ///
    /// # Errors
    /// [`RiskError::BadScenario`] for bad parameters.
    pub fn new(
        amplification: BigInt,
        balances: [BigInt; 2],
        fee: Rational,
    ) -> Result<Self, RiskError> {
        if amplification < BigInt::one() {
            return Err(RiskError::scenario(
                "pool.amplification",
                "must be an integer ≥ 1",
            ));
        }
        if balances.iter().any(|b| !b.is_positive()) {
            return Err(RiskError::scenario("pool.balances", "must be positive"));
        }
        if fee.is_negative() || fee >= Rational::one() {
            return Err(RiskError::scenario("pool.fee", "must lie in [0, 1)"));
        }
        Ok(Self {
            amplification,
            balances,
            fee,
        })
    }

    fn ann(&self) -> BigInt {
        &self.amplification * 4
    }

    /// The invariant D of the current balances.
    #[must_use]
    pub fn invariant(&self) -> BigInt {
        get_d(&self.balances, &self.ann())
    }

    /// Marginal price of coin `i` in units of the other coin, exact.
    #[must_use]
    pub fn spot_price(&self, i: usize) -> Rational {
        let d = Rational::from_integer(self.invariant());
        let ann = Rational::from_integer(self.ann());
        let x = Rational::from_integer(self.balances[i].clone());
        let y = Rational::from_integer(self.balances[1 - i].clone());
        let d3 = &d * &d * &d;
        let four = Rational::from_integer(BigInt::from(4));
        let fx = &ann + &d3 / (&four * &x * &x * &y);
        let fy = &ann + &d3 / (&four * &x * &y * &y);
        fx / fy
    }

    /// Output for selling `dx` base units of coin `i`, without changing the pool.
    #[must_use]
    pub fn quote(&self, i: usize, dx: &BigInt) -> Swap {
        let j = 1 - i;
        let d = self.invariant();
        let x_new = &self.balances[i] + dx;
        let y = get_y(&x_new, &d, &self.ann());
        let gross = &self.balances[j] - &y - BigInt::one();
        let gross = if gross.is_positive() {
            gross
        } else {
            BigInt::zero()
        };
        let fee = (Rational::from_integer(gross.clone()) * &self.fee)
            .ceil()
            .to_integer();
        let out = &gross - &fee;
        Swap {
            amount_in: dx.clone(),
            amount_out: if out.is_positive() {
                out
            } else {
                BigInt::zero()
            },
            fee,
        }
    }

    /// Sells `dx` base units of coin `i` into the pool.
    pub fn swap(&mut self, i: usize, dx: &BigInt) -> Swap {
        let swap = self.quote(i, dx);
        self.balances[i] += dx;
        self.balances[1 - i] -= &swap.amount_out;
        swap
    }
}

/// The invariant D of two balances (Newton, floor divisions).
#[must_use]
pub fn get_d(balances: &[BigInt; 2], ann: &BigInt) -> BigInt {
    let s: BigInt = &balances[0] + &balances[1];
    if s.is_zero() {
        return BigInt::zero();
    }
    let n = BigInt::from(2);
    let mut d = s.clone();
    for _ in 0..MAX_ITERATIONS {
        let mut d_p = d.clone();
        for x in balances {
            d_p = (&d_p * &d).div_floor(&(x * &n));
        }
        let prev = d.clone();
        let num = (ann * &s + &d_p * &n) * &d;
        let den = (ann - BigInt::one()) * &d + (&n + BigInt::one()) * &d_p;
        d = num.div_floor(&den);
        if (&d - &prev).abs() <= BigInt::one() {
            break;
        }
    }
    d
}

/// The balance of the other coin when one coin's balance is `x`, at invariant `d`.
#[must_use]
pub fn get_y(x: &BigInt, d: &BigInt, ann: &BigInt) -> BigInt {
    let n = BigInt::from(2);
    let c = (d * d).div_floor(&(x * &n));
    let c = (c * d).div_floor(&(ann * &n));
    let b = x + d.div_floor(ann);
    let mut y = d.clone();
    for _ in 0..MAX_ITERATIONS {
        let prev = y.clone();
        let den = &y * &n + &b - d;
        if !den.is_positive() {
            break;
        }
        y = (&y * &y + &c).div_floor(&den);
        if (&y - &prev).abs() <= BigInt::one() {
            break;
        }
    }
    y
}
