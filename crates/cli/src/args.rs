//! Arguments shared by `tx` and `query`: `FIELD=VALUE` pairs, `@name` accounts, the node URL.

pub use crate::keys::Names;
use anyhow::{Context, bail};
use serde_json::{Map, Value};

/// Default node URL (`RAMPART_NODE` overrides it).
pub const DEFAULT_NODE: &str = "http://127.0.0.1:8645";

/// The decimals of each asset, asked of the node once per symbol.
pub fn node_decimals(
    client: &rampart_node::client::Client,
) -> impl FnMut(&str) -> anyhow::Result<u8> + '_ {
    let mut known = std::collections::BTreeMap::<String, u8>::new();
    move |symbol: &str| {
        if let Some(d) = known.get(symbol) {
            return Ok(*d);
        }
        let asset = client
            .query(&serde_json::json!({"query": "asset", "asset": symbol}))
            .with_context(|| format!("asking the node about {symbol}"))?;
        let d = asset["decimals"]
            .as_u64()
            .and_then(|d| u8::try_from(d).ok())
            .with_context(|| format!("the node gave no decimals for {symbol}"))?;
        known.insert(symbol.to_owned(), d);
        Ok(d)
    }
}

/// Builds a JSON object from `--args JSON` (optional) and `FIELD=VALUE` pairs (which win).
///
/// A value is JSON if it looks like an array, object, `true`, `false` or `null`; an integer
/// if it is all digits and fits `u64`; `@name` is the address of the keystore key `name`, or of
/// the dev account `name` with [`Names::KeystoreAndDev`] (`@alice/0` names alice's operator set
/// 0); `1.5stETH` is 1.5 tokens of stETH, converted exactly to base units with the asset's
/// `decimals` (asked of the node; more places than it has is an error, as is a symbol other
/// than the `asset` field's); anything else is a string.
pub fn fields(
    args_json: Option<&str>,
    pairs: &[String],
    keystore: &std::path::Path,
    names: Names,
    decimals: &mut dyn FnMut(&str) -> anyhow::Result<u8>,
) -> anyhow::Result<Map<String, Value>> {
    let mut map = match args_json {
        Some(text) => match serde_json::from_str(text).context("--args is not JSON")? {
            Value::Object(m) => m,
            _ => bail!("--args must be a JSON object"),
        },
        None => Map::new(),
    };
    for pair in pairs {
        let (key, raw) = pair
            .split_once('=')
            .with_context(|| format!("`{pair}` is not FIELD=VALUE"))?;
        let v = match token_amount(raw) {
            Some((units, symbol)) => {
                let places = decimals(symbol)
                    .with_context(|| format!("{key}={raw}: what are {symbol}'s decimals?"))?;
                Value::String(base_units(units, places).with_context(|| format!("{key}={raw}"))?)
            }
            None => value(raw, keystore, names)?,
        };
        map.insert(key.to_owned(), v);
    }
    let asset = map.get("asset").and_then(Value::as_str).map(str::to_owned);
    if let Some(asset) = asset {
        for pair in pairs {
            if let Some((key, raw)) = pair.split_once('=')
                && let Some((_, symbol)) = token_amount(raw)
                && symbol != asset
            {
                bail!("{key}={raw} is in {symbol}, but asset is {asset}");
            }
        }
    }
    Ok(map)
}

/// `1.5stETH` → (`"1.5"`, `"stETH"`): digits, an optional fraction, then a symbol (letters and
/// digits with at least one capital, as every asset symbol has; so `0xa1…` and other hex are
/// never read as amounts).
pub fn token_amount(raw: &str) -> Option<(&str, &str)> {
    if raw.starts_with("0x") || raw.starts_with("0X") {
        return None;
    }
    let split = raw.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, symbol) = raw.split_at(split);
    let number_ok = !number.is_empty()
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.matches('.').count() <= 1;
    let symbol_ok = symbol.starts_with(|c: char| c.is_ascii_alphabetic())
        && symbol.chars().all(|c| c.is_ascii_alphanumeric())
        && symbol.chars().any(|c| c.is_ascii_uppercase());
    (number_ok && symbol_ok).then_some((number, symbol))
}

/// Token units (`"1.5"`) as base units with `decimals` places, exactly; more places than
/// the asset has is an error.
pub fn base_units(units: &str, decimals: u8) -> anyhow::Result<String> {
    let (whole, fraction) = units.split_once('.').unwrap_or((units, ""));
    if fraction.len() > usize::from(decimals) {
        bail!(
            "{units} has {} decimal places; the asset has {decimals}",
            fraction.len()
        );
    }
    let digits = format!("{whole}{fraction:0<width$}", width = usize::from(decimals));
    let value: u128 = digits
        .parse()
        .with_context(|| format!("{units} does not fit the protocol's 128-bit amounts"))?;
    Ok(value.to_string())
}

