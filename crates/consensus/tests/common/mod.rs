//! A deterministic network of Rampart validators: Commonware's deterministic runtime and
//! simulated p2p network, one real `rampart_node::Shared` (redb in a temporary directory) per
//! validator, so a crash drops the node and a restart reopens the same directory.

#![allow(dead_code, clippy::unwrap_used, missing_debug_implementations)]

use alloy_primitives::{Address, B256};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_p2p::{Manager as _, TrackedPeers};
use commonware_runtime::{Clock, Handle, Quota, Spawner, Supervisor as _, deterministic};
use commonware_utils::ordered::Set;
use commonware_utils::{NZU32, NZUsize};
use rampart_api::UnsignedTx;
use rampart_consensus::app::AppConfig;
use rampart_consensus::engine::{self, CHANNELS, Channels, EngineConfig, PeerSets, Running};
use rampart_consensus::{Stats, convert};
use rampart_core::base::consensus::{Committee, dev_consensus_seed};
use rampart_core::genesis::{GenesisAccount, GenesisValidator};
use rampart_core::params::ParamsPatch;
use rampart_core::{Amount, Bps, Genesis, Timestamp};
use rampart_node::{NodeConfig, Shared};
use rampart_scenario::names::{dev_address, dev_signing_key};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub const E18: u128 = 1_000_000_000_000_000_000;
pub const CHAIN_ID: u64 = 7;
pub const T0: u64 = 1_750_000_000;

pub fn validator_name(i: usize) -> String {
    format!("validator-{i}")
}

pub fn holder_name(i: usize) -> String {
    format!("holder-{i}")
}

pub fn consensus_seed(i: usize) -> [u8; 32] {
    dev_consensus_seed(&validator_name(i))
}

pub fn consensus_key(i: usize) -> B256 {
    convert::public_of_seed(consensus_seed(i)).unwrap()
}

/// A BFT genesis: validators `0..n` with dev consensus keys (the first `keyed` of them), holders
/// `0..holders` with RAM.
pub fn genesis(n: usize, keyed: usize, holders: usize, params: ParamsPatch) -> Genesis {
    let ram = |address: Address, amount: u128| GenesisAccount {
        address,
        balances: [("RAM".to_owned(), Amount::new(amount))].into(),
    };
    let mut accounts: Vec<GenesisAccount> = (0..holders)
        .map(|i| ram(dev_address(&holder_name(i)), 1_000_000 * E18))
        .collect();
    accounts.extend((0..n).map(|i| ram(dev_address(&validator_name(i)), 1_000 * E18)));
    Genesis {
        chain_id: CHAIN_ID,
        time: Timestamp::new(T0),
        governance: Some(dev_address("governance")),
        guardian: None,
        params,
        assets: Vec::new(),
        accounts,
        validators: (0..n)
            .map(|i| GenesisValidator {
                address: dev_address(&validator_name(i)),
                self_bond: Amount::new(10_000 * E18),
                commission_bps: Bps::new(500),
                consensus_key: (i < keyed).then(|| consensus_key(i)),
                p2p_address: (i < keyed).then(|| format!("127.0.0.1:{}", 26_656 + i)),
            })
            .collect(),
    }
}

pub fn bft_params(epoch_blocks: u64) -> ParamsPatch {
    ParamsPatch {
        consensus_epoch_blocks: Some(epoch_blocks),
        ..ParamsPatch::default()
    }
}

/// A signed transfer of 1 base unit from holder `from` (nonce `nonce`) to holder `to`.
pub fn transfer(from: usize, to: usize, nonce: u64) -> rampart_api::SignedTx {
    let unsigned = UnsignedTx::from_action_json(
        &serde_json::json!({
            "tx": "transfer",
            "to": format!("{:#x}", dev_address(&holder_name(to))),
            "asset": "RAM",
            "amount": "1",
        }),
        nonce,
        0,
        0,
    )
    .unwrap();
    unsigned
        .sign(&dev_signing_key(&holder_name(from)), CHAIN_ID)
        .unwrap()
}

/// Tracks the committee (primary) plus every harness peer (secondary, so followers and joiners
/// stay connected).
#[derive(Clone)]
pub struct SimPeers {
    manager: simulated::Manager<ed25519::PublicKey, deterministic::Context>,
    all: Vec<ed25519::PublicKey>,
}

