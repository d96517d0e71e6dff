//! `rampart dev`: a single node on 127.0.0.1 with the demo genesis, a few weeks of demo history
//! (built on first start, with a progress bar), live demo activity every block, and the web
//! dashboard at `/`.

use crate::output::Output;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rampart_node::demo::{self, Driver};
use rampart_node::node::{Shared, unix_now};
use rampart_node::{NodeConfig, RunningNode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `rampart dev …`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Where the chain is stored.
    #[arg(long, default_value = "./rampart-data")]
    data_dir: PathBuf,
    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:8645")]
    listen: SocketAddr,
    /// Days of demo history to build on first start.
    #[arg(long, default_value_t = 30)]
    history_days: u64,
    /// Seconds between history blocks.
    #[arg(long, default_value_t = 4 * 3600)]
    history_step_s: u64,
    /// Start from scratch: delete the data directory first.
    #[arg(long)]
    reset: bool,
    /// No live demo activity (the chain still produces blocks).
    #[arg(long)]
    quiet_chain: bool,
}

/// A spinner on stderr (hidden with `--json`).
pub fn spinner(message: &str, out: Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn progress_bar(len: u64, out: Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} blocks ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("building demo history");
    bar
}

/// Runs the dev network until Ctrl-C.
pub fn run(a: DevArgs, out: Output) -> anyhow::Result<ExitCode> {
    out.init_logs();
    if a.reset && a.data_dir.exists() {
        std::fs::remove_dir_all(&a.data_dir)?;
    }
    let history_s = a.history_days * 86_400;
    let blocks = history_s / a.history_step_s.max(1);
    let start = unix_now().saturating_sub(blocks * a.history_step_s.max(1));
    let mut config = NodeConfig::new(a.data_dir.clone());
    config.listen = a.listen;
    config.labels = demo::labels();
    config.vault_names = demo::vault_names();
    let shared = Arc::new(Shared::open(config, &demo::genesis(start))?);
    let fresh = shared.height() == 0;
    let mut driver = if fresh {
        Driver::default()
    } else {
        Driver::resumed(unix_now())
    };
    if fresh && blocks > 0 {
        let bar = progress_bar(blocks, out);
        demo::run_history(
            &shared,
            &mut driver,
            blocks,
            a.history_step_s.max(1),
            &mut |i| bar.set_position(i),
        )?;
        bar.finish_with_message("demo history built");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let node = rampart_node::node::start_with(shared).await?;
        announce(&node, &a, out);
        if !a.quiet_chain {
            spawn_activity(node.shared.clone(), driver);
        }
        crate::node::wait_for_signal().await;
        node.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn announce(node: &RunningNode, a: &DevArgs, out: Output) {
    let url = format!("http://{}", node.addr);
    let status = node.shared.status();
    out.either(
        &format!(
            "\nRampart dev network (chain id {}) at height {}\n  dashboard {url}/\n  API       {url}/v1/status\n  OpenAPI   {url}/openapi.json\n  events    {url}/v1/events\n  metrics   {url}/metrics\n  data      {}\nTry: rampart query position staker=@alice\n     rampart query security shock=1/10\n     rampart tx deposit asset=stETH amount=1000000000000000000 --dev alice\nCtrl-C stops it; run again to resume.\n",
            status.chain_id,
            status.height,
            a.data_dir.display()
        ),
        &serde_json::json!({"url": url, "chain_id": status.chain_id, "height": status.height, "data_dir": a.data_dir}),
    );
}

/// Submits one driver step per block interval until the node stops admitting.
fn spawn_activity(shared: Arc<Shared>, mut driver: Driver) {
    let interval = Duration::from_millis(
        shared
            .config
            .block_interval_ms
            .unwrap_or_else(|| shared.with_state(|s| s.params().block_time_s.get().max(1) * 1000)),
    );
    let spawned = std::thread::Builder::new()
        .name("rampart-demo".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let txs = shared.with_state(|s| driver.step(s));
                if demo::submit(&shared, &txs) == 0
                    && !txs.is_empty()
                    && shared.status().mempool == 0
                {
                    // Nothing accepted and nothing pending: the node is stopping.
                    if shared.submit_batch(Vec::new()).is_empty() && shared.is_stopping() {
                        return;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "demo activity could not start");
    }
}
