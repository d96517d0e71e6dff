//! `rampart tx <action> [FIELD=VALUE …]`: sign an action with a keystore or dev key (EIP-712),
//! submit it, and wait for its receipt.

use crate::args;
use crate::keys::{self, KeystoreArgs};
use crate::output::Output;
use anyhow::{Context, bail};
use clap::Args;
use k256::ecdsa::SigningKey;
use rampart_api::UnsignedTx;
use rampart_node::client::Client;
use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

/// `rampart tx …`.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// The action (PROTOCOL.md §10), e.g. `deposit`.
    action: String,
    /// The action's fields as FIELD=VALUE (`amount=100`, `operator=@op1`, `strategies=["stETH"]`).
    fields: Vec<String>,
    /// The action's fields as one JSON object (FIELD=VALUE pairs override it).
    #[arg(long)]
    args: Option<String>,
    /// Sign with this keystore key.
    #[arg(long, conflicts_with = "dev")]
    key: Option<String>,
    /// Sign with this public dev key (dev networks only); `@name` values may then also be dev
    /// account names.
    #[arg(long)]
    dev: Option<String>,
    /// Fee in RAM base units (default: the action's base fee).
    #[arg(long)]
    fee: Option<u128>,
    /// Priority tip in RAM base units.
    #[arg(long, default_value_t = 0)]
    tip: u128,
    /// Nonce (default: the node's next nonce for the signer).
    #[arg(long)]
    nonce: Option<u64>,
    /// Return once the node accepted it, without waiting for a block.
    #[arg(long)]
    no_wait: bool,
    /// Seconds to wait for the receipt.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// The node's URL.
    #[arg(long, env = "RAMPART_NODE", default_value = args::DEFAULT_NODE)]
    node: String,
    #[command(flatten)]
    store: KeystoreArgs,
}

/// Signs, submits and waits.
pub fn run(a: TxArgs, out: Output) -> anyhow::Result<ExitCode> {
    let key = signer(&a)?;
    let from = rampart_core::Address::from_private_key(&key);
    let client = Client::new(&a.node);
    let names = if a.dev.is_some() {
        args::Names::KeystoreAndDev
    } else {
        args::Names::Keystore
    };
    let mut action = args::fields(
        a.args.as_deref(),
        &a.fields,
        &a.store.dir(),
        names,
        &mut args::node_decimals(&client),
    )?;
    let missing = rampart_api::vocabulary::missing_fields(&a.action, &action)?;
    if !missing.is_empty() {
        bail!(
            "{} needs {}: {} (see `rampart tx {} --help`)",
            a.action,
            if missing.len() == 1 {
                "a field"
            } else {
                "fields"
            },
            missing.join(", "),
            a.action
        );
    }
    action.insert("tx".into(), Value::String(a.action.clone()));
    let status = client
        .status()
        .context("asking the node for its chain id")?;
    let nonce = match a.nonce {
        Some(n) => n,
        None => client.nonce(&from)?.next,
    };
    let fee = match a.fee {
        Some(f) => f,
        None => base_fee(&client, &a.action)?,
    };
    let signed = UnsignedTx::from_action_json(&Value::Object(action), nonce, fee, a.tip)?
        .sign(&key, status.chain_id)?;
    let hash = client.submit(&signed)?;
    if a.no_wait {
        out.either(
            &format!("submitted {hash:#x}"),
            &serde_json::json!({"hash": hash, "status": "pending"}),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let spinner = crate::dev::spinner(&format!("waiting for {hash:#x} to be committed"), out);
    let receipt = client.wait_receipt(&hash, Duration::from_secs(a.timeout));
    spinner.finish_and_clear();
    let receipt = receipt?;
    if out.json {
        out.value(&receipt);
    } else {
        let result = match &receipt.error {
            None => format!("ok {}", receipt.outcome),
            Some(e) => format!("failed {}: {}", e.code, e.message),
        };
        println!(
            "{} {} from {:#x} nonce {} in block {}: {result}",
            receipt.action, receipt.hash, receipt.from, receipt.nonce, receipt.height
        );
        for e in receipt.events.as_array().into_iter().flatten() {
            println!("  {e}");
        }
    }
    Ok(if receipt.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `rampart tx ACTION --help`: the action's fields and their types, from the node's own
/// vocabulary ([`rampart_api::vocabulary`]), before the command's generic options.
pub fn action_help(action: &str) -> anyhow::Result<String> {
    let fields = rampart_api::vocabulary::action_fields(action)?;
    let mut text = format!("rampart tx {action} FIELD=VALUE…\n\nFields of `{action}`:\n");
    if fields.is_empty() {
        text.push_str("  (none)\n");
    }
    for f in &fields {
        let need = if f.required { "required" } else { "optional" };
        text.push_str(&format!("  {:<26} {:<9} {}\n", f.name, need, f.kind));
    }
    text.push_str(
        "\nValues: @name is a keystore key's address (dev names with --dev); 1.5stETH is token units of an asset; plain digits are base units or integers; [..] and {..} are JSON.\n",
    );
    Ok(text)
}

fn signer(a: &TxArgs) -> anyhow::Result<SigningKey> {
    match (&a.key, &a.dev) {
        (Some(name), _) => keys::load(name, &a.store),
        (None, Some(dev)) => Ok(rampart_scenario::names::dev_signing_key(dev)),
        (None, None) => bail!("choose a signer: --key NAME (keystore) or --dev NAME (dev account)"),
    }
}

fn base_fee(client: &Client, action: &str) -> anyhow::Result<u128> {
    let params = client.query(&serde_json::json!({"query": "params"}))?;
    let fee = params
        .get("base_fees")
        .and_then(|f| f.get(action))
        .or_else(|| params.get("base_fee"))
        .and_then(Value::as_str)
        .unwrap_or("0");
    fee.parse().context("the node's base fee is not a number")
}