impl PeerSets for SimPeers {
    fn track(&mut self, epoch: u64, committee: &Committee) {
        let primary: Vec<ed25519::PublicKey> = committee
            .members
            .iter()
            .filter_map(|m| convert::public_key(&m.key))
            .collect();
        let primary = Set::from_iter_dedup(primary);
        let secondary = Set::from_iter_dedup(self.all.clone());
        // Id 0 is the network's initial set.
        let _ = self.manager.track(
            epoch.saturating_add(1),
            TrackedPeers::new(primary, secondary),
        );
    }
}

pub struct Validator {
    pub index: usize,
    pub key: ed25519::PrivateKey,
    pub pk: ed25519::PublicKey,
    pub dir: tempfile::TempDir,
    pub node: Option<Arc<Shared>>,
    pub handle: Option<Handle<()>>,
    pub running: Running,
    pub restarts: usize,
}

pub struct Net {
    pub context: deterministic::Context,
    pub oracle: Oracle<ed25519::PublicKey, deterministic::Context>,
    pub genesis: Genesis,
    pub validators: Vec<Validator>,
    pub config: EngineConfig,
    pub link: Link,
    /// A validator whose proposals are invalid.
    pub invalid_proposer: Option<usize>,
}

pub fn link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(2),
        success_rate: commonware_utils::probability!(1.0),
    }
}

pub fn engine_config(i: usize) -> EngineConfig {
    EngineConfig {
        partition_prefix: format!("v{i}"),
        app: AppConfig {
            max_block_txs: 1_000,
            block_interval: Duration::from_millis(200),
            invalid_proposals: false,
        },
        ..EngineConfig::default()
    }
}

const QUOTA: Quota = Quota::per_second(NZU32!(1_024));

