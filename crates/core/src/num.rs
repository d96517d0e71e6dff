//! Money, ratios and the one place where multiplication meets division.
//!
//! # Arithmetic
//!
//! Amounts and shares are `u128` base units. Ratios are fixed point with scale [`WAD`] (`1e18`);
//! fractions of a whole in basis points use [`BPS_DENOMINATOR`]. Every multiply-then-divide goes
//! through [`mul_div_floor`] or [`mul_div_ceil`], which widen to 256 bits, so intermediate products
//! never overflow; the rounding direction is in the name and each call site picks the direction
//! that favours the protocol (PROTOCOL.md §1). There is no `impl Add` on money: every operation is
//! checked and returns a [`MathError`].

use alloy_primitives::U256;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Fixed-point scale: `WAD` stands for 1.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// Basis points in a whole.
pub const BPS_DENOMINATOR: u128 = 10_000;

/// A checked arithmetic operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    /// A result does not fit its type.
    #[error("arithmetic overflow")]
    Overflow,
    /// A subtraction went below zero.
    #[error("arithmetic underflow")]
    Underflow,
    /// A division by zero.
    #[error("division by zero")]
    DivisionByZero,
}

/// `a · b` in 256 bits: two 128-bit factors never overflow.
pub fn wide_mul(a: u128, b: u128) -> U256 {
    // (2^128 − 1)² < 2^256: the product always fits, so the wrapping operator is exact here.
    U256::from(a).wrapping_mul(U256::from(b))
}

/// `a · b` in 256 bits, or an overflow error (ruint's operators wrap).
pub fn checked_mul_u256(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

/// `a + b` in 256 bits, or an overflow error.
pub fn checked_add_u256(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// `a − b` in 256 bits, or an underflow error.
pub fn checked_sub_u256(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

/// `floor(a / d)` in 256 bits, or a division-by-zero error.
pub fn div_floor_u256(a: U256, d: U256) -> Result<U256, MathError> {
    a.checked_div(d).ok_or(MathError::DivisionByZero)
}

/// A 256-bit value that must fit 128 bits.
pub fn to_u128(v: U256) -> Result<u128, MathError> {
    u128::try_from(v).map_err(|_| MathError::Overflow)
}

/// `floor(a · b / d)` with a 256-bit intermediate product.
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> Result<u128, MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    if let Some(p) = a.checked_mul(b) {
        return p.checked_div(d).ok_or(MathError::DivisionByZero);
    }
    to_u128(div_floor_u256(wide_mul(a, b), U256::from(d))?)
}

/// `ceil(a · b / d)` with a 256-bit intermediate product.
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> Result<u128, MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    if let Some(p) = a.checked_mul(b) {
        return Ok(p.div_ceil(d));
    }
    let p = wide_mul(a, b);
    let d = U256::from(d);
    // d ≠ 0 (checked above), so div_rem cannot panic.
    let (q, r) = p.div_rem(d);
    let q = if r.is_zero() {
        q
    } else {
        checked_add_u256(q, U256::from(1u8))?
    };
    to_u128(q)
}

/// `floor(a · b · c / d)`: used where a quantity is scaled by two ratios at once (a redelegated
/// tranche follows both its old and its new operator's magnitude).
pub fn mul_mul_div_floor(a: u128, b: u128, c: u128, d: u128) -> Result<u128, MathError> {
    if d == 0 {
        return Err(MathError::DivisionByZero);
    }
    let p = checked_mul_u256(wide_mul(a, b), U256::from(c))?;
    to_u128(div_floor_u256(p, U256::from(d))?)
}

macro_rules! quantity {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize,
            BorshDeserialize,
        )]
        pub struct $name(u128);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// The largest representable value.
            pub const MAX: Self = Self(u128::MAX);

            /// Wraps a raw value.
            pub const fn new(raw: u128) -> Self {
                Self(raw)
            }
            /// The raw value.
            pub const fn get(self) -> u128 {
                self.0
            }
            /// Whether this is zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
            /// `self + rhs`, or an overflow error.
            pub fn checked_add(self, rhs: Self) -> Result<Self, MathError> {
                self.0.checked_add(rhs.0).map(Self).ok_or(MathError::Overflow)
            }
            /// `self − rhs`, or an underflow error.
            pub fn checked_sub(self, rhs: Self) -> Result<Self, MathError> {
                self.0.checked_sub(rhs.0).map(Self).ok_or(MathError::Underflow)
            }
            /// `self + rhs`, capped at the maximum.
            pub const fn saturating_add(self, rhs: Self) -> Self {
                Self(self.0.saturating_add(rhs.0))
            }
            /// `self − rhs`, floored at zero.
            pub const fn saturating_sub(self, rhs: Self) -> Self {
                Self(self.0.saturating_sub(rhs.0))
            }
            /// The smaller of two values.
            pub fn min(self, rhs: Self) -> Self {
                if self <= rhs { self } else { rhs }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_u128(d).map(Self)
            }
        }

        #[cfg(feature = "openapi")]
        crate::openapi::text_schema!(
            $name,
            concat!(stringify!($name), ": an unsigned 128-bit integer as a decimal string"),
            "^[0-9]{1,39}$"
        );

        impl std::str::FromStr for $name {
            type Err = ParseAmountError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_u128(s).map(Self)
            }
        }
    };
}

