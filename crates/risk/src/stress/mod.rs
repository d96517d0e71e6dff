//! Stress tests (RISK.md §4), run on a copy of their inputs: correlated slashing, an LRT
//! de-peg through a StableSwap pool into lending markets with looped positions, and an exit
//! race between the AMM and the withdrawal queue.
//!
//! The scenario file (documented in docs/risk.md) has any of three sections, run in this order:
//! `slashing`, `depeg`, `exit_race`. Every amount is exact (rationals; the pool in integer base
//! units), every run deterministic, and progress goes through a callback, never to stdout.

pub mod exit;
pub mod lending;
pub mod slashing;
pub mod stableswap;

use serde_json::{Map, Value};

use crate::RiskError;
use crate::num::{Rational, parse_json_number};

/// The built-in stress scenarios (`crates/risk/examples/`), by name. The node serves them (and
/// their results) to the dashboard.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "depeg-flat-then-cliff",
        include_str!("../../examples/depeg-flat-then-cliff.json"),
    ),
    (
        "depeg-exchange-rate-oracle",
        include_str!("../../examples/depeg-exchange-rate-oracle.json"),
    ),
    (
        "correlated-slashing",
        include_str!("../../examples/correlated-slashing.json"),
    ),
    ("exit-race", include_str!("../../examples/exit-race.json")),
];

/// The built-in scenario `name`, if there is one.
#[must_use]
pub fn example(name: &str) -> Option<&'static str> {
    EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Runs a scenario document and returns its JSON report.
///
/// # Errors
/// [`RiskError::Json`] / [`RiskError::BadScenario`] for a malformed scenario, and the graph
/// errors for the slashing section's graph.
pub fn run_scenario(text: &str, progress: &mut dyn FnMut(u64, u64)) -> Result<Value, RiskError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| RiskError::json("document", e.to_string()))?;
    let root = Fields::new(&doc, "scenario")?;
    root.only(&["name", "slashing", "depeg", "exit_race"])?;
    let slashing = root
        .opt_object("slashing")?
        .map(|f| slashing::Slashing::parse(&f))
        .transpose()?;
    let depeg = root
        .opt_object("depeg")?
        .map(|f| lending::Depeg::parse(&f))
        .transpose()?;
    let exit = root
        .opt_object("exit_race")?
        .map(|f| exit::ExitRace::parse(&f))
        .transpose()?;
    if slashing.is_none() && depeg.is_none() && exit.is_none() {
        return Err(RiskError::scenario(
            "scenario",
            "needs at least one of slashing, depeg, exit_race",
        ));
    }
    let total = slashing.as_ref().map_or(0, |s| s.steps())
        + depeg.as_ref().map_or(0, |d| d.steps())
        + exit.as_ref().map_or(0, |e| e.steps());
    let mut done = 0u64;
    let mut out = Map::new();
    if let Some(name) = root.opt_str("name")? {
        out.insert("name".into(), Value::String(name));
    }
    if let Some(s) = slashing {
        let steps = s.steps();
        out.insert(
            "slashing".into(),
            s.run(&mut |k| progress(done + k, total))?,
        );
        done += steps;
    }
    if let Some(d) = depeg {
        let steps = d.steps();
        out.insert("depeg".into(), d.run(&mut |k| progress(done + k, total))?);
        done += steps;
    }
    if let Some(e) = exit {
        let steps = e.steps();
        out.insert(
            "exit_race".into(),
            e.run(&mut |k| progress(done + k, total))?,
        );
        done += steps;
    }
    progress(done, total);
    Ok(Value::Object(out))
}

/// Typed access to a JSON object with paths in the errors.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(value: &'a Value, path: &str) -> Result<Self, RiskError> {
        let map = value
            .as_object()
            .ok_or_else(|| RiskError::json(path, "expected an object"))?;
        Ok(Self {
            map,
            path: path.to_owned(),
        })
    }

    pub(crate) fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// Refuses unknown keys (a typo must not silently change a scenario).
    pub(crate) fn only(&self, keys: &[&str]) -> Result<(), RiskError> {
        match self.map.keys().find(|k| !keys.contains(&k.as_str())) {
            Some(k) => Err(RiskError::scenario(self.path(k), "unknown field")),
            None => Ok(()),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub(crate) fn number(&self, key: &str) -> Result<Rational, RiskError> {
        let v = self
            .get(key)
            .ok_or_else(|| RiskError::scenario(self.path(key), "missing"))?;
        parse_json_number(&self.path(key), v)
    }

    pub(crate) fn opt_number(&self, key: &str) -> Result<Option<Rational>, RiskError> {
        self.get(key)
            .map(|v| parse_json_number(&self.path(key), v))
            .transpose()
    }

    pub(crate) fn fraction(&self, key: &str) -> Result<Rational, RiskError> {
        let q = self.number(key)?;
        check_fraction(&self.path(key), &q)?;
        Ok(q)
    }

    pub(crate) fn string(&self, key: &str) -> Result<String, RiskError> {
        self.opt_str(key)?
            .ok_or_else(|| RiskError::scenario(self.path(key), "missing"))
    }

    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>, RiskError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(RiskError::scenario(self.path(key), "expected a string")),
        }
    }

    pub(crate) fn opt_object(&self, key: &str) -> Result<Option<Fields<'a>>, RiskError> {
        self.get(key)
            .map(|v| Fields::new(v, &self.path(key)))
            .transpose()
    }

    pub(crate) fn object(&self, key: &str) -> Result<Fields<'a>, RiskError> {
        self.opt_object(key)?
            .ok_or_else(|| RiskError::scenario(self.path(key), "missing"))
    }

    pub(crate) fn array(&self, key: &str) -> Result<&'a Vec<Value>, RiskError> {
        match self.get(key) {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(RiskError::scenario(self.path(key), "expected an array")),
            None => Err(RiskError::scenario(self.path(key), "missing")),
        }
    }

    pub(crate) fn opt_array(&self, key: &str) -> Result<&'a [Value], RiskError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(_) => self.array(key).map(Vec::as_slice),
        }
    }

    pub(crate) fn count(&self, key: &str, default: u64, max: u64) -> Result<u64, RiskError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.as_u64() {
                Some(n) if n <= max => Ok(n),
                _ => Err(RiskError::scenario(
                    self.path(key),
                    format!("expected an integer in [0, {max}]"),
                )),
            },
        }
    }
}

/// Checks `0 ≤ q ≤ 1`.
pub(crate) fn check_fraction(path: &str, q: &Rational) -> Result<(), RiskError> {
    if q < &Rational::from_integer(0.into()) || q > &Rational::from_integer(1.into()) {
        return Err(RiskError::OutOfRange {
            field: path.to_owned(),
            value: q.to_string(),
            range: "[0, 1]",
        });
    }
    Ok(())
}
