//! Strict JSON for signed text: what a wallet shows is what runs.
//!
//! `serde_json` alone accepts JSON whose meaning differs from what a person reads: a duplicate
//! key (`{"to":A,"amount":"1000","to":B,"amount":"7"}` runs as the last `to` and `amount`), a key
//! written with escapes (`"\u0074o"` runs as `to`), a value with escapes (`"\u0073tETH"` is
//! shown as written and runs as `stETH`), invisible characters (a right-to-left override that
//! shows `stETH` for another text), an address in mixed case whose checksum is wrong (a typo
//! that still parses). [`parse`] and [`check_addresses`] refuse all of them, at any depth
//! (escapes other than `\"` and `\\` are refused outright), and [`parse`] reads
//! integers above `u64` (which `serde_json` would turn into floating point) as the decimal
//! strings the protocol's amounts accept, so `"amount": 100000000000000000000000` is the same
//! amount as `"amount": "100000000000000000000000"`.

use crate::error::{ApiError, codes};
use alloy_primitives::Address;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::fmt;

/// Parses `text` as strict JSON (see the module docs); `what` names it in errors.
pub fn parse(what: &str, text: &str) -> Result<Value, ApiError> {
    let widened = prepare(what, text)?;
    let mut de = serde_json::Deserializer::from_str(&widened);
    let value = Strict
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            let message = e.to_string();
            let code = if e.is_data() {
                codes::INVALID_INPUT
            } else {
                codes::MALFORMED_JSON
            };
            ApiError::new(code, format!("{what}: {message}"))
        })?;
    Ok(value)
}

/// Checks every string in `value` that is an address (`0x` and 40 hex digits, alone or before
/// a `/`, as operator sets are written): mixed case must be a valid EIP-55 checksum.
pub fn check_addresses(value: &Value) -> Result<(), ApiError> {
    match value {
        Value::String(s) => check_address_text(s),
        Value::Array(items) => items.iter().try_for_each(check_addresses),
        Value::Object(map) => map.values().try_for_each(check_addresses),
        _ => Ok(()),
    }
}

fn check_address_text(text: &str) -> Result<(), ApiError> {
    let head = text.split('/').next().unwrap_or(text);
    let is_address = head.len() == 42
        && head.starts_with("0x")
        && head[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if !is_address {
        return Ok(());
    }
    parse_address(head).map(|_| ())
}

/// Parses an address: `0x` and 40 hex digits, all lower case, all upper case, or mixed case
/// with a valid EIP-55 checksum. Errors say what is wrong and show the expected form.
pub fn parse_address(text: &str) -> Result<Address, ApiError> {
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"));
    let Some(hex) = hex else {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!(
                "`{}` is not an address: expected 0x followed by 40 hex digits",
                short(text)
            ),
        ));
    };
    if hex.len() != 40 {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!(
                "`{}` has {} hex digits, an address has 40 (0x followed by 40 hex digits)",
                short(text),
                hex.len()
            ),
        ));
    }
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!(
                "`{}` is not hex: an address is 0x followed by 40 hex digits",
                short(text)
            ),
        ));
    }
    let lower = hex.bytes().all(|b| !b.is_ascii_uppercase());
    let upper = hex.bytes().all(|b| !b.is_ascii_lowercase());
    let address: Address = format!("0x{hex}").parse().map_err(|_| {
        ApiError::new(
            codes::INVALID_INPUT,
            format!("`{}` is not an address", short(text)),
        )
    })?;
    if !(lower || upper) && address.to_checksum(None) != format!("0x{hex}") {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!(
                "`{text}` has mixed case but not the EIP-55 checksum ({}): a typo? Write it all lower case, or with its checksum",
                address.to_checksum(None)
            ),
        ));
    }
    Ok(address)
}

fn short(text: &str) -> String {
    let mut end = text.len().min(60);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Scans `text` once: refuses escapes a wallet would show differently from what runs (any
/// `\uXXXX`, `\/`, control escapes; only `\"` and `\\` are plain enough), and puts
/// quotes around integer literals (outside strings) that do not fit `u64`, so they reach the
/// amount parsers as exact decimal strings instead of floating point.
fn prepare<'a>(what: &str, text: &'a str) -> Result<std::borrow::Cow<'a, str>, ApiError> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => {
                    let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                    if !matches!(next, b'"' | b'\\') {
                        return Err(ApiError::new(
                            codes::INVALID_INPUT,
                            format!(
                                "{what}: the escape `\\{}` shows differently from what it means; write the character itself",
                                char::from(next)
                            ),
                        ));
                    }
                    i += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let ends_integer = bytes
                .get(i)
                .is_none_or(|c| !matches!(c, b'.' | b'e' | b'E'));
            // Digits after a sign, a decimal point or an exponent are part of another number.
            let part_of_number =
                start > 0 && matches!(bytes[start - 1], b'-' | b'+' | b'.' | b'e' | b'E');
            let literal = &text[start..i];
            if ends_integer && !part_of_number && literal.parse::<u64>().is_err() {
                let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
                buf.push_str(&text[copied..start]);
                buf.push('"');
                buf.push_str(literal);
                buf.push('"');
                copied = i;
            }
            continue;
        }
        i += 1;
    }
    Ok(match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            std::borrow::Cow::Owned(buf)
        }
    })
}

