//! `rampart`: the command-line entry point. Each command lives in its own module; this file
//! only parses and dispatches.

mod args;
mod attest;
#[cfg(feature = "bft")]
mod bft;
mod dev;
mod keys;
mod keystore;
mod node;
mod output;
mod query;
mod risk;
mod scenario;
mod show;
mod tx;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Rampart: a restaking network in one node.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about)]
struct Cli {
    /// Machine-readable output: JSON results, JSON logs.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a single-node development network with demo data and activity.
    Dev(dev::DevArgs),
    /// Run a node from a TOML configuration file.
    Node(node::NodeArgs),
    /// Start local validators (BFT consensus) on 127.0.0.1, each its own process.
    #[cfg(feature = "bft")]
    Testnet(bft::TestnetArgs),
    /// Manage encrypted keystore files (Ethereum keystore v3).
    Keys(keys::KeysArgs),
    /// Sign a transaction and submit it to a node.
    Tx(tx::TxArgs),
    /// Sign a service attestation with an operator's signing key; print the signature.
    Attest(attest::AttestArgs),
    /// Ask a node: any protocol query, or status, block, receipt, nonce, proof.
    Query(query::QueryArgs),
    /// The risk engine: security of a restaking graph, stress tests.
    Risk {
        #[command(subcommand)]
        command: risk::RiskCommand,
    },
    /// Scenario files: deterministic what-if runs on an in-memory chain.
    Scenario {
        #[command(subcommand)]
        command: scenario::ScenarioCommand,
    },
}

/// `rampart [--json] tx ACTION … --help`: the action's own fields, then the generic help.
fn tx_action_help() -> Option<ExitCode> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let at = argv.iter().position(|a| a == "tx")?;
    if !argv[..at].iter().all(|a| a.starts_with('-')) {
        return None;
    }
    let rest = &argv[at + 1..];
    let action = rest.first().filter(|a| !a.starts_with('-'))?;
    if !rest.iter().any(|a| a == "--help" || a == "-h") {
        return None;
    }
    match tx::action_help(action) {
        Ok(text) => {
            println!("{text}");
            let mut command = <Cli as clap::CommandFactory>::command();
            if let Some(sub) = command.find_subcommand_mut("tx") {
                println!("{}", sub.render_help());
            }
            Some(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Some(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    if let Some(code) = tx_action_help() {
        return code;
    }
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let result = match cli.command {
        Command::Dev(a) => dev::run(a, out),
        Command::Node(a) => node::run(a, out),
        #[cfg(feature = "bft")]
        Command::Testnet(a) => bft::testnet(a, out),
        Command::Keys(a) => keys::run(a, out),
        Command::Tx(a) => tx::run(a, out),
        Command::Attest(a) => attest::run(a, out),
        Command::Query(a) => query::run(a, out),
        Command::Risk { command } => risk::run(command),
        Command::Scenario { command } => scenario::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            ExitCode::from(2)
        }
    }
}
