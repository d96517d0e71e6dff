//! The application: what a leader proposes and what a validator votes for.
//!
//! **Propose** (the round's leader): on the parent marshal hands over, a block of up to
//! `max_block_txs` transactions from the local mempool (minus those already in unexecuted
//! ancestors), the pending evidence, the parent's notarization and the checkpoint of this
//! node's last executed height. Its time is the leader's clock, never before the parent's.
//!
//! **Verify** (everyone else), before voting, never executing: the round and parent view match
//! the context; the proposer owns the leader's key in the epoch's committee; time does not go
//! back (a block from the future is held, not refused, until the local clock is within
//! [`MAX_FUTURE_S`]); every transaction decodes and its signature verifies for this chain, once
//! per block; every evidence item holds in the core; the parent certificate, if any, is a valid
//! quorum certificate of exactly the parent's proposal; the checkpoint is in range and equals
//! this node's own root at that height (waiting until that height is executed — never `false`
//! for not knowing yet). A `false` is final: Commonware nullifies the view and the next leader
//! proposes.

use crate::Stats;
use crate::block::{Block, Digest, MAX_BLOCK_EVIDENCE, MAX_CHECKPOINT_LAG};
use crate::convert::{self, Scheme, key_bytes};
use crate::reporter::SharedPool;
use alloy_primitives::{Address, B256};
use commonware_consensus::Application;
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::types::{Context, Notarization};
use commonware_cryptography::certificate::Verifier as _;
use commonware_cryptography::{Digested, Digestible, ed25519};
use commonware_parallel::Sequential;
use commonware_runtime::Clock;
use futures::StreamExt;
use rampart_api::SignedTx;
use rampart_core::base::consensus::{Committee, check_evidence, committee, seat_stakes};
use rampart_core::num::Amount;
use rampart_node::Shared;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

/// How far ahead of the local clock a block's time may be before it is held.
pub const MAX_FUTURE_S: u64 = 15;
/// Poll interval while waiting for local execution or the clock.
const POLL: Duration = Duration::from_millis(5);

/// One epoch's committee with its Commonware verifier.
#[derive(Clone, Debug)]
pub struct EpochCommittee {
    /// The committee as the core wrote it.
    pub committee: Committee,
    /// A verify-only scheme over its keys.
    pub verifier: Scheme,
    /// Each seat's stake when the committee was written (leader election's weights).
    pub stakes: Vec<Amount>,
}

impl EpochCommittee {
    /// The validator holding `key`'s seat.
    pub fn validator_of(&self, key: &ed25519::PublicKey) -> Option<Address> {
        let key = key_bytes(key);
        self.committee
            .index_of(&key)
            .and_then(|i| self.committee.members.get(usize::try_from(i).ok()?))
            .map(|m| m.validator)
    }
}

/// Committees read from the node's state, cached per epoch.
#[derive(Clone, Debug)]
pub struct Committees {
    node: Arc<Shared>,
    namespace: Vec<u8>,
    cache: Arc<Mutex<BTreeMap<u64, Arc<EpochCommittee>>>>,
}

impl Committees {
    /// Committees of `node`'s chain, verified under `namespace`.
    pub fn new(node: Arc<Shared>, namespace: Vec<u8>) -> Self {
        Self {
            node,
            namespace,
            cache: Arc::default(),
        }
    }

    /// The simplex namespace.
    pub fn namespace(&self) -> &[u8] {
        &self.namespace
    }

    /// The committee of `epoch`, if the state holds it (written when the epoch before it ends).
    pub fn get(&self, epoch: u64) -> Option<Arc<EpochCommittee>> {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = cache.get(&epoch) {
            return Some(c.clone());
        }
        let (committee, stakes) = self
            .node
            .with_state(|s| committee(s, epoch).map(|c| (c, seat_stakes(s, epoch))))
            .ok()
            .flatten()?;
        let stakes = stakes.unwrap_or_default();
        let set = convert::participants(&committee)?;
        let verifier = Scheme::verifier(&self.namespace, set);
        let entry = Arc::new(EpochCommittee {
            committee,
            verifier,
            stakes,
        });
        cache.insert(epoch, entry.clone());
        // Old epochs are re-read from state if ever needed again.
        while cache.len() > 8 {
            cache.pop_first();
        }
        Some(entry)
    }
}

