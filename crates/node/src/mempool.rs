//! The mempool: verified transactions waiting for a block.
//!
//! # Rules
//!
//! - **Per-account nonce order.** An account's pending transactions have consecutive nonces
//!   starting at its committed nonce; a transaction is admitted only with the next one (a reused
//!   nonce or a gap is `bad_nonce`). So every pending transaction can run once those before it
//!   have.
//! - **Priority by tip.** [`Mempool::propose`] takes, among the accounts' next transactions, the
//!   one with the highest priority tip, then that account's following one becomes a candidate;
//!   ties go to the earlier arrival. Deterministic for a given arrival order.
//! - **Limits with eviction.** At most `max_txs` in total and `max_per_account` per account.
//!   When full, a new transaction evicts the lowest-tip *last* transaction of another account
//!   (evicting a last one never leaves a gap) if its tip is strictly higher; otherwise it is
//!   refused with `mempool_full`.
//!
//! # Invariants
//!
//! - `len` = Σ queue lengths = `by_hash.len()`; `tails` holds exactly each queue's last entry.
//! - After [`Mempool::on_commit`] every queue starts at its account's committed nonce.

use alloy_primitives::{Address, B256};
use rampart_api::{ApiError, VerifiedTx, codes};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};

/// Size limits of the mempool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolLimits {
    /// Transactions in total.
    pub max_txs: usize,
    /// Transactions of one account.
    pub max_per_account: usize,
    /// Sustained transactions per second one account may submit (admitted or not); 0 =
    /// unlimited. Beyond it: `rate_limited`.
    pub account_rate_per_s: u32,
    /// Transactions an account may submit in a burst above its sustained rate.
    pub account_burst: u32,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self {
            max_txs: 200_000,
            max_per_account: 1_024,
            account_rate_per_s: 200,
            account_burst: 2_048,
        }
    }
}

#[derive(Debug)]
struct Entry {
    vtx: VerifiedTx,
    seq: u64,
}

impl Entry {
    fn tip(&self) -> u128 {
        self.vtx.tx.priority_tip.get()
    }
    fn nonce(&self) -> u64 {
        self.vtx.tx.nonce
    }
}

/// Eviction order of a queue's last entry: lowest tip first, then the newest.
type TailKey = (u128, Reverse<u64>, Address);

/// Pending transactions by account.
#[derive(Debug, Default)]
pub struct Mempool {
    limits: MempoolLimits,
    queues: BTreeMap<Address, VecDeque<Entry>>,
    by_hash: HashMap<B256, Address>,
    tails: BTreeSet<TailKey>,
    next_seq: u64,
}

