//! Rampart on Commonware: simplex + marshal with the ed25519 scheme (`docs/consensus.md`,
//! "Engine").
//!
//! - [`block`]: the consensus block and its codec.
//! - [`app`]: the [`commonware_consensus::Application`] (propose from the mempool; verify =
//!   decode + stateless checks + the delayed state-root checkpoint), wrapped by marshal's
//!   `Inline` into simplex's automaton, relay and reporter.
//! - [`reporter`]: simplex activity → the parent certificates blocks carry (uptime) and
//!   conflicting votes → core [`ConsensusEvidence`](rampart_core::base::ConsensusEvidence).
//! - [`executor`]: marshal's finalized blocks → the node's `Chain::execute` + `commit`, with the
//!   block's time; epoch hand-over signals.
//! - [`engine`]: one validator's stack (marshal, broadcast, resolver) and the orchestrator that
//!   runs one simplex engine per consensus epoch with the committee read from state.
//! - [`gossip`]: mempool gossip (what a node's API admits reaches every peer's mempool).
//! - [`convert`]: Commonware keys and votes ↔ the core's types.
//! - [`elector`]: stake-weighted leader election (the core's `leader_seat` over seat stakes).
//!
//! Execution happens on finalization only: nothing executes speculatively, so the node's
//! single `Chain` stays the source of truth and `rampart dev` (single producer) never touches
//! this crate.

pub mod app;
pub mod block;
pub mod convert;
pub mod elector;
pub mod engine;
pub mod executor;
pub mod gossip;
pub mod network;
pub mod reporter;

use std::sync::atomic::{AtomicU64, Ordering};

/// What the engine dropped or refused, counted (bad input never crashes a validator).
#[derive(Debug, Default)]
pub struct Stats {
    /// Blocks proposed by this validator.
    pub proposed: AtomicU64,
    /// Blocks verified and voted for.
    pub verified: AtomicU64,
    /// Blocks refused by verification (malformed content, bad signatures, wrong proposer, …).
    pub invalid_blocks: AtomicU64,
    /// Blocks refused because their checkpoint disagrees with this node's state root.
    pub checkpoint_mismatches: AtomicU64,
    /// Equivocation evidence reported by the engine and accepted into the pool.
    pub evidence_reported: AtomicU64,
    /// Evidence reported by the engine that the core refused.
    pub evidence_refused: AtomicU64,
    /// Finalized blocks executed.
    pub executed: AtomicU64,
    /// Parent certificates that could not be decoded (no missed signatures reported).
    pub bad_certificates: AtomicU64,
    /// Transactions this node gossiped to its peers.
    pub gossip_sent: AtomicU64,
    /// Gossiped transactions admitted into this node's mempool.
    pub gossip_admitted: AtomicU64,
    /// Gossiped transactions admission refused (already pending, a nonce gap, fees, …).
    pub gossip_refused: AtomicU64,
    /// Gossiped transactions that did not parse or whose signature did not verify.
    pub gossip_invalid: AtomicU64,
    /// Gossip messages that did not decode (their sender is blocked).
    pub gossip_malformed: AtomicU64,
}

impl Stats {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Every counter by name (for `/v1/consensus`).
    pub fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("proposed", Self::get(&self.proposed)),
            ("verified", Self::get(&self.verified)),
            ("invalid_blocks", Self::get(&self.invalid_blocks)),
            (
                "checkpoint_mismatches",
                Self::get(&self.checkpoint_mismatches),
            ),
            ("evidence_reported", Self::get(&self.evidence_reported)),
            ("evidence_refused", Self::get(&self.evidence_refused)),
            ("executed", Self::get(&self.executed)),
            ("bad_certificates", Self::get(&self.bad_certificates)),
            ("gossip_sent", Self::get(&self.gossip_sent)),
            ("gossip_admitted", Self::get(&self.gossip_admitted)),
            ("gossip_refused", Self::get(&self.gossip_refused)),
            ("gossip_invalid", Self::get(&self.gossip_invalid)),
            ("gossip_malformed", Self::get(&self.gossip_malformed)),
        ]
    }
}