/// Transactions this node already verified (as a leader from its mempool, or before voting),
/// by the keccak of their bytes in the block, so the executor does not check their signatures
/// a second time. Bounded: cleared when it grows past [`VerifiedCache::MAX`].
#[derive(Clone, Debug, Default)]
pub struct VerifiedCache(Arc<Mutex<BTreeMap<B256, rampart_api::VerifiedTx>>>);

impl VerifiedCache {
    /// Most entries kept.
    pub const MAX: usize = 200_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<B256, rampart_api::VerifiedTx>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers `vtx`, whose block bytes are `raw`.
    pub fn insert(&self, raw: &[u8], vtx: rampart_api::VerifiedTx) {
        let mut c = self.lock();
        if c.len() >= Self::MAX {
            c.clear();
        }
        c.insert(tx_key(raw), vtx);
    }

    /// The verified form of `raw`, if this node verified exactly these bytes (kept).
    pub fn get(&self, raw: &[u8]) -> Option<rampart_api::VerifiedTx> {
        self.lock().get(&tx_key(raw)).cloned()
    }

    /// Takes the verified form of `raw`, if this node verified exactly these bytes.
    pub fn take(&self, raw: &[u8]) -> Option<rampart_api::VerifiedTx> {
        self.lock().remove(&tx_key(raw))
    }
}

/// Settings of the application.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Most transactions a proposal takes.
    pub max_block_txs: usize,
    /// The least time between this leader's proposals (pacing when the mempool is empty).
    pub block_interval: Duration,
    /// Test only: propose invalid blocks (a transaction that does not decode), to check that
    /// honest validators refuse them and the leader is skipped. Never set in a node.
    pub invalid_proposals: bool,
}

/// The Rampart application (see the module docs).
#[derive(Clone, Debug)]
pub struct App {
    node: Arc<Shared>,
    genesis: Block,
    pool: SharedPool,
    committees: Committees,
    stats: Arc<Stats>,
    config: AppConfig,
    verified: VerifiedCache,
}

impl App {
    /// The application of `node`.
    pub fn new(
        node: Arc<Shared>,
        genesis: Block,
        pool: SharedPool,
        committees: Committees,
        stats: Arc<Stats>,
        config: AppConfig,
        verified: VerifiedCache,
    ) -> Self {
        Self {
            node,
            genesis,
            pool,
            committees,
            stats,
            config,
            verified,
        }
    }

    /// The genesis anchor.
    pub fn genesis(&self) -> &Block {
        &self.genesis
    }

    fn head(&self) -> Option<(u64, B256)> {
        self.node.head().ok().map(|h| (h.height, h.state_root))
    }

    /// The state root after `height` (a committed height; 0 is not asked).
    fn root_at(&self, height: u64) -> Option<B256> {
        self.node
            .block(Some(height))
            .ok()
            .map(|b| b.header.state_root)
    }

    /// Waits until this node has executed `height`.
    async fn executed<E: Clock>(&self, rt: &E, height: u64) -> Option<(u64, B256)> {
        loop {
            let head = self.head()?;
            if head.0 >= height {
                return Some(head);
            }
            rt.sleep(POLL).await;
        }
    }

    fn refuse(&self, block: &Block, why: &str) -> bool {
        Stats::bump(&self.stats.invalid_blocks);
        tracing::warn!(
            height = block.height,
            epoch = block.epoch,
            view = block.view,
            proposer = %block.proposer,
            why,
            "refusing a proposal"
        );
        false
    }

