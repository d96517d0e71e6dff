//! A printing benchmark (not a timed test; `#[ignore]`d): finalized signed transactions per
//! second and finality latency for 4 validators, next to this machine's signature-verification
//! ceiling divided by 4.
//!
//! ```text
//! cargo test --release -p rampart-consensus --test throughput -- --ignored --nocapture
//! ```
//!
//! All four validators run in one thread (Commonware's deterministic runtime, simulated network
//! with 20 ms links), so the wall-clock throughput is what one core sustains for the whole
//! network; each validator verifies every transaction, hence the ceiling ÷ 4. Latency is in
//! simulated time (submission to execution at validator 0); transactions reach every leader by
//! mempool gossip (`rampart_consensus::gossip`).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::*;
use commonware_runtime::{Clock, Runner as _, Supervisor as _};
use rampart_api::tx::Verifier;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const HOLDERS: usize = 64;
const PER_HOLDER: u64 = 100;
const WAVES: u64 = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture, in release"]
fn throughput_and_finality_of_four_validators() {
    // Pre-signed transactions, nonce order per holder.
    let txs: Vec<Vec<rampart_api::SignedTx>> = (0..HOLDERS)
        .map(|h| {
            (0..PER_HOLDER)
                .map(|n| transfer(h, (h + 1) % HOLDERS, n))
                .collect()
        })
        .collect();
    let total = HOLDERS as u64 * PER_HOLDER;

    // The ceiling: signature verifications per second on one core.
    let verifier = Verifier::new(CHAIN_ID, rampart_api::TxLimits::default());
    let sample: Vec<_> = txs.iter().flatten().take(2_000).cloned().collect();
    let started = Instant::now();
    for t in &sample {
        verifier.verify(t.clone()).unwrap();
    }
    let ceiling = sample.len() as f64 / started.elapsed().as_secs_f64();

    let wall = Instant::now();
    let result = runner(11, Duration::from_secs(3_600)).start(|context| async move {
        let g = genesis(4, 4, HOLDERS, bft_params(100_000));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 2, Duration::from_secs(60))
            .await;
        let mut submitted: BTreeMap<alloy_primitives::B256, std::time::SystemTime> =
            BTreeMap::new();
        let per_wave = PER_HOLDER / WAVES;
        let mut latencies = Vec::new();
        let mut seen_height = net.height(0);
        let mut committed = 0u64;
        let start = context.current();
        let mut wave = 0;
        let mut next_wave = context.current();
        while committed < total {
            if wave < WAVES && context.current() >= next_wave {
                for (h, list) in txs.iter().enumerate() {
                    for t in &list[(wave * per_wave) as usize..((wave + 1) * per_wave) as usize] {
                        let hash = net.node(h % 4).submit(t.clone()).unwrap();
                        submitted.insert(hash, context.current());
                    }
                }
                wave += 1;
                next_wave = context.current() + Duration::from_secs(1);
            }
            context.sleep(Duration::from_millis(10)).await;
            let head = net.height(0);
            for height in seen_height + 1..=head {
                let b = net.node(0).block(Some(height)).unwrap();
                for t in &b.txs {
                    if let Some(at) = submitted.get(&t.hash) {
                        latencies.push(context.current().duration_since(*at).unwrap());
                        committed += 1;
                    }
                }
            }
            seen_height = head;
        }
        let sim = context.current().duration_since(start).unwrap();
        net.wait_for(&[0, 1, 2, 3], seen_height, Duration::from_secs(60))
            .await;
        net.same_roots();
        latencies.sort();
        (latencies, sim, seen_height)
    });
    let wall = wall.elapsed();
    let (latencies, sim, height) = result;
    let tps = total as f64 / wall.as_secs_f64();
    println!("4 validators, {total} signed transfers, {height} blocks");
    println!(
        "  finalized and executed on all 4: {tps:.0} tx/s (wall clock, one core for all four); \
         {:.0} tx/s in simulated time",
        total as f64 / sim.as_secs_f64()
    );
    println!(
        "  finality latency (simulated, 20 ms links): p50 {:?}  p99 {:?}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99)
    );
    println!(
        "  signature-verification ceiling: {ceiling:.0} verifications/s on one core; ÷ 4 = {:.0} tx/s; \
         achieved {:.0} % of it",
        ceiling / 4.0,
        100.0 * tps / (ceiling / 4.0)
    );
}
