//! `rampart node` as an operator runs it: a genesis file without a base fee gets the network's
//! non-zero default (the dev network stays free), and `--replay` verifies the stored blocks with
//! the configured `[tx]` limits, so a chain built with larger limits replays.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use rampart_api::UnsignedTx;
use rampart_node::client::Client;
use rampart_node::config::NETWORK_BASE_FEE;
use rampart_node::demo;
use rampart_scenario::names::{dev_address, dev_signing_key};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory with a genesis file (alice funded, no base fee set) and a node.toml whose extra
/// lines are `extra`; returns it, the config path and the node's URL.
fn network_dir(name: &str, extra: &str) -> (PathBuf, PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("rampart-net-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let genesis = json!({
        "chain_id": demo::CHAIN_ID,
        "time": rampart_node::node::unix_now(),
        "accounts": [{"address": format!("{:#x}", dev_address("alice")), "balances": {"RAM": "1000000000000000000000"}}],
    });
    std::fs::write(dir.join("genesis.json"), genesis.to_string()).unwrap();
    let port = free_port();
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"data\"\nlisten = \"127.0.0.1:{port}\"\ngenesis = \"genesis.json\"\nblock_interval_ms = 100\n{extra}"),
    )
    .unwrap();
    (dir, config, format!("http://127.0.0.1:{port}"))
}

fn spawn(config: &Path) -> Node {
    Node(
        Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["node", "--config", config.to_str().unwrap()])
            .env("RAMPART_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rampart node starts"),
    )
}

#[test]
fn a_network_genesis_without_a_base_fee_runs_with_a_non_zero_one() {
    let (_dir, config, url) = network_dir("fee", "");
    let _node = spawn(&config);
    let client = Client::new(&url);
    client.wait_ready(Duration::from_secs(60)).unwrap();
    let params = client.query(&json!({"query": "params"})).unwrap();
    assert_eq!(params["base_fee"], json!(NETWORK_BASE_FEE.to_string()));
    let action = json!({"tx": "transfer", "to": format!("{:#x}", dev_address("bob")), "asset": "RAM", "amount": "1"});
    let free = demo::sign("alice", &action, 0, 0).unwrap();
    let e = client.submit(&free).unwrap_err();
    assert_eq!(e.code(), Some("fee_too_low"), "{e}");
    let unfunded = demo::sign("mallory", &action, 0, NETWORK_BASE_FEE).unwrap();
    let e = client.submit(&unfunded).unwrap_err();
    assert_eq!(e.code(), Some("insufficient_balance"), "{e}");
}

#[test]
fn replay_uses_the_configured_tx_limits() {
    // 20 KiB of args (whitespace is valid JSON) is over the default 16 KiB limit.
    let (_dir, config, url) = network_dir("replay", "[tx]\nmax_args_bytes = 40000\n");
    let node = spawn(&config);
    let client = Client::new(&url);
    client.wait_ready(Duration::from_secs(60)).unwrap();
    let args = format!(
        r#"{{"to":"{:#x}","asset":"RAM","amount":"1"{}}}"#,
        dev_address("bob"),
        " ".repeat(20 * 1024)
    );
    let tx = UnsignedTx {
        action: "transfer".into(),
        args,
        nonce: 0,
        fee: NETWORK_BASE_FEE,
        priority_tip: 0,
    }
    .sign(&dev_signing_key("alice"), demo::CHAIN_ID)
    .unwrap();
    let hash = client
        .submit(&tx)
        .expect("accepted under the configured limit");
    let receipt = client.wait_receipt(&hash, Duration::from_secs(30)).unwrap();
    assert!(receipt.ok, "{receipt:?}");
    drop(node);
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "--json",
            "node",
            "--config",
            config.to_str().unwrap(),
            "--replay",
        ])
        .env("RAMPART_LOG", "warn")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{report}");
    assert_eq!(report["mismatches"], 0, "{report}");
    assert!(report["height"].as_u64().unwrap() >= receipt.height);
}
