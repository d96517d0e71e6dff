//! The scenario runner (PRODUCT.md, "Scenario file format"): the deterministic what-if tool for
//! users and the harness for acceptance tests.
//!
//! A scenario names accounts; each name gets a deterministic dev key ([`names`]). Steps run in
//! order on an in-memory chain: `tx` (signed by `from`), `advance` (block time moves, epoch
//! boundaries and delayed effects are processed), `query`, `fault`. Each step prints one JSON
//! object; a final object carries the state root and the invariant check. Invariants are checked
//! after every step.

pub mod names;
mod runner;

pub use runner::{Report, ScenarioError, run, state_root};