    /// The checks of a proposal that need no waiting: `Err` is the reason to refuse it.
    fn check(
        &self,
        ctx: &Context<Digest, ed25519::PublicKey>,
        block: &Block,
        parent: &Digested<Block>,
    ) -> Result<(), String> {
        let p = parent.inner();
        if block.epoch != ctx.round.epoch().get()
            || block.view != ctx.round.view().get()
            || block.parent_view != ctx.parent.0.get()
        {
            return Err("round or parent view differ from the consensus context".into());
        }
        if block.parent != parent.digest() || Some(block.height) != p.height.checked_add(1) {
            return Err("not a child of its parent".into());
        }
        if block.time < p.time {
            return Err(format!(
                "time {} is before the parent's {}",
                block.time, p.time
            ));
        }
        let epoch = self
            .committees
            .get(block.epoch)
            .ok_or("no committee for the block's epoch")?;
        if epoch.validator_of(&ctx.leader) != Some(block.proposer) {
            return Err("the proposer does not hold the leader's seat".into());
        }
        let (c, root) = block.checkpoint;
        let lowest = block.height.saturating_sub(MAX_CHECKPOINT_LAG);
        let in_range = if c == 0 {
            root == B256::ZERO && lowest == 0
        } else {
            c < block.height && c >= lowest
        };
        if !in_range || c < p.checkpoint.0 {
            return Err(format!("checkpoint height {c} is out of range"));
        }
        if block.evidence.len() > MAX_BLOCK_EVIDENCE {
            return Err("too much evidence".into());
        }
        for e in &block.evidence {
            self.node
                .with_state(|s| check_evidence(s, e).map(|_| ()))
                .map_err(|e| e.message)?
                .map_err(|e| format!("evidence: {e}"))?;
        }
        let mut seen = BTreeSet::new();
        let verifier = self.node.verifier();
        let mut checked = Vec::with_capacity(block.txs.len());
        for (i, raw) in block.txs.iter().enumerate() {
            // Exactly these bytes were checked before (gossip, or an earlier proposal).
            let vtx = match self.verified.get(raw) {
                Some(vtx) => vtx,
                None => {
                    let signed: SignedTx = serde_json::from_slice(raw)
                        .map_err(|e| format!("tx {i} does not decode: {e}"))?;
                    verifier
                        .verify(signed)
                        .map_err(|e| format!("tx {i}: {}", e.message))?
                }
            };
            if !seen.insert(vtx.hash) {
                return Err(format!("tx {:#x} appears twice", vtx.hash));
            }
            checked.push((raw, vtx));
        }
        if !block.parent_certificate.is_empty() {
            self.check_parent_certificate(block, p, parent.digest())?;
        }
        for (raw, vtx) in checked {
            self.verified.insert(raw, vtx);
        }
        Ok(())
    }

    fn check_parent_certificate(
        &self,
        block: &Block,
        p: &Block,
        parent: Digest,
    ) -> Result<(), String> {
        let epoch = self
            .committees
            .get(p.epoch)
            .ok_or("no committee for the parent's epoch")?;
        let cfg = epoch.verifier.certificate_codec_config();
        let n: Notarization<Scheme, Digest> = convert::from_slice(&block.parent_certificate, &cfg)
            .ok_or("the parent certificate does not decode")?;
        if n.proposal.payload != parent
            || n.proposal.round.epoch().get() != p.epoch
            || n.proposal.round.view().get() != p.view
            || n.proposal.parent.get() != p.parent_view
        {
            return Err("the parent certificate is not of the parent's proposal".into());
        }
        let mut rng = rand_core_rng();
        if !n.verify(&mut rng, &epoch.verifier, &Sequential) {
            return Err("the parent certificate does not verify".into());
        }
        Ok(())
    }
}

/// Randomness for batch verification only (the verdict does not depend on it).
fn rand_core_rng() -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(0x5241_4d50)
}

