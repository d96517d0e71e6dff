//! Query answers for people: accounts by name, amounts in token units (`--json` keeps the wire
//! form: addresses and base units).
//!
//! Names come from the node's display names (`GET /v1/network` `labels`) and the local keystore.
//! An amount is shown in token units where its object names its `asset` (`amount`, `balance`
//! and `…_amount` fields), with the asset's decimals; everything else is shown as it is.

use serde_json::Value;
use std::collections::BTreeMap;

/// Known names by lowercase address.
pub type Names = BTreeMap<String, String>;

/// `value` as indented `key: value` lines.
pub fn people(
    value: &Value,
    names: &Names,
    decimals: &mut dyn FnMut(&str) -> anyhow::Result<u8>,
) -> String {
    let mut out = String::new();
    render(value, None, 0, names, decimals, &mut out);
    out
}

fn is_amount_key(key: &str) -> bool {
    key == "amount" || key == "balance" || key.ends_with("_amount")
}

fn address_text(text: &str, names: &Names) -> Option<String> {
    let (head, tail) = text
        .split_once('/')
        .map_or((text, None), |(h, t)| (h, Some(t)));
    let is_address = head.len() == 42
        && head.starts_with("0x")
        && head[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if !is_address {
        return None;
    }
    let name = names.get(&head.to_ascii_lowercase())?;
    Some(match tail {
        Some(t) => format!("{name}/{t} ({text})"),
        None => format!("{name} ({head})"),
    })
}

fn scalar(
    key: Option<&str>,
    value: &Value,
    asset: Option<&str>,
    names: &Names,
    decimals: &mut dyn FnMut(&str) -> anyhow::Result<u8>,
) -> String {
    match value {
        Value::String(s) => {
            if let (Some(k), Some(asset)) = (key, asset)
                && is_amount_key(k)
                && let Ok(base) = s.parse::<u128>()
                && let Ok(d) = decimals(asset)
            {
                return format!("{} {asset}", crate::args::token_units(base, d));
            }
            address_text(s, names).unwrap_or_else(|| s.clone())
        }
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

fn render(
    value: &Value,
    key: Option<&str>,
    indent: usize,
    names: &Names,
    decimals: &mut dyn FnMut(&str) -> anyhow::Result<u8>,
    out: &mut String,
) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) => {
            let asset = map.get("asset").and_then(Value::as_str).map(str::to_owned);
            for (k, v) in map {
                if v.is_object() || v.is_array() {
                    if v.as_array().is_some_and(Vec::is_empty) {
                        out.push_str(&format!("{pad}{k}: []\n"));
                        continue;
                    }
                    out.push_str(&format!("{pad}{k}:\n"));
                    render(v, Some(k), indent + 1, names, decimals, out);
                } else {
                    let shown = scalar(Some(k), v, asset.as_deref(), names, decimals);
                    out.push_str(&format!("{pad}{k}: {shown}\n"));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if item.is_object() || item.is_array() {
                    out.push_str(&format!("{pad}-\n"));
                    render(item, key, indent + 1, names, decimals, out);
                } else {
                    let shown = scalar(key, item, None, names, decimals);
                    out.push_str(&format!("{pad}- {shown}\n"));
                }
            }
        }
        other => {
            let shown = scalar(key, other, None, names, decimals);
            out.push_str(&format!("{pad}{shown}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_show_in_token_units_and_addresses_by_name() {
        let alice = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
        let names = Names::from([(alice.to_owned(), "alice".to_owned())]);
        let mut decimals = |s: &str| match s {
            "stETH" => Ok(18),
            _ => anyhow::bail!("unknown"),
        };
        let v = json!({"account": alice, "asset": "stETH", "amount": "1500000000000000000",
                       "shares": "7", "sets": [format!("{alice}/0")], "other": "0x0000000000000000000000000000000000000001"});
        let text = people(&v, &names, &mut decimals);
        assert!(text.contains("account: alice (0x7099"), "{text}");
        assert!(text.contains("amount: 1.5 stETH"), "{text}");
        assert!(text.contains("shares: 7\n"), "{text}");
        assert!(text.contains("- alice/0 ("), "{text}");
        assert!(
            text.contains("other: 0x0000000000000000000000000000000000000001"),
            "{text}"
        );
    }
}
