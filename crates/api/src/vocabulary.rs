//! The action vocabulary as clients see it: each action's fields, their types and which are
//! required, read from the core's own `Action` deserializer (so it cannot drift from what the
//! node accepts).
//!
//! How: `Action` is an internally tagged serde enum with `deny_unknown_fields`, so an unknown
//! field makes serde list every field of the variant; a value of the wrong shape makes it say
//! what it expected; and a missing field is named. [`missing_fields`] fills each missing field
//! with a value of its type and asks again, so every missing field is found in one call.

use crate::error::{ApiError, codes};
use serde_json::{Map, Value};

/// A field of an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its name in `args`.
    pub name: String,
    /// What it takes, for people (`address`, `amount`, `integer`, `one of open, approval`, …).
    pub kind: String,
    /// Whether it must be given.
    pub required: bool,
}

/// A key no action has (serde shows it as an empty name).
const PROBE: &str = "\u{1}";

/// Which vocabulary: the core's `Action` (tag `tx`) or its `Query` (tag `query`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Transactions' actions.
    Action,
    /// Queries.
    Query,
}

fn try_kind(kind: Kind, name: &str, fields: &Map<String, Value>) -> Result<(), String> {
    let mut object = fields.clone();
    let tag = match kind {
        Kind::Action => "tx",
        Kind::Query => "query",
    };
    object.insert(tag.into(), Value::String(name.to_owned()));
    let value = Value::Object(object);
    let result = match kind {
        Kind::Action => serde_json::from_value::<rampart_core::Action>(value).map(|_| ()),
        Kind::Query => serde_json::from_value::<rampart_core::Query>(value).map(|_| ()),
    };
    result.map_err(|e| e.to_string())
}

fn attempt(action: &str, fields: &Map<String, Value>) -> Result<(), String> {
    try_kind(Kind::Action, action, fields)
}

/// Every protocol query's name (the node adds `security` and `state_root`).
pub fn query_names() -> Vec<String> {
    try_kind(Kind::Query, PROBE, &Map::new())
        .err()
        .map(|m| expected_names(&m))
        .unwrap_or_default()
}

/// The fields of the protocol query `name`: names and kinds (required ones first found).
pub fn query_fields(name: &str) -> Vec<Field> {
    let mut probe = Map::new();
    probe.insert(PROBE.into(), Value::from(0));
    let Err(message) = try_kind(Kind::Query, name, &probe) else {
        return Vec::new();
    };
    if message.contains("there are no fields") || !message.contains("unknown field") {
        return Vec::new();
    }
    let missing = missing_of(Kind::Query, name, &Map::new()).unwrap_or_default();
    expected_names(&message)
        .into_iter()
        .map(|field| {
            let mut wrong = Map::new();
            wrong.insert(PROBE.into(), Value::from(0));
            let mut fields = Map::new();
            fields.insert(field.clone(), Value::Object(wrong));
            let kind = match try_kind(Kind::Query, name, &fields) {
                Err(m) if !m.starts_with("missing field") => kind_of(&m),
                _ => "object".to_owned(),
            };
            Field {
                required: missing.contains(&field),
                kind,
                name: field,
            }
        })
        .collect()
}

