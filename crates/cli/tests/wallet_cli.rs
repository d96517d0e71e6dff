//! The CLI wallet against a running `rampart node`: keystore files (mode 0600, geth's standard
//! scrypt cost, no empty password without `--insecure-empty-password`), `@name` resolving to
//! keystore names only (dev names with `--dev`; a typo lists the known names), a transaction
//! signed with a keystore key landing in a block, queries and an offline-verified proof.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::process::{Command, Output};
use std::time::Duration;

fn rampart(args: &[&str], keystore: &std::path::Path, node: &str) -> Output {
    rampart_with(args, keystore, node, "correct horse")
}

fn rampart_with(args: &[&str], keystore: &std::path::Path, node: &str, password: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env("RAMPART_PASSWORD", password)
        .env_remove("RAMPART_SCRYPT_LOG_N")
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
    let _node = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["node", "--config", dir.join("node.toml").to_str().unwrap()])
            .env("RAMPART_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
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
    let empty = rampart_with(&["keys", "create", "blank"], &keystore, &node, "");
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("--insecure-empty-password"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );
    assert!(!keystore.join("blank.json").exists());
    let created = rampart(&["--json", "keys", "create", "fresh"], &keystore, &node);
    assert!(created.status.success());
    let path = keystore.join("fresh.json");
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file["version"], 3, "Ethereum keystore v3");
    assert!(file["crypto"]["kdf"].is_string() && file["address"].is_string());
    assert_eq!(
        file["crypto"]["kdfparams"]["n"],
        1 << 18,
        "geth's standard scrypt cost"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "keystore files are private");
    }
    let throwaway = rampart_with(
        &["keys", "create", "throwaway", "--insecure-empty-password"],
        &keystore,
        &node,
        "",
    );
    assert!(throwaway.status.success());
    let bob = rampart(
        &["--json", "keys", "import", "bob", "--dev", "bob"],
        &keystore,
        &node,
    );
    assert!(bob.status.success());
    let listed = json(&rampart(&["--json", "keys", "list"], &keystore, &node));
    assert_eq!(listed.as_array().unwrap().len(), 4);

    // A mistyped name is an error listing the keys, not a fresh dev address.
    let typo = rampart(
        &[
            "tx",
            "transfer",
            "to=@bobb",
            "asset=stETH",
            "amount=7",
            "--key",
            "treasury",
        ],
        &keystore,
        &node,
    );
    assert_eq!(typo.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.contains("no key `@bobb`") && stderr.contains("bob, fresh, throwaway, treasury"),
        "{stderr}"
    );

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

    // Keystores made by other tools sign by name: ethers v6 (`Crypto`) imported under a name,
    // and geth's `UTC--…` file dropped into the directory as it is.
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keystores");
    let imported = rampart(
        &[
            "keys",
            "import",
            "from-ethers",
            "--keystore-file",
            fixtures.join("ethers-v6.json").to_str().unwrap(),
        ],
        &keystore,
        &node,
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let geth = "UTC--2016-03-22T12-57-55.920751759Z--f466859ead1932d743d622cb74fc058882e8648a";
    std::fs::copy(fixtures.join(geth), keystore.join(geth)).unwrap();
    for (key, password, from) in [
        (
            "from-ethers",
            "rampart-fixture",
            "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a",
        ),
        (geth, "foobar", "0xf466859ead1932d743d622cb74fc058882e8648a"),
    ] {
        let sent = rampart_with(
            &[
                "--json",
                "tx",
                "transfer",
                "to=@bob",
                "asset=RAM",
                "amount=0",
                "--key",
                key,
            ],
            &keystore,
            &node,
            password,
        );
        let stderr = String::from_utf8_lossy(&sent.stderr);
        assert!(!stderr.contains("cannot open"), "{key}: {stderr}");
        let receipt = json(&sent);
        assert_eq!(receipt["from"], from, "{key}: {receipt}");
    }
    let wrong = rampart_with(
        &[
            "tx",
            "transfer",
            "to=@bob",
            "asset=RAM",
            "amount=0",
            "--key",
            "from-ethers",
        ],
        &keystore,
        &node,
        "not it",
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong password"));

    let balance = json(&rampart(
        &["--json", "query", "balance", "account=@bob", "asset=stETH"],
        &keystore,
        &node,
    ));
    assert_eq!(balance["amount"], "10000000000000000000007");

    // Token units: 1.5stETH is exact with stETH's 18 decimals; a 19th place is an error.
    let human = rampart(
        &[
            "--json",
            "tx",
            "transfer",
            "to=@bob",
            "asset=stETH",
            "amount=1.5stETH",
            "--key",
            "treasury",
        ],
        &keystore,
        &node,
    );
    assert_eq!(
        json(&human)["ok"],
        true,
        "{}",
        String::from_utf8_lossy(&human.stderr)
    );
    let too_fine = rampart(
        &[
            "tx",
            "transfer",
            "to=@bob",
            "asset=stETH",
            "amount=0.0000000000000000001stETH",
            "--key",
            "treasury",
        ],
        &keystore,
        &node,
    );
    assert_eq!(too_fine.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&too_fine.stderr).contains("19 decimal places; the asset has 18")
    );
    // For people: names and token units; --json keeps the wire form.
    let shown = rampart(
        &["query", "balance", "account=@bob", "asset=stETH"],
        &keystore,
        &node,
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("amount: 10001.500000000000000007 stETH"),
        "{text}"
    );
    assert!(text.contains("account: bob (0x"), "{text}");
    let wire = json(&rampart(
        &["--json", "query", "balance", "account=@bob", "asset=stETH"],
        &keystore,
        &node,
    ));
    assert_eq!(wire["amount"], "10001500000000000000007");

    // The action's fields with --help; every missing field at once.
    let help = rampart(&["tx", "transfer", "--help"], &keystore, &node);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success());
    for line in ["to ", "asset ", "amount "] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(line) && l.contains("required")),
            "{text}"
        );
    }
    let missing = rampart(&["tx", "transfer", "--key", "treasury"], &keystore, &node);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("transfer needs fields: to, asset, amount"),
        "{stderr}"
    );
    let proof = rampart(
        &["--json", "query", "proof", "balance", "@bob", "stETH"],
        &keystore,
        &node,
    );
    assert!(proof.status.success());
    let proof = json(&proof);
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["amount"], "10001500000000000000007");
    let status = json(&rampart(&["--json", "query", "status"], &keystore, &node));
    assert_eq!(status["chain_id"], rampart_node::demo::CHAIN_ID);
}

/// The node process, stopped however the test ends (a failed assertion included).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
