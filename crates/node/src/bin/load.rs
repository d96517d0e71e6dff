//! `rampart-load`: the node's load benchmark. Prints figures; asserts nothing.
//!
//! 1. Signs `--txs` transfers from `--accounts` dev accounts (before any timing).
//! 2. Measures the machine's signature-recovery ceiling: EIP-712 recoveries per second on all
//!    cores, on the same transactions.
//! 3. Starts a node in-process on 127.0.0.1 (fresh data directory, durable commits) and submits
//!    the transactions over HTTP in batches from `--clients` threads, while a watcher polls new
//!    blocks and timestamps when each transaction is seen committed.
//!
//! Reports accepted and committed tx/s, submit→commit latency p50/p99, block commit time, and
//! committed tx/s as a share of the recovery ceiling.
//!
//! `cargo run --release -p rampart-node --bin rampart-load -- --txs 100000`

use alloy_primitives::B256;
use anyhow::Context;
use rampart_api::types::{BatchItem, BlockView, StatusView};
use rampart_api::{SignedTx, UnsignedTx};
use rampart_core::genesis::GenesisAccount;
use rampart_core::{Amount, Genesis, Timestamp};
use rampart_node::client::Client;
use rampart_node::node::unix_now;
use rampart_node::{NodeConfig, demo};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    txs: usize,
    accounts: usize,
    batch: usize,
    clients: usize,
    block_ms: u64,
}

fn arg(name: &str, default: u64) -> anyhow::Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context("missing value")?
            .parse()
            .with_context(|| format!("{name} takes a number")),
        None => Ok(default),
    }
}

fn parse_args() -> anyhow::Result<Args> {
    Ok(Args {
        txs: usize::try_from(arg("--txs", 60_000)?)?,
        accounts: usize::try_from(arg("--accounts", 500)?)?,
        batch: usize::try_from(arg("--batch", 500)?)?,
        clients: usize::try_from(arg("--clients", 2)?)?,
        block_ms: arg("--block-ms", 500)?,
    })
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    eprintln!(
        "signing {} transfers from {} accounts…",
        args.txs, args.accounts
    );
    let txs = sign_all(&args, cores);
    let ceiling = recovery_ceiling(&txs, cores);
    let report = run_load(&args, txs)?;
    print_report(&args, cores, ceiling, &report);
    Ok(())
}

fn account(i: usize) -> String {
    format!("load-{i}")
}