/// The names in serde's "expected one of `a`, `b`" / "expected `a` or `b`" / "expected `a`".
fn expected_names(message: &str) -> Vec<String> {
    let Some((_, list)) = message.split_once("expected ") else {
        return Vec::new();
    };
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every action's name.
pub fn action_names() -> Vec<String> {
    attempt(PROBE, &Map::new())
        .err()
        .map(|m| expected_names(&m))
        .unwrap_or_default()
}

fn unknown_action(action: &str) -> ApiError {
    ApiError::new(
        codes::UNKNOWN_ACTION,
        format!(
            "no action `{action}`; the actions are: {}",
            action_names().join(", ")
        ),
    )
}

/// What serde expected, for people.
fn kind_of(message: &str) -> String {
    let expected = message
        .split_once("expected ")
        .map_or(message, |(_, e)| e)
        .trim();
    if message.contains("unknown variant") {
        return format!("one of {}", expected_names(message).join(", "));
    }
    if message.contains("unknown field") {
        return format!("object {{{}}}", expected_names(message).join(", "));
    }
    let kind = if expected.contains("20 bytes") {
        "address (0x…, or @name in the CLI)"
    } else if expected.contains("\"all\" or a decimal string of base units") {
        "amount (base units, 1.5SYMBOL, or \"all\")"
    } else if expected.contains("decimal string of base units") {
        "amount (base units, or 1.5SYMBOL in the CLI)"
    } else if expected.starts_with("u64")
        || expected.starts_with("u32")
        || expected.starts_with("u16")
        || expected.starts_with("u8")
        || expected.contains("integer")
    {
        "integer"
    } else if expected.contains("a sequence") {
        "list (JSON array)"
    } else if expected.contains("a boolean") {
        "true or false"
    } else if expected.contains("a string") {
        "string"
    } else {
        expected
    };
    kind.to_owned()
}

/// A value of the kind serde described, to get past a missing field.
fn sample(message: &str) -> Value {
    if message.contains("unknown variant") {
        return expected_names(message)
            .first()
            .map_or(Value::Null, |v| Value::String(v.clone()));
    }
    let kind = kind_of(message);
    match kind.split(' ').next().unwrap_or_default() {
        "address" => Value::String(format!("0x{}", "0".repeat(40))),
        "integer" => Value::from(0),
        "list" => Value::Array(Vec::new()),
        "true" => Value::Bool(false),
        "object" => Value::Object(Map::new()),
        // A string that also reads as an operator set (`<service>/<id>`).
        _ => Value::String(format!("0x{}/0", "0".repeat(40))),
    }
}

/// The field `name` of `action` is of the kind serde names when given a map.
fn probe_kind(action: &str, name: &str) -> String {
    let mut fields = Map::new();
    let mut wrong = Map::new();
    wrong.insert(PROBE.into(), Value::from(0));
    fields.insert(name.to_owned(), Value::Object(wrong));
    match attempt(action, &fields) {
        Err(m) if !m.starts_with("missing field") => kind_of(&m),
        _ => "object".to_owned(),
    }
}

/// The fields of `action`, with their kinds and whether each is required.
pub fn action_fields(action: &str) -> Result<Vec<Field>, ApiError> {
    let mut probe = Map::new();
    probe.insert(PROBE.into(), Value::from(0));
    let message = match attempt(action, &probe) {
        Ok(()) => return Ok(Vec::new()),
        Err(m) => m,
    };
    if message.contains("unknown variant") {
        return Err(unknown_action(action));
    }
    let names = if message.contains("there are no fields") {
        Vec::new()
    } else {
        expected_names(&message)
    };
    let required = missing_fields(action, &Map::new())?;
    Ok(names
        .into_iter()
        .map(|name| Field {
            kind: probe_kind(action, &name),
            required: required.contains(&name),
            name,
        })
        .collect())
}

/// The required fields of `action` that `given` lacks, all of them (empty if none is missing).
pub fn missing_fields(action: &str, given: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    missing_of(Kind::Action, action, given)
}

/// The required fields of `action` (of `kind`) that `given` lacks.
fn missing_of(
    kind: Kind,
    action: &str,
    given: &Map<String, Value>,
) -> Result<Vec<String>, ApiError> {
    let mut fields = given.clone();
    let mut missing = Vec::new();
    // Each round names one more missing field; an action has far fewer than this.
    for _ in 0..64 {
        let message = match try_kind(kind, action, &fields) {
            Ok(()) => break,
            Err(m) => m,
        };
        if message.starts_with("unknown variant") {
            return Err(unknown_action(action));
        }
        let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        else {
            // Another error (a value of the wrong type): what is missing so far is all we know.
            break;
        };
        if fields.contains_key(name) {
            // A nested object's field: not ours to report.
            break;
        }
        missing.push(name.to_owned());
        let mut wrong = Map::new();
        wrong.insert(PROBE.into(), Value::from(0));
        let mut typed = fields.clone();
        typed.insert(name.to_owned(), Value::Object(wrong));
        let value = match try_kind(kind, action, &typed) {
            Err(m) if !m.starts_with("missing field") => sample(&m),
            _ => Value::Null,
        };
        fields.insert(name.to_owned(), value);
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_and_has_its_fields() {
        let names = action_names();
        assert!(names.len() > 30, "{names:?}");
        for name in &names {
            action_fields(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let transfer = action_fields("transfer").unwrap();
        let shown: Vec<(&str, bool)> = transfer
            .iter()
            .map(|f| (f.name.as_str(), f.required))
            .collect();
        assert_eq!(shown, [("to", true), ("asset", true), ("amount", true)]);
        assert!(transfer[0].kind.starts_with("address"));
        assert!(transfer[2].kind.starts_with("amount"));
    }

    #[test]
    fn optional_fields_are_not_required_and_enums_list_their_values() {
        let deposit = action_fields("deposit").unwrap();
        let min = deposit.iter().find(|f| f.name == "min_shares_out").unwrap();
        assert!(!min.required);
        let set = action_fields("create_operator_set").unwrap();
        let admission = set.iter().find(|f| f.name == "admission").unwrap();
        assert_eq!(admission.kind, "one of open, approval");
        assert!(!admission.required);
        assert!(set.iter().any(|f| f.name == "set_id" && f.required));
    }

    #[test]
    fn queries_list_their_fields() {
        let names = query_names();
        assert!(names.iter().any(|n| n == "position"), "{names:?}");
        let balance = query_fields("balance");
        let shown: Vec<(&str, bool)> = balance
            .iter()
            .map(|f| (f.name.as_str(), f.required))
            .collect();
        assert_eq!(shown, [("account", true), ("asset", true)]);
        assert!(query_fields("params").is_empty());
        assert!(query_fields("lst").iter().all(|f| !f.required));
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        assert_eq!(
            missing_fields("transfer", &Map::new()).unwrap(),
            ["to", "asset", "amount"]
        );
        let mut given = Map::new();
        given.insert("asset".into(), Value::from("stETH"));
        assert_eq!(
            missing_fields("transfer", &given).unwrap(),
            ["to", "amount"]
        );
        let e = missing_fields("transferr", &Map::new()).unwrap_err();
        assert_eq!(e.code, codes::UNKNOWN_ACTION);
        assert!(e.message.contains("transfer,"), "{e}");
    }
}
