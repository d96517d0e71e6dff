//! `rampart dev`: a single node on 127.0.0.1 with the demo genesis, a few weeks of demo history
//! (built on first start, with a progress bar), live demo activity every block, and the web
//! dashboard at `/`.

use crate::output::Output;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rampart_node::datadir::DataDirLock;
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
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] block {pos} of {len} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("building demo history");
    bar
}

/// Runs the dev network until Ctrl-C.
///
/// Order matters: the port is bound first (a port in use fails at once, naming the address,
/// before anything is written), then the data directory's lock is taken (another process on it
/// is named, and `--reset` deletes only under the lock), then the chain opens and the history
/// is built.
pub fn run(a: DevArgs, out: Output) -> anyhow::Result<ExitCode> {
    out.init_logs();
    let listener = rampart_node::node::bind(a.listen)?;
    let lock = DataDirLock::acquire(&a.data_dir)?;
    if a.reset {
        lock.clear()?;
    }
    let history_s = a.history_days * 86_400;
    let blocks = history_s / a.history_step_s.max(1);
    let start = unix_now().saturating_sub(blocks * a.history_step_s.max(1));
    let mut config = NodeConfig::new(a.data_dir.clone());
    config.listen = a.listen;
    config.labels = demo::labels();
    config.vault_names = demo::vault_names();
    let shared = Arc::new(Shared::open_locked(config, &demo::genesis(start), lock)?);
    let fresh = shared.height()? == 0;
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
        bar.finish_and_clear();
        out.status(&format!(
            "demo history built: {blocks} blocks, {} days, one every {} s",
            a.history_days,
            a.history_step_s.max(1)
        ));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let node = rampart_node::node::start_on(listener, shared).await?;
        announce(&node, &a, out)?;
        if !a.quiet_chain {
            spawn_activity(node.shared.clone(), driver)?;
        }
        Ok(crate::node::serve_until_stopped(node, out).await)
    })
}

fn announce(node: &RunningNode, a: &DevArgs, out: Output) -> anyhow::Result<()> {
    let url = format!("http://{}", node.addr);
    let status = node.shared.status()?;
    // The "Try:" commands reach this node: by default, or with `--node` when it listens elsewhere.
    let node_flag = if url == crate::args::DEFAULT_NODE {
        String::new()
    } else {
        format!(" --node {url}")
    };
    out.either(
        &format!(
            "\nRampart dev network (chain id {}) at height {}\n  dashboard {url}/\n  API       {url}/v1/status\n  OpenAPI   {url}/openapi.json\n  events    {url}/v1/events\n  metrics   {url}/metrics\n  data      {}\nTry: rampart query position account=@alice --dev{node_flag}\n     rampart query security shock=1/10{node_flag}\n     rampart tx deposit asset=stETH amount=1.5stETH --dev alice{node_flag}\nCtrl-C stops it; run again to resume.\n",
            status.chain_id,
            status.height,
            a.data_dir.display()
        ),
        &serde_json::json!({"url": url, "chain_id": status.chain_id, "height": status.height, "data_dir": a.data_dir}),
    );
    Ok(())
}

/// Submits one driver step per block interval until the node stops.
fn spawn_activity(shared: Arc<Shared>, mut driver: Driver) -> anyhow::Result<()> {
    let interval = rampart_node::node::block_interval(&shared)?;
    // One round of demo activity per `LIVE_STEP_S` of wall time, not per block: the history
    // was built at one round per four-hour block, and a round every two seconds would make
    // yields and vault rates drift visibly in minutes.
    let pace = std::time::Duration::from_secs(demo::LIVE_STEP_S).max(interval);
    std::thread::Builder::new()
        .name("rampart-demo".into())
        .spawn(move || {
            while !shared.is_stopping() {
                std::thread::sleep(if driver.setting_up() { interval } else { pace });
                match shared.with_state(|s| driver.step(s)) {
                    Ok(txs) => {
                        demo::submit(&shared, &txs, rampart_node::node::unix_now());
                    }
                    Err(_) => return,
                }
            }
        })?;
    Ok(())
}
