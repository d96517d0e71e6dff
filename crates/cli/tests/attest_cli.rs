//! `rampart attest` offline (`--chain-id`): the same signature from a dev name, a keystore key by
//! name and one keystore file, equal to the one ethers 6.17.0 made for that attestation (op1's
//! public dev key, oracle/0, height 42, digest 0xaa…aa, chain 31337); bad input exits 2.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::process::{Command, Output};

/// ethers: `Wallet(keccak256("rampart-dev-key:op1")).signTypedData({name: "Rampart", version:
/// "1", chainId: 31337}, ServiceAttestation, {service: <oracle's dev address>, setId: 0, height:
/// 42, digest: 0xaa…aa})`.
const ETHERS: &str = "0xb7698fd1ef25b25d7191d640dcd32930d1c908cd13adb3fd2ba3e6352f4cc32a09d8b03b9bac42982d461666dade880ec90f8b615aecd7c27acc39626dd622771c";

fn rampart(args: &[&str], keystore: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env("RAMPART_PASSWORD", "pw")
        .env("RAMPART_KEYSTORE", keystore)
        .env("RAMPART_NODE", "http://127.0.0.1:9")
        .output()
        .unwrap()
}

fn attest(signer: &[&str], keystore: &std::path::Path) -> Output {
    let digest = format!("0x{}", "aa".repeat(32));
    // The service by address: `oracle` is a dev name, which a keystore signer cannot use.
    let set = format!("{:#x}/0", rampart_scenario::names::dev_address("oracle"));
    let mut args = vec![
        "attest",
        "--set",
        &set,
        "--height",
        "42",
        "--digest",
        &digest,
        "--chain-id",
        "31337",
    ];
    args.extend_from_slice(signer);
    rampart(&args, keystore)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn every_way_of_naming_the_key_gives_the_libraries_signature() {
    let dir = std::env::temp_dir().join(format!("rampart-attest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let keys = dir.join("keys");
    stdout(&rampart(&["keys", "import", "op1", "--dev", "op1"], &keys));
    let file = keys.join("op1.json");
    assert_eq!(stdout(&attest(&["--dev", "op1"], &keys)), ETHERS);
    assert_eq!(stdout(&attest(&["--key", "op1"], &keys)), ETHERS);
    assert_eq!(
        stdout(&attest(&["--keystore", file.to_str().unwrap()], &keys)),
        ETHERS
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&attest(&["--json", "--dev", "op1"], &keys))).unwrap();
    assert_eq!(json["signature"], ETHERS);
    assert_eq!(
        json["signer"],
        format!("{:#x}", rampart_scenario::names::dev_address("op1")).as_str()
    );
    assert_eq!(json["height"], 42);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_and_a_missing_key_exit_2() {
    let keys = std::env::temp_dir().join("rampart-attest-no-keys");
    let bad_digest = rampart(
        &[
            "attest",
            "--set",
            "oracle/0",
            "--height",
            "1",
            "--digest",
            "0x12",
            "--dev",
            "op1",
            "--chain-id",
            "1",
        ],
        &keys,
    );
    assert_eq!(bad_digest.status.code(), Some(2));
    let bad_set = rampart(
        &[
            "attest",
            "--set",
            "oracle",
            "--height",
            "1",
            "--digest",
            &format!("0x{}", "00".repeat(32)),
            "--dev",
            "op1",
            "--chain-id",
            "1",
        ],
        &keys,
    );
    assert_eq!(bad_set.status.code(), Some(2));
    let no_key = attest(&[], &keys);
    assert_eq!(no_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("choose a signing key"));
}
