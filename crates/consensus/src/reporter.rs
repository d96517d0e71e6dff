//! Simplex activity this crate keeps: the notarizations that later blocks carry as their
//! parent's certificate (their signers are the parent's voters, for uptime), and conflicting
//! votes turned into core evidence for the next blocks this validator leads.

use crate::Stats;
use crate::block::Digest;
use crate::convert::{self, Scheme, evidence_key};
use commonware_actor::Feedback;
use commonware_consensus::Reporter;
use commonware_consensus::simplex::types::{Activity, Notarization};
use rampart_core::base::consensus::{ConsensusEvidence, check_evidence};
use rampart_node::Shared;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// Notarizations kept for proposing (the recent ones are what parents need).
const KEPT_NOTARIZATIONS: usize = 1_024;
/// Evidence items kept waiting for a block.
const KEPT_EVIDENCE: usize = 1_024;

/// What the reporter collects and the application proposes from.
#[derive(Debug, Default)]
pub struct Pool {
    /// Pending evidence by (epoch, view, signer).
    evidence: BTreeMap<(u64, u64, u32), ConsensusEvidence>,
    /// Encoded notarization and its signer count, by proposal digest.
    notarizations: BTreeMap<[u8; 32], (Vec<u8>, usize)>,
    order: VecDeque<[u8; 32]>,
}

impl Pool {
    /// Keeps the notarization of `payload` with the most signers.
    pub fn add_notarization(&mut self, payload: &Digest, encoded: Vec<u8>, signers: usize) {
        let key = digest_key(payload);
        match self.notarizations.get(&key) {
            Some((_, kept)) if *kept >= signers => {}
            Some(_) => {
                self.notarizations.insert(key, (encoded, signers));
            }
            None => {
                self.notarizations.insert(key, (encoded, signers));
                self.order.push_back(key);
                while self.order.len() > KEPT_NOTARIZATIONS {
                    if let Some(old) = self.order.pop_front() {
                        self.notarizations.remove(&old);
                    }
                }
            }
        }
    }

    /// The encoded notarization of `payload`, if one was seen.
    pub fn notarization(&self, payload: &Digest) -> Option<Vec<u8>> {
        self.notarizations
            .get(&digest_key(payload))
            .map(|(e, _)| e.clone())
    }

    /// Adds evidence (once per (epoch, view, signer)); false if it was already pending or the
    /// pool is full.
    pub fn add_evidence(&mut self, e: ConsensusEvidence) -> bool {
        let key = evidence_key(&e);
        if self.evidence.contains_key(&key) || self.evidence.len() >= KEPT_EVIDENCE {
            return false;
        }
        self.evidence.insert(key, e);
        true
    }

    /// Up to `max` pending evidence items.
    pub fn pending_evidence(&self, max: usize) -> Vec<ConsensusEvidence> {
        self.evidence.values().take(max).cloned().collect()
    }

    /// Forgets evidence a finalized block carried.
    pub fn included(&mut self, items: &[ConsensusEvidence]) {
        for e in items {
            self.evidence.remove(&evidence_key(e));
        }
    }

    /// Evidence items waiting.
    pub fn evidence_len(&self) -> usize {
        self.evidence.len()
    }
}

fn digest_key(d: &Digest) -> [u8; 32] {
    let mut k = [0u8; 32];
    let bytes: &[u8] = d.as_ref();
    if bytes.len() == 32 {
        k.copy_from_slice(bytes);
    }
    k
}

/// A pool shared by the reporter, the application and the executor.
#[derive(Clone, Debug, Default)]
pub struct SharedPool(Arc<Mutex<Pool>>);

impl SharedPool {
    /// Locks the pool (a poisoned lock is recovered: the pool holds no invariant a panic
    /// elsewhere could break half-way).
    pub fn lock(&self) -> MutexGuard<'_, Pool> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The simplex reporter of this crate (next to marshal's `Inline`).
#[derive(Clone, Debug)]
pub struct ActivityReporter {
    pool: SharedPool,
    node: Arc<Shared>,
    stats: Arc<Stats>,
}

impl ActivityReporter {
    /// A reporter feeding `pool`; evidence is checked against `node`'s state first.
    pub fn new(pool: SharedPool, node: Arc<Shared>, stats: Arc<Stats>) -> Self {
        Self { pool, node, stats }
    }

    fn notarization(&self, n: &Notarization<Scheme, Digest>) {
        let signers = n.certificate.signers.count();
        self.pool
            .lock()
            .add_notarization(&n.proposal.payload, convert::to_vec(n), signers);
    }

    fn evidence(&self, e: Option<ConsensusEvidence>) {
        let Some(e) = e else {
            Stats::bump(&self.stats.evidence_refused);
            return;
        };
        let checked = self
            .node
            .with_state(|s| check_evidence(s, &e).map(|_| ()))
            .map_err(|e| e.message)
            .and_then(|r| r.map_err(|e| e.to_string()));
        match checked {
            Ok(()) => {
                if self.pool.lock().add_evidence(e.clone()) {
                    Stats::bump(&self.stats.evidence_reported);
                    tracing::warn!(
                        epoch = e.first.epoch,
                        view = e.first.view,
                        signer = e.first.signer,
                        "equivocation evidence: conflicting votes from one seat"
                    );
                }
            }
            Err(why) => {
                Stats::bump(&self.stats.evidence_refused);
                tracing::debug!(%why, "conflicting votes the core does not accept as evidence");
            }
        }
    }
}

impl Reporter for ActivityReporter {
    type Activity = Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        let monitor = &self.node.consensus;
        let round = |r: commonware_consensus::types::Round| (r.epoch().get(), r.view().get());
        match &activity {
            Activity::Notarize(v) => {
                let (e, w) = round(v.proposal.round);
                monitor.seen(e, w);
            }
            Activity::Finalize(v) => {
                let (e, w) = round(v.proposal.round);
                monitor.seen(e, w);
            }
            Activity::Nullify(v) => {
                let (e, w) = round(v.round);
                monitor.seen(e, w);
            }
            Activity::Nullification(n) => {
                let (e, w) = round(n.round);
                monitor.nullified(e, w);
            }
            Activity::Finalization(f) => {
                let (e, w) = round(f.proposal.round);
                monitor.finalized(e, w);
            }
            _ => {}
        }
        match &activity {
            Activity::Notarization(n) | Activity::Certification(n) => {
                let (e, w) = round(n.proposal.round);
                monitor.seen(e, w);
                self.notarization(n);
            }
            Activity::ConflictingNotarize(c) => self.evidence(convert::conflicting_notarize(c)),
            Activity::ConflictingFinalize(c) => self.evidence(convert::conflicting_finalize(c)),
            Activity::NullifyFinalize(c) => self.evidence(convert::nullify_finalize(c)),
            _ => {}
        }
        Feedback::Ok
    }
}
