//! The scenario runner (PRODUCT.md, "Scenario file format"): the deterministic what-if tool for
//! users and the harness for acceptance tests.
//!
//! A scenario names accounts; each name gets a deterministic dev key ([`names`]). Steps run in
//! order on an in-memory chain: `tx` (signed by `from` as EIP-712 typed data with its dev key,
//! verified by the node's `rampart_api::Verifier`, executed as the recovered signer), `advance`
//! (block time moves, epoch boundaries and delayed effects are processed), `query` (every
//! protocol query, `state_root`, and `security`: the risk engine on the live state), `fault`. Each step prints one JSON
//! object; a final object carries the state root and the invariant check. Invariants are checked
//! after every step.

pub mod names;
mod runner;

pub use runner::{Report, ScenarioError, run, state_root};
