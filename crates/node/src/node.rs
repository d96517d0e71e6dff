//! The node's shared state and operations, and the single-node block producer.
//!
//! Locks: `chain` (an `RwLock`) then `mempool` (a `Mutex`), always in that order. The producer
//! holds the chain's write lock from execution through the durable commit and the mempool
//! clean-up, so readers never see a block that is not on disk, and admission (which holds the
//! read lock) always sees the committed nonces the mempool was cleaned with.

use crate::chain::{Chain, Executed, Proposal};
use crate::config::NodeConfig;
use crate::mempool::Mempool;
use crate::metrics::{BlockStats, Metrics};
use crate::{NodeError, http};
use alloy_primitives::{Address, B256};
use rampart_api::tx::Verifier;
use rampart_api::types::{
    BatchItem, BlockBody, BlockHeaderView, BlockView, NetworkView, NonceView, ProofJson, ProofView,
    StatusView, StreamEvent, StressExample, TxStatus, VaultListing,
};
use rampart_api::{ApiError, SignedTx, VerifiedTx, codes};
use rampart_core::ids::AssetId;
use rampart_core::{Genesis, Query, bank, tx::next_nonce};
use rampart_storage::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// Capacity of the event stream's buffer, in blocks.
const EVENT_BUFFER_BLOCKS: usize = 256;

/// Everything the API handlers and the producer share.
#[derive(Debug)]
pub struct Shared {
    chain: RwLock<Chain>,
    mempool: Mutex<Mempool>,
    verifier: Verifier,
    events: broadcast::Sender<Arc<Vec<StreamEvent>>>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The configuration the node runs with.
    pub config: NodeConfig,
    last_commit: Mutex<Instant>,
    stopping: AtomicBool,
    stop_signal: tokio::sync::watch::Sender<bool>,
    /// Set once when block production fails for good (a panic, a storage error that persists,
    /// a poisoned lock): the node then refuses every read and write with `unavailable`, reports
    /// itself unhealthy, and its process exits non-zero (see [`RunningNode::failed`]).
    failure: tokio::sync::watch::Sender<Option<String>>,
    /// The directory lock, held for as long as the chain is open.
    _lock: crate::datadir::DataDirLock,
    #[cfg(test)]
    panic_in_next_block: AtomicBool,
    /// Results of the built-in stress scenarios (deterministic, so computed once).
    stress: Mutex<BTreeMap<String, serde_json::Value>>,
    /// The last [`EVENT_BACKLOG`] stream events, for backfill.
    recent_events: Mutex<std::collections::VecDeque<StreamEvent>>,
    /// Blocks since the last INFO summary.
    summary: Mutex<Summary>,
    /// Per-account admission rate (`mempool.account_rate_per_s`), if limited.
    account_rate: Option<crate::limit::TokenBuckets<Address>>,
    /// What this node sees of consensus (reported by `rampart-consensus` on a BFT node).
    pub consensus: crate::consensus::ConsensusMonitor,
    /// Transactions its API admitted that the BFT engine has not gossiped yet (`None`: no
    /// gossip, as on a single producer). Bounded by [`GOSSIP_OUTBOX`].
    gossip: Mutex<Option<std::collections::VecDeque<SignedTx>>>,
}

/// Most transactions waiting to be gossiped; beyond it the oldest are dropped from the outbox
/// (they stay in this node's mempool).
pub const GOSSIP_OUTBOX: usize = 100_000;

impl Shared {
    /// Opens the chain in the configured data directory (starting it from `genesis` if empty),
    /// after taking the directory's lock (a second node on the same directory fails here, naming
    /// the holder).
    pub fn open(config: NodeConfig, genesis: &Genesis) -> Result<Self, NodeError> {
        let lock = crate::datadir::DataDirLock::acquire(&config.data_dir)?;
        Self::open_locked(config, genesis, lock)
    }

    /// Opens the chain in a data directory whose lock the caller already holds.
    pub fn open_locked(
        config: NodeConfig,
        genesis: &Genesis,
        lock: crate::datadir::DataDirLock,
    ) -> Result<Self, NodeError> {
        if lock.path() != config.data_dir {
            return Err(NodeError::Config(format!(
                "the lock is for {}, the configuration names {}",
                lock.path().display(),
                config.data_dir.display()
            )));
        }
        let store = Store::open(&config.db_path())?;
        let chain_id = if store.is_initialised()? {
            store.genesis()?.chain_id
        } else {
            genesis.chain_id
        };
        let verifier = Verifier::new(chain_id, config.tx);
        let chain = Chain::open(store, genesis, verifier.clone())?;
        let (events, _) = broadcast::channel(EVENT_BUFFER_BLOCKS);
        let metrics = Metrics::default();
        metrics.set_height(chain.head().height);
        let limits = config.mempool;
        let account_rate = (limits.account_rate_per_s > 0).then(|| {
            crate::limit::TokenBuckets::new(limits.account_rate_per_s, limits.account_burst)
        });
        Ok(Self {
            chain: RwLock::new(chain),
            mempool: Mutex::new(Mempool::new(config.mempool)),
            verifier,
            events,
            metrics,
            config,
            last_commit: Mutex::new(Instant::now()),
            stopping: AtomicBool::new(false),
            stop_signal: tokio::sync::watch::Sender::new(false),
            failure: tokio::sync::watch::Sender::new(None),
            _lock: lock,
            #[cfg(test)]
            panic_in_next_block: AtomicBool::new(false),
            stress: Mutex::new(BTreeMap::new()),
            account_rate,
            summary: Mutex::new(Summary::default()),
            recent_events: Mutex::new(std::collections::VecDeque::new()),
            consensus: crate::consensus::ConsensusMonitor::default(),
            gossip: Mutex::new(None),
        })
    }

