//! A validator (or follower) over real sockets: the node's HTTP API and chain, Commonware's
//! authenticated `lookup` p2p network (ed25519 identities, encrypted streams) and the engine,
//! all on Commonware's tokio runtime (a plain multi-thread tokio runtime, so the node's axum
//! server runs in it unchanged).
//!
//! The peers of an epoch are its committee at the `p2p_address`es bound on chain; the
//! configured `peers` are the bootstrap set tracked before the first committee is read.

use crate::engine::{self, CHANNELS, Channels, EngineConfig, PeerSets, Running};
use crate::{Stats, convert};
use alloy_primitives::B256;
use commonware_cryptography::{ChaCha20Poly1305, Signer as _, ed25519};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager as _};
use commonware_runtime::{Quota, Runner as _, Spawner as _, Supervisor as _};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::ordered::Map;
use commonware_utils::{NZU32, NZUsize};
use rampart_core::Genesis;
use rampart_core::base::consensus::{Committee, consensus_namespace};
use rampart_node::{NodeConfig, NodeError, Shared};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Largest p2p message (a block at its limits fits).
pub const MAX_MESSAGE_BYTES: u32 = 16 * 1024 * 1024;

/// What makes a node a validator.
#[derive(Clone, Debug)]
pub struct Validator {
    /// The ed25519 seed of its consensus key (`None`: a follower with a throw-away identity).
    pub seed: Option<[u8; 32]>,
    /// Where the p2p network listens.
    pub p2p_listen: SocketAddr,
    /// Bootstrap peers (key, address).
    pub peers: Vec<(B256, SocketAddr)>,
    /// Engine settings.
    pub engine: EngineConfig,
}

#[derive(Clone)]
struct LookupPeers {
    oracle: lookup::Oracle<ed25519::PublicKey>,
    extra: Vec<(ed25519::PublicKey, SocketAddr)>,
}

impl std::fmt::Debug for LookupPeers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupPeers").finish_non_exhaustive()
    }
}

impl LookupPeers {
    fn peers_of(&self, committee: Option<&Committee>) -> Map<ed25519::PublicKey, Address> {
        let mut all: Vec<(ed25519::PublicKey, Address)> = self
            .extra
            .iter()
            .map(|(k, a)| (k.clone(), Address::from(*a)))
            .collect();
        if let Some(c) = committee {
            for m in &c.members {
                let (Some(k), Ok(a)) = (
                    convert::public_key(&m.key),
                    m.p2p_address.parse::<SocketAddr>(),
                ) else {
                    continue;
                };
                all.retain(|(x, _)| *x != k);
                all.push((k, Address::from(a)));
            }
        }
        Map::from_iter_dedup(all)
    }
}

impl PeerSets for LookupPeers {
    fn track(&mut self, epoch: u64, committee: &Committee) {
        let peers = self.peers_of(Some(committee));
        // Id 0 is the bootstrap set.
        let _ = self.oracle.track(epoch.saturating_add(1), peers);
    }
}

/// Runs a node with consensus until Ctrl-C/SIGTERM or a failure; `Ok(true)` if it stopped
/// cleanly. `config.block_interval_ms` is forced to 0: consensus, not a timer, makes blocks.
pub fn run(mut config: NodeConfig, genesis: Genesis, v: Validator) -> Result<bool, NodeError> {
    config.block_interval_ms = Some(0);
    let storage = config.data_dir.join("consensus");
    let runtime = commonware_runtime::tokio::Config::default().with_storage_directory(storage);
    commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
        let listener = rampart_node::node::bind(config.listen)?;
        let shared = Arc::new(Shared::open(config, &genesis)?);
        let running_node = rampart_node::node::start_on(listener, shared.clone()).await?;
        tracing::info!(addr = %running_node.addr, "node API listening (consensus mode)");
        let key = match v.seed {
            Some(seed) => convert::private_key(seed)
                .ok_or_else(|| NodeError::Config("the consensus key does not decode".into()))?,
            None => {
                let mut seed = [0u8; 32];
                rand::fill(&mut seed);
                convert::private_key(seed)
                    .ok_or_else(|| NodeError::Config("no follower identity".into()))?
            }
        };
        let me = key.public_key();
        let namespace = consensus_namespace(shared.chain_id());
        let handshake = Cups::<_, ChaCha20Poly1305>::new(
            Sake {
                signer: key.clone(),
                synchrony_bound: Duration::from_secs(5),
                max_handshake_age: Duration::from_secs(10),
                version: sake::Version::V1,
            },
            cups::Version::V1,
        );
        let mut p2p = lookup::Config::local(
            handshake,
            &namespace,
            v.p2p_listen,
            NZUsize!(128),
            MAX_MESSAGE_BYTES,
            NZUsize!(1_024),
        );
        p2p.allow_private_ips = true;
        let (mut network, oracle) = lookup::Network::new(context.child("p2p"), p2p);
        let quota = Quota::per_second(NZU32!(1_024));
        let mut pairs = CHANNELS.map(|c| Some(network.register(c, quota)));
        let mut take = |i: usize| pairs[i].take();
        let (
            Some(votes),
            Some(certificates),
            Some(resolver),
            Some(backfill),
            Some(broadcast),
            Some(transactions),
        ) = (take(0), take(1), take(2), take(3), take(4), take(5))
        else {
            return Err(NodeError::Config("p2p channels".into()));
        };
        let extra: Vec<(ed25519::PublicKey, SocketAddr)> = v
            .peers
            .iter()
            .filter_map(|(k, a)| convert::public_key(k).map(|k| (k, *a)))
            .collect();
        let mut peers = LookupPeers {
            oracle: oracle.clone(),
            extra,
        };
        let bootstrap = peers.peers_of(
            shared
                .with_state(|s| rampart_core::base::consensus::committee(s, 0))
                .ok()
                .flatten()
                .as_ref(),
        );
        let _ = peers.oracle.track(0, bootstrap);
        network.start();
        let running = Running {
            stats: Arc::new(Stats::default()),
            pool: Default::default(),
        };
        let engine_node = shared.clone();
        let blocker = oracle.clone();
        let provider = oracle.clone();
        let signer = v.seed.map(|_| key);
        let engine_config = v.engine.clone();
        let handle = context.child("consensus").spawn(move |ctx| async move {
            engine::run(
                ctx,
                engine_node,
                me,
                signer,
                engine_config,
                Channels {
                    votes,
                    certificates,
                    resolver,
                    backfill,
                    broadcast,
                    transactions,
                },
                blocker,
                provider,
                peers,
                running,
            )
            .await;
        });
        let clean = tokio::select! {
            _ = tokio::signal::ctrl_c() => true,
            reason = running_node.failed() => {
                tracing::error!(%reason, "the node failed");
                false
            }
        };
        handle.abort();
        running_node.shutdown().await;
        Ok(clean)
    })
}