fn unix_s<E: Clock>(rt: &E) -> u64 {
    rt.current()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn tx_key(raw: &[u8]) -> B256 {
    alloy_primitives::keccak256(raw)
}

impl<E> Application<E> for App
where
    E: Clock + Send + Sync + 'static,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (rt, ctx): (E, Self::Context),
        ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        let mut ancestry = ancestry;
        let parent = ancestry.next().await?;
        let p = parent.inner().clone();
        let height = p.height.checked_add(1)?;
        if !self.config.block_interval.is_zero() {
            rt.sleep(self.config.block_interval).await;
        }
        // The checkpoint: this node's last executed height, within range of the block and not
        // behind the parent's.
        let need = height
            .saturating_sub(MAX_CHECKPOINT_LAG)
            .max(p.checkpoint.0);
        let (head, root) = self.executed(&rt, need).await?;
        let checkpoint = if head == 0 {
            (0, B256::ZERO)
        } else {
            (head, root)
        };
        // Transactions already in unexecuted ancestors are not proposed again.
        let mut excluded = BTreeSet::new();
        if p.height > head {
            excluded.extend(p.txs.iter().map(|t| tx_key(t)));
            while let Some(a) = ancestry.next().await {
                if a.inner().height <= head {
                    break;
                }
                excluded.extend(a.inner().txs.iter().map(|t| tx_key(t)));
            }
        }
        let max = self.config.max_block_txs;
        let candidates = self
            .node
            .propose_txs(max.saturating_add(excluded.len()))
            .ok()?;
        let mut txs: Vec<bytes::Bytes> = Vec::new();
        for v in candidates {
            if txs.len() >= max {
                break;
            }
            let Ok(raw) = serde_json::to_vec(&v.signed) else {
                continue;
            };
            if excluded.contains(&tx_key(&raw)) {
                continue;
            }
            self.verified.insert(&raw, v);
            txs.push(bytes::Bytes::from(raw));
        }
        let epoch = self.committees.get(ctx.round.epoch().get())?;
        let proposer = epoch.validator_of(&ctx.leader)?;
        let (parent_certificate, evidence) = {
            let pool = self.pool.lock();
            let cert = if p.height == 0 {
                None
            } else {
                pool.notarization(&parent.digest())
            };
            (cert, pool.pending_evidence(MAX_BLOCK_EVIDENCE))
        };
        let block = Block {
            parent: parent.digest(),
            height,
            time: unix_s(&rt).max(p.time),
            epoch: ctx.round.epoch().get(),
            view: ctx.round.view().get(),
            parent_view: ctx.parent.0.get(),
            proposer,
            checkpoint,
            parent_certificate: parent_certificate
                .map(bytes::Bytes::from)
                .unwrap_or_default(),
            evidence,
            txs,
        };
        let mut block = block;
        if self.config.invalid_proposals {
            block
                .txs
                .push(bytes::Bytes::from_static(b"not a transaction"));
        }
        let digest = block.digest();
        Stats::bump(&self.stats.proposed);
        tracing::debug!(
            height,
            txs = block.txs.len(),
            view = block.view,
            "proposing"
        );
        Some(Digested::precomputed(block, digest))
    }

    async fn verify(
        &mut self,
        (rt, ctx): (E, Self::Context),
        ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let mut ancestry = ancestry;
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let b = block.inner();
        if let Err(why) = self.check(&ctx, b, &parent) {
            return self.refuse(b, &why);
        }
        // A block from the future is held until the local clock catches up.
        while b.time > unix_s(&rt).saturating_add(MAX_FUTURE_S) {
            rt.sleep(Duration::from_millis(100)).await;
        }
        let (c, root) = b.checkpoint;
        if c > 0 {
            if self.executed(&rt, c).await.is_none() {
                // The node is failing; abstain.
                return std::future::pending().await;
            }
            let Some(own) = self.root_at(c) else {
                return std::future::pending().await;
            };
            if own != root {
                Stats::bump(&self.stats.checkpoint_mismatches);
                tracing::error!(
                    height = b.height,
                    checkpoint = c,
                    theirs = %root,
                    ours = %own,
                    "a proposal's checkpoint differs from this node's state root"
                );
                return false;
            }
        }
        Stats::bump(&self.stats.verified);
        true
    }
}