impl Mempool {
    /// An empty mempool with `limits`.
    pub fn new(limits: MempoolLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Whether the transaction `hash` is waiting.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The nonce `account`'s next transaction should carry, given its committed nonce.
    pub fn next_nonce(&self, account: &Address, committed: u64) -> u64 {
        self.queues
            .get(account)
            .and_then(VecDeque::back)
            .map_or(committed, |e| e.nonce() + 1)
    }

    /// What `account`'s pending transactions may charge it in fees and tips (saturating).
    pub fn pending_cost(&self, account: &Address) -> u128 {
        self.queues.get(account).map_or(0, |q| {
            q.iter().fold(0u128, |sum, e| {
                sum.saturating_add(e.vtx.tx.fee.get())
                    .saturating_add(e.tip())
            })
        })
    }

    /// `account`'s pending transactions, in nonce order (at most `max_per_account`).
    pub fn queue_of(&self, account: &Address) -> Vec<VerifiedTx> {
        self.queues
            .get(account)
            .map_or_else(Vec::new, |q| q.iter().map(|e| e.vtx.clone()).collect())
    }

    /// Pending transactions of `account`.
    pub fn pending_of(&self, account: &Address) -> usize {
        self.queues.get(account).map_or(0, VecDeque::len)
    }

    /// Admits `vtx`, whose signer's committed nonce is `committed` (see the module docs).
    pub fn insert(&mut self, vtx: VerifiedTx, committed: u64) -> Result<(), ApiError> {
        if self.by_hash.contains_key(&vtx.hash) {
            return Err(ApiError::new(
                codes::ALREADY_KNOWN,
                format!("{:#x} is already pending", vtx.hash),
            ));
        }
        let signer = vtx.tx.signer;
        let expected = self.next_nonce(&signer, committed);
        if vtx.tx.nonce != expected {
            return Err(nonce_error(&signer, vtx.tx.nonce, committed, expected));
        }
        let queued = self.queues.get(&signer).map_or(0, VecDeque::len);
        if queued >= self.limits.max_per_account {
            return Err(ApiError::new(
                codes::ACCOUNT_QUEUE_FULL,
                format!(
                    "{signer:#x} has {queued} pending transactions, the most allowed; wait for a block"
                ),
            ));
        }
        if self.len() >= self.limits.max_txs {
            self.evict_for(&signer, vtx.tx.priority_tip.get())?;
        }
        self.push(vtx);
        Ok(())
    }

    fn push(&mut self, vtx: VerifiedTx) {
        let signer = vtx.tx.signer;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_hash.insert(vtx.hash, signer);
        let queue = self.queues.entry(signer).or_default();
        if let Some(old_tail) = queue.back() {
            self.tails
                .remove(&(old_tail.tip(), Reverse(old_tail.seq), signer));
        }
        let entry = Entry { vtx, seq };
        self.tails.insert((entry.tip(), Reverse(seq), signer));
        queue.push_back(entry);
    }

    /// Makes room for a transaction of `signer` with `tip`, or refuses it.
    fn evict_for(&mut self, signer: &Address, tip: u128) -> Result<(), ApiError> {
        let victim = self
            .tails
            .iter()
            .find(|(_, _, account)| account != signer)
            .copied();
        match victim {
            Some((victim_tip, _, account)) if victim_tip < tip => {
                self.pop_back(&account);
                Ok(())
            }
            _ => Err(ApiError::new(
                codes::MEMPOOL_FULL,
                format!(
                    "the mempool holds {} transactions; a tip above the lowest evictable one is needed",
                    self.len()
                ),
            )),
        }
    }

    fn pop_back(&mut self, account: &Address) {
        let Some(queue) = self.queues.get_mut(account) else {
            return;
        };
        if let Some(last) = queue.pop_back() {
            self.tails
                .remove(&(last.tip(), Reverse(last.seq), *account));
            self.by_hash.remove(&last.vtx.hash);
        }
        match queue.back() {
            Some(new_tail) => {
                self.tails
                    .insert((new_tail.tip(), Reverse(new_tail.seq), *account));
            }
            None => {
                self.queues.remove(account);
            }
        }
    }

    /// Chooses up to `max` transactions for the next block: by tip, in nonce order per account
    /// (see the module docs). The mempool is unchanged; [`Mempool::on_commit`] removes what
    /// was committed.
    pub fn propose(&self, max: usize) -> Vec<VerifiedTx> {
        // Candidates: (tip, earlier arrival first, account, position in its queue).
        let mut heap: BinaryHeap<(u128, Reverse<u64>, Address, usize)> = self
            .queues
            .iter()
            .filter_map(|(a, q)| q.front().map(|e| (e.tip(), Reverse(e.seq), *a, 0)))
            .collect();
        let mut out = Vec::with_capacity(max.min(self.len()));
        while out.len() < max {
            let Some((_, _, account, i)) = heap.pop() else {
                break;
            };
            let Some(queue) = self.queues.get(&account) else {
                continue;
            };
            if let Some(e) = queue.get(i) {
                out.push(e.vtx.clone());
            }
            if let Some(next) = queue.get(i + 1) {
                heap.push((next.tip(), Reverse(next.seq), account, i + 1));
            }
        }
        out
    }

    /// Forgets what a committed block settled: each listed account's transactions below its
    /// new committed nonce, and every pending transaction of an account one of whose
    /// transactions was rejected at execution (the ones after it can no longer run in order).
    pub fn on_commit(&mut self, committed: &[(Address, u64)], rejected: &[Address]) {
        for (account, nonce) in committed {
            self.drop_below(account, *nonce);
        }
        for account in rejected {
            while self.queues.contains_key(account) {
                self.pop_back(account);
            }
        }
    }

    fn drop_below(&mut self, account: &Address, nonce: u64) {
        loop {
            let Some(queue) = self.queues.get_mut(account) else {
                return;
            };
            if queue.front().is_none_or(|e| e.nonce() >= nonce) {
                return;
            }
            if queue.len() == 1 {
                self.pop_back(account);
                return;
            }
            if let Some(first) = queue.pop_front() {
                self.by_hash.remove(&first.vtx.hash);
            }
        }
    }
}

fn nonce_error(signer: &Address, got: u64, committed: u64, expected: u64) -> ApiError {
    let why = if got < committed {
        format!("nonce {got} of {signer:#x} is already used (next committed nonce {committed})")
    } else if got < expected {
        format!("nonce {got} of {signer:#x} is already pending (next free nonce {expected})")
    } else {
        format!("nonce {got} of {signer:#x} leaves a gap: the next nonce is {expected}")
    };
    ApiError::new(codes::BAD_NONCE, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_api::UnsignedTx;

    fn key(i: u8) -> k256::ecdsa::SigningKey {
        k256::ecdsa::SigningKey::from_slice(&[i + 1; 32]).unwrap()
    }

    fn tx(account: u8, nonce: u64, tip: u128) -> VerifiedTx {
        let unsigned = UnsignedTx::from_action_json(
            &serde_json::json!({"tx": "transfer", "to": "0x0000000000000000000000000000000000000001", "asset": "RAM", "amount": "1"}),
            nonce,
            0,
            tip,
        )
        .unwrap();
        rampart_api::verify(unsigned.sign(&key(account), 1).unwrap(), 1).unwrap()
    }

    fn addr(account: u8) -> Address {
        Address::from_private_key(&key(account))
    }

    #[test]
    fn a_block_takes_the_highest_tips_in_nonce_order_per_account() {
        let mut m = Mempool::new(MempoolLimits::default());
        m.insert(tx(0, 0, 1), 0).unwrap();
        m.insert(tx(0, 1, 100), 0).unwrap();
        m.insert(tx(1, 0, 50), 0).unwrap();
        m.insert(tx(2, 5, 10), 5).unwrap();
        let order: Vec<(Address, u64)> = m
            .propose(10)
            .iter()
            .map(|v| (v.tx.signer, v.tx.nonce))
            .collect();
        assert_eq!(
            order,
            vec![(addr(1), 0), (addr(2), 5), (addr(0), 0), (addr(0), 1)]
        );
        assert_eq!(m.propose(2).len(), 2);
    }

    #[test]
    fn reused_and_gapped_nonces_are_refused() {
        let mut m = Mempool::new(MempoolLimits::default());
        assert_eq!(m.insert(tx(0, 0, 0), 1).unwrap_err().code, codes::BAD_NONCE);
        assert_eq!(m.insert(tx(0, 2, 0), 1).unwrap_err().code, codes::BAD_NONCE);
        m.insert(tx(0, 1, 0), 1).unwrap();
        assert_eq!(
            m.insert(tx(0, 1, 0), 1).unwrap_err().code,
            codes::ALREADY_KNOWN
        );
        assert_eq!(m.insert(tx(0, 1, 5), 1).unwrap_err().code, codes::BAD_NONCE);
        assert_eq!(m.next_nonce(&addr(0), 1), 2);
    }

    #[test]
    fn a_full_mempool_evicts_the_lowest_tip_tail_of_another_account() {
        let mut m = Mempool::new(MempoolLimits {
            max_txs: 3,
            max_per_account: 2,
            ..MempoolLimits::default()
        });
        m.insert(tx(0, 0, 5), 0).unwrap();
        m.insert(tx(0, 1, 1), 0).unwrap();
        m.insert(tx(1, 0, 3), 0).unwrap();
        assert_eq!(
            m.insert(tx(2, 0, 1), 0).unwrap_err().code,
            codes::MEMPOOL_FULL
        );
        assert_eq!(
            m.insert(tx(0, 2, 9), 0).unwrap_err().code,
            codes::ACCOUNT_QUEUE_FULL
        );
        m.insert(tx(2, 0, 2), 0).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m.next_nonce(&addr(0), 0), 1, "account 0's tail was evicted");
        m.insert(tx(3, 0, 4), 0).unwrap();
        assert_eq!(m.next_nonce(&addr(2), 0), 0, "then account 2's only tx");
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn commits_drop_settled_transactions_and_rejected_accounts() {
        let mut m = Mempool::new(MempoolLimits::default());
        for n in 0..3 {
            m.insert(tx(0, n, 0), 0).unwrap();
        }
        m.insert(tx(1, 0, 0), 0).unwrap();
        m.on_commit(&[(addr(0), 2)], &[addr(1)]);
        assert_eq!(m.len(), 1);
        assert_eq!(m.propose(10)[0].tx.nonce, 2);
        m.on_commit(&[(addr(0), 3)], &[]);
        assert!(m.is_empty());
        assert!(m.tails.is_empty() && m.queues.is_empty());
    }
}