/// Characters that change how text looks without being seen: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark, and controls.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

fn check_visible<E: de::Error>(text: &str) -> Result<(), E> {
    match text.chars().find(|c| is_hidden(*c)) {
        None => Ok(()),
        Some(c) => Err(E::custom(format!(
            "`{}` contains the invisible character U+{:04X}; signed text must read as it runs",
            short(&text.replace(c, "\u{fffd}")),
            u32::from(c)
        ))),
    }
}

/// A JSON value with no duplicate and no escaped keys.
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        check_visible(v)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        check_visible(&v)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut seen = BTreeSet::new();
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(PlainKey)? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}`: every key may appear once"
                )));
            }
            let value = map.next_value_seed(Strict)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// An object key written without escapes (it reads as it runs).
struct PlainKey;

impl<'de> DeserializeSeed<'de> for PlainKey {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for PlainKey {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<String, E> {
        check_visible(v)?;
        Ok(v.to_owned())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Err(E::custom(format!(
            "the key `{}` is written with escapes; write keys as plain text",
            short(v)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let e = parse(
            "args",
            r#"{"to":"a","amount":"1000","to":"b","amount":"7"}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("duplicate key `to`"), "{e}");
        assert!(parse("args", r#"{"x":{"k":1,"k":2}}"#).is_err());
        assert!(parse("args", r#"{"x":[{"k":1,"k":2}]}"#).is_err());
        assert!(parse("args", r#"{"a":{"k":1},"b":{"k":2}}"#).is_ok());
    }

    #[test]
    fn escaped_keys_are_refused_and_escaped_values_kept() {
        assert!(parse("args", r#"{"\u0074o":"a"}"#).is_err());
        let v = parse("args", r#"{"memo":"a\"b"}"#).unwrap();
        assert_eq!(v["memo"], "a\"b");
    }

    #[test]
    fn integers_above_u64_become_exact_strings_and_others_stay() {
        let v = parse(
            "args",
            r#"{"amount":100000000000000000000000,"n":3,"f":1.5,"s":"99999999999999999999999"}"#,
        )
        .unwrap();
        assert_eq!(v["amount"], "100000000000000000000000");
        assert_eq!(v["n"], 3);
        assert_eq!(v["f"], 1.5);
        assert_eq!(v["s"], "99999999999999999999999");
        assert!(parse("args", r#"{"a":1e30}"#).unwrap()["a"].is_f64());
    }

    #[test]
    fn escapes_that_read_differently_are_refused() {
        for text in [
            r#"{"asset":"\u0073tETH"}"#,
            r#"{"memo":"a\/b"}"#,
            r#"{"memo":"a\nb"}"#,
        ] {
            let e = parse("args", text).unwrap_err();
            assert!(e.message.contains("shows differently"), "{text}: {e}");
        }
        assert_eq!(parse("args", r#"{"memo":"a\\b"}"#).unwrap()["memo"], "a\\b");
    }

    #[test]
    fn invisible_characters_are_refused_in_keys_and_values() {
        for text in [
            "{\"asset\":\"st\u{202E}HTE\"}",
            "{\"to\u{200B}\":\"a\"}",
            "{\"m\":\"\u{FEFF}x\"}",
        ] {
            let e = parse("args", text).unwrap_err();
            assert!(e.message.contains("invisible character"), "{text}: {e}");
        }
        assert!(parse("args", r#"{"name":"Zürich ✓"}"#).is_ok());
    }

    #[test]
    fn fractions_and_exponents_with_long_digits_stay_numbers() {
        let v = parse(
            "args",
            r#"{"a":1.123456789012345678901,"b":2e-100000000000000000000}"#,
        );
        assert!(v.map(|v| v["a"].is_f64()).unwrap_or(true));
        assert!(parse("args", r#"{"a":-100000000000000000000}"#).unwrap()["a"].is_f64());
    }

    #[test]
    fn mixed_case_addresses_need_their_checksum() {
        let good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
        assert!(parse_address(good).is_ok());
        assert!(parse_address(&good.to_lowercase()).is_ok());
        assert!(parse_address(&format!("0x{}", good[2..].to_uppercase())).is_ok());
        let typo = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8";
        let e = parse_address(typo).unwrap_err();
        assert!(e.message.contains("EIP-55"), "{e}");
        let short = parse_address("0x1234").unwrap_err();
        assert!(
            short
                .message
                .contains("has 4 hex digits, an address has 40"),
            "{short}"
        );
        assert!(check_addresses(&serde_json::json!({"set": format!("{typo}/0")})).is_err());
        assert!(check_addresses(&serde_json::json!({"to": good, "memo": "0xzz"})).is_ok());
    }
}
