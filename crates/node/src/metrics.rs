//! Prometheus metrics, rendered by hand in the text exposition format (a handful of counters
//! and one histogram do not need a metrics library).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the commit-latency histogram, in seconds.
const BUCKETS_S: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The node's counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    height: AtomicU64,
    blocks: AtomicU64,
    txs_committed: AtomicU64,
    txs_failed: AtomicU64,
    txs_dropped: AtomicU64,
    submitted_accepted: AtomicU64,
    submitted_rejected: AtomicU64,
    /// Transactions per second over the last block interval, times 1000.
    tps_milli: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS_S.len()],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
}

/// What one committed block adds.
#[derive(Clone, Copy, Debug)]
pub struct BlockStats {
    /// Its height.
    pub height: u64,
    /// Transactions in it.
    pub txs: u64,
    /// Those whose action failed.
    pub failed: u64,
    /// Proposal transactions rejected at execution (not in it).
    pub dropped: u64,
    /// Execute + commit time.
    pub commit: Duration,
    /// Time since the previous block was committed.
    pub since_last: Duration,
}

impl Metrics {
    /// The height gauge.
    pub fn height(&self) -> u64 {
        self.height.load(Ordering::Relaxed)
    }

    /// Sets the height gauge (at start, to the stored head's).
    pub fn set_height(&self, height: u64) {
        self.height.store(height, Ordering::Relaxed);
    }

    /// Records a committed block.
    pub fn block(&self, s: BlockStats) {
        self.height.store(s.height, Ordering::Relaxed);
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.txs_committed.fetch_add(s.txs, Ordering::Relaxed);
        self.txs_failed.fetch_add(s.failed, Ordering::Relaxed);
        self.txs_dropped.fetch_add(s.dropped, Ordering::Relaxed);
        let window_us = u64::try_from(s.since_last.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let tps_milli = s.txs.saturating_mul(1_000_000_000) / window_us;
        self.tps_milli.store(tps_milli, Ordering::Relaxed);
        let secs = s.commit.as_secs_f64();
        for (bound, bucket) in BUCKETS_S.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        let us = u64::try_from(s.commit.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a submission's outcome.
    pub fn submitted(&self, accepted: bool) {
        let counter = if accepted {
            &self.submitted_accepted
        } else {
            &self.submitted_rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition, with the mempool size read at call time.
    pub fn render(&self, mempool: usize) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::with_capacity(2048);
        gauge(
            &mut out,
            "rampart_height",
            "Height of the last committed block.",
            get(&self.height).to_string(),
        );
        gauge(
            &mut out,
            "rampart_mempool_size",
            "Transactions waiting in the mempool.",
            mempool.to_string(),
        );
        gauge(
            &mut out,
            "rampart_tx_per_second",
            "Transactions committed per second over the last block interval.",
            format!("{:.3}", get(&self.tps_milli) as f64 / 1000.0),
        );
        counter(
            &mut out,
            "rampart_blocks_total",
            "Blocks committed.",
            get(&self.blocks),
        );
        counter(
            &mut out,
            "rampart_txs_committed_total",
            "Transactions committed in blocks.",
            get(&self.txs_committed),
        );
        counter(
            &mut out,
            "rampart_txs_failed_total",
            "Committed transactions whose action failed (nonce and fee consumed).",
            get(&self.txs_failed),
        );
        counter(
            &mut out,
            "rampart_txs_dropped_total",
            "Mempool transactions rejected at execution (never in a block).",
            get(&self.txs_dropped),
        );
        let _ = writeln!(
            out,
            "# HELP rampart_txs_submitted_total Transactions submitted over the API, by result."
        );
        let _ = writeln!(out, "# TYPE rampart_txs_submitted_total counter");
        let _ = writeln!(
            out,
            "rampart_txs_submitted_total{{result=\"accepted\"}} {}",
            get(&self.submitted_accepted)
        );
        let _ = writeln!(
            out,
            "rampart_txs_submitted_total{{result=\"rejected\"}} {}",
            get(&self.submitted_rejected)
        );
        let _ = writeln!(
            out,
            "# HELP rampart_commit_latency_seconds Time to execute and durably commit a block."
        );
        let _ = writeln!(out, "# TYPE rampart_commit_latency_seconds histogram");
        for (bound, bucket) in BUCKETS_S.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "rampart_commit_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "rampart_commit_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "rampart_commit_latency_seconds_sum {:.6}",
            get(&self.latency_sum_us) as f64 / 1e6
        );
        let _ = writeln!(out, "rampart_commit_latency_seconds_count {count}");
        out
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: String) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_block_shows_in_every_metric() {
        let m = Metrics::default();
        m.block(BlockStats {
            height: 7,
            txs: 100,
            failed: 1,
            dropped: 2,
            commit: Duration::from_millis(3),
            since_last: Duration::from_secs(2),
        });
        let text = m.render(5);
        assert!(text.contains("rampart_height 7\n"));
        assert!(text.contains("rampart_mempool_size 5\n"));
        assert!(text.contains("rampart_tx_per_second 50.000\n"));
        assert!(text.contains("rampart_commit_latency_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("rampart_commit_latency_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("rampart_commit_latency_seconds_count 1\n"));
    }
}
