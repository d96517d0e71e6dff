//! The state commitment: one 32-byte root over every entry of the state, with inclusion and
//! exclusion proofs.
//!
//! # Construction
//!
//! Each entry (encoded full key `k`, encoded value `v`) is a leaf
//! `L = keccak256(0x00 ‖ len(k) as u32 BE ‖ k ‖ v)`. Entries fall into `2^depth` buckets by the
//! first `depth` bits of `keccak256(k)`; a bucket's hash is `keccak256(0x02 ‖ L₁ ‖ L₂ ‖ …)` over
//! its leaves in key order, or 32 zero bytes when empty. A binary Merkle tree of depth `depth`
//! sits over the buckets: `node = keccak256(0x01 ‖ left ‖ right)`, except that a node with two
//! zero children is zero. The root is the tree's top node. Domain tags keep leaves, buckets and
//! nodes apart.
//!
//! An update re-hashes one bucket (a few dozen leaf hashes) and `depth` nodes, so a block's
//! commitment costs O(changed keys · (bucket size + depth)) hashes; a proof is the bucket's
//! keys and leaf hashes plus `depth` sibling hashes, and proves presence with a value or absence.
//! See `docs/architecture.md` for why this and not a Jellyfish Merkle tree.

use alloy_primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bucket bits used by the chain (65,536 buckets).
pub const DEFAULT_DEPTH: u8 = 16;
const ZERO: B256 = B256::ZERO;
/// The deepest tree a commitment builds or a proof may claim.
pub const MAX_DEPTH: u8 = 24;

/// The hash of one entry.
pub fn leaf_hash(key: &[u8], value: &[u8]) -> B256 {
    let mut buf = Vec::with_capacity(5 + key.len() + value.len());
    buf.push(0x00);
    // Keys are state keys (a few dozen bytes); a length beyond u32 saturates.
    buf.extend_from_slice(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
    buf.extend_from_slice(key);
    buf.extend_from_slice(value);
    keccak256(&buf)
}

fn node_hash(left: &B256, right: &B256) -> B256 {
    if *left == ZERO && *right == ZERO {
        return ZERO;
    }
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left.as_slice());
    buf[33..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

fn bucket_hash<'a>(leaves: impl Iterator<Item = &'a B256>) -> B256 {
    let mut buf = vec![0x02];
    for l in leaves {
        buf.extend_from_slice(l.as_slice());
    }
    if buf.len() == 1 {
        ZERO
    } else {
        keccak256(&buf)
    }
}

fn bucket_of(key: &[u8], depth: u8) -> usize {
    let h = keccak256(key);
    let top = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    if depth == 0 {
        0
    } else {
        (top >> (32 - u32::from(depth))) as usize
    }
}

/// The commitment over a state, updated incrementally.
#[derive(Clone, Debug)]
pub struct Commitment {
    depth: u8,
    /// Per bucket: key → leaf hash.
    buckets: Vec<BTreeMap<Vec<u8>, B256>>,
    /// Heap-ordered tree: `nodes[1]` is the root, `nodes[2^depth + i]` is bucket `i`.
    nodes: Vec<B256>,
    /// Buckets changed since the last `root`.
    dirty: Vec<usize>,
}

impl Commitment {
    /// An empty commitment with `2^depth` buckets (`depth` ≤ 24).
    pub fn new(depth: u8) -> Self {
        let depth = depth.min(MAX_DEPTH);
        let n = 1usize << depth;
        Self {
            depth,
            buckets: vec![BTreeMap::new(); n],
            nodes: vec![ZERO; 2 * n],
            dirty: Vec::new(),
        }
    }

    /// A commitment over `entries`.
    pub fn from_entries<'a>(
        depth: u8,
        entries: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Self {
        let mut c = Self::new(depth);
        for (k, v) in entries {
            c.set(k, Some(v));
        }
        c
    }

    /// Sets (`Some`) or removes (`None`) an entry.
    pub fn set(&mut self, key: &[u8], value: Option<&[u8]>) {
        let b = bucket_of(key, self.depth);
        match value {
            Some(v) => {
                self.buckets[b].insert(key.to_vec(), leaf_hash(key, v));
            }
            None => {
                self.buckets[b].remove(key);
            }
        }
        self.dirty.push(b);
    }

    /// Applies a block's changes (as from `State::take_changes`).
    pub fn apply(&mut self, changes: &[(Vec<u8>, Option<Vec<u8>>)]) {
        for (k, v) in changes {
            self.set(k, v.as_deref());
        }
    }

    /// The root, after re-hashing what changed.
    pub fn root(&mut self) -> B256 {
        let n = 1usize << self.depth;
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        let mut level: Vec<usize> = dirty
            .into_iter()
            .map(|b| {
                self.nodes[n + b] = bucket_hash(self.buckets[b].values());
                (n + b) / 2
            })
            .collect();
        while !level.is_empty() && level[0] >= 1 {
            level.dedup();
            for &i in &level {
                self.nodes[i] = node_hash(&self.nodes[2 * i], &self.nodes[2 * i + 1]);
            }
            if level[0] == 1 {
                break;
            }
            level = level.iter().map(|i| i / 2).collect();
        }
        self.nodes[1]
    }

    /// A proof for `key` (present or absent) against the current root.
    pub fn prove(&mut self, key: &[u8]) -> Proof {
        self.root();
        let n = 1usize << self.depth;
        let b = bucket_of(key, self.depth);
        let mut siblings = Vec::with_capacity(self.depth as usize);
        let mut i = n + b;
        while i > 1 {
            siblings.push(self.nodes[i ^ 1]);
            i /= 2;
        }
        Proof {
            depth: self.depth,
            bucket: b as u32,
            entries: self.buckets[b]
                .iter()
                .map(|(k, l)| (k.clone(), *l))
                .collect(),
            siblings,
        }
    }

    /// Number of entries committed.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(BTreeMap::len).sum()
    }

    /// Whether nothing is committed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A proof that a key holds a value, or nothing, under a root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proof {
    /// Tree depth.
    pub depth: u8,
    /// The key's bucket.
    pub bucket: u32,
    /// Every (key, leaf hash) in the bucket, in key order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<(Vec<u8>, String)>))]
    pub entries: Vec<(Vec<u8>, B256)>,
    /// Sibling hashes from the bucket up to the root.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub siblings: Vec<B256>,
}