quantity! {
    /// Token base units of some asset.
    Amount
}
quantity! {
    /// Strategy shares: a claim on a strategy's tokens, priced by the strategy's exchange rate.
    Shares
}
quantity! {
    /// A fixed-point ratio with scale [`WAD`] (magnitudes, slash fractions, scaling factors).
    Wad
}

impl Wad {
    /// One whole (`1e18`).
    pub const ONE: Self = Self(WAD);
}

/// A decimal string did not hold a `u128`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseAmountError {
    /// Empty, signed, fractional or non-digit input.
    #[error("`{0}` is not a non-negative integer in base units")]
    NotAnInteger(String),
    /// More than `u128::MAX`.
    #[error("`{0}` does not fit in 128 bits")]
    Overflow(String),
}

/// Parses a decimal string of base units.
pub fn parse_u128(s: &str) -> Result<u128, ParseAmountError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseAmountError::NotAnInteger(s.to_owned()));
    }
    s.parse::<u128>()
        .map_err(|_| ParseAmountError::Overflow(s.to_owned()))
}

fn deserialize_u128<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = u128;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal string of base units")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u128, E> {
            parse_u128(v).map_err(E::custom)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u128, E> {
            Ok(u128::from(v))
        }
        fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<u128, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u128, E> {
            u128::try_from(v).map_err(|_| E::custom(format!("`{v}` is negative")))
        }
    }
    d.deserialize_any(V)
}

/// Basis points: a fraction of [`BPS_DENOMINATOR`].
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Bps(u32);

impl Bps {
    /// Zero basis points.
    pub const ZERO: Self = Self(0);
    /// One whole.
    pub const ONE: Self = Self(10_000);
    /// Wraps a raw value.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }
    /// The raw value.
    pub const fn get(self) -> u32 {
        self.0
    }
    /// `ceil(amount · self / 10_000)`: fees round up.
    pub fn fee_ceil(self, amount: Amount) -> Result<Amount, MathError> {
        mul_div_ceil(amount.get(), u128::from(self.0), BPS_DENOMINATOR).map(Amount::new)
    }
    /// `floor(amount · self / 10_000)`.
    pub fn of_floor(self, amount: Amount) -> Result<Amount, MathError> {
        mul_div_floor(amount.get(), u128::from(self.0), BPS_DENOMINATOR).map(Amount::new)
    }
}

