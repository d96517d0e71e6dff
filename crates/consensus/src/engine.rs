//! One validator's consensus stack and the epoch orchestrator.
//!
//! [`run`] wires, under one task (aborting it stops everything):
//!
//! - marshal (finalized blocks and certificates in prunable archives, in height order to the
//!   [`executor`](crate::executor)), its p2p backfill resolver and the buffered block broadcast;
//! - marshal's `Inline` wrapper around the [`App`](crate::app::App), which is simplex's
//!   automaton, relay and (with this crate's [`ActivityReporter`]) reporter;
//! - the orchestrator: one simplex engine per consensus epoch, with the committee the core wrote
//!   into state for it (`committee(state, e)`), its own journal partition and its own
//!   subchannels of the vote, certificate and resolver channels. When the executor has run the
//!   last block of epoch e, the engine of e + 1 starts (from `Floor::Genesis(digest of that
//!   block)`) and the engine of e stops. A node that holds no seat in an epoch runs no engine
//!   for it and follows through marshal.

use crate::Stats;
use crate::app::{App, AppConfig, Committees};
use crate::block::{Block, Digest};
use crate::convert::{self, Scheme};
use crate::elector::StakeWeighted;
use crate::executor::{self, Executor, ExecutorParts};
use crate::reporter::{ActivityReporter, SharedPool};
use commonware_broadcast::buffered;
use commonware_consensus::Reporters;
use commonware_consensus::marshal::{
    self, Identifier, Start,
    core::Actor as MarshalActor,
    resolver::p2p as marshal_resolver,
    standard::{Inline, Standard},
};
use commonware_consensus::simplex::{
    self,
    config::{ForwardPolicy, SkipBudget, SkipPolicy},
};
use commonware_consensus::types::{Epoch, FixedEpocher, Height, ViewDelta};
use commonware_cryptography::certificate::{Provider, Scoped};
use commonware_cryptography::{Digested, Digestible, Signer as _, ed25519};
use commonware_p2p::utils::mux::Muxer;
use commonware_p2p::{Blocker, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage, buffer::paged::CacheRef};
use commonware_storage::{archive::prunable, translator::TwoCap};
use commonware_utils::vec::NonEmptyVec;
use commonware_utils::{NZU16, NZU64, NZUsize, NonZeroDuration};
use futures::StreamExt;
use futures::channel::mpsc;
use rampart_core::base::consensus::{Committee, consensus_namespace, epoch_of};
use rampart_node::Shared;
use rampart_node::consensus::Role;
use std::collections::BTreeMap;
use std::num::{NonZeroU16, NonZeroU64, NonZeroUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PAGE_SIZE: NonZeroU16 = NZU16!(4096);
const PAGE_CACHE_SIZE: NonZeroUsize = NZUsize!(64);
const IO_BUFFER: NonZeroUsize = NZUsize!(16 * 1024);
/// How often a node checks whether it is stuck behind the chain.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How many finalizations a stuck node asks for at once.
const FOLLOW_AHEAD: u64 = 16;

/// Settings of a validator's engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Prefix of every storage partition (unique per validator on shared storage).
    pub partition_prefix: String,
    /// The application's settings.
    pub app: AppConfig,
    /// How long to wait for the leader's proposal.
    pub leader_timeout: Duration,
    /// How long to wait for certification.
    pub certification_timeout: Duration,
    /// Retry interval of timeouts.
    pub timeout_retry: Duration,
    /// Timeout of a fetch (simplex and marshal resolvers).
    pub fetch_timeout: Duration,
    /// Keep votes after certification (better equivocation detection, more memory).
    pub track_historical_votes: bool,
    /// Actor mailbox size.
    pub mailbox_size: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            partition_prefix: "rampart".into(),
            app: AppConfig {
                max_block_txs: 20_000,
                block_interval: Duration::from_millis(500),
                invalid_proposals: false,
            },
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_millis(500),
            fetch_timeout: Duration::from_secs(2),
            track_historical_votes: true,
            mailbox_size: 1024,
        }
    }
}

/// The five p2p channels of a validator, each a (sender, receiver) pair.
#[derive(Debug)]
pub struct Channels<S, R> {
    /// Simplex votes (muxed per epoch).
    pub votes: (S, R),
    /// Simplex certificates (muxed per epoch).
    pub certificates: (S, R),
    /// Simplex resolver (muxed per epoch).
    pub resolver: (S, R),
    /// Marshal backfill.
    pub backfill: (S, R),
    /// Block broadcast.
    pub broadcast: (S, R),
    /// Mempool gossip ([`crate::gossip`]).
    pub transactions: (S, R),
}