impl Net {
    /// A network of `peers` validators (keys 0..peers) for `genesis`; nothing started.
    pub async fn new(context: deterministic::Context, genesis: Genesis, peers: usize) -> Self {
        let validators: Vec<Validator> = (0..peers)
            .map(|i| {
                let key = convert::private_key(consensus_seed(i)).unwrap();
                Validator {
                    index: i,
                    pk: key.public_key(),
                    key,
                    dir: tempfile::tempdir().unwrap(),
                    node: None,
                    handle: None,
                    running: Running {
                        stats: Arc::new(Stats::default()),
                        pool: Default::default(),
                    },
                    restarts: 0,
                }
            })
            .collect();
        let pks: Vec<ed25519::PublicKey> = validators.iter().map(|v| v.pk.clone()).collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: 16 * 1024 * 1024,
                max_peers_per_set: NZUsize!(8),
                disconnect_on_block: false,
                tracked_peer_sets: NZUsize!(4),
            },
            pks.clone(),
        )
        .await;
        network.start();
        for a in &pks {
            for b in &pks {
                if a != b {
                    oracle.add_link(a.clone(), b.clone(), link()).await.unwrap();
                }
            }
        }
        Self {
            context,
            oracle,
            genesis,
            validators,
            config: EngineConfig::default(),
            link: link(),
            invalid_proposer: None,
        }
    }

    pub fn pks(&self) -> Vec<ed25519::PublicKey> {
        self.validators.iter().map(|v| v.pk.clone()).collect()
    }

    /// Opens validator `i`'s node (its directory) and starts its engine.
    pub async fn start(&mut self, i: usize) {
        let all = self.pks();
        let v = &mut self.validators[i];
        let config = NodeConfig::new(v.dir.path().to_path_buf());
        let node = Arc::new(Shared::open(config, &self.genesis).unwrap());
        let control = self.oracle.control(v.pk.clone());
        let mut pairs = Vec::new();
        for c in CHANNELS {
            pairs.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut pairs = pairs.into_iter();
        let channels = Channels {
            votes: pairs.next().unwrap(),
            certificates: pairs.next().unwrap(),
            resolver: pairs.next().unwrap(),
            backfill: pairs.next().unwrap(),
            broadcast: pairs.next().unwrap(),
            transactions: pairs.next().unwrap(),
        };
        let peers = SimPeers {
            manager: self.oracle.manager(),
            all,
        };
        let ctx = self
            .context
            .child("validator")
            .with_attribute("index", i)
            .with_attribute("restart", v.restarts);
        v.restarts += 1;
        let (pk, key, running) = (v.pk.clone(), v.key.clone(), v.running.clone());
        let blocker = control.clone();
        let provider = self.oracle.manager();
        let mut cfg = engine_config(i);
        cfg.app.invalid_proposals = self.invalid_proposer == Some(i);
        let n = node.clone();
        let handle = ctx.spawn(move |ctx| async move {
            engine::run(
                ctx,
                n,
                pk,
                Some(key),
                cfg,
                channels,
                blocker,
                provider,
                peers,
                running,
            )
            .await;
        });
        v.node = Some(node);
        v.handle = Some(handle);
    }

    pub async fn start_all(&mut self) {
        for i in 0..self.validators.len() {
            self.start(i).await;
        }
    }

    /// Aborts validator `i`'s tasks and drops its node (its directory stays).
    pub async fn crash(&mut self, i: usize) {
        let v = &mut self.validators[i];
        if let Some(h) = v.handle.take() {
            h.abort();
        }
        v.node = None;
        // Let the aborted tasks be dropped (they hold the node and its directory lock).
        self.context.sleep(Duration::from_millis(10)).await;
    }

    pub fn node(&self, i: usize) -> &Arc<Shared> {
        self.validators[i].node.as_ref().unwrap()
    }

    pub fn height(&self, i: usize) -> u64 {
        self.validators[i]
            .node
            .as_ref()
            .and_then(|n| n.head().ok())
            .map_or(0, |h| h.height)
    }

    pub fn running(&self) -> Vec<usize> {
        (0..self.validators.len())
            .filter(|i| self.validators[*i].node.is_some())
            .collect()
    }

    /// Waits until every running validator in `who` has executed `height` (panics after
    /// `limit` of simulated time).
    pub async fn wait_for(&self, who: &[usize], height: u64, limit: Duration) {
        self.wait_until(
            limit,
            || who.iter().all(|i| self.height(*i) >= height),
            || {
                format!(
                    "validators {who:?} did not reach height {height}: heights {:?}",
                    who.iter().map(|i| self.height(*i)).collect::<Vec<_>>()
                )
            },
        )
        .await;
    }

    /// Waits until validators `who` have committed nonces `0..nonces` of holders `0..holders`.
    pub async fn wait_committed(
        &self,
        who: &[usize],
        holders: usize,
        nonces: u64,
        limit: Duration,
    ) {
        let committed = |i: usize, h: usize| {
            self.node(i)
                .nonce(dev_address(&holder_name(h)))
                .unwrap()
                .committed
        };
        self.wait_until(
            limit,
            || who.iter().all(|i| (0..holders).all(|h| committed(*i, h) == nonces)),
            || format!("validators {who:?} did not commit {nonces} transactions of each of {holders} holders"),
        )
        .await;
    }

    /// Polls `done` in simulated time; fails with `what` after `limit`.
    async fn wait_until(
        &self,
        limit: Duration,
        done: impl Fn() -> bool,
        what: impl Fn() -> String,
    ) {
        let start = self.context.current();
        while !done() {
            let waited = self
                .context
                .current()
                .duration_since(start)
                .unwrap_or_default();
            assert!(waited < limit, "{} within {limit:?}", what());
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every running validator holds the same block hash (and so state root) at every height
    /// they all executed; returns that common height.
    pub fn same_roots(&self) -> u64 {
        let running = self.running();
        let common = running.iter().map(|i| self.height(*i)).min().unwrap_or(0);
        for h in 1..=common {
            let headers: BTreeMap<usize, (B256, B256)> = running
                .iter()
                .map(|i| {
                    let b = self.node(*i).block(Some(h)).unwrap();
                    (*i, (b.header.hash, b.header.state_root))
                })
                .collect();
            let first = headers.values().next().copied();
            assert!(
                headers.values().all(|x| Some(*x) == first),
                "validators disagree at height {h}: {headers:?}"
            );
        }
        common
    }

    pub async fn cut(&self, a: &[usize], b: &[usize]) {
        for x in a {
            for y in b {
                let (px, py) = (
                    self.validators[*x].pk.clone(),
                    self.validators[*y].pk.clone(),
                );
                let _ = self.oracle.remove_link(px.clone(), py.clone()).await;
                let _ = self.oracle.remove_link(py, px).await;
            }
        }
    }

    pub async fn heal(&self, a: &[usize], b: &[usize]) {
        for x in a {
            for y in b {
                let (px, py) = (
                    self.validators[*x].pk.clone(),
                    self.validators[*y].pk.clone(),
                );
                let _ = self.oracle.add_link(px.clone(), py.clone(), link()).await;
                let _ = self.oracle.add_link(py, px, link()).await;
            }
        }
    }
}

/// A deterministic runner starting at the genesis time.
pub fn runner(seed: u64, timeout: Duration) -> deterministic::Runner {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_start_time(std::time::UNIX_EPOCH + Duration::from_secs(T0))
            .with_timeout(Some(timeout)),
    )
}
