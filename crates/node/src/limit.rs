//! Token buckets: the per-IP request limit of the HTTP API and the per-account admission limit.
//!
//! A bucket holds up to `burst` tokens and refills at `per_s`. A request is let through while
//! the bucket has at least one token, and then pays its whole cost, which may leave the bucket
//! in debt: a batch of 500 signatures from one client is admitted at once and the client waits
//! for 500 tokens' worth of refill before its next request. So a batch is never refused for its
//! size (its size has its own limit), and batching buys no more signature checks than requests.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets past this many keys are pruned of those idle for a minute (a bound on memory).
const MAX_KEYS: usize = 100_000;

/// Token buckets keyed by `K` (an IP address, an account).
#[derive(Debug)]
pub struct TokenBuckets<K> {
    per_s: f64,
    burst: f64,
    buckets: Mutex<BTreeMap<K, (f64, Instant)>>,
}

impl<K: Ord + Copy> TokenBuckets<K> {
    /// Buckets refilling at `per_s` tokens a second up to `burst` (at least 1).
    pub fn new(per_s: u32, burst: u32) -> Self {
        Self {
            per_s: f64::from(per_s),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether `key` may go ahead with something that costs `cost` tokens: true (and the cost
    /// is taken, possibly into debt) if its bucket holds at least one token.
    pub fn take(&self, key: K, cost: u32) -> bool {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > MAX_KEYS {
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 60);
        }
        let (tokens, at) = buckets.entry(key).or_insert((self.burst, now));
        let refill = now.duration_since(*at).as_secs_f64() * self.per_s;
        *tokens = (*tokens + refill).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= f64::from(cost);
            true
        } else {
            false
        }
    }

    /// Takes `cost` more tokens from `key` after the fact (the rest of a batch), into debt.
    pub fn charge(&self, key: K, cost: u32) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((tokens, _)) = buckets.get_mut(&key) {
            *tokens -= f64::from(cost);
        }
    }

    /// Seconds until `key`'s bucket holds a token again (0 if it does).
    pub fn wait_s(&self, key: K) -> f64 {
        let buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        buckets
            .get(&key)
            .map_or(0.0, |(tokens, _)| ((1.0 - tokens) / self.per_s).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let b = TokenBuckets::new(1, 3);
        assert!((0..3).all(|_| b.take(7u8, 1)));
        assert!(!b.take(7u8, 1));
        assert!(b.take(8u8, 1), "another key has its own bucket");
    }

    #[test]
    fn a_large_cost_goes_into_debt_and_blocks_what_follows() {
        let b = TokenBuckets::new(1, 10);
        assert!(b.take(1u8, 500));
        assert!(!b.take(1u8, 1));
        assert!(b.wait_s(1u8) > 400.0);
        b.charge(2u8, 5);
        assert!(b.take(2u8, 1), "charging an unknown key does nothing");
    }
}
