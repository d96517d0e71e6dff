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
    /// `history GROUP`: print CSV (one row per snapshot, one column per series, whole units).
    #[arg(long)]
    csv: bool,
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
        "history" => return history(&client, &a.rest, a.csv, out),
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

/// `rampart query history [GROUP] [from=UNIX] [to=UNIX] [resolution=S] [--csv | --json]`.
fn history(client: &Client, rest: &[String], csv: bool, out: Output) -> anyhow::Result<ExitCode> {
    use rampart_api::history::{HistoryIndex, HistoryView};
    let Some(group) = rest.first() else {
        let index: HistoryIndex = client.get("/v1/history")?;
        out.value(&index);
        return Ok(ExitCode::SUCCESS);
    };
    let mut params = Vec::new();
    for pair in &rest[1..] {
        let (k, v) = pair
            .split_once('=')
            .with_context(|| format!("`{pair}`: expected from=, to= or resolution="))?;
        if !["from", "to", "resolution"].contains(&k) || v.parse::<u64>().is_err() {
            bail!("`{pair}`: history takes from=UNIX, to=UNIX and resolution=SECONDS");
        }
        params.push(format!("{k}={v}"));
    }
    let path = if params.is_empty() {
        format!("/v1/history/{group}")
    } else {
        format!("/v1/history/{group}?{}", params.join("&"))
    };
    let view: HistoryView = client.get(&path)?;
    if csv {
        print!("{}", history_csv(&view));
    } else if out.json {
        out.value(&view);
    } else {
        for s in &view.series {
            let first = s
                .points
                .first()
                .map_or("—".to_owned(), |p| whole(&p.value, s.decimals));
            let last = s
                .points
                .last()
                .map_or("—".to_owned(), |p| whole(&p.value, s.decimals));
            println!(
                "{}: {} points, {first} → {last} {}",
                s.key,
                s.points.len(),
                s.unit
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per snapshot time, one column per series (`key (unit)`), exact whole units; a
/// series without a point at that time leaves its cell empty.
pub fn history_csv(view: &rampart_api::history::HistoryView) -> String {
    use std::collections::BTreeMap;
    let mut rows: BTreeMap<u64, (u64, Vec<String>)> = BTreeMap::new();
    let n = view.series.len();
    for (i, s) in view.series.iter().enumerate() {
        for p in &s.points {
            let row = rows
                .entry(p.time)
                .or_insert_with(|| (p.epoch, vec![String::new(); n]));
            row.1[i] = whole(&p.value, s.decimals);
        }
    }
    let mut text = String::from("time,epoch");
    for s in &view.series {
        text.push_str(&format!(",{} ({})", s.key, s.unit));
    }
    text.push('\n');
    for (time, (epoch, cells)) in rows {
        text.push_str(&format!("{},{epoch}", rampart_node::node::iso8601(time)));
        for c in cells {
            text.push(',');
            text.push_str(&c);
        }
        text.push('\n');
    }
    text
}

/// Base units as an exact decimal of whole units (`1500000000000000000`, 18 → `1.5`).
fn whole(value: &str, decimals: u8) -> String {
    let d = usize::from(decimals);
    if d == 0 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return value.to_owned();
    }
    let padded = format!("{value:0>width$}", width = d + 1);
    let (int, frac) = padded.split_at(padded.len() - d);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
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
