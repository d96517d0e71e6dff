//! `rampart node --config FILE`: run a node from a TOML configuration.

use crate::output::Output;
use anyhow::Context;
use clap::Args;
use rampart_core::Genesis;
use rampart_node::NodeConfig;
use std::path::PathBuf;
use std::process::ExitCode;

/// `rampart node …`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The TOML configuration (see `rampart_node::config`).
    #[arg(long)]
    config: PathBuf,
    /// Re-execute every stored block from genesis, compare each state root with the stored one,
    /// and exit (no server).
    #[arg(long)]
    replay: bool,
}

/// Runs the node until Ctrl-C (or SIGTERM).
pub fn run(a: NodeArgs, out: Output) -> anyhow::Result<ExitCode> {
    out.init_logs();
    let config = NodeConfig::from_file(&a.config)?;
    if a.replay {
        return replay(&config, out);
    }
    let genesis = match &config.genesis {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a genesis", path.display()))?
        }
        None => Genesis::default(),
    };
    let genesis = rampart_node::config::network_genesis(genesis);
    if config.consensus.is_some() {
        #[cfg(feature = "bft")]
        return crate::bft::run_node(config, genesis, out);
        #[cfg(not(feature = "bft"))]
        anyhow::bail!("this binary was built without the `bft` feature: no [consensus] support");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let node = rampart_node::start(config, &genesis).await?;
        out.either(
            &format!("rampart node listening on http://{}", node.addr),
            &serde_json::json!({"listening": format!("http://{}", node.addr), "chain_id": node.shared.chain_id()}),
        );
        Ok(serve_until_stopped(node, out).await)
    })
}

/// Runs `node` until SIGINT/SIGTERM or until it fails. On a signal it prints "shutting down…"
/// and stops gracefully (exit 0; a second signal exits at once with 130); a failed node is
/// stopped the same way and the exit code is 1.
pub async fn serve_until_stopped(node: rampart_node::RunningNode, out: Output) -> ExitCode {
    let failure = tokio::select! {
        () = wait_for_signal() => None,
        reason = node.failed() => Some(reason),
    };
    match &failure {
        None => out.status("shutting down… (a second Ctrl-C exits at once)"),
        Some(reason) => out.status(&format!("the node failed, shutting down: {reason}")),
    }
    tokio::spawn(async {
        wait_for_signal().await;
        eprintln!("second signal: exiting now");
        std::process::exit(130);
    });
    node.shutdown().await;
    match failure {
        None => ExitCode::SUCCESS,
        Some(_) => ExitCode::from(1),
    }
}

fn replay(config: &NodeConfig, out: Output) -> anyhow::Result<ExitCode> {
    let store = rampart_storage::Store::open(&config.db_path())?;
    let chain_id = store.genesis()?.chain_id;
    let stored: Vec<_> = {
        let head = store.head()?.height;
        let mut v = Vec::new();
        for h in 1..=head {
            v.push(store.block(h)?.context("missing block")?.header.state_root);
        }
        v
    };
    let roots = rampart_node::chain::replay_roots(&store, chain_id, config.tx)?;
    let mismatches = roots
        .iter()
        .skip(1)
        .zip(&stored)
        .filter(|((_, replayed), stored)| replayed != *stored)
        .count();
    let height = roots.last().map_or(0, |(h, _)| *h);
    out.either(
        &format!("replayed {height} blocks: {mismatches} root mismatches"),
        &serde_json::json!({"height": height, "mismatches": mismatches}),
    );
    Ok(if mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
