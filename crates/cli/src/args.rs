//! Arguments shared by `tx` and `query`: `FIELD=VALUE` pairs, `@name` accounts, the node URL.

pub use crate::keys::Names;
use anyhow::{Context, bail};
use serde_json::{Map, Value};

/// Default node URL (`RAMPART_NODE` overrides it).
pub const DEFAULT_NODE: &str = "http://127.0.0.1:8645";

/// Builds a JSON object from `--args JSON` (optional) and `FIELD=VALUE` pairs (which win).
///
/// A value is JSON if it looks like an array, object, `true`, `false` or `null`; an integer
/// if it is all digits and fits `u64`; `@name` is the address of the keystore key `name`, or of
/// the dev account `name` with [`Names::KeystoreAndDev`] (`@alice/0` names alice's operator set
/// 0); anything else is a string.
pub fn fields(
    args_json: Option<&str>,
    pairs: &[String],
    keystore: &std::path::Path,
    names: Names,
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
        map.insert(key.to_owned(), value(raw, keystore, names)?);
    }
    Ok(map)
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
        )
        .unwrap();
        assert_eq!(m["amount"], "100000000000000000000000");
        assert_eq!(m["set_id"], 3);
        assert_eq!(m["strategies"], serde_json::json!(["stETH"]));
        let op1 = format!("{:#x}", rampart_scenario::names::dev_address("op1"));
        assert_eq!(m["operator"], op1.as_str());
        assert!(m["set"].as_str().unwrap().ends_with("/0"));
        assert_eq!(m["metadata_uri"], "x");
        assert!(fields(None, &["novalue".to_owned()], &dir, Names::KeystoreAndDev).is_err());
    }

    #[test]
    fn a_dev_name_without_dev_is_an_error_listing_the_known_names() {
        let dir = std::env::temp_dir().join("rampart-args-test-names-empty");
        let e = fields(None, &["to=@bobb".to_owned()], &dir, Names::Keystore).unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("no key `@bobb`") && text.contains("--dev"),
            "{text}"
        );
    }
}