/// Channel ids of [`Channels`], in order.
pub const CHANNELS: [u64; 6] = [0, 1, 2, 3, 4, 5];

/// Tells the p2p layer who the peers of an epoch are.
pub trait PeerSets: Clone + Send + 'static {
    /// Track `committee`'s members as the peer set of `epoch` (ids only increase).
    fn track(&mut self, epoch: u64, committee: &Committee);
}

/// The signing schemes this validator holds, and verifiers of every committee in state.
#[derive(Clone, Debug)]
pub struct EpochProvider {
    signers: Arc<Mutex<BTreeMap<u64, Arc<Scheme>>>>,
    committees: Committees,
}

impl EpochProvider {
    fn new(committees: Committees) -> Self {
        Self {
            signers: Arc::default(),
            committees,
        }
    }

    fn register(&self, epoch: u64, scheme: Arc<Scheme>) {
        let mut s = self
            .signers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.insert(epoch, scheme);
        while s.len() > 4 {
            s.pop_first();
        }
    }
}

impl Provider for EpochProvider {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, scope: Epoch) -> Option<Scoped<Scheme>> {
        let epoch = scope.get();
        if let Some(s) = self
            .signers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&epoch)
        {
            return Some(Scoped::scheme(s.clone()));
        }
        self.committees
            .get(epoch)
            .map(|c| Scoped::verifier(Arc::new(c.verifier.clone())))
    }
}

/// Handles of a running validator for tests and the node.
#[derive(Clone, Debug)]
pub struct Running {
    /// Counters.
    pub stats: Arc<Stats>,
    /// Evidence and certificates.
    pub pool: SharedPool,
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: CacheRef,
    codec: C,
) -> prunable::Config<TwoCap, C> {
    prunable::Config {
        translator: TwoCap,
        metadata_partition: format!("{prefix}-{name}-metadata"),
        key_partition: format!("{prefix}-{name}-key"),
        key_page_cache: page_cache,
        value_partition: format!("{prefix}-{name}-value"),
        compression: None,
        codec_config: codec,
        items_per_section: NZU64!(64),
        key_write_buffer: IO_BUFFER,
        value_write_buffer: IO_BUFFER,
        replay_buffer: IO_BUFFER,
    }
}

fn non_zero(d: Duration) -> NonZeroDuration {
    // At least one millisecond, so never zero.
    NonZeroDuration::new_panic(d.max(Duration::from_millis(1)))
}

