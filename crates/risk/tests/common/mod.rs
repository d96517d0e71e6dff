//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rampart_risk::num::parse_rational;
use rampart_risk::{AnalyzeOptions, Graph, Rational};
use serde_json::{Value, json};

/// An exact number from text (`"1/3"`, `"0.5"`).
pub fn q(text: &str) -> Rational {
    match text.strip_prefix('-') {
        Some(rest) => -parse_rational("test", rest).expect("test numbers are well formed"),
        None => parse_rational("test", text).expect("test numbers are well formed"),
    }
}

/// A graph file built from (id, profit, threshold) services, (id, stake) operators and
/// (service, operator[, allocation]) edges.
pub fn graph_json(
    services: &[(&str, &str, &str)],
    operators: &[(&str, &str)],
    edges: &[&[&str]],
) -> String {
    let services: Vec<Value> = services
        .iter()
        .map(|(id, p, a)| json!({"id": id, "profit": p, "threshold": a}))
        .collect();
    let operators: Vec<Value> = operators
        .iter()
        .map(|(id, s)| json!({"id": id, "stake": s}))
        .collect();
    let edges: Vec<Value> = edges.iter().map(|e| json!(e)).collect();
    json!({"services": services, "operators": operators, "edges": edges}).to_string()
}

/// [`graph_json`] parsed.
pub fn graph(
    services: &[(&str, &str, &str)],
    operators: &[(&str, &str)],
    edges: &[&[&str]],
) -> Graph {
    Graph::from_json(&graph_json(services, operators, edges)).expect("test graphs are valid")
}

/// Options with a deterministic work budget and no wall-time limit in practice.
pub fn opts() -> AnalyzeOptions {
    AnalyzeOptions {
        budget_ms: 600_000,
        work_budget: Some(5_000_000),
        ..AnalyzeOptions::default()
    }
}

/// The exact fraction text of a `{"fraction", "decimal"}` JSON number.
pub fn frac(v: &Value) -> Option<&str> {
    v.get("fraction").and_then(Value::as_str)
}
