//! `rampart attest --set SVC/ID --height H --digest 0x… (--key NAME | --dev NAME | --keystore
//! FILE)`: sign a service attestation (PROTOCOL.md §6.6) with an operator's signing key and
//! print the signature — what an operator's software signs for a service, and what a watcher
//! puts in `submit_double_sign_evidence` when it sees two of them for one height.
//!
//! The signature is EIP-712 typed data `ServiceAttestation(address service,uint32 setId,uint64
//! height,bytes32 digest)` in the domain `{name: "Rampart", version: "1", chainId}`, 65 bytes
//! `r ‖ s ‖ v` with low `s`: the same bytes `eth_signTypedData_v4` gives for that typed data.

use crate::args;
use crate::keys::{self, KeystoreArgs};
use crate::output::Output;
use anyhow::{Context, bail};
use clap::Args;
use k256::ecdsa::SigningKey;
use rampart_core::ids::SetRef;
use rampart_core::restaking::attestation_signing_hash;
use rampart_node::client::Client;
use std::path::Path;
use std::process::ExitCode;

/// `rampart attest …`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The operator set: `SERVICE/ID`, the service as an address, a keystore or dev name, or
    /// `@name` (`oracle/0`, `0x…/3`).
    #[arg(long)]
    set: String,
    /// The service's height (round, slot) the attestation is for.
    #[arg(long)]
    height: u64,
    /// The 32-byte digest of the service message, `0x` hex.
    #[arg(long)]
    digest: String,
    /// Sign with this keystore key (in the `--keystore` directory).
    #[arg(long, conflicts_with = "dev")]
    key: Option<String>,
    /// Sign with this public dev key (dev networks and tests only).
    #[arg(long)]
    dev: Option<String>,
    /// The chain id of the EIP-712 domain (default: ask the node).
    #[arg(long)]
    chain_id: Option<u64>,
    /// The node's URL (only asked for its chain id).
    #[arg(long, env = "RAMPART_NODE", default_value = args::DEFAULT_NODE)]
    node: String,
    /// `--keystore` is a directory with `--key NAME`, or one keystore file on its own.
    #[command(flatten)]
    store: KeystoreArgs,
}

/// Signs and prints the signature (`--json`: with what was signed).
pub fn run(a: AttestArgs, out: Output) -> anyhow::Result<ExitCode> {
    // Dev account names only when signing with a dev key, as `rampart tx` does.
    let names = if a.dev.is_some() {
        keys::Names::KeystoreAndDev
    } else {
        keys::Names::Keystore
    };
    let set = parse_set(&a.set, &a.store.dir(), names)?;
    let digest: alloy_primitives::B256 = a
        .digest
        .parse()
        .with_context(|| format!("--digest `{}` is not 32 bytes of 0x hex", a.digest))?;
    let key = signer(&a)?;
    let chain_id = match a.chain_id {
        Some(id) => id,
        None => {
            Client::new(&a.node)
                .status()
                .context("asking the node for its chain id (or give --chain-id)")?
                .chain_id
        }
    };
    let signature = rampart_scenario::attest::attest_hex(&key, chain_id, set, a.height, digest)?;
    out.either(
        &signature,
        &serde_json::json!({
            "signature": signature,
            "signer": format!("{:#x}", rampart_core::Address::from_private_key(&key)),
            "set": set.to_string(),
            "height": a.height,
            "digest": digest.to_string(),
            "chain_id": chain_id,
            "signing_hash": attestation_signing_hash(chain_id, set, a.height, digest).to_string(),
        }),
    );
    Ok(ExitCode::SUCCESS)
}

fn signer(a: &AttestArgs) -> anyhow::Result<SigningKey> {
    match (&a.key, &a.dev, &a.store.keystore) {
        (Some(name), _, _) => keys::load(name, &a.store),
        (None, Some(dev), _) => Ok(rampart_scenario::names::dev_signing_key(dev)),
        (None, None, Some(file)) if file.is_file() => load_file(file, &a.store),
        _ => bail!(
            "choose a signing key: --key NAME (keystore), --keystore FILE (one keystore file) or --dev NAME (dev account)"
        ),
    }
}

/// Unlocks one keystore v3 file.
fn load_file(file: &Path, store: &KeystoreArgs) -> anyhow::Result<SigningKey> {
    let json = keys::read_keystore(file)?;
    let password = store.password()?;
    let secret = crate::keystore::decrypt(&json, &password)
        .with_context(|| format!("cannot open {}", file.display()))?;
    SigningKey::from_slice(&secret).context("the keystore holds an invalid key")
}

/// `SERVICE/ID` with the service as `0x…`, `@name` or `name` (keystore, else dev account).
fn parse_set(text: &str, keystore: &Path, names: keys::Names) -> anyhow::Result<SetRef> {
    let (service, id) = text
        .rsplit_once('/')
        .with_context(|| format!("--set `{text}` is not SERVICE/ID"))?;
    let id: u32 = id
        .parse()
        .with_context(|| format!("--set `{text}`: `{id}` is not a set id"))?;
    let name = service.strip_prefix('@').unwrap_or(service);
    let service = if name.starts_with("0x") {
        name.parse()
            .with_context(|| format!("--set `{text}`: `{name}` is not an address"))?
    } else {
        keys::address_of(name, keystore, names)?
    };
    Ok(SetRef { service, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_named_by_address_or_by_name() {
        let dir = std::env::temp_dir().join("rampart-attest-test-empty");
        let oracle = rampart_scenario::names::dev_address("oracle");
        assert!(
            parse_set("oracle/3", &dir, keys::Names::Keystore).is_err(),
            "dev names need --dev"
        );
        for text in ["oracle/3", "@oracle/3", &format!("{oracle:#x}/3")] {
            assert_eq!(
                parse_set(text, &dir, keys::Names::KeystoreAndDev).unwrap(),
                SetRef {
                    service: oracle,
                    id: 3
                }
            );
        }
        assert!(parse_set("oracle", &dir, keys::Names::KeystoreAndDev).is_err());
        assert!(parse_set("oracle/x", &dir, keys::Names::KeystoreAndDev).is_err());
        assert!(parse_set("0xzz/1", &dir, keys::Names::KeystoreAndDev).is_err());
    }
}