/// Serializes a signed amount (a gain or a loss in base units) as a decimal string, like every
/// other amount in the API.
pub fn i128_as_string<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl fmt::Display for Bps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bps", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mul_div_handles_products_beyond_u128() {
        let a = 10u128.pow(30);
        assert_eq!(mul_div_floor(a, a, a), Ok(a));
        assert_eq!(mul_div_ceil(a, 3, 2), Ok(a * 3 / 2));
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), Err(MathError::Overflow));
        assert_eq!(mul_div_floor(1, 1, 0), Err(MathError::DivisionByZero));
    }

    #[test]
    fn ceil_and_floor_differ_only_on_a_remainder() {
        assert_eq!(mul_div_floor(10, 1, 3), Ok(3));
        assert_eq!(mul_div_ceil(10, 1, 3), Ok(4));
        assert_eq!(mul_div_ceil(9, 1, 3), Ok(3));
    }

    #[test]
    fn parse_rejects_signs_fractions_and_overflow() {
        assert!(parse_u128("-1").is_err());
        assert!(parse_u128("1.5").is_err());
        assert!(parse_u128("").is_err());
        assert!(matches!(
            parse_u128("340282366920938463463374607431768211456"),
            Err(ParseAmountError::Overflow(_))
        ));
        assert_eq!(
            parse_u128("340282366920938463463374607431768211455"),
            Ok(u128::MAX)
        );
    }

    #[test]
    fn amounts_serialize_as_decimal_strings() {
        let a = Amount::new(12345678901234567890123);
        let s = serde_json::to_string(&a).unwrap();
        assert_eq!(s, "\"12345678901234567890123\"");
        assert_eq!(serde_json::from_str::<Amount>(&s).unwrap(), a);
        assert_eq!(
            serde_json::from_str::<Amount>("42").unwrap(),
            Amount::new(42)
        );
        assert!(serde_json::from_str::<Amount>("\"1e18\"").is_err());
    }

    proptest! {
        #[test]
        fn floor_is_at_most_the_exact_quotient_and_ceil_at_least(
            a in any::<u128>(), b in any::<u64>(), d in 1u128..,
        ) {
            let b = u128::from(b);
            let exact = U256::from(a) * U256::from(b);
            if let Ok(f) = mul_div_floor(a, b, d) {
                prop_assert!(U256::from(f) * U256::from(d) <= exact);
                prop_assert!((U256::from(f) + U256::from(1u8)) * U256::from(d) > exact);
            }
            if let Ok(c) = mul_div_ceil(a, b, d) {
                prop_assert!(U256::from(c) * U256::from(d) >= exact);
                prop_assert!(c == 0 || (U256::from(c) - U256::from(1u8)) * U256::from(d) < exact);
            }
        }

        #[test]
        fn ceil_exceeds_floor_by_at_most_one(a in any::<u64>(), b in any::<u64>(), d in 1u64..) {
            let (a, b, d) = (u128::from(a), u128::from(b), u128::from(d));
            let f = mul_div_floor(a, b, d).unwrap();
            let c = mul_div_ceil(a, b, d).unwrap();
            prop_assert!(c == f || c == f + 1);
            prop_assert_eq!(c == f, (a * b) % d == 0);
        }

        #[test]
        fn mul_div_floor_is_monotonic_in_the_numerator(
            a in any::<u64>(), extra in any::<u32>(), b in any::<u64>(), d in 1u64..,
        ) {
            let (a, b, d) = (u128::from(a), u128::from(b), u128::from(d));
            let lo = mul_div_floor(a, b, d).unwrap();
            let hi = mul_div_floor(a + u128::from(extra), b, d).unwrap();
            prop_assert!(lo <= hi);
        }

        #[test]
        fn mul_mul_div_matches_two_wide_steps(a in any::<u64>(), b in any::<u64>(), c in any::<u64>(), d in 1u64..) {
            let (a, b, c, d) = (u128::from(a), u128::from(b), u128::from(c), u128::from(d));
            let exact = U256::from(a) * U256::from(b) * U256::from(c) / U256::from(d);
            match mul_mul_div_floor(a, b, c, d) {
                Ok(v) => prop_assert_eq!(U256::from(v), exact),
                Err(e) => prop_assert_eq!(e, MathError::Overflow),
            }
        }

        #[test]
        fn fees_round_up(amount in any::<u64>(), bps in 0u32..=10_000) {
            let amount = Amount::new(u128::from(amount));
            let fee = Bps::new(bps).fee_ceil(amount).unwrap();
            let floor = Bps::new(bps).of_floor(amount).unwrap();
            prop_assert!(fee >= floor);
            prop_assert!(fee <= amount);
        }
    }
}

/// A quantity in an action: an exact number, or `"all"` the signer holds of the kind the action
/// takes. In JSON, `"all"` or a decimal string (or a small integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrAll<T> {
    /// Everything the signer holds of that kind.
    All,
    /// Exactly this much.
    Exact(T),
}

/// A share amount in an action (`"all"` or exact).
pub type ShareAmount = OrAll<Shares>;

impl<T> OrAll<T> {
    /// The concrete quantity given what the signer holds; `All` of nothing is zero.
    pub fn resolve(self, held: T) -> T {
        match self {
            Self::All => held,
            Self::Exact(v) => v,
        }
    }
}

impl<T: Serialize> Serialize for OrAll<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::All => s.serialize_str("all"),
            Self::Exact(v) => v.serialize(s),
        }
    }
}

impl<'de, T: std::str::FromStr<Err = ParseAmountError>> Deserialize<'de> for OrAll<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<T: std::str::FromStr<Err = ParseAmountError>> serde::de::Visitor<'_> for V<T> {
            type Value = OrAll<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"all\" or a decimal string of base units")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OrAll<T>, E> {
                if v == "all" {
                    return Ok(OrAll::All);
                }
                v.parse().map(OrAll::Exact).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OrAll<T>, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
