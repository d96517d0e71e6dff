//! Exact numbers: parsing, rendering and small helpers over [`Rational`].
//!
//! # Arithmetic
//! Every security result is an exact [`Rational`] (a reduced fraction of big integers). Decimal
//! renderings are produced from the exact value and are for display only: they round half away
//! from zero to [`DECIMAL_PLACES`] places and drop trailing zeros.

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use serde_json::{Value, json};

use crate::RiskError;

/// Exact rational number used for every amount and ratio.
pub type Rational = BigRational;

/// Places kept by the decimal rendering of an exact value.
pub const DECIMAL_PLACES: u32 = 12;

/// Longest number text accepted (digits included), a limit on hostile input.
pub const MAX_NUMBER_LEN: usize = 200;

/// Parses a non-negative number: a decimal string (`"12"`, `"0.25"`) or a fraction (`"1/3"`).
///
/// # Errors
/// [`RiskError::BadNumber`] for anything else (signs, exponents, spaces, a zero denominator).
pub fn parse_rational(field: &str, text: &str) -> Result<Rational, RiskError> {
    let bad = || RiskError::BadNumber {
        field: field.to_owned(),
        value: text.to_owned(),
    };
    if text.is_empty() || text.len() > MAX_NUMBER_LEN {
        return Err(bad());
    }
    if let Some((num, den)) = text.split_once('/') {
        let num = parse_digits(num).ok_or_else(bad)?;
        let den = parse_digits(den).ok_or_else(bad)?;
        if den.is_zero() {
            return Err(bad());
        }
        return Ok(Rational::new(num, den));
    }
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    if text.contains('.') && frac_part.is_empty() {
        return Err(bad());
    }
    let int = parse_digits(int_part).ok_or_else(bad)?;
    if frac_part.is_empty() {
        return Ok(Rational::from_integer(int));
    }
    let frac = parse_digits(frac_part).ok_or_else(bad)?;
    let scale = pow10(frac_part.len());
    Ok(Rational::new(int * &scale + frac, scale))
}

/// Parses a number given either as a JSON string (decimal or `"p/q"`) or as a JSON integer.
///
/// JSON floats are refused: they cannot be read exactly.
///
/// # Errors
/// [`RiskError::BadNumber`].
pub fn parse_json_number(field: &str, value: &Value) -> Result<Rational, RiskError> {
    match value {
        Value::String(s) => parse_rational(field, s),
        Value::Number(n) => match n.as_u64() {
            Some(u) => Ok(Rational::from_integer(BigInt::from(u))),
            None => Err(RiskError::BadNumber {
                field: field.to_owned(),
                value: n.to_string(),
            }),
        },
        other => Err(RiskError::BadNumber {
            field: field.to_owned(),
            value: other.to_string(),
        }),
    }
}

fn parse_digits(text: &str) -> Option<BigInt> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    BigInt::parse_bytes(text.as_bytes(), 10)
}

fn pow10(n: usize) -> BigInt {
    let mut p = BigInt::one();
    for _ in 0..n {
        p *= 10;
    }
    p
}

/// The exact text of a value: `"p/q"` in lowest terms, or `"p"` when it is an integer.
#[must_use]
pub fn fraction_text(q: &Rational) -> String {
    q.to_string()
}

/// Decimal rendering rounded half away from zero to `places`, trailing zeros dropped.
#[must_use]
pub fn decimal_text(q: &Rational, places: u32) -> String {
    let scale = pow10(places as usize);
    let scaled = q.abs() * Rational::from_integer(scale.clone());
    let floor = scaled.floor().to_integer();
    let rest = &scaled - Rational::from_integer(floor.clone());
    let half = Rational::new(BigInt::one(), BigInt::from(2));
    let rounded = if rest >= half { floor + 1 } else { floor };
    let (int, frac) = rounded.div_rem(&scale);
    let mut text = int.to_string();
    if places > 0 && !frac.is_zero() {
        let digits = frac.to_string();
        let pad = places as usize - digits.len();
        let mut frac_text = "0".repeat(pad) + &digits;
        while frac_text.ends_with('0') {
            frac_text.pop();
        }
        text.push('.');
        text.push_str(&frac_text);
    }
    if q.is_negative() && text != "0" {
        text.insert(0, '-');
    }
    text
}

/// The JSON form of an exact value: `{"fraction": "p/q", "decimal": "0.123"}`.
#[must_use]
pub fn number_json(q: &Rational) -> Value {
    json!({ "fraction": fraction_text(q), "decimal": decimal_text(q, DECIMAL_PLACES) })
}

/// [`number_json`] of an optional value, `null` when absent.
#[must_use]
pub fn opt_number_json(q: Option<&Rational>) -> Value {
    q.map_or(Value::Null, number_json)
}

/// Zero as a [`Rational`].
#[must_use]
pub fn zero() -> Rational {
    Rational::zero()
}

/// An integer as a [`Rational`].
#[must_use]
pub fn int(n: i64) -> Rational {
    Rational::from_integer(BigInt::from(n))
}

/// `num / den` as a [`Rational`]; `den` must not be zero.
#[must_use]
pub fn ratio(num: i64, den: i64) -> Rational {
    debug_assert!(den != 0, "ratio with a zero denominator");
    Rational::new(BigInt::from(num), BigInt::from(den))
}

/// Least common multiple of the denominators of `values` (1 for an empty list).
#[must_use]
pub fn common_denominator<'a>(values: impl IntoIterator<Item = &'a Rational>) -> BigInt {
    values
        .into_iter()
        .fold(BigInt::one(), |acc, q| acc.lcm(q.denom()))
}

/// `⌈q⌉` for a rational.
#[must_use]
pub fn ceil_int(q: &Rational) -> BigInt {
    q.ceil().to_integer()
}

/// `true` when `b` is strictly positive.
#[must_use]
pub fn is_positive_int(b: &BigInt) -> bool {
    b.sign() == Sign::Plus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_fractions_and_integers_exactly() {
        assert_eq!(parse_rational("x", "12").ok(), Some(int(12)));
        assert_eq!(parse_rational("x", "0.25").ok(), Some(ratio(1, 4)));
        assert_eq!(parse_rational("x", "1/3").ok(), Some(ratio(1, 3)));
        assert_eq!(parse_rational("x", "4/6").ok(), Some(ratio(2, 3)));
        assert_eq!(parse_json_number("x", &json!(7)).ok(), Some(int(7)));
    }

    #[test]
    fn rejects_signs_exponents_floats_and_zero_denominators() {
        for bad in [
            "", "-1", "+1", "1e3", "1/0", ".5", "5.", "1 /3", "abc", "1/2/3", "0x10",
        ] {
            let err = parse_rational("x", bad).err().map(|e| e.code());
            assert_eq!(err, Some("bad_number"), "{bad}");
        }
        assert!(parse_json_number("x", &json!(0.5)).is_err());
        assert!(parse_json_number("x", &json!(-3)).is_err());
    }

    #[test]
    fn decimal_rendering_rounds_half_away_from_zero() {
        assert_eq!(decimal_text(&ratio(1, 3), 4), "0.3333");
        assert_eq!(decimal_text(&ratio(2, 3), 4), "0.6667");
        assert_eq!(decimal_text(&ratio(-3, 11), 4), "-0.2727");
        assert_eq!(decimal_text(&int(5), 4), "5");
        assert_eq!(decimal_text(&ratio(1, 8), 2), "0.13");
        assert_eq!(decimal_text(&ratio(-1, 1000), 2), "0");
    }
}
