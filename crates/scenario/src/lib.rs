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
//!
//! Double-sign evidence (`submit_double_sign_evidence`) takes its signatures as literal `0x` hex,
//! as a watcher would paste them, or as `{"signed_by": NAME}`: the runner signs the step's own
//! (chain, set, height, digest) with `NAME`'s dev key ([`attest`]); `chain_id`, `set`, `height`
//! or `digest` inside the object sign something else instead (a wrong-chain or wrong-height
//! signature, say).

pub mod attest;
pub mod names;
mod runner;

pub use runner::{Report, ScenarioError, run, state_root};
