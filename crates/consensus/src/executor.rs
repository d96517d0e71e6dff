//! The finalized-block executor: marshal delivers finalized blocks in height order, at least
//! once, after persisting them; each runs through the node's `Chain::execute` + `commit` with
//! the block's own time and proposer, then is acknowledged.
//!
//! - A block at or below the node's head was executed before a restart: acknowledged again.
//! - The block's checkpoint must equal this node's root at that height; if not, this node's
//!   execution diverged from a quorum's, and it halts (the node fails, nothing is acknowledged)
//!   instead of forking silently.
//! - The parent's certificate gives `missed`: the members of the parent's committee that did
//!   not sign it (the core's downtime tracking). A certificate that does not decode (it was
//!   verified before the block was voted, so only a bug gets here) reports no one.
//! - After the last height of a consensus epoch, the orchestrator is told to start the next.

use crate::Stats;
use crate::app::Committees;
use crate::block::{Block, Digest};
use crate::convert::{self, Scheme};
use crate::reporter::SharedPool;
use alloy_primitives::Address;
use commonware_actor::Feedback;
use commonware_consensus::Reporter;
use commonware_consensus::marshal::Update;
use commonware_consensus::simplex::types::Notarization;
use commonware_cryptography::certificate::Verifier as _;
use commonware_utils::Acknowledgement as _;
use futures::StreamExt;
use futures::channel::mpsc;
use rampart_api::SignedTx;
use rampart_api::consensus::FinalizedBlockView;
use rampart_node::Shared;
use rampart_node::chain::Proposal;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Marshal's reporter: hands finalized blocks to [`run`].
#[derive(Clone, Debug)]
pub struct Executor {
    tx: mpsc::UnboundedSender<Update<Block>>,
}

impl Executor {
    /// An executor and the receiving end [`run`] drains.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Update<Block>>) {
        let (tx, rx) = mpsc::unbounded();
        (Self { tx }, rx)
    }
}

impl Reporter for Executor {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match self.tx.unbounded_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

/// What the executor needs.
#[derive(Clone, Debug)]
pub struct ExecutorParts {
    /// The node.
    pub node: Arc<Shared>,
    /// Committees (for `missed`).
    pub committees: Committees,
    /// The pool (included evidence leaves it).
    pub pool: SharedPool,
    /// Counters.
    pub stats: Arc<Stats>,
    /// `consensus_epoch_blocks`.
    pub epoch_blocks: u64,
    /// Told the epoch to start after an epoch's last block executed.
    pub epochs: mpsc::UnboundedSender<u64>,
    /// Transactions this node verified already.
    pub verified: crate::app::VerifiedCache,
}

/// The committee members of the parent's epoch that did not sign its certificate.
pub fn missed(committees: &Committees, block: &Block, stats: &Stats) -> Vec<Address> {
    if block.parent_certificate.is_empty() {
        return Vec::new();
    }
    // The byte length is already bounded by the block codec.
    let cfg = Scheme::certificate_codec_config_unbounded();
    let decoded =
        convert::from_slice::<Notarization<Scheme, Digest>>(&block.parent_certificate, &cfg);
    let Some(n) = decoded else {
        Stats::bump(&stats.bad_certificates);
        return Vec::new();
    };
    let Some(epoch) = committees.get(n.proposal.round.epoch().get()) else {
        Stats::bump(&stats.bad_certificates);
        return Vec::new();
    };
    let signed: BTreeSet<u32> = n.certificate.signers.iter().map(|p| p.get()).collect();
    epoch
        .committee
        .members
        .iter()
        .enumerate()
        .filter(|(i, _)| u32::try_from(*i).is_ok_and(|i| !signed.contains(&i)))
        .map(|(_, m)| m.validator)
        .collect()
}

/// Why a finalized block could not be executed: the node fails with it.
fn halt(node: &Shared, why: String) {
    tracing::error!(%why, "halting: a finalized block cannot be executed here");
    node.fail_now(&why);
}

/// Executes finalized blocks until the channel closes or the node fails.
pub async fn run(parts: ExecutorParts, mut rx: mpsc::UnboundedReceiver<Update<Block>>) {
    while let Some(update) = rx.next().await {
        let Update::Block(block, ack) = update else {
            continue;
        };
        let b = block.inner();
        let head = match parts.node.head() {
            Ok(h) => h,
            Err(e) => return halt(&parts.node, e.message),
        };
        if b.height <= head.height {
            ack.acknowledge();
            continue;
        }
        if b.height != head.height.saturating_add(1) {
            return halt(
                &parts.node,
                format!(
                    "finalized block {} does not follow head {}",
                    b.height, head.height
                ),
            );
        }
        let (c, root) = b.checkpoint;
        if c > 0 {
            let own = parts.node.block(Some(c)).map(|v| v.header.state_root);
            if own.as_ref().ok() != Some(&root) {
                return halt(
                    &parts.node,
                    format!(
                        "divergence: finalized block {} says the root after height {c} is {root:#x}, this node has {own:?}",
                        b.height
                    ),
                );
            }
        }
        let verifier = parts.node.verifier();
        let mut txs = Vec::with_capacity(b.txs.len());
        for raw in &b.txs {
            if let Some(v) = parts.verified.take(raw) {
                txs.push(v);
                continue;
            }
            let vtx = serde_json::from_slice::<SignedTx>(raw)
                .map_err(|e| e.to_string())
                .and_then(|s| verifier.verify(s).map_err(|e| e.message));
            match vtx {
                Ok(v) => txs.push(v),
                Err(e) => {
                    return halt(
                        &parts.node,
                        format!(
                            "finalized block {} holds a tx that does not verify: {e}",
                            b.height
                        ),
                    );
                }
            }
        }
        let tx_count = u64::try_from(txs.len()).unwrap_or(u64::MAX);
        let mut proposal = Proposal::new(b.height, b.time.max(head.time), Some(b.proposer), txs);
        proposal.missed = missed(&parts.committees, b, &parts.stats);
        proposal.evidence = b.evidence.clone();
        let seen = FinalizedBlockView {
            height: b.height,
            epoch: b.epoch,
            view: b.view,
            proposer: b.proposer,
            time: proposal.time,
            txs: tx_count,
            evidence: u64::try_from(b.evidence.len()).unwrap_or(u64::MAX),
            missed: proposal.missed.clone(),
            finality_ms: None,
        };
        if let Err(e) = parts.node.commit_proposal(proposal) {
            return halt(
                &parts.node,
                format!("executing finalized block {}: {e}", b.height),
            );
        }
        parts.pool.lock().included(&b.evidence);
        parts.node.consensus.executed(seen);
        Stats::bump(&parts.stats.executed);
        ack.acknowledge();
        let l = parts.epoch_blocks;
        if l > 0 && b.height.saturating_add(1).checked_rem(l) == Some(0) {
            let _ = parts.epochs.unbounded_send(b.height.saturating_add(1) / l);
        }
    }
}
