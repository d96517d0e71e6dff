//! The CLI wallet against a running `rampart node`: keystore files, a transaction signed with a
//! keystore key landing in a block, queries and an offline-verified proof.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::process::{Command, Output};
use std::time::Duration;

fn rampart(args: &[&str], keystore: &std::path::Path, node: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env("RAMPART_PASSWORD", "correct horse")
        .env("RAMPART_KEYSTORE", keystore)
        .env("RAMPART_NODE", node)
        .env("RAMPART_LOG", "warn")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|_| {
        panic!(
            "not JSON: {text} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_transaction_signed_with_a_keystore_key_lands_in_a_block_and_its_balance_proof_verifies() {
    let dir = std::env::temp_dir().join(format!("rampart-wallet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let keystore = dir.join("keys");
    let genesis = rampart_node::demo::genesis(rampart_node::node::unix_now());
    std::fs::write(
        dir.join("genesis.json"),
        serde_json::to_vec(&genesis).unwrap(),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.join("node.toml"),
        format!("data_dir = \"data\"\nlisten = \"127.0.0.1:{port}\"\ngenesis = \"genesis.json\"\nblock_interval_ms = 100\n"),
    )
    .unwrap();
    let node = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["node", "--config", dir.join("node.toml").to_str().unwrap()])
        .env("RAMPART_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    rampart_node::client::Client::new(&node)
        .wait_ready(Duration::from_secs(60))
        .unwrap();

    let imported = rampart(
        &["--json", "keys", "import", "treasury", "--dev", "alice"],
        &keystore,
        &node,
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let alice = format!("{:#x}", rampart_scenario::names::dev_address("alice"));
    assert_eq!(json(&imported)["address"], alice.as_str());
    let created = rampart(&["--json", "keys", "create", "fresh"], &keystore, &node);
    assert!(created.status.success());
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(keystore.join("fresh.json")).unwrap()).unwrap();
    assert_eq!(file["version"], 3, "Ethereum keystore v3");
    assert!(file["crypto"]["kdf"].is_string() && file["address"].is_string());
    let listed = json(&rampart(&["--json", "keys", "list"], &keystore, &node));
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let sent = rampart(
        &[
            "--json",
            "tx",
            "transfer",
            "to=@bob",
            "asset=stETH",
            "amount=7",
            "--key",
            "treasury",
        ],
        &keystore,
        &node,
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let receipt = json(&sent);
    assert_eq!(receipt["ok"], true);
    assert_eq!(receipt["from"], alice.as_str());
    assert!(receipt["height"].as_u64().unwrap() >= 1);

    let bad = rampart(
        &[
            "--json",
            "tx",
            "mint",
            "to=@bob",
            "asset=stETH",
            "amount=7",
            "--key",
            "treasury",
        ],
        &keystore,
        &node,
    );
    assert_eq!(bad.status.code(), Some(1), "an action that fails exits 1");
    assert_eq!(json(&bad)["error"]["code"], "unauthorized");

    let balance = json(&rampart(
        &["--json", "query", "balance", "account=@bob", "asset=stETH"],
        &keystore,
        &node,
    ));
    assert_eq!(balance["amount"], "10000000000000000000007");
    let proof = rampart(
        &["--json", "query", "proof", "balance", "@bob", "stETH"],
        &keystore,
        &node,
    );
    assert!(proof.status.success());
    let proof = json(&proof);
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["amount"], "10000000000000000000007");
    let status = json(&rampart(&["--json", "query", "status"], &keystore, &node));
    assert_eq!(status["chain_id"], rampart_node::demo::CHAIN_ID);
    child.kill().unwrap();
    let _ = child.wait();
}
