//! # rampart-risk
//!
//! The Rampart risk engine: pure, deterministic functions over a read-only snapshot of a
//! restaking network (RISK.md). Every security result is an exact rational number.
//!
//! - [`graph`]: the restaking graph and its offline JSON file;
//! - [`certificate`]: the per-operator certificate `T_v`, `γ*` (O(edges));
//! - [`search`]: the exact attack search, exact γ-slack and worst cascade after a shock;
//! - [`concentration`]: HHI, Nakamoto coefficients, overlap, leverage;
//! - [`oracle`]: exhaustive reference answers used by the tests and benchmarks;
//! - [`stress`]: stress scenarios (slashing, de-peg with liquidations, exit race);
//! - [`analyze_json`] / [`analyze`]: the whole analysis as JSON (RISK.md §5);
//! - [`stress_json`]: a stress scenario file as JSON;
//! - [`live`]: the live `security` query: the graph of the protocol's state (read-only).
//!
//! # Invariants
//! - No floats anywhere; no hash-map iteration; output is byte-for-byte deterministic for a
//!   given input and work budget (a wall-time budget can only turn a proved answer into an
//!   honest "unknown").
//! - Bad input is an `Err` with a stable code ([`RiskError::code`]), never a panic.

pub mod analyze;
pub mod certificate;
pub mod concentration;
mod error;
pub mod graph;
pub mod live;
pub mod num;
pub mod oracle;
pub mod search;
pub mod seats;
pub mod stress;

pub use analyze::{Analysis, AnalyzeOptions, analyze};
pub use error::RiskError;
pub use graph::{Edge, Graph, GraphLimits, Model, ModelChoice, Operator, Service};
pub use num::Rational;

/// Analyses a graph file (RISK.md §5) and returns the JSON report.
///
/// # Errors
/// Any [`RiskError`] of reading the graph or of the options.
pub fn analyze_json(
    graph_json: &str,
    opts: &AnalyzeOptions,
) -> Result<serde_json::Value, RiskError> {
    let graph = Graph::from_json(graph_json)?;
    Ok(analyze(&graph, opts)?.to_json())
}

/// Runs a stress scenario file (format in docs/risk.md) and returns the JSON report. Progress
/// is reported as `(done, total)` steps through `progress`; nothing is printed.
///
/// # Errors
/// Any [`RiskError`] of reading the scenario.
pub fn stress_json(
    scenario_json: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<serde_json::Value, RiskError> {
    stress::run_scenario(scenario_json, progress)
}
