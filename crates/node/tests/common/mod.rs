//! Test support: a node on loopback (port 0) in its own Tokio runtime, and signing helpers.
#![allow(dead_code)]

use rampart_api::SignedTx;
use rampart_node::client::Client;
use rampart_node::node::unix_now;
use rampart_node::{NodeConfig, RunningNode, demo};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

pub mod browser;

/// A temporary directory unique to this test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rampart-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A running node and a client of it.
pub struct TestNode {
    pub runtime: tokio::runtime::Runtime,
    pub node: Option<RunningNode>,
    pub client: Client,
}

impl TestNode {
    /// Starts a node on 127.0.0.1 with the demo genesis, blocks every `interval_ms`.
    pub fn start(name: &str, interval_ms: u64, configure: impl FnOnce(&mut NodeConfig)) -> Self {
        Self::start_with(name, interval_ms, &demo::genesis(unix_now()), configure)
    }

    /// Starts a node on 127.0.0.1 with `genesis`, blocks every `interval_ms`.
    pub fn start_with(
        name: &str,
        interval_ms: u64,
        genesis: &rampart_core::Genesis,
        configure: impl FnOnce(&mut NodeConfig),
    ) -> Self {
        let mut config = NodeConfig::new(temp_dir(name));
        config.listen = "127.0.0.1:0".parse().expect("addr");
        config.block_interval_ms = Some(interval_ms);
        config.http.rate_limit_per_s = 0;
        configure(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let node = runtime
            .block_on(rampart_node::start(config, genesis))
            .expect("node starts");
        let client = Client::new(&format!("http://{}", node.addr));
        Self {
            runtime,
            node: Some(node),
            client,
        }
    }

    pub fn shared(&self) -> &rampart_node::Shared {
        &self.node.as_ref().expect("running").shared
    }

    /// Runs the demo setup (operators, services, sets, deposits, delegations, allocations).
    pub fn setup_demo(&self) {
        for step in demo::setup_steps() {
            let hashes: Vec<_> = step
                .iter()
                .map(|(name, action)| self.submit_as(name, action).expect("setup tx accepted"))
                .collect();
            for h in hashes {
                let r = self
                    .client
                    .wait_receipt(&h, Duration::from_secs(30))
                    .expect("setup tx committed");
                assert!(r.ok, "setup tx failed: {r:?}");
            }
        }
    }

    /// Signs `action` with `name`'s dev key at its next nonce and submits it over HTTP.
    pub fn submit_as(
        &self,
        name: &str,
        action: &Value,
    ) -> Result<alloy_primitives::B256, rampart_node::client::ClientError> {
        self.client.submit(&self.sign(name, action))
    }

    pub fn sign(&self, name: &str, action: &Value) -> SignedTx {
        let who = rampart_scenario::names::dev_address(name);
        let nonce = self.client.nonce(&who).expect("nonce").next;
        demo::sign(name, action, nonce, 0).expect("sign")
    }

    /// Submits and waits for the receipt.
    pub fn run(&self, name: &str, action: &Value) -> rampart_api::types::ReceiptView {
        let hash = self.submit_as(name, action).expect("accepted");
        self.client
            .wait_receipt(&hash, Duration::from_secs(30))
            .expect("committed")
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            self.runtime.block_on(node.shutdown());
        }
    }
}

/// The dev address of `name` as text.
pub fn addr(name: &str) -> String {
    format!("{:#x}", rampart_scenario::names::dev_address(name))
}

/// Serves `shared` over HTTP on a loopback port in a runtime of its own (keep both alive).
pub fn serve(shared: rampart_node::Shared) -> (tokio::runtime::Runtime, RunningNode) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = rampart_node::node::bind(loopback).expect("binds a loopback port");
    let node = runtime
        .block_on(rampart_node::node::start_on(
            listener,
            std::sync::Arc::new(shared),
        ))
        .expect("serves");
    (runtime, node)
}