/// Runs a validator (or a follower, without `signer` or a seat) until aborted: see the module
/// docs. `me` is its p2p identity (its consensus key for a validator).
#[allow(clippy::too_many_arguments)]
pub async fn run<E, S, R, B, P, T>(
    context: E,
    node: Arc<Shared>,
    me: ed25519::PublicKey,
    signer: Option<ed25519::PrivateKey>,
    config: EngineConfig,
    channels: Channels<S, R>,
    blocker: B,
    peer_provider: P,
    mut peer_sets: T,
    running: Running,
) where
    E: Clock + rand_core::CryptoRng + Spawner + Storage + Metrics,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
    P: commonware_p2p::Provider<PublicKey = ed25519::PublicKey> + Clone,
    T: PeerSets,
{
    let chain_id = node.chain_id();
    let namespace = consensus_namespace(chain_id);
    let Ok((epoch_blocks, genesis_time, head)) = node
        .with_state(|s| {
            (
                s.params().consensus_epoch_blocks,
                s.meta().genesis_time.get(),
            )
        })
        .and_then(|(l, t)| node.head().map(|h| (l, t, h)))
    else {
        tracing::error!("the node is not readable; consensus not started");
        return;
    };
    let Some(epoch_len) = NonZeroU64::new(epoch_blocks) else {
        node.fail_now(
            "consensus_epoch_blocks is 0: this chain has a single producer, not consensus",
        );
        return;
    };
    {
        let stats = running.stats.clone();
        let role = match &signer {
            Some(_) => Role::Validator(convert::key_bytes(&me)),
            None => Role::Follower,
        };
        node.consensus
            .start(role, Box::new(move || stats.counters()));
    }
    let prefix = config.partition_prefix.clone();
    let mailbox = NonZeroUsize::new(config.mailbox_size).unwrap_or(NZUsize!(1024));
    let page_cache = CacheRef::new(PAGE_SIZE, PAGE_CACHE_SIZE);
    let committees = Committees::new(node.clone(), namespace.clone());
    let provider = EpochProvider::new(committees.clone());
    let genesis = Block::genesis(chain_id, genesis_time);
    let genesis_digest = genesis.digest();

    // Marshal's backfill resolver and the block broadcast.
    let resolver = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peer_provider.clone(),
            blocker: blocker.clone(),
            mailbox_size: mailbox,
            fetch_timeout: non_zero(config.fetch_timeout),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let (broadcast, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: mailbox,
            deque_size: 16,
            priority: false,
            codec_config: (),
            peer_provider: peer_provider.clone(),
            strategy: Sequential,
        },
    );
    broadcast.start(channels.broadcast);

    let Ok(finalizations) = prunable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations",
            page_cache.clone(),
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    else {
        node.fail_now("cannot open the finalizations archive");
        return;
    };
    let Ok(blocks) = prunable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&prefix, "blocks", page_cache.clone(), ()),
    )
    .await
    else {
        node.fail_now("cannot open the finalized blocks archive");
        return;
    };
    let (marshal_actor, marshal, _floor) = MarshalActor::<_, Standard<Block>, _, _, _, _, _>::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: provider.clone(),
            epocher: FixedEpocher::new(epoch_len),
            start: Start::Genesis(Digested::precomputed(genesis.clone(), genesis_digest)),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: mailbox,
            view_retention: ViewDelta::new(10),
            prunable_items_per_section: NZU64!(64),
            page_cache: page_cache.clone(),
            replay_buffer: IO_BUFFER,
            key_write_buffer: IO_BUFFER,
            value_write_buffer: IO_BUFFER,
            block_codec_config: (),
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(1),
            strategy: Sequential,
        },
    )
    .await;

    let pool = running.pool.clone();
    let stats = running.stats.clone();
    let (epochs_tx, mut epochs_rx) = mpsc::unbounded();
    let verified = crate::app::VerifiedCache::default();
    let (executor, updates) = Executor::new();
    let parts = ExecutorParts {
        node: node.clone(),
        committees: committees.clone(),
        pool: pool.clone(),
        stats: stats.clone(),
        epoch_blocks,
        epochs: epochs_tx,
        verified: verified.clone(),
    };
    context
        .child("executor")
        .spawn(move |_| executor::run(parts, updates));
    {
        let (node, blocker, verified, stats) = (
            node.clone(),
            blocker.clone(),
            verified.clone(),
            stats.clone(),
        );
        let transactions = channels.transactions;
        context.child("gossip").spawn(move |ctx| {
            crate::gossip::run(ctx, node, transactions, blocker, verified, stats)
        });
    }
    marshal_actor.start(executor, buffer, resolver);

    let app = App::new(
        node.clone(),
        genesis.clone(),
        pool.clone(),
        committees.clone(),
        stats.clone(),
        config.app.clone(),
        verified,
    );
    let inline = Inline::new(
        context.child("inline"),
        app,
        marshal.clone(),
        FixedEpocher::new(epoch_len),
    );
    let activity = ActivityReporter::new(pool.clone(), node.clone(), stats.clone());

    // Following: a node whose head has not moved for a while (it holds no seat, or it is
    // catching up after downtime) asks the epoch's committee for the next finalizations.
    let following = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let following = following.clone();
        let node = node.clone();
        let marshal = marshal.clone();
        let committees = committees.clone();
        let me = me.clone();
        context.child("follower").spawn(move |ctx| async move {
            let mut last = u64::MAX;
            loop {
                ctx.sleep(FOLLOW_EVERY).await;
                let Ok(head) = node.head() else { return };
                let seated = !following.load(std::sync::atomic::Ordering::Relaxed);
                if head.height != last && seated {
                    last = head.height;
                    continue;
                }
                last = head.height;
                let next = head.height.saturating_add(1);
                let Some(seats) = committees.get(epoch_of(next, epoch_blocks)) else {
                    continue;
                };
                let targets: Vec<ed25519::PublicKey> = seats
                    .committee
                    .members
                    .iter()
                    .filter_map(|m| convert::public_key(&m.key))
                    .filter(|k| *k != me)
                    .collect();
                let Ok(targets) = NonEmptyVec::try_from(targets) else {
                    continue;
                };
                for h in next..next.saturating_add(FOLLOW_AHEAD) {
                    marshal.hint_finalized(Height::new(h), targets.clone());
                }
            }
        });
    }

    // The three simplex channels, split per epoch.
    let (votes_mux, mut votes) = Muxer::new(
        context.child("mux_votes"),
        channels.votes.0,
        channels.votes.1,
    );
    votes_mux.start();
    let (certs_mux, mut certs) = Muxer::new(
        context.child("mux_certificates"),
        channels.certificates.0,
        channels.certificates.1,
    );
    certs_mux.start();
    let (resolver_mux, mut resolvers) = Muxer::new(
        context.child("mux_resolver"),
        channels.resolver.0,
        channels.resolver.1,
    );
    resolver_mux.start();

    // The orchestrator.
    let mut current: Option<(u64, Option<Handle<()>>)> = None;
    let mut next = Some(epoch_of(head.height.saturating_add(1), epoch_blocks));
    loop {
        let Some(epoch) = next.take() else {
            match epochs_rx.next().await {
                Some(e) => {
                    next = Some(e);
                    continue;
                }
                None => return,
            }
        };
        if current.as_ref().is_some_and(|(e, _)| *e >= epoch) {
            continue;
        }
        let Some(seats) = committees.get(epoch) else {
            node.fail_now(&format!("no committee of consensus epoch {epoch} in state"));
            return;
        };
        peer_sets.track(epoch, &seats.committee);
        let floor = if epoch == 0 {
            genesis_digest
        } else {
            let boundary = epoch.saturating_mul(epoch_blocks).saturating_sub(1);
            match marshal
                .get_info(Identifier::Height(Height::new(boundary)))
                .await
            {
                Some((_, d)) => d,
                None => {
                    node.fail_now(&format!(
                        "the boundary block {boundary} of consensus epoch {epoch} is not stored"
                    ));
                    return;
                }
            }
        };
        let scheme = signer.as_ref().and_then(|k| {
            convert::participants(&seats.committee)
                .and_then(|set| Scheme::signer(&namespace, set, k.clone()))
        });
        let handle = match scheme {
            Some(scheme) => {
                provider.register(epoch, Arc::new(scheme.clone()));
                let (Ok(v), Ok(c), Ok(r)) = (
                    votes.register(epoch).await,
                    certs.register(epoch).await,
                    resolvers.register(epoch).await,
                ) else {
                    node.fail_now(&format!("cannot open the channels of epoch {epoch}"));
                    return;
                };
                let engine = simplex::Engine::new(
                    context.child("simplex").with_attribute("epoch", epoch),
                    simplex::Config {
                        scheme,
                        elector: StakeWeighted::new(&seats.stakes),
                        blocker: blocker.clone(),
                        automaton: inline.clone(),
                        relay: inline.clone(),
                        reporter: Reporters::from((inline.clone(), activity.clone())),
                        strategy: Sequential,
                        partition: format!("{prefix}-simplex-{epoch}"),
                        mailbox_size: mailbox,
                        epoch: Epoch::new(epoch),
                        floor: simplex::config::Floor::Genesis(floor),
                        replay_buffer: IO_BUFFER,
                        write_buffer: IO_BUFFER,
                        page_cache: page_cache.clone(),
                        leader_timeout: config.leader_timeout,
                        certification_timeout: config.certification_timeout,
                        timeout_retry: config.timeout_retry,
                        view_retention: ViewDelta::new(10),
                        skip: SkipPolicy::Enabled {
                            timeout: config
                                .certification_timeout
                                .saturating_add(config.timeout_retry)
                                .saturating_add(Duration::from_secs(3)),
                            budget: SkipBudget::Participants,
                        },
                        fetch_timeout: non_zero(config.fetch_timeout),
                        fetch_retry_delay: config.fetch_timeout,
                        forward: ForwardPolicy::Disabled,
                        track_historical_votes: config.track_historical_votes,
                    },
                );
                tracing::info!(
                    epoch,
                    seats = seats.committee.members.len(),
                    "consensus epoch started"
                );
                following.store(false, std::sync::atomic::Ordering::Relaxed);
                node.consensus.engine(Some(epoch));
                Some(engine.start(v, c, r))
            }
            None => {
                following.store(true, std::sync::atomic::Ordering::Relaxed);
                node.consensus.engine(None);
                tracing::info!(epoch, "no seat in this consensus epoch: following");
                None
            }
        };
        if let Some((_, Some(old))) = current.take() {
            old.abort();
        }
        current = Some((epoch, handle));
    }
}

/// The simplex namespace and genesis digest of `node`'s chain (for tests and tools).
pub fn genesis_digest(node: &Shared) -> Option<Digest> {
    let t = node.with_state(|s| s.meta().genesis_time.get()).ok()?;
    Some(Block::genesis(node.chain_id(), t).digest())
}

/// The public key of a private key.
pub fn public(key: &ed25519::PrivateKey) -> ed25519::PublicKey {
    key.public_key()
}
