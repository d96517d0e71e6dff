//! `rampart query <name> [FIELD=VALUE …]`: any protocol query (PROTOCOL.md §11), and
//! `status`, `block [HEIGHT]`, `receipt HASH`, `nonce ACCOUNT`, `proof balance ACCOUNT ASSET`,
//! `proof key HEX` (proofs are verified here, offline, against the root they carry). Answers
//! are shown for people (names, token units: [`crate::show`]) unless `--json`.

use crate::args;
use crate::output::Output;
use anyhow::{Context, bail};
use clap::Args;
use rampart_api::types::{BlockView, ProofView, TxStatus};
use rampart_node::client::Client;
use serde_json::Value;
use std::process::ExitCode;

/// `rampart query …`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// A query name (`balance`, `position`, …) or `status`, `block`, `receipt`, `nonce`, `proof`.
    name: String,
    /// FIELD=VALUE pairs for a protocol query (`account=@alice asset=RAM`); positional
    /// arguments for the others.
    rest: Vec<String>,
    /// A protocol query's fields as one JSON object.
    #[arg(long)]
    args: Option<String>,
    /// The node's URL.
    #[arg(long, env = "RAMPART_NODE", default_value = args::DEFAULT_NODE)]
    node: String,
    /// Keystore directory (for `@name` accounts).
    #[arg(long)]
    keystore: Option<std::path::PathBuf>,
    /// `@name` may also be a dev account's name (dev networks).
    #[arg(long)]
    dev: bool,
}

/// Runs a query.
pub fn run(a: QueryArgs, out: Output) -> anyhow::Result<ExitCode> {
    let client = Client::new(&a.node);
    let dir = crate::keys::KeystoreArgs {
        keystore: a.keystore.clone(),
        password_env: String::new(),
    }
    .dir();
    let names = if a.dev {
        args::Names::KeystoreAndDev
    } else {
        args::Names::Keystore
    };
    let account = |text: &str| -> anyhow::Result<String> {
        Ok(match text.strip_prefix('@') {
            Some(name) => format!("{:#x}", crate::keys::address_of(name, &dir, names)?),
            None => text.to_owned(),
        })
    };
    match a.name.as_str() {
        "status" => out.value(&client.status()?),
        "block" => {
            let path = match a.rest.first() {
                Some(h) => format!("/v1/blocks/{h}"),
                None => "/v1/blocks/latest".to_owned(),
            };
            out.value(&client.get::<BlockView>(&path)?);
        }
        "receipt" => {
            let hash = a
                .rest
                .first()
                .context("usage: rampart query receipt HASH")?;
            let status: TxStatus = client.get(&format!("/v1/tx/{hash}"))?;
            out.value(&status);
        }
        "nonce" => {
            let who = account(
                a.rest
                    .first()
                    .context("usage: rampart query nonce ACCOUNT")?,
            )?;
            out.value(&client.get::<Value>(&format!("/v1/accounts/{who}/nonce"))?);
        }
        "proof" => return proof(&client, &a.rest, &account, out),
        name => {
            let mut decimals = args::node_decimals(&client);
            let mut q = args::fields(a.args.as_deref(), &a.rest, &dir, names, &mut decimals)?;
            q.insert("query".into(), Value::String(name.to_owned()));
            let answer = client.query(&Value::Object(q))?;
            if out.json {
                out.value(&answer);
            } else {
                let known = known_names(&client, &dir);
                print!("{}", crate::show::people(&answer, &known, &mut decimals));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The node's display names and the keystore's key names, by lowercase address.
fn known_names(client: &Client, dir: &std::path::Path) -> crate::show::Names {
    let mut names = crate::show::Names::new();
    if let Ok(network) = client.get::<rampart_api::types::NetworkView>("/v1/network") {
        for (address, name) in network.labels {
            names.insert(address.to_ascii_lowercase(), name);
        }
    }
    for (name, address) in crate::keys::keys_in(dir) {
        if let Some(a) = address {
            names.insert(format!("{a:#x}"), name);
        }
    }
    names
}

fn proof(
    client: &Client,
    rest: &[String],
    account: &dyn Fn(&str) -> anyhow::Result<String>,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let path = match rest {
        [kind, who, asset] if kind == "balance" => {
            format!("/v1/proof/balance/{}/{asset}", account(who)?)
        }
        [kind, key] if kind == "key" => format!("/v1/proof/{key}"),
        _ => bail!("usage: rampart query proof balance ACCOUNT ASSET | proof key HEX"),
    };
    let view: ProofView = client.get(&path)?;
    let verified = view.verify();
    let amount = view.value.as_deref().and_then(decode_amount);
    let summary = serde_json::json!({
        "verified": verified, "height": view.height, "state_root": view.state_root,
        "key": view.key, "value": view.value, "amount": amount.map(|a| a.to_string()),
    });
    out.either(
        &format!(
            "{} at height {} (root {:#x}): key {} {}",
            if verified {
                "VERIFIED"
            } else {
                "INVALID PROOF"
            },
            view.height,
            view.state_root,
            view.key,
            match (&view.value, amount) {
                (None, _) => "is absent".to_owned(),
                (Some(_), Some(a)) => format!("holds amount {a}"),
                (Some(v), None) => format!("holds 0x{v}"),
            }
        ),
        &summary,
    );
    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A Borsh `u128` (a balance's encoding).
fn decode_amount(hex: &str) -> Option<u128> {
    let bytes = rampart_api::tx::hex_decode(hex)?;
    Some(u128::from_le_bytes(bytes.try_into().ok()?))
}
