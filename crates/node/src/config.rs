//! Node configuration, read from TOML by `rampart node --config FILE`.
//!
//! ```toml
//! data_dir = "./rampart-data"
//! listen = "127.0.0.1:8645"
//! genesis = "genesis.json"        # used when data_dir holds no chain yet
//! block_interval_ms = 2000        # default: the chain's block_time_s
//! max_block_txs = 20000
//!
//! [mempool]
//! max_txs = 200000
//! max_per_account = 1024
//!
//! [http]
//! max_body_bytes = 65536
//! max_batch_bytes = 8388608
//! max_batch_txs = 4096
//! rate_limit_per_s = 1000         # per client IP; 0 turns the limit off
//! rate_burst = 2000
//! max_connections = 512           # open connections in all; more are refused with a JSON 503
//! max_connections_per_ip = 64
//! idle_timeout_ms = 30000         # a connection waiting for a request head longer is closed
//! body_timeout_ms = 10000         # a request body must arrive within this (408)
//! request_timeout_ms = 75000      # a whole request, event streams excepted (503)
//! max_headers = 64
//! max_uri_bytes = 8192            # longer: 414 uri_too_long
//! max_header_bytes = 16384        # all headers together; more: 431 headers_too_large
//! shutdown_grace_ms = 3000        # on shutdown, open connections get this long to finish
//!
//! [labels]                        # display names of accounts
//! "0x…" = "alice"
//!
//! [vault_names]                   # display names of vaults, by LRT symbol
//! rstETH = "Atlas restaked ETH"
//!
//! [history]                       # the per-epoch history of /v1/history
//! recent = 2160                   # newest snapshots kept at full (per-epoch) resolution
//! daily = 1825                    # older ones: one per UTC day, at most this many
//! ```

use crate::NodeError;
use crate::mempool::MempoolLimits;
use alloy_primitives::Address;
use rampart_api::TxLimits;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The base fee of every action, in RAM base units (0.001 RAM), on a network whose genesis sets
/// none. The protocol's own default is 0, which the dev network keeps; a public network with
/// free transactions lets never-funded keys fill blocks with failing ones.
pub const NETWORK_BASE_FEE: u128 = 1_000_000_000_000_000;

/// `genesis` as `rampart node` starts it: the protocol's parameters, except that a genesis
/// without `base_fee` gets [`NETWORK_BASE_FEE`].
pub fn network_genesis(mut genesis: rampart_core::Genesis) -> rampart_core::Genesis {
    if genesis.params.base_fee.is_none() {
        genesis.params.base_fee = Some(rampart_core::Amount::new(NETWORK_BASE_FEE));
    }
    genesis
}

/// Limits of the HTTP API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Largest body of a single request.
    pub max_body_bytes: usize,
    /// Largest body of a batch submission.
    pub max_batch_bytes: usize,
    /// Most transactions in one batch.
    pub max_batch_txs: usize,
    /// Sustained requests per second per client IP; 0 = unlimited.
    pub rate_limit_per_s: u32,
    /// Requests a client may burst above the sustained rate.
    pub rate_burst: u32,
    /// Open connections in all; one more is refused at once (`503 too_many_connections`).
    pub max_connections: usize,
    /// Open connections per client IP.
    pub max_connections_per_ip: usize,
    /// A connection that waits longer than this for a request head (new, or idle after a
    /// response) is closed; also bounds how slowly headers may arrive.
    pub idle_timeout_ms: u64,
    /// A request body must arrive within this (`408 request_timeout`).
    pub body_timeout_ms: u64,
    /// A whole request, event streams excepted, must be answered within this
    /// (`503 request_timeout`).
    pub request_timeout_ms: u64,
    /// Most header lines in a request (more: hyper's 431, as JSON).
    pub max_headers: usize,
    /// Longest request URI (`414 uri_too_long`).
    pub max_uri_bytes: usize,
    /// Largest total size of a request's headers (`431 headers_too_large`).
    pub max_header_bytes: usize,
    /// On shutdown, how long open connections get to finish before they are dropped.
    pub shutdown_grace_ms: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_batch_bytes: 8 * 1024 * 1024,
            max_batch_txs: 4_096,
            rate_limit_per_s: 1_000,
            rate_burst: 2_000,
            max_connections: 512,
            max_connections_per_ip: 64,
            idle_timeout_ms: 30_000,
            body_timeout_ms: 10_000,
            request_timeout_ms: 75_000,
            max_headers: 64,
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            shutdown_grace_ms: 3_000,
        }
    }
}

