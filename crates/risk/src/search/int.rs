//! The integer type of the searches: `i128` when the instance provably fits, `BigInt` otherwise.
//!
//! # Arithmetic
//! The searches add, subtract, compare, multiply a value by a fixed-point dual multiplier and
//! divide non-negative numbers. A dual `y_s` is stored as `Y_s = y_s · 2^b` with
//! `0 ≤ y_s ≤ p_s / d_s`, and it only ever multiplies coefficients `ŵ ≤ d_s`, so every product
//! is at most `p_s · 2^b` and every sum of products is at most `links · total · 2^b`, where
//! `total` is the sum of the absolute values of the instance's numbers. [`i128_headroom`] gives
//! the `b` that keeps all of this below `2^125`, or `None` when even a small `b` does not fit
//! (the search then runs on `BigInt`). `overflow-checks` stay on in every profile, so a wrong
//! bound would stop the program rather than give a wrong answer.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Sub, SubAssign};

use num_bigint::BigInt;
use num_traits::{One, Zero};

/// Smallest useful precision, in bits, of the dual multipliers.
pub(crate) const MIN_DUAL_BITS: u64 = 16;

/// Largest precision, in bits, of the dual multipliers.
pub(crate) const MAX_DUAL_BITS: u64 = 40;

/// Integer operations the searches need.
pub(crate) trait Int:
    Clone
    + Ord
    + Debug
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + for<'a> AddAssign<&'a Self>
    + for<'a> SubAssign<&'a Self>
{
    /// Converts from a big integer; `None` if it does not fit.
    fn from_big(b: &BigInt) -> Option<Self>;
    /// `self · 2^bits`.
    fn shifted(&self, bits: u32) -> Self;
    /// Nearest `f64` (used only to set up the float LP that picks dual multipliers).
    fn to_f64(&self) -> f64;
    /// `⌊x⌋` for a finite non-negative float, `None` if it does not fit.
    fn from_f64_floor(x: f64) -> Option<Self>;
}

impl Int for i128 {
    fn from_big(b: &BigInt) -> Option<Self> {
        i128::try_from(b).ok()
    }
    fn shifted(&self, bits: u32) -> Self {
        self << bits
    }
    #[allow(clippy::cast_precision_loss)]
    fn to_f64(&self) -> f64 {
        *self as f64
    }
    #[allow(clippy::cast_possible_truncation)]
    fn from_f64_floor(x: f64) -> Option<Self> {
        (0.0..1.0e37).contains(&x).then(|| x.floor() as i128)
    }
}

impl Int for BigInt {
    fn from_big(b: &BigInt) -> Option<Self> {
        Some(b.clone())
    }
    fn shifted(&self, bits: u32) -> Self {
        self << bits
    }
    fn to_f64(&self) -> f64 {
        num_traits::ToPrimitive::to_f64(self).unwrap_or(f64::MAX)
    }
    fn from_f64_floor(x: f64) -> Option<Self> {
        if x.is_finite() && x >= 0.0 {
            num_traits::FromPrimitive::from_f64(x.floor())
        } else {
            None
        }
    }
}

/// Dual precision that keeps an instance on `i128`, or `None` if it must run on `BigInt`.
///
/// `total` is the sum of the absolute values of all numbers, `links` the number of edges and
/// `factor_bits` the size of any extra multiplier the search applies (thresholds, ψ).
pub(crate) fn i128_headroom(total: &BigInt, links: usize, factor_bits: u64) -> Option<u32> {
    let used = total.bits() + bits_of(links) + factor_bits + 2;
    let room = 125u64.checked_sub(used)?;
    if room < MIN_DUAL_BITS {
        return None;
    }
    u32::try_from(room.min(MAX_DUAL_BITS)).ok()
}

/// Dual precision for a `BigInt` run: a little more than the magnitude of the numbers.
pub(crate) fn big_dual_bits(total: &BigInt) -> u32 {
    u32::try_from((total.bits() + 8).clamp(MIN_DUAL_BITS, 4096)).unwrap_or(4096)
}

fn bits_of(n: usize) -> u64 {
    u64::from(usize::BITS - n.leading_zeros()) + 1
}

/// `max(x, 0)`.
pub(crate) fn pos<T: Int>(x: T) -> T {
    if x > T::zero() { x } else { T::zero() }
}