/// Base units as token units with `decimals` places, trailing zeros dropped (`1500…0` → `1.5`).
pub fn token_units(base: u128, decimals: u8) -> String {
    let places = u32::from(decimals);
    let Some(scale) = 10u128.checked_pow(places) else {
        return base.to_string();
    };
    let (whole, fraction) = (base / scale, base % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0>width$}", width = usize::from(decimals));
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

fn value(raw: &str, keystore: &std::path::Path, names: Names) -> anyhow::Result<Value> {
    if let Some(name) = raw.strip_prefix('@') {
        let (account, rest) = match name.split_once('/') {
            Some((a, r)) => (a, Some(r)),
            None => (name, None),
        };
        let address = crate::keys::address_of(account, keystore, names)?;
        return Ok(Value::String(match rest {
            Some(r) => format!("{address:#x}/{r}"),
            None => format!("{address:#x}"),
        }));
    }
    let looks_json =
        raw.starts_with('[') || raw.starts_with('{') || ["true", "false", "null"].contains(&raw);
    if looks_json {
        return serde_json::from_str(raw).with_context(|| format!("`{raw}` is not valid JSON"));
    }
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if let (true, Ok(n)) = (digits, raw.parse::<u64>()) {
        return Ok(Value::from(n));
    }
    Ok(Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_become_typed_json_and_dev_names_become_addresses() {
        let dir = std::env::temp_dir().join("rampart-args-test-empty");
        let pairs = [
            "amount=100000000000000000000000".to_owned(),
            "set_id=3".into(),
            "strategies=[\"stETH\"]".into(),
            "operator=@op1".into(),
            "set=@oracle/0".into(),
            "asset=stETH".into(),
        ];
        let m = fields(
            Some(r#"{"amount": "1", "metadata_uri": "x"}"#),
            &pairs,
            &dir,
            Names::KeystoreAndDev,
            &mut no_units,
        )
        .unwrap();
        assert_eq!(m["amount"], "100000000000000000000000");
        assert_eq!(m["set_id"], 3);
        assert_eq!(m["strategies"], serde_json::json!(["stETH"]));
        let op1 = format!("{:#x}", rampart_scenario::names::dev_address("op1"));
        assert_eq!(m["operator"], op1.as_str());
        assert!(m["set"].as_str().unwrap().ends_with("/0"));
        assert_eq!(m["metadata_uri"], "x");
        assert!(
            fields(
                None,
                &["novalue".to_owned()],
                &dir,
                Names::KeystoreAndDev,
                &mut no_units
            )
            .is_err()
        );
    }

    fn no_units(symbol: &str) -> anyhow::Result<u8> {
        bail!("no asset {symbol} here")
    }

    #[test]
    fn token_amounts_convert_exactly_with_the_assets_decimals() {
        let dir = std::env::temp_dir().join("rampart-args-test-units");
        let mut decimals = |s: &str| match s {
            "stETH" => Ok(18),
            "USDC" => Ok(6),
            _ => bail!("unknown asset {s}"),
        };
        let pairs = ["asset=stETH".to_owned(), "amount=1.5stETH".into()];
        let m = fields(None, &pairs, &dir, Names::Keystore, &mut decimals).unwrap();
        assert_eq!(m["amount"], "1500000000000000000");
        let m = fields(
            None,
            &["amount=0.000001USDC".into()],
            &dir,
            Names::Keystore,
            &mut decimals,
        )
        .unwrap();
        assert_eq!(m["amount"], "1");
        let e = fields(
            None,
            &["amount=0.0000001USDC".into()],
            &dir,
            Names::Keystore,
            &mut decimals,
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("7 decimal places; the asset has 6"),
            "{e:#}"
        );
        let e = fields(
            None,
            &["asset=stETH".into(), "amount=2USDC".into()],
            &dir,
            Names::Keystore,
            &mut decimals,
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("is in USDC, but asset is stETH"),
            "{e:#}"
        );
        // A plain integer stays base units.
        let m = fields(
            None,
            &["amount=15".into()],
            &dir,
            Names::Keystore,
            &mut decimals,
        )
        .unwrap();
        assert_eq!(m["amount"], 15);
        assert_eq!(token_units(1_500_000_000_000_000_000, 18), "1.5");
        assert_eq!(token_units(7, 18), "0.000000000000000007");
        assert_eq!(token_units(2_000_000, 6), "2");
        assert!(token_amount("1.5.1stETH").is_none() && token_amount("stETH").is_none());
        assert!(
            token_amount(&format!("0x{}", "a1".repeat(32))).is_none(),
            "hex is not an amount"
        );
        assert!(
            token_amount("12abcdef").is_none(),
            "hex without 0x is not an amount"
        );
    }

    #[test]
    fn a_dev_name_without_dev_is_an_error_listing_the_known_names() {
        let dir = std::env::temp_dir().join("rampart-args-test-names-empty");
        let e = fields(
            None,
            &["to=@bobb".to_owned()],
            &dir,
            Names::Keystore,
            &mut no_units,
        )
        .unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("no key `@bobb`") && text.contains("--dev"),
            "{text}"
        );
    }
}