impl Proof {
    /// Whether this proves that `key` holds `value` (`None`: is absent) under `root`.
    pub fn verify(&self, root: &B256, key: &[u8], value: Option<&[u8]>) -> bool {
        if self.depth > MAX_DEPTH
            || self.siblings.len() != self.depth as usize
            || bucket_of(key, self.depth) != self.bucket as usize
        {
            return false;
        }
        if !self.entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return false;
        }
        if self
            .entries
            .iter()
            .any(|(k, _)| bucket_of(k, self.depth) != self.bucket as usize)
        {
            return false;
        }
        let found = self.entries.iter().find(|(k, _)| k.as_slice() == key);
        match (found, value) {
            (Some((_, leaf)), Some(v)) if *leaf == leaf_hash(key, v) => {}
            (None, None) => {}
            _ => return false,
        }
        let mut h = bucket_hash(self.entries.iter().map(|(_, l)| l));
        let mut i = (1usize << self.depth) + self.bucket as usize;
        for s in &self.siblings {
            h = if i.is_multiple_of(2) {
                node_hash(&h, s)
            } else {
                node_hash(s, &h)
            };
            i /= 2;
        }
        h == *root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_empty_state_has_a_zero_root() {
        assert_eq!(Commitment::new(8).root(), B256::ZERO);
    }

    #[test]
    fn proofs_show_presence_and_absence_and_reject_lies() {
        let mut c = Commitment::new(4);
        for i in 0u32..50 {
            c.set(&i.to_be_bytes(), Some(&[i as u8; 3]));
        }
        let root = c.root();
        let p = c.prove(&7u32.to_be_bytes());
        assert!(p.verify(&root, &7u32.to_be_bytes(), Some(&[7; 3])));
        assert!(!p.verify(&root, &7u32.to_be_bytes(), Some(&[8; 3])));
        assert!(!p.verify(&root, &7u32.to_be_bytes(), None));
        let absent = c.prove(&999u32.to_be_bytes());
        assert!(absent.verify(&root, &999u32.to_be_bytes(), None));
        assert!(!absent.verify(&root, &999u32.to_be_bytes(), Some(b"x")));
        let mut forged = p.clone();
        forged.siblings[0] = B256::repeat_byte(1);
        assert!(!forged.verify(&root, &7u32.to_be_bytes(), Some(&[7; 3])));
    }

    #[test]
    fn a_proof_claiming_an_impossible_depth_is_refused_not_a_panic() {
        let mut c = Commitment::new(4);
        c.set(b"k", Some(b"v"));
        let root = c.root();
        for depth in [MAX_DEPTH + 1, 33, 40, u8::MAX] {
            let mut p = c.prove(b"k");
            p.depth = depth;
            p.siblings = vec![B256::ZERO; usize::from(depth)];
            assert!(!p.verify(&root, b"k", Some(b"v")));
        }
    }

    proptest! {
        #[test]
        fn the_root_depends_only_on_the_final_entries(
            ops in proptest::collection::vec((0u16..64, proptest::option::of(any::<u8>())), 0..200),
        ) {
            let mut incremental = Commitment::new(6);
            let mut model = BTreeMap::new();
            for (i, (k, v)) in ops.iter().enumerate() {
                let key = k.to_be_bytes();
                incremental.set(&key, v.map(|b| [b]).as_ref().map(|x| &x[..]));
                match v {
                    Some(b) => { model.insert(key.to_vec(), vec![*b]); }
                    None => { model.remove(key.as_slice()); }
                }
                if i % 17 == 0 {
                    incremental.root();
                }
            }
            let mut fresh = Commitment::from_entries(6, model.iter().map(|(k, v)| (k.as_slice(), v.as_slice())));
            prop_assert_eq!(incremental.root(), fresh.root());
        }
    }
}