/// Everything a node needs besides its genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Directory of the database (`chain.redb`).
    pub data_dir: PathBuf,
    /// Address the HTTP API listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Genesis file (JSON, `rampart_core::Genesis`), used when `data_dir` holds no chain.
    #[serde(default)]
    pub genesis: Option<PathBuf>,
    /// Milliseconds between blocks (default: the chain's `block_time_s`). 0: blocks are only
    /// produced on request (tests).
    #[serde(default)]
    pub block_interval_ms: Option<u64>,
    /// Most transactions in one block.
    #[serde(default = "default_max_block_txs")]
    pub max_block_txs: usize,
    /// The proposer named in headers (receives priority tips); none: the stake-weighted active
    /// validator the protocol picks for each height (`proposer_for`), or no proposer (tips go to
    /// the fee pool) when there is no active validator.
    #[serde(default)]
    pub proposer: Option<Address>,
    /// Mempool limits.
    #[serde(default)]
    pub mempool: MempoolLimits,
    /// HTTP limits.
    #[serde(default)]
    pub http: HttpLimits,
    /// Transaction size limits.
    #[serde(default)]
    pub tx: TxLimits,
    /// Display names of accounts, shown by the dashboard and listed by `GET /v1/network`
    /// (`rampart dev` names its demo accounts).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<Address, String>,
    /// Display names of vaults by LRT symbol, listed by `GET /v1/network` (`rampart dev` names
    /// its demo vaults); a vault without one is shown by its symbol.
    #[serde(default)]
    pub vault_names: std::collections::BTreeMap<String, String>,
    /// How much per-epoch history the node keeps (`GET /v1/history`).
    #[serde(default)]
    pub history: HistoryLimits,
    /// Present: the node runs BFT consensus (`rampart-consensus`) instead of producing blocks
    /// itself; with a `key` it is a validator, without one a follower.
    #[serde(default)]
    pub consensus: Option<ConsensusSection>,
}

/// The bound on the node's history: the newest `recent` snapshots at full resolution, older
/// ones downsampled to the last of each UTC day, at most `daily` of those (the oldest beyond are
/// deleted). So at most `recent + daily` snapshots are stored: by default 2,160 (90 days of
/// hourly epochs) + 1,825 (five years of days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryLimits {
    /// Snapshots kept at full resolution (at least 1).
    pub recent: u64,
    /// Daily snapshots kept beyond them.
    pub daily: u64,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self {
            recent: 2_160,
            daily: 1_825,
        }
    }
}

/// The `[consensus]` section of a node's configuration.
///
/// ```toml
/// [consensus]
/// key = "consensus.key"          # hex ed25519 seed (`rampart keys consensus new`); absent: follower
/// p2p_listen = "127.0.0.1:26656"
/// block_interval_ms = 500        # the least time between a leader's proposals
/// [[consensus.peers]]            # bootstrap peers
/// key = "0x…"                    # their consensus (p2p identity) key
/// address = "127.0.0.1:26657"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusSection {
    /// File holding the ed25519 seed as hex.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Where the p2p network listens.
    pub p2p_listen: SocketAddr,
    /// Bootstrap peers.
    #[serde(default)]
    pub peers: Vec<ConsensusPeer>,
    /// The least time between a leader's proposals.
    #[serde(default = "default_bft_interval")]
    pub block_interval_ms: u64,
    /// How long to wait for a leader's proposal.
    #[serde(default = "default_leader_timeout")]
    pub leader_timeout_ms: u64,
    /// How long to wait for certification.
    #[serde(default = "default_certification_timeout")]
    pub certification_timeout_ms: u64,
}

/// A bootstrap peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusPeer {
    /// Its ed25519 key.
    pub key: alloy_primitives::B256,
    /// Its p2p address.
    pub address: SocketAddr,
}

fn default_bft_interval() -> u64 {
    500
}

fn default_leader_timeout() -> u64 {
    1_000
}

fn default_certification_timeout() -> u64 {
    2_000
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8645))
}

fn default_max_block_txs() -> usize {
    20_000
}

impl NodeConfig {
    /// A configuration with defaults for everything but the data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: default_listen(),
            genesis: None,
            block_interval_ms: None,
            max_block_txs: default_max_block_txs(),
            proposer: None,
            mempool: MempoolLimits::default(),
            http: HttpLimits::default(),
            tx: TxLimits::default(),
            labels: std::collections::BTreeMap::new(),
            vault_names: std::collections::BTreeMap::new(),
            history: HistoryLimits::default(),
            consensus: None,
        }
    }

    /// Reads a TOML file; relative paths in it are relative to the file's directory.
    pub fn from_file(path: &Path) -> Result<Self, NodeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NodeError::Config(format!("reading {}: {e}", path.display())))?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.data_dir = base.join(&config.data_dir);
        config.genesis = config.genesis.map(|g| base.join(g));
        if let Some(c) = &mut config.consensus {
            c.key = c.key.take().map(|k| base.join(k));
        }
        Ok(config)
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("chain.redb")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_toml_gets_defaults_and_unknown_keys_are_refused() {
        let c: NodeConfig =
            toml::from_str("data_dir = \"d\"\n[http]\nrate_limit_per_s = 0\n").unwrap();
        assert_eq!(c.listen.port(), 8645);
        assert_eq!(c.http.rate_limit_per_s, 0);
        assert_eq!(c.http.max_body_bytes, 65_536);
        assert!(toml::from_str::<NodeConfig>("data_dir = \"d\"\nblock_time = 3\n").is_err());
    }
}
