//! Crash safety: `rampart node` is killed with SIGKILL at random moments under load, restarted,
//! and must have lost no committed transaction; at the end a replay of every stored block from
//! genesis reproduces every stored state root.
//!
//! `RAMPART_CRASH_ITERATIONS` sets the number of kills (default 4; `scripts/test.sh` runs more
//! in release).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use rampart_api::types::TxStatus;
use rampart_node::client::Client;
use rampart_node::demo;
use serde_json::json;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const STAKERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["node", "--config", config.to_str().unwrap()])
        .env("RAMPART_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rampart node starts")
}

/// Submits transfers from several accounts until `stop`; records hashes it saw committed.
fn load(client: Client, stop: Arc<AtomicBool>, committed: Arc<Mutex<BTreeMap<String, u64>>>) {
    let mut pending: Vec<alloy_primitives::B256> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for name in STAKERS {
            let who = rampart_scenario::names::dev_address(name);
            let Ok(nonce) = client.nonce(&who) else {
                return;
            };
            let action = json!({"tx": "transfer", "to": format!("{:#x}", rampart_scenario::names::dev_address("erin")), "asset": "RAM", "amount": "1"});
            let txs: Vec<_> = (0..5)
                .map(|i| demo::sign(name, &action, nonce.next + i, 0).unwrap())
                .collect();
            let Ok(items) = client.submit_batch(&txs) else {
                return;
            };
            for item in items {
                if let rampart_api::types::BatchItem::Accepted { hash } = item {
                    pending.push(hash);
                }
            }
        }
        pending.retain(|h| match client.tx_status(h) {
            Ok(TxStatus::Committed { receipt }) => {
                committed
                    .lock()
                    .unwrap()
                    .insert(format!("{h:#x}"), receipt.height);
                false
            }
            Ok(TxStatus::Pending { .. }) => true,
            Err(_) => false,
        });
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_node_killed_at_random_moments_under_load_loses_no_committed_transaction_and_replays_to_the_same_roots()
 {
    let iterations: u64 = std::env::var("RAMPART_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let dir = std::env::temp_dir().join(format!("rampart-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let genesis = demo::genesis(rampart_node::node::unix_now());
    std::fs::write(
        dir.join("genesis.json"),
        serde_json::to_vec(&genesis).unwrap(),
    )
    .unwrap();
    let port = free_port();
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"data\"\nlisten = \"127.0.0.1:{port}\"\ngenesis = \"genesis.json\"\nblock_interval_ms = 50\n[http]\nrate_limit_per_s = 0\n"),
    )
    .unwrap();
    let client = Client::new(&format!("http://127.0.0.1:{port}"));
    let committed: Arc<Mutex<BTreeMap<String, u64>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut rng = Rng(0xc0ffee);
    let mut heights = Vec::new();
    for i in 0..iterations {
        let mut node = spawn(&config);
        client
            .wait_ready(Duration::from_secs(60))
            .expect("node answers");
        // Everything seen committed before any crash is still committed, in the same block.
        for (hash, height) in committed.lock().unwrap().iter() {
            match client.tx_status(&hash.parse().unwrap()) {
                Ok(TxStatus::Committed { receipt }) => {
                    assert_eq!(receipt.height, *height, "{hash} moved")
                }
                other => panic!("iteration {i}: committed tx {hash} lost: {other:?}"),
            }
        }
        let status = client.status().unwrap();
        heights.push(status.height);
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (c, s, m) = (client.clone(), stop.clone(), committed.clone());
            std::thread::spawn(move || load(c, s, m))
        };
        let delay = Duration::from_millis(150 + rng.next() % 900);
        let started = Instant::now();
        while started.elapsed() < delay {
            std::thread::sleep(Duration::from_millis(10));
        }
        node.kill().expect("SIGKILL");
        let _ = node.wait();
        stop.store(true, Ordering::Relaxed);
        let _ = worker.join();
    }
    assert!(
        heights.windows(2).all(|w| w[0] <= w[1]),
        "the head never went back: {heights:?}"
    );
    let seen = committed.lock().unwrap().len();
    assert!(seen > 0, "the load committed transactions");
    // A last restart checks the final crash, then an offline replay checks every root.
    let mut node = spawn(&config);
    client.wait_ready(Duration::from_secs(60)).unwrap();
    for hash in committed.lock().unwrap().keys() {
        assert!(
            matches!(
                client.tx_status(&hash.parse().unwrap()),
                Ok(TxStatus::Committed { .. })
            ),
            "{hash} lost"
        );
    }
    node.kill().unwrap();
    let _ = node.wait();
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
    assert_eq!(report["mismatches"], 0, "{report}");
    assert!(report["height"].as_u64().unwrap() > 0);
    eprintln!(
        "{iterations} kills, {seen} committed transactions checked, replayed to height {}",
        report["height"]
    );
}