/// Each account sends `txs / accounts` transfers with consecutive nonces, interleaved so that
/// every batch spans many accounts.
fn sign_all(args: &Args, cores: usize) -> Vec<SignedTx> {
    let per = args.txs.div_ceil(args.accounts);
    let jobs: Vec<(usize, u64)> = (0..per as u64)
        .flat_map(|n| (0..args.accounts).map(move |a| (a, n)))
        .take(args.txs)
        .collect();
    let keys: Vec<_> = (0..args.accounts)
        .map(|i| rampart_scenario::names::dev_signing_key(&account(i)))
        .collect();
    let to = format!("{:#x}", rampart_scenario::names::dev_address("sink"));
    let chunk = jobs.len().div_ceil(cores).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                let (keys, to) = (&keys, &to);
                s.spawn(move || {
                    part.iter()
                        .filter_map(|(a, n)| {
                            let action = serde_json::json!({"tx": "transfer", "to": to, "asset": "RAM", "amount": "1"});
                            UnsignedTx::from_action_json(&action, *n, 0, 0)
                                .and_then(|u| u.sign(&keys[*a], demo::CHAIN_ID))
                                .ok()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Full EIP-712 verifications (hash, recovery, address) per second on all cores.
fn recovery_ceiling(txs: &[SignedTx], cores: usize) -> f64 {
    let sample: Vec<SignedTx> = txs.iter().take(20_000).cloned().collect();
    let verifier = rampart_api::Verifier::new(demo::CHAIN_ID, rampart_api::TxLimits::default());
    let done = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in 0..cores {
            let (sample, verifier, done) = (&sample, &verifier, &done);
            s.spawn(move || {
                let mut i = c;
                while start.elapsed() < Duration::from_secs(3) {
                    if verifier.verify(sample[i % sample.len()].clone()).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    i += cores;
                }
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

struct Report {
    accepted: usize,
    rejected: usize,
    submit_s: f64,
    committed: usize,
    commit_s: f64,
    latencies_ms: Vec<f64>,
    block_commit_ms: Vec<f64>,
    blocks: u64,
}

fn genesis(args: &Args) -> Genesis {
    let mut g = demo::genesis(unix_now());
    g.accounts = (0..args.accounts)
        .map(|i| GenesisAccount {
            address: rampart_scenario::names::dev_address(&account(i)),
            balances: [("RAM".to_owned(), Amount::new(1_000_000_000_000_000_000_000))].into(),
        })
        .collect();
    g.time = Timestamp::new(unix_now());
    g
}

fn run_load(args: &Args, txs: Vec<SignedTx>) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("rampart-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = NodeConfig::new(dir.clone());
    config.listen = "127.0.0.1:0".parse()?;
    config.block_interval_ms = Some(args.block_ms);
    config.http.rate_limit_per_s = 0;
    config.mempool.max_txs = args.txs + 1;
    config.max_block_txs = 50_000;
    let runtime = tokio::runtime::Runtime::new()?;
    let node = runtime.block_on(rampart_node::start(config, &genesis(args)))?;
    let client = Client::new(&format!("http://{}", node.addr));
    let total = txs.len();
    let submitted: Arc<Mutex<HashMap<B256, Instant>>> =
        Arc::new(Mutex::new(HashMap::with_capacity(total)));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = spawn_watcher(client.clone(), submitted.clone(), stop.clone(), total);
    // Each client owns a subset of the accounts and sends their transactions in nonce order, so
    // no client's batch can overtake another's nonces.
    let owner: HashMap<alloy_primitives::Address, usize> = (0..args.accounts)
        .map(|i| {
            (
                rampart_scenario::names::dev_address(&account(i)),
                i % args.clients.max(1),
            )
        })
        .collect();
    let per_client: Vec<Vec<Vec<SignedTx>>> = (0..args.clients.max(1))
        .map(|c| {
            let mine: Vec<SignedTx> = txs
                .iter()
                .filter(|t| owner.get(&t.from) == Some(&c))
                .cloned()
                .collect();
            mine.chunks(args.batch).map(<[SignedTx]>::to_vec).collect()
        })
        .collect();
    let rejected = AtomicUsize::new(0);
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    eprintln!(
        "submitting over HTTP from {} clients in batches of {}…",
        args.clients, args.batch
    );
    let start = Instant::now();
    std::thread::scope(|s| {
        for batches in &per_client {
            let (client, submitted, rejected, first_error) =
                (&client, &submitted, &rejected, &first_error);
            s.spawn(move || {
                for batch in batches {
                    let sent = Instant::now();
                    match client.submit_batch(batch) {
                        Ok(items) => {
                            let mut map = submitted
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            for item in items {
                                match item {
                                    BatchItem::Accepted { hash } => {
                                        map.insert(hash, sent);
                                    }
                                    BatchItem::Rejected { error } => {
                                        rejected.fetch_add(1, Ordering::Relaxed);
                                        let mut first = first_error
                                            .lock()
                                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                                        first.get_or_insert(error.to_string());
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            eprintln!("batch failed: {e}");
                            rejected.fetch_add(batch.len(), Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.lock().ok().and_then(|e| e.clone()) {
        eprintln!("first rejection: {e}");
    }
    let submit_s = start.elapsed().as_secs_f64();
    let accepted = submitted.lock().map(|m| m.len()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !watcher.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        if watcher_done(&client, accepted) {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (latencies_ms, last_commit) = watcher
        .join()
        .map_err(|_| anyhow::anyhow!("watcher panicked"))?;
    let commit_s = last_commit.map_or(submit_s, |t| t.duration_since(start).as_secs_f64());
    let (block_commit_ms, blocks) = block_commit_times(&client)?;
    runtime.block_on(node.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Report {
        accepted,
        rejected: rejected.load(Ordering::Relaxed),
        submit_s,
        committed: latencies_ms.len(),
        commit_s,
        latencies_ms,
        block_commit_ms,
        blocks,
    })
}

fn watcher_done(client: &Client, accepted: usize) -> bool {
    client
        .get::<StatusView>("/v1/status")
        .map(|s| s.mempool == 0 && accepted > 0)
        .unwrap_or(false)
}

type WatchResult = (Vec<f64>, Option<Instant>);

/// Polls new blocks; for each transaction seen committed, the time since its batch was sent.
fn spawn_watcher(
    client: Client,
    submitted: Arc<Mutex<HashMap<B256, Instant>>>,
    stop: Arc<AtomicBool>,
    total: usize,
) -> std::thread::JoinHandle<WatchResult> {
    std::thread::spawn(move || {
        let mut seen_height = client.status().map(|s| s.height).unwrap_or(0);
        let mut latencies = Vec::with_capacity(total);
        let mut last = None;
        let mut unmatched: Vec<(B256, Instant)> = Vec::new();
        loop {
            let stopping = stop.load(Ordering::Relaxed);
            let head = client.status().map(|s| s.height).unwrap_or(seen_height);
            while seen_height < head {
                seen_height += 1;
                let Ok(block) = client.get::<BlockView>(&format!("/v1/blocks/{seen_height}"))
                else {
                    break;
                };
                let now = Instant::now();
                if !block.txs.is_empty() {
                    last = Some(now);
                }
                unmatched.extend(block.txs.iter().map(|t| (t.hash, now)));
            }
            let map = submitted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            unmatched.retain(|(hash, seen)| match map.get(hash) {
                Some(sent) => {
                    latencies.push(seen.duration_since(*sent).as_secs_f64() * 1e3);
                    false
                }
                None => true,
            });
            drop(map);
            if stopping || latencies.len() >= total {
                return (latencies, last);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}

/// Block execute+commit times from the node's histogram sum (mean) and the block count.
fn block_commit_times(client: &Client) -> anyhow::Result<(Vec<f64>, u64)> {
    let (_, text) = client.raw("GET", "/metrics", &[])?;
    let read = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let sum = read("rampart_commit_latency_seconds_sum");
    let count = read("rampart_commit_latency_seconds_count");
    let mean_ms = if count > 0.0 { sum / count * 1e3 } else { 0.0 };
    Ok((vec![mean_ms], count as u64))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn print_report(args: &Args, cores: usize, ceiling: f64, r: &Report) {
    let mut lat = r.latencies_ms.clone();
    lat.sort_by(f64::total_cmp);
    let accepted_tps = r.accepted as f64 / r.submit_s;
    let committed_tps = r.committed as f64 / r.commit_s;
    println!(
        "rampart-load: {} transfers, {} accounts, batches of {}, {} client threads, blocks every {} ms, {} cores",
        args.txs, args.accounts, args.batch, args.clients, args.block_ms, cores
    );
    println!("signature-recovery ceiling (EIP-712 verify, all cores): {ceiling:>10.0} /s");
    println!(
        "accepted over HTTP:        {:>8} in {:>6.2} s = {accepted_tps:>10.0} tx/s ({} rejected)",
        r.accepted, r.submit_s, r.rejected
    );
    println!(
        "committed in blocks:       {:>8} in {:>6.2} s = {committed_tps:>10.0} tx/s",
        r.committed, r.commit_s
    );
    println!(
        "committed / ceiling:       {:>9.1} %",
        100.0 * committed_tps / ceiling
    );
    println!(
        "submit→commit latency:     p50 {:.0} ms, p99 {:.0} ms (polling adds ≤ 10 ms)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    println!(
        "block execute+commit:      mean {:.1} ms over {} blocks",
        r.block_commit_ms.first().copied().unwrap_or(0.0),
        r.blocks
    );
}