    /// The committed chain, for reading. Refused once the node has failed, and a poisoned lock
    /// (a panic while it was held for writing) fails the node: what it guards may be half
    /// executed, so it is never read.
    fn chain(&self) -> Result<RwLockReadGuard<'_, Chain>, ApiError> {
        self.check_alive()?;
        self.chain
            .read()
            .map_err(|_| self.fail_now("the chain's lock was poisoned by a panic"))
    }

    fn chain_mut(&self) -> Result<RwLockWriteGuard<'_, Chain>, ApiError> {
        self.check_alive()?;
        self.chain
            .write()
            .map_err(|_| self.fail_now("the chain's lock was poisoned by a panic"))
    }

    fn mempool(&self) -> Result<MutexGuard<'_, Mempool>, ApiError> {
        self.mempool
            .lock()
            .map_err(|_| self.fail_now("the mempool's lock was poisoned by a panic"))
    }

    fn check_alive(&self) -> Result<(), ApiError> {
        match &*self.failure.borrow() {
            None => Ok(()),
            Some(reason) => Err(failed_error(reason)),
        }
    }

    /// Marks the node failed for good (idempotent: the first reason stays) and returns the error
    /// every later request gets.
    pub fn fail_now(&self, reason: &str) -> ApiError {
        let first = self.failure.send_if_modified(|f| {
            if f.is_some() {
                return false;
            }
            *f = Some(reason.to_owned());
            true
        });
        if first {
            self.stop();
            tracing::error!(
                reason,
                "the node failed: block production stopped, requests refused"
            );
        }
        failed_error(self.failure.borrow().as_deref().unwrap_or(reason))
    }

    /// Why the node failed, if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Resolves once the node has failed, with the reason.
    pub async fn wait_failed(&self) -> String {
        let mut rx = self.failure.subscribe();
        match rx.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The sender lives in `self`, so this does not happen while `self` is borrowed.
            Err(_) => String::new(),
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.verifier.chain_id()
    }

    /// Verifies and admits one transaction; returns its hash.
    pub fn submit(&self, signed: SignedTx) -> Result<B256, ApiError> {
        let result = self
            .verifier
            .verify(signed)
            .and_then(|vtx| self.admit_local(&*self.chain()?, vtx));
        self.metrics.submitted(result.is_ok());
        result
    }

    /// [`Self::admit`] for a transaction from this node's clients: once admitted it also waits
    /// to be gossiped to the other validators (BFT mode).
    fn admit_local(&self, chain: &Chain, vtx: VerifiedTx) -> Result<B256, ApiError> {
        let copy = self.gossip_enabled().then(|| vtx.signed.clone());
        let hash = self.admit(chain, vtx)?;
        if let Some(signed) = copy {
            let mut outbox = self
                .gossip
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(q) = outbox.as_mut() {
                if q.len() >= GOSSIP_OUTBOX {
                    q.pop_front();
                }
                q.push_back(signed);
            }
        }
        Ok(hash)
    }

    fn gossip_enabled(&self) -> bool {
        self.gossip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some()
    }

    /// Starts keeping what the API admits for gossip (the BFT engine calls it once).
    pub fn enable_gossip(&self) {
        let mut g = self
            .gossip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if g.is_none() {
            *g = Some(std::collections::VecDeque::new());
        }
    }

    /// Takes up to `max` transactions waiting to be gossiped, oldest first.
    pub fn take_gossip(&self, max: usize) -> Vec<SignedTx> {
        let mut g = self
            .gossip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(q) = g.as_mut() else {
            return Vec::new();
        };
        let n = max.min(q.len());
        q.drain(..n).collect()
    }

    /// Admits a transaction another node gossiped, already verified, under the same rules as
    /// the API's (it is not gossiped again).
    pub fn admit_gossiped(&self, vtx: VerifiedTx) -> Result<B256, ApiError> {
        self.admit(&*self.chain()?, vtx)
    }

    /// Verifies every transaction (no lock held), then admits them in order under one lock.
    pub fn submit_batch(&self, txs: Vec<SignedTx>) -> Vec<BatchItem> {
        let verified: Vec<Result<VerifiedTx, ApiError>> =
            txs.into_iter().map(|t| self.verifier.verify(t)).collect();
        let chain = self.chain();
        verified
            .into_iter()
            .map(|v| {
                let result = match &chain {
                    Ok(chain) => v.and_then(|vtx| self.admit_local(chain, vtx)),
                    Err(e) => Err(e.clone()),
                };
                self.metrics.submitted(result.is_ok());
                match result {
                    Ok(hash) => BatchItem::Accepted { hash },
                    Err(error) => BatchItem::Rejected { error },
                }
            })
            .collect()
    }

    /// The state-dependent checks before execution (the account's rate, nonce order, base fee,
    /// a balance that pays the fees and tips of this and the account's pending transactions),
    /// then the mempool's own rules.
    fn admit(&self, chain: &Chain, vtx: VerifiedTx) -> Result<B256, ApiError> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err(ApiError::new(
                codes::UNAVAILABLE,
                "the node is shutting down",
            ));
        }
        // A committed transaction is `already_known` whatever the signer's balance is now.
        if chain
            .store()
            .receipt(&vtx.hash)
            .map_err(internal)?
            .is_some()
        {
            return Err(ApiError::new(
                codes::ALREADY_KNOWN,
                format!("{:#x} is already committed", vtx.hash),
            ));
        }
        let state = chain.state();
        let signer = vtx.tx.signer;
        if let Some(rate) = &self.account_rate
            && !rate.take(signer, 1)
        {
            return Err(ApiError::new(
                codes::RATE_LIMITED,
                format!(
                    "{signer:#x} submits more than {} transactions a second; retry in {:.1} s",
                    self.config.mempool.account_rate_per_s,
                    rate.wait_s(signer)
                ),
            ));
        }
        let name = vtx.tx.action.name();
        let required = state.params().base_fee_of(name);
        if vtx.tx.fee < required {
            return Err(ApiError::new(
                "fee_too_low",
                format!(
                    "fee {} is below the base fee {required} for {name}",
                    vtx.tx.fee
                ),
            ));
        }
        let cost = vtx.tx.fee.checked_add(vtx.tx.priority_tip).map_err(|_| {
            ApiError::new(
                codes::AMOUNT_OVERFLOW,
                "fee + priority_tip overflows 128 bits",
            )
        })?;
        let hash = vtx.hash;
        let committed = next_nonce(state, signer);
        let balance = bank::balance(state, signer, AssetId::NATIVE);
        // The balance check and the insert happen under one mempool lock, so concurrent
        // submissions cannot together promise more than the balance.
        let mut mempool = self.mempool()?;
        let pending = mempool.pending_cost(&signer);
        if balance.get() < cost.get().saturating_add(pending) {
            let queued = mempool.pending_of(&signer);
            let also = if queued == 0 {
                String::new()
            } else {
                format!(" (plus {pending} for its {queued} pending transactions)")
            };
            return Err(ApiError::new(
                "insufficient_balance",
                format!(
                    "{signer:#x} holds {balance} RAM base units; this transaction's fee and tip need {cost}{also}"
                ),
            ));
        }
        mempool.insert(vtx, committed)?;
        Ok(hash)
    }

    /// Produces one block from the mempool at wall-clock time (never before the head's time).
    pub fn produce_block(&self) -> Result<BlockHeaderView, NodeError> {
        self.produce_block_at(unix_now())
    }

    /// Produces one block from the mempool at `time` (raised to the head's time if earlier).
    /// The demo uses it to build history; the producer passes the wall clock.
    ///
    /// Execution and commit are guarded as [`Shared::guarded_commit`] says.
    pub fn produce_block_at(&self, time: u64) -> Result<BlockHeaderView, NodeError> {
        self.guarded_commit("block production", |chain| {
            self.execute_and_commit(chain, time)
        })
    }

    /// Runs `run` (execute and commit one block) under the chain's write lock and inside
    /// `catch_unwind`: on an error the chain has reloaded its last committed block; on a panic it
    /// is reloaded here, before the lock is released, and the node is failed (so no reader ever
    /// sees a half-executed block, and the lock is never poisoned). Then the block is published
    /// to metrics and event streams.
    fn guarded_commit(
        &self,
        what: &str,
        run: impl FnOnce(&mut Chain) -> Result<Executed, NodeError>,
    ) -> Result<BlockHeaderView, NodeError> {
        let started = Instant::now();
        let mut chain = self.chain_mut().map_err(unavailable)?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut chain)));
        let executed = match outcome {
            Ok(result) => result?,
            Err(panic) => {
                let panic = panic_message(panic.as_ref());
                let reason = match chain.reload() {
                    Ok(()) => format!("{what} panicked: {panic}"),
                    Err(e) => format!("{what} panicked ({panic}); reload failed: {e}"),
                };
                drop(chain);
                return Err(unavailable(self.fail_now(&reason)));
            }
        };
        drop(chain);
        self.after_commit(&executed, started.elapsed());
        Ok(executed.block.header)
    }

    /// The next block's proposer. Without a configured one, the block names the stake-weighted
    /// one the protocol picks for its height (as the scenario runner does), so tips and builder
    /// payments reach a validator.
    fn next_proposer(&self, chain: &Chain) -> Option<Address> {
        self.config.proposer.or_else(|| {
            rampart_core::base::proposer_for(
                chain.state(),
                rampart_core::Height::new(chain.head().height + 1),
            )
        })
    }

    /// What an unsigned action would do as `from`'s next transaction on the next block
    /// ([`Chain::simulate`]): after `from`'s own pending transactions (so its nonce and balance
    /// are what they will be), at the wall clock's time. Other accounts' pending transactions
    /// are not run, so the answer is a preview, not a promise. Changes nothing.
    pub fn simulate(
        &self,
        req: rampart_api::types::SimulateRequest,
    ) -> Result<rampart_api::types::SimulationView, ApiError> {
        self.check_alive()?;
        let from = rampart_api::strict::parse_address(&req.from)?;
        let action = rampart_api::tx::parse_action(&req.action, &req.args)?;
        let fee = req
            .fee
            .as_deref()
            .map(|f| rampart_api::tx::parse_amount("fee", f))
            .transpose()?;
        let mut chain = self.chain_mut()?;
        let pending = self.mempool()?.queue_of(&from);
        let proposer = self.next_proposer(&chain);
        chain.simulate(unix_now(), proposer, pending, from, action, fee)
    }

    /// A keeper's submission (the demo driver's): dry-runs `candidates` in order on the next
    /// block at `time` (after what the mempool holds; [`Chain::dry_run`]) and admits, under
    /// the same lock, only those whose action would succeed, each signed by its closure with
    /// the nonce it takes. Returns per candidate its hash, or why it was not sent.
    pub fn submit_if_ok<F>(
        &self,
        time: u64,
        candidates: Vec<(Address, F)>,
    ) -> Vec<Result<B256, ApiError>>
    where
        F: FnOnce(u64) -> Result<SignedTx, ApiError>,
    {
        let mut chain = match self.chain_mut() {
            Ok(chain) => chain,
            Err(e) => return candidates.iter().map(|_| Err(e.clone())).collect(),
        };
        let pending = match self.mempool() {
            Ok(m) => m.propose(usize::MAX),
            Err(e) => return candidates.iter().map(|_| Err(e.clone())).collect(),
        };
        let proposer = self.next_proposer(&chain);
        let outcomes = chain.dry_run(time, proposer, pending, candidates);
        outcomes
            .into_iter()
            .map(|o| {
                let result = o.and_then(|vtx| self.admit_local(&chain, vtx));
                self.metrics.submitted(result.is_ok());
                result
            })
            .collect()
    }

    fn execute_and_commit(&self, chain: &mut Chain, time: u64) -> Result<Executed, NodeError> {
        #[cfg(test)]
        if self.panic_in_next_block.swap(false, Ordering::Relaxed) {
            // What a bug in execution looks like: a panic after the state has changed.
            let _ = chain.execute(Proposal::new(
                chain.head().height + 1,
                time.max(chain.head().time),
                None,
                Vec::new(),
            ));
            panic!("injected panic in block execution");
        }
        let txs = self
            .mempool()
            .map_err(unavailable)?
            .propose(self.config.max_block_txs);
        let head = chain.head().clone();
        let proposer = self.next_proposer(chain);
        let proposal = Proposal::new(head.height + 1, time.max(head.time), proposer, txs);
        self.commit_decided(chain, proposal)
    }

    /// Stores the history snapshot of the epoch that has just begun (after the block's commit:
    /// a failure here is logged and loses that one point, never the block).
    fn record_history(&self, chain: &Chain, epoch: u64) {
        let head = chain.head();
        let named: Vec<Address> = self.config.labels.keys().copied().collect();
        let snap = crate::history::snapshot(chain.state(), epoch, head.time, head.height, &named);
        let stored = serde_json::to_vec(&snap)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                chain
                    .store()
                    .put_history(
                        head.time,
                        &bytes,
                        crate::history::bound(self.config.history),
                    )
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = stored {
            tracing::warn!(epoch, %error, "the history snapshot of this epoch was not stored");
        }
    }

    /// What history is stored and its bound (`GET /v1/history`).
    pub fn history_index(&self) -> Result<rampart_api::history::HistoryIndex, ApiError> {
        crate::history::index(self.chain()?.store(), self.config.history)
    }

    /// A history group's series in a range (`GET /v1/history/{group}`).
    pub fn history(
        &self,
        group: &str,
        range: crate::history::Range,
    ) -> Result<rampart_api::history::HistoryView, ApiError> {
        crate::history::series(self.chain()?.store(), group, range)
    }

    fn after_commit(&self, executed: &Executed, commit: Duration) {
        let header = &executed.block.header;
        let since_last = {
            let mut last = self
                .last_commit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let since = last.elapsed();
            *last = Instant::now();
            since
        };
        let failed = executed.receipts.iter().filter(|r| !r.ok).count() as u64;
        self.metrics.block(BlockStats {
            height: header.height,
            txs: executed.receipts.len() as u64,
            failed,
            dropped: executed.rejected.len() as u64,
            commit,
            since_last,
        });
        for r in &executed.rejected {
            tracing::debug!(tx = %r.hash, code = %r.error.code, "dropped at execution");
        }
        self.summarise(executed);
        tracing::debug!(
            height = header.height,
            time = %iso8601(header.time),
            txs = executed.receipts.len(),
            failed,
            dropped = executed.rejected.len(),
            root = %header.state_root,
            commit_ms = %format_args!("{:.2}", commit.as_secs_f64() * 1e3),
            "block committed"
        );
        let events = Arc::new(stream_events(executed));
        {
            let mut recent = match self.recent_events.lock() {
                Ok(r) => r,
                Err(p) => p.into_inner(),
            };
            recent.extend(events.iter().cloned());
            let excess = recent.len().saturating_sub(EVENT_BACKLOG);
            recent.drain(..excess);
        }
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(events);
        }
    }

    /// Counts the block into the periodic INFO summary and logs it when one is due.
    fn summarise(&self, executed: &Executed) {
        let mut summary = match self.summary.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        summary.blocks += 1;
        summary.txs += executed.receipts.len() as u64;
        summary.failed += executed.receipts.iter().filter(|r| !r.ok).count() as u64;
        let elapsed = summary.since.elapsed();
        if elapsed < SUMMARY_EVERY {
            return;
        }
        let header = &executed.block.header;
        tracing::info!(
            height = header.height,
            time = %iso8601(header.time),
            blocks = summary.blocks,
            txs = summary.txs,
            failed = summary.failed,
            mempool = self.mempool().map(|m| m.len()).unwrap_or(0),
            over_s = elapsed.as_secs(),
            "chain progress"
        );
        *summary = Summary::default();
    }

    /// A receiver of every committed block's events.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<StreamEvent>>> {
        self.events.subscribe()
    }

    /// The kept events after `after` (`"<height>:<index>"`), or the last `newest` of them.
    /// Subscribe first, then call this: live events at or before the last one returned are
    /// then duplicates to skip.
    pub fn recent_events(&self, after: Option<(u64, u64)>, newest: usize) -> Vec<StreamEvent> {
        let recent = match self.recent_events.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        match after {
            Some(after) => recent
                .iter()
                .filter(|e| event_position(&e.id).is_some_and(|p| p > after))
                .cloned()
                .collect(),
            None => recent
                .iter()
                .skip(recent.len().saturating_sub(newest))
                .cloned()
                .collect(),
        }
    }

    /// Runs a query (a `Query` JSON object; `{"query": "state_root"}` too).
    pub fn query(&self, body: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        let name = body
            .get("query")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(codes::INVALID_INPUT, "a query needs `query`: its name")
            })?;
        if name == "state_root" {
            let chain = self.chain()?;
            let head = chain.head();
            return Ok(serde_json::json!({
                "state_root": head.state_root, "height": head.height, "time": head.time,
            }));
        }
        rampart_api::strict::check_addresses(&body)?;
        if name == "security" {
            return self.security(&body);
        }
        let body = account_alias(&name, body)?;
        let query: Query = serde_json::from_value(body).map_err(|e| {
            let error = rampart_api::error::classify_serde("query", &name, &e);
            if error.is(codes::UNKNOWN_QUERY) {
                unknown_query(&name)
            } else {
                error
            }
        })?;
        query.run(self.chain()?.state()).map_err(ApiError::from)
    }

    /// The `security` query (RISK.md §5 on the live state): the graph is built under the read
    /// lock, the analysis (up to its `budget_ms`) runs after the lock is released, so a long
    /// search never holds up block production.
    pub fn security(&self, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
        use rampart_risk::live::{SecurityQuery, live_graph};
        let query = SecurityQuery::from_json(body).map_err(risk_error)?;
        let live = live_graph(self.chain()?.state(), &query.live).map_err(risk_error)?;
        let started = Instant::now();
        let analysis = rampart_risk::analyze(&live.graph, &query.analyze).map_err(risk_error)?;
        let mut report = live.report(&analysis);
        report["elapsed_ms"] = serde_json::json!(started.elapsed().as_millis() as u64);
        Ok(report)
    }

    /// Every validator, operator, service, set, reward program, asset, strategy and vault (with
    /// its display name), and the configured display names (plus a name for each vault's module
    /// account).
    /// A page of an operator's stakers (see [`crate::delegators`]).
    pub fn operator_delegators(
        &self,
        operator: Address,
        page: crate::delegators::PageAt,
    ) -> Result<crate::delegators::OperatorDelegatorsView, ApiError> {
        let chain = self.chain()?;
        crate::delegators::operator_delegators(chain.delegators(), chain.state(), operator, &page)
    }

    /// Whether the delegator index is exactly what the state gives when rebuilt from scratch
    /// (the check the tests run after blocks; `Err` names the failure).
    pub fn check_delegator_index(&self) -> Result<(), ApiError> {
        let chain = self.chain()?;
        if *chain.delegators() == crate::delegators::DelegatorIndex::of(chain.state()) {
            Ok(())
        } else {
            Err(ApiError::new(
                rampart_api::codes::INTERNAL,
                format!(
                    "the delegator index differs from the state at height {}",
                    chain.head().height
                ),
            ))
        }
    }

    /// A page of a validator's delegators (see [`crate::delegators`]).
    pub fn validator_delegators(
        &self,
        validator: Address,
        page: crate::delegators::PageAt,
    ) -> Result<crate::delegators::ValidatorDelegatorsView, ApiError> {
        let chain = self.chain()?;
        crate::delegators::validator_delegators(chain.delegators(), chain.state(), validator, &page)
    }

    pub fn network(&self) -> Result<NetworkView, ApiError> {
        use rampart_core::schema::{
            Assets, OperatorSets, Operators, RewardPrograms, Services, Strategies, Validators,
            Vaults,
        };
        let chain = self.chain()?;
        let state = chain.state();
        let vaults: Vec<VaultListing> = state
            .iter::<Vaults>()
            .map(|(index, cfg)| {
                let vault = bank::symbol(state, cfg.lrt);
                VaultListing {
                    name: self
                        .config
                        .vault_names
                        .get(&vault)
                        .cloned()
                        .unwrap_or_else(|| vault.clone()),
                    asset: bank::symbol(state, cfg.asset),
                    curator: cfg.curator,
                    account: rampart_core::ids::module::vault(*index),
                    vault,
                }
            })
            .collect();
        Ok(NetworkView {
            height: chain.head().height,
            validators: state.iter::<Validators>().map(|(a, _)| *a).collect(),
            operators: state.iter::<Operators>().map(|(a, _)| *a).collect(),
            services: state.iter::<Services>().map(|(a, _)| *a).collect(),
            sets: state
                .iter::<OperatorSets>()
                .map(|(s, _)| s.to_string())
                .collect(),
            reward_programs: state.iter::<RewardPrograms>().map(|(id, _)| *id).collect(),
            assets: state
                .iter::<Assets>()
                .map(|(_, a)| a.symbol.clone())
                .collect(),
            strategies: state
                .iter::<Strategies>()
                .map(|(id, _)| rampart_core::restaking::strategy_name(state, *id))
                .collect(),
            vaults: vaults.clone(),
            labels: self
                .config
                .labels
                .iter()
                .map(|(a, n)| (format!("{a:#x}"), n.clone()))
                .chain(
                    vaults
                        .iter()
                        .filter(|v| !self.config.labels.contains_key(&v.account))
                        .map(|v| (format!("{:#x}", v.account), format!("{} vault", v.vault))),
                )
                .collect(),
        })
    }

    /// The built-in stress scenarios.
    pub fn stress_examples(&self) -> Vec<StressExample> {
        rampart_risk::stress::EXAMPLES
            .iter()
            .map(|(name, text)| StressExample {
                name: (*name).to_owned(),
                title: serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Runs (once) the built-in stress scenario `name`.
    pub fn stress(&self, name: &str) -> Result<serde_json::Value, ApiError> {
        let cached = self
            .stress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned();
        if let Some(v) = cached {
            return Ok(v);
        }
        let text = rampart_risk::stress::example(name).ok_or_else(|| {
            ApiError::new(
                codes::NOT_FOUND,
                format!("no built-in stress scenario `{name}`; see /v1/risk/stress"),
            )
        })?;
        let report = rampart_risk::stress_json(text, &mut |_, _| {}).map_err(risk_error)?;
        self.stress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned(), report.clone());
        Ok(report)
    }

    /// Runs `f` on the committed state (refused once the node has failed).
    pub fn with_state<R>(&self, f: impl FnOnce(&rampart_core::State) -> R) -> Result<R, ApiError> {
        Ok(f(self.chain()?.state()))
    }

    /// The chain's position.
    pub fn status(&self) -> Result<StatusView, ApiError> {
        let chain = self.chain()?;
        let head = chain.head();
        Ok(StatusView {
            chain_id: self.chain_id(),
            height: head.height,
            time: head.time,
            state_root: head.state_root,
            block_hash: head.hash,
            mempool: self.mempool()?.len(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            epoch: chain.state().meta().epoch.get(),
            epoch_length_s: chain.state().params().epoch_length_s.get(),
        })
    }

    /// Height of the last committed block.
    pub fn height(&self) -> Result<u64, ApiError> {
        Ok(self.chain()?.head().height)
    }

    /// Transactions waiting.
    pub fn mempool_len(&self) -> Result<usize, ApiError> {
        Ok(self.mempool()?.len())
    }

    /// An account's committed and next nonce.
    pub fn nonce(&self, address: Address) -> Result<NonceView, ApiError> {
        let chain = self.chain()?;
        let committed = next_nonce(chain.state(), address);
        let next = self.mempool()?.next_nonce(&address, committed);
        Ok(NonceView {
            address,
            committed,
            next,
        })
    }

    /// A committed block (`None`: the head).
    pub fn block(&self, height: Option<u64>) -> Result<BlockView, ApiError> {
        let block = self.stored_block(height)?;
        Ok(BlockView {
            txs: block.summaries(),
            header: block.header,
            events: block.events,
        })
    }

    /// A committed block with its signed transactions (what a follower or a replay executes).
    pub fn block_body(&self, height: u64) -> Result<BlockBody, ApiError> {
        let block = self.stored_block(Some(height))?;
        Ok(BlockBody {
            header: block.header,
            txs: block.txs.into_iter().map(|t| t.signed).collect(),
        })
    }

    fn stored_block(&self, height: Option<u64>) -> Result<rampart_storage::StoredBlock, ApiError> {
        let chain = self.chain()?;
        let height = height.unwrap_or(chain.head().height);
        chain
            .store()
            .block(height)
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(codes::NOT_FOUND, format!("no block at height {height}")))
    }

    /// A transaction's status: committed (with its receipt) or pending.
    pub fn tx_status(&self, hash: B256) -> Result<TxStatus, ApiError> {
        let chain = self.chain()?;
        if let Some(receipt) = chain.store().receipt(&hash).map_err(internal)? {
            return Ok(TxStatus::Committed {
                receipt: Box::new(receipt),
            });
        }
        if self.mempool()?.contains(&hash) {
            return Ok(TxStatus::Pending { hash });
        }
        Err(ApiError::new(
            codes::NOT_FOUND,
            format!("no transaction {hash:#x} is pending or committed"),
        ))
    }

    /// A proof of an encoded state key against the head's root.
    pub fn proof(&self, key: &[u8]) -> Result<ProofView, ApiError> {
        let mut chain = self.chain_mut()?;
        let proof = chain.prove(key);
        let head = chain.head().clone();
        let value = chain
            .store()
            .state_value(key)
            .map_err(internal)?
            .map(|v| rampart_api::tx::hex_encode(&v));
        Ok(ProofView {
            height: head.height,
            state_root: head.state_root,
            key: rampart_api::tx::hex_encode(key),
            value,
            proof: ProofJson::from(&proof),
        })
    }

    /// The encoded key of `account`'s balance of `asset` (by symbol).
    pub fn balance_key(&self, account: Address, asset: &str) -> Result<Vec<u8>, ApiError> {
        let chain = self.chain()?;
        let id = bank::asset_id(chain.state(), asset)?;
        Ok(rampart_core::state::encode_full_key::<
            rampart_core::schema::Balances,
        >(&(account, id)))
    }

    /// Stops admitting transactions, producing blocks and streaming events.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.stop_signal.send_replace(true);
    }

    /// Resolves once the node is stopping (event streams end on it).
    pub fn stopped_signal(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = self.stop_signal.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Whether the node is shutting down.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    fn stopped(&self) -> bool {
        self.is_stopping()
    }

    // The BFT engine's side of the seam (`rampart-consensus`): it chooses blocks from the
    // mempool as a leader and executes the blocks consensus finalized.

    /// The last committed header.
    pub fn head(&self) -> Result<BlockHeaderView, ApiError> {
        Ok(self.chain()?.head().clone())
    }

    /// The transaction verifier of this chain.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Up to `max` pending transactions, as [`Mempool::propose`] orders them (a BFT leader's
    /// proposal). The mempool is unchanged.
    pub fn propose_txs(&self, max: usize) -> Result<Vec<VerifiedTx>, ApiError> {
        self.check_alive()?;
        Ok(self.mempool()?.propose(max))
    }

    /// Executes and commits a block someone else decided (a BFT engine's finalized block), as
    /// the producer does its own: under the chain's write lock and inside `catch_unwind` (a
    /// panic reloads the chain and fails the node), then the mempool forgets what the block
    /// settled and the block is published to metrics and event streams.
    pub fn commit_proposal(&self, proposal: Proposal) -> Result<BlockHeaderView, NodeError> {
        self.guarded_commit("executing a decided block", |chain| {
            self.commit_decided(chain, proposal)
        })
    }

    /// Executes and commits `proposal` (the producer's own or one consensus decided), records
    /// the history snapshot when an epoch began, and lets the mempool forget what it settled.
    fn commit_decided(&self, chain: &mut Chain, proposal: Proposal) -> Result<Executed, NodeError> {
        let signers: BTreeSet<Address> = proposal.txs.iter().map(|t| t.tx.signer).collect();
        let epoch_before = chain.state().meta().epoch.get();
        let executed = chain.execute(proposal)?;
        chain.commit(&executed)?;
        let epoch = chain.state().meta().epoch.get();
        if epoch != epoch_before {
            self.record_history(chain, epoch);
        }
        let committed: Vec<(Address, u64)> = signers
            .iter()
            .map(|a| (*a, next_nonce(chain.state(), *a)))
            .collect();
        let rejected: Vec<Address> = executed.rejected.iter().map(|r| r.signer).collect();
        self.mempool()
            .map_err(unavailable)?
            .on_commit(&committed, &rejected);
        Ok(executed)
    }
}

fn failed_error(reason: &str) -> ApiError {
    ApiError::new(
        codes::UNAVAILABLE,
        format!("the node has failed and serves nothing until restarted: {reason}"),
    )
}

fn unavailable(e: ApiError) -> NodeError {
    NodeError::Unavailable(e.message)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn risk_error(e: rampart_risk::RiskError) -> ApiError {
    ApiError::new(e.code(), e.to_string())
}

fn internal(e: rampart_storage::StorageError) -> ApiError {
    ApiError::new(codes::INTERNAL, e.to_string())
}

fn stream_events(executed: &Executed) -> Vec<StreamEvent> {
    let height = executed.block.header.height;
    let begin = executed
        .block
        .events
        .as_array()
        .into_iter()
        .flatten()
        .map(|event| (None, event));
    let of_txs = executed.receipts.iter().flat_map(|r| {
        r.events
            .as_array()
            .into_iter()
            .flatten()
            .map(move |event| (Some(r.hash), event))
    });
    begin
        .chain(of_txs)
        .enumerate()
        .map(|(index, (tx, event))| StreamEvent {
            id: format!("{height}:{index}"),
            height,
            asset: event_asset(event),
            tx,
            event: event.clone(),
        })
        .collect()
}

/// The asset an event is about: its `asset`, else its `strategy`, else its vault's `lrt`.
fn event_asset(event: &serde_json::Value) -> Option<String> {
    let fields = event
        .as_object()
        .map(|o| o.values().find_map(|v| v.as_object()).unwrap_or(o))?;
    ["asset", "strategy", "vault", "lrt"]
        .iter()
        .find_map(|k| fields.get(*k).or_else(|| event.get(*k)))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// `"<height>:<index>"` as numbers, for ordering and `Last-Event-ID`.
pub fn event_position(id: &str) -> Option<(u64, u64)> {
    let (h, i) = id.trim().split_once(':')?;
    Some((h.parse().ok()?, i.parse().ok()?))
}

/// Events a node keeps for clients that reconnect (`Last-Event-ID`) or start.
pub const EVENT_BACKLOG: usize = 4_096;

/// Seconds since the Unix epoch (the producer's clock; the core never reads it).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Consecutive failed blocks after which the producer gives up and fails the node.
const MAX_PRODUCER_FAILURES: u32 = 3;

/// A node serving HTTP with its producer running.
#[derive(Debug)]
pub struct RunningNode {
    /// The address the API listens on.
    pub addr: SocketAddr,
    /// The shared state (tests and the demo driver use it in-process).
    pub shared: Arc<Shared>,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    producer: Option<std::thread::JoinHandle<()>>,
}

/// Binds the API's address (first, before anything is opened or written, so a port in use
/// fails at once and leaves nothing behind). The error names the address.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, NodeError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| NodeError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| NodeError::Bind { addr, source })?;
    Ok(listener)
}

/// Binds the API, opens the chain and starts the block producer. Call inside a Tokio runtime.
pub async fn start(config: NodeConfig, genesis: &Genesis) -> Result<RunningNode, NodeError> {
    let listener = bind(config.listen)?;
    let shared = Arc::new(Shared::open(config, genesis)?);
    start_on(listener, shared).await
}

/// Starts serving an already opened chain on its configured address.
pub async fn start_with(shared: Arc<Shared>) -> Result<RunningNode, NodeError> {
    let listener = bind(shared.config.listen)?;
    start_on(listener, shared).await
}

/// Starts serving an already opened chain on an already bound listener.
pub async fn start_on(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
) -> Result<RunningNode, NodeError> {
    let interval = block_interval(&shared)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let addr = listener.local_addr()?;
    let (shutdown, stop_rx) = tokio::sync::watch::channel(false);
    let app = http::router(shared.clone());
    let server = tokio::spawn(crate::serve::serve(
        listener,
        app,
        shared.config.http,
        stop_rx,
    ));
    let producer = spawn_producer(shared.clone(), interval)?;
    let height = shared.height().map_err(unavailable)?;
    tracing::info!(%addr, chain_id = shared.chain_id(), height, "node started");
    Ok(RunningNode {
        addr,
        shared,
        shutdown,
        server,
        producer,
    })
}

/// The time between blocks: the configured `block_interval_ms`, else the chain's
/// `block_time_s` (a configuration error if that many milliseconds do not fit 64 bits).
pub fn block_interval(shared: &Shared) -> Result<Duration, NodeError> {
    if let Some(ms) = shared.config.block_interval_ms {
        return Ok(Duration::from_millis(ms));
    }
    let block_time_s = shared
        .with_state(|s| s.params().block_time_s.get())
        .map_err(unavailable)?;
    interval_of(block_time_s)
}

/// `block_time_s` (at least 1) as a duration in milliseconds, checked.
fn interval_of(block_time_s: u64) -> Result<Duration, NodeError> {
    let ms = block_time_s.max(1).checked_mul(1000).ok_or_else(|| {
        NodeError::Config(format!(
            "block_time_s = {block_time_s} is too long a block interval (at most {} s)",
            u64::MAX / 1000
        ))
    })?;
    Ok(Duration::from_millis(ms))
}

fn spawn_producer(
    shared: Arc<Shared>,
    interval: Duration,
) -> Result<Option<std::thread::JoinHandle<()>>, NodeError> {
    if interval.is_zero() {
        return Ok(None);
    }
    let handle = std::thread::Builder::new()
        .name("rampart-producer".into())
        .spawn(move || produce_forever(&shared, interval))?;
    Ok(Some(handle))
}

/// Produces a block every `interval` until the node stops. A failed block leaves the chain at
/// its last committed block (see [`Shared::produce_block_at`]) and is retried at the next
/// interval; a panic, or [`MAX_PRODUCER_FAILURES`] failures in a row, fail the node.
fn produce_forever(shared: &Shared, interval: Duration) {
    let mut next = Instant::now() + interval;
    let mut failures = 0u32;
    while !shared.stopped() {
        let now = Instant::now();
        if now < next {
            std::thread::sleep((next - now).min(Duration::from_millis(50)));
            continue;
        }
        next += interval;
        if next < Instant::now() {
            next = Instant::now() + interval;
        }
        match shared.produce_block() {
            Ok(_) => failures = 0,
            Err(_) if shared.failure().is_some() => return,
            Err(e) => {
                failures += 1;
                if failures >= MAX_PRODUCER_FAILURES {
                    shared.fail_now(&format!(
                        "block production failed {failures} times in a row: {e}"
                    ));
                    return;
                }
                tracing::error!(error = %e, failures, "block production failed; the chain stays at its last committed block; retrying at the next interval");
            }
        }
    }
}

impl RunningNode {
    /// Resolves when the node has failed for good (its producer stopped), with the reason.
    pub async fn failed(&self) -> String {
        self.shared.wait_failed().await
    }

    /// Stops admitting and ends the event streams, closes idle connections and the listener,
    /// lets the producer finish its current block, and gives busy connections
    /// `http.shutdown_grace_ms` to finish before they are dropped.
    pub async fn shutdown(mut self) {
        self.shared.stop();
        let _ = self.shutdown.send(true);
        if let Some(p) = self.producer.take() {
            let _ = tokio::task::spawn_blocking(move || p.join()).await;
        }
        let _ = self.server.await;
        tracing::info!("node stopped");
    }
}

/// How often the producer logs a summary at INFO (each block is logged at DEBUG).
const SUMMARY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the blocks since the last summary did.
#[derive(Debug)]
struct Summary {
    since: Instant,
    blocks: u64,
    txs: u64,
    failed: u64,
}

impl Default for Summary {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            blocks: 0,
            txs: 0,
            failed: 0,
        }
    }
}

