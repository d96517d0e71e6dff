//! The running Rampart node.
//!
//! - [`chain`]: execute and commit a block (the state machine, its commitment, storage).
//! - [`mempool`]: what waits for a block, and what goes in the next one.
//! - [`node`]: the single-node producer loop and the operations the API exposes.
//! - [`http`]: the HTTP API (axum), its OpenAPI document, SSE stream and metrics.
//! - [`delegators`]: who delegates to each operator and validator (a reverse index).
//! - [`limit`]: token buckets (per-IP requests, per-account admission).
//! - [`client`]: a blocking client of the API (CLI, load generator, tests).
//! - [`demo`]: the demo genesis and activity of `rampart dev`.
//! - [`ui`]: the web dashboard, embedded in the binary.
//!
//! The boundary between choosing a block ([`mempool::Mempool::propose`]) and executing it
//! ([`chain::Chain::execute`], [`chain::Chain::commit`]) is the seam where a BFT engine plugs in;
//! see `docs/architecture.md`, "Node".

pub mod chain;
pub mod client;
pub mod config;
pub mod consensus;
pub mod datadir;
pub mod delegators;
pub mod demo;
pub mod http;
pub mod limit;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod serve;
pub mod ui;

pub mod history;

pub use config::NodeConfig;
pub use node::{RunningNode, Shared, start};

use rampart_storage::StorageError;

/// A failure of the node itself (as opposed to a rejected request).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The protocol refused a genesis or a block header.
    #[error("protocol: {0}")]
    Protocol(#[from] rampart_core::Error),
    /// Stored data is inconsistent.
    #[error("corrupt storage: {0}")]
    Corrupt(String),
    /// A block or proposal is invalid (wrong height, a transaction that does not verify, a root
    /// that does not match).
    #[error("bad block: {0}")]
    BadProposal(String),
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The node has failed or is stopping (see [`node::Shared::failure`]).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The data directory is locked by another process.
    #[error("{0}")]
    Locked(String),
    /// The API's address cannot be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A socket or file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