/// Unix seconds as ISO 8601 UTC (`2026-12-03T13:10:37Z`), by the civil-from-days algorithm.
pub fn iso8601(unix_s: u64) -> String {
    let days = i64::try_from(unix_s / 86_400).unwrap_or(i64::MAX / 2);
    let secs = unix_s % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Queries whose account field has its own older name; `account=` works for every query about
/// one account (the older name stays an alias).
const ACCOUNT_ALIASES: [(&str, &str); 3] = [
    ("position", "staker"),
    ("withdrawals", "staker"),
    ("base_delegation", "delegator"),
];

/// `body` with `account` renamed to the query's own field name where it has an older one.
fn account_alias(name: &str, mut body: serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let Some((_, field)) = ACCOUNT_ALIASES.iter().find(|(q, _)| *q == name) else {
        return Ok(body);
    };
    if let Some(map) = body.as_object_mut()
        && let Some(account) = map.remove("account")
    {
        if map.contains_key(*field) {
            return Err(ApiError::new(
                codes::INVALID_INPUT,
                format!("`{name}` takes `account` or its older name `{field}`, not both"),
            ));
        }
        map.insert((*field).to_owned(), account);
    }
    Ok(body)
}

/// Every query name: the protocol's and the node's own (`security`, `state_root`).
pub fn query_names() -> Vec<String> {
    let probe = serde_json::json!({"query": "\u{1}"});
    let message = serde_json::from_value::<Query>(probe)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let mut names: Vec<String> = message
        .split_once("expected ")
        .map(|(_, list)| {
            list.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    names.extend(["security".to_owned(), "state_root".to_owned()]);
    names
}

fn unknown_query(name: &str) -> ApiError {
    ApiError::new(
        codes::UNKNOWN_QUERY,
        format!(
            "no query `{name}`; the queries are: {}",
            query_names().join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_matches_known_dates() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::iso8601(1_796_311_837), "2026-12-03T15:30:37Z");
    }

    use super::*;

    fn open(name: &str) -> Shared {
        let dir = std::env::temp_dir().join(format!("rampart-node-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = NodeConfig::new(dir);
        config.block_interval_ms = Some(0);
        Shared::open(config, &crate::demo::genesis(unix_now())).expect("opens")
    }

    #[test]
    fn a_panic_in_block_production_fails_the_node_and_no_state_is_served_after_it() {
        let shared = open("panic");
        shared.produce_block().expect("a first block");
        let root = shared.status().expect("status").state_root;
        shared.panic_in_next_block.store(true, Ordering::Relaxed);
        let err = shared.produce_block().expect_err("the block fails");
        assert!(err.to_string().contains("injected panic"), "{err}");
        assert!(
            !shared.chain.is_poisoned(),
            "the panic was caught under the lock"
        );
        let reason = shared.failure().expect("the node is failed");
        assert!(reason.contains("panicked"), "{reason}");
        for refused in [
            shared.status().map(|_| ()),
            shared.height().map(|_| ()),
            shared
                .query(serde_json::json!({"query": "params"}))
                .map(|_| ()),
        ] {
            let e = refused.expect_err("refused after the failure");
            assert_eq!(e.code, codes::UNAVAILABLE);
        }
        assert!(shared.produce_block().is_err(), "no more blocks");
        // What was reloaded under the lock is the last committed block.
        let chain = shared.chain.read().expect("not poisoned");
        assert_eq!(chain.head().state_root, root);
        assert_eq!(chain.head().height, 1);
    }

    #[test]
    fn a_poisoned_chain_lock_fails_the_node_instead_of_serving_what_it_guards() {
        let shared = Arc::new(open("poison"));
        let s = shared.clone();
        let _ = std::thread::spawn(move || {
            let _guard = s.chain.write();
            panic!("a writer panics");
        })
        .join();
        let e = shared.status().expect_err("refused");
        assert_eq!(e.code, codes::UNAVAILABLE);
        assert!(shared.failure().is_some_and(|r| r.contains("poisoned")));
    }

    #[test]
    fn a_block_time_too_long_for_milliseconds_is_a_configuration_error_not_a_panic() {
        assert_eq!(interval_of(2).expect("fits"), Duration::from_secs(2));
        let err = interval_of(u64::MAX / 1000 + 1).expect_err("overflow refused");
        assert!(matches!(err, NodeError::Config(_)), "{err}");
        assert_eq!(
            interval_of(0).expect("at least 1 s"),
            Duration::from_secs(1)
        );
    }
}
