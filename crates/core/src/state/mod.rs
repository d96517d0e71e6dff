//! Typed state: one ordered map per table, an undo journal, and the canonical encoding.
//!
//! Every table is declared once in [`schema`] (`tables!`), which gives it a stable one-byte id,
//! a key type with an order-preserving byte encoding ([`KeyCodec`]) and a Borsh-encoded value.
//! Writes go through [`State::put`] and [`State::delete`], which record the old value in a
//! journal so that a failed transaction is rolled back exactly ([`State::rollback_tx`]) and a
//! block's changed keys can be handed to storage ([`State::take_changes`]).
//!
//! # Invariants
//!
//! - State is only mutated through `put`/`delete`; the journal therefore holds every change since
//!   the last `take_changes`, and rolling back to a transaction mark restores the exact maps.
//! - Maps are `BTreeMap`s: iteration order is key order, never insertion or hash order.

mod codec;
pub mod meta;
pub mod schema;

pub use codec::KeyCodec;
pub use schema::*;

use std::collections::BTreeMap;
use std::ops::RangeBounds;

/// A table: a typed, ordered map with a stable id in the state commitment.
pub trait Table: 'static {
    /// Stable one-byte prefix of this table's keys in the state commitment.
    const ID: u8;
    /// Name for diagnostics.
    const NAME: &'static str;
    /// Key type; its byte encoding preserves order.
    type Key: Ord + Clone + KeyCodec + std::fmt::Debug;
    /// Value type, Borsh-encoded in the commitment.
    type Value: Clone + borsh::BorshSerialize + borsh::BorshDeserialize + std::fmt::Debug;
    /// The table's map.
    fn map(t: &Tables) -> &BTreeMap<Self::Key, Self::Value>;
    /// The table's map, mutably.
    fn map_mut(t: &mut Tables) -> &mut BTreeMap<Self::Key, Self::Value>;
    /// A journal entry restoring `old` under `key`.
    fn undo(key: Self::Key, old: Option<Self::Value>) -> Undo;
}

/// One changed entry, encoded: the full key (table id first) and the new value (`None` when
/// deleted).
pub type EncodedChange = (Vec<u8>, Option<Vec<u8>>);

/// The whole protocol state.
#[derive(Clone, Debug)]
pub struct State {
    tables: Tables,
    journal: Vec<Undo>,
    invariant_checks: bool,
}

/// A point in the journal: [`State::rollback_to`] undoes every write made after it. Marks nest
/// (a block's mark, then each transaction's); a mark is valid until the next
/// [`State::take_changes`] or [`State::discard_journal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Mark(usize);

impl Default for State {
    fn default() -> Self {
        Self {
            tables: Tables::default(),
            journal: Vec::new(),
            invariant_checks: cfg!(debug_assertions),
        }
    }
}

impl State {
    /// Whether `execute_tx` asserts the invariants after every transaction (on by default in
    /// debug builds; harnesses that check and report themselves turn it off).
    pub fn invariant_checks(&self) -> bool {
        self.invariant_checks
    }

    /// Turns the per-transaction invariant assertion on or off.
    pub fn set_invariant_checks(&mut self, on: bool) {
        self.invariant_checks = on;
    }

    /// The entry under `key`.
    pub fn get<T: Table>(&self, key: &T::Key) -> Option<&T::Value> {
        T::map(&self.tables).get(key)
    }

    /// The entry under a borrowed form of its key (a `&str` for a `String` key, say).
    pub fn lookup<T: Table, Q>(&self, key: &Q) -> Option<&T::Value>
    where
        T::Key: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        T::map(&self.tables).get(key)
    }

    /// Whether `key` is present.
    pub fn contains<T: Table>(&self, key: &T::Key) -> bool {
        T::map(&self.tables).contains_key(key)
    }

    /// Writes `value` under `key`.
    pub fn put<T: Table>(&mut self, key: T::Key, value: T::Value) {
        let old = T::map_mut(&mut self.tables).insert(key.clone(), value);
        self.journal.push(T::undo(key, old));
    }

    /// Removes `key`, returning its value.
    pub fn delete<T: Table>(&mut self, key: &T::Key) -> Option<T::Value> {
        let old = T::map_mut(&mut self.tables).remove(key);
        if old.is_some() {
            self.journal.push(T::undo(key.clone(), old.clone()));
        }
        old
    }

    /// Entries with keys in `range`, in key order.
    pub fn range<T: Table, R: RangeBounds<T::Key>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = (&T::Key, &T::Value)> {
        T::map(&self.tables).range(range)
    }

    /// All entries of a table, in key order.
    pub fn iter<T: Table>(&self) -> impl DoubleEndedIterator<Item = (&T::Key, &T::Value)> {
        T::map(&self.tables).iter()
    }

    /// Number of entries in a table.
    pub fn count<T: Table>(&self) -> usize {
        T::map(&self.tables).len()
    }

    /// The current point in the journal.
    pub fn mark(&self) -> Mark {
        Mark(self.journal.len())
    }

    /// Undoes every write made since `mark`, restoring the exact maps of that moment.
    pub fn rollback_to(&mut self, mark: Mark) {
        while self.journal.len() > mark.0 {
            if let Some(undo) = self.journal.pop() {
                undo.revert(&mut self.tables);
            }
        }
    }

    /// The keys written since the last call, with their current encoded values, each key once
    /// and in byte order. Storage commits exactly these.
    pub fn take_changes(&mut self) -> Vec<EncodedChange> {
        let journal = std::mem::take(&mut self.journal);
        let mut keys: BTreeMap<Vec<u8>, &Undo> = BTreeMap::new();
        for undo in &journal {
            keys.insert(undo.encoded_key(), undo);
        }
        keys.into_iter()
            .map(|(key, undo)| {
                let value = undo.current_value(&self.tables);
                (key, value)
            })
            .collect()
    }

    /// Forgets the journal without collecting changes (benchmarks, scenario blocks whose changes
    /// are not persisted).
    pub fn discard_journal(&mut self) {
        self.journal.clear();
    }

    /// Every entry of the state, encoded, in byte order of the full key.
    pub fn encoded_entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        self.tables.encode_all(&mut out);
        out
    }
}

/// An encoded entry could not be decoded (storage corruption or a format change).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A key with no table id.
    #[error("empty key")]
    EmptyKey,
    /// No table has this id.
    #[error("unknown table id {0}")]
    UnknownTable(u8),
    /// The key does not parse for its table.
    #[error("malformed key in table {0}")]
    Key(u8),
    /// The value does not parse for its table.
    #[error("malformed value in table {0}")]
    Value(u8),
}

impl State {
    /// Rebuilds a state from its encoded entries (as from [`State::encoded_entries`] or
    /// storage). The journal starts empty.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<Self, DecodeError> {
        let mut state = Self::default();
        for (k, v) in entries {
            state.tables.insert_encoded(k, v)?;
        }
        Ok(state)
    }
}

/// Encodes a full key: the table id, then the key's bytes.
pub fn encode_full_key<T: Table>(key: &T::Key) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(T::ID);
    key.encode_key(&mut out);
    out
}

/// Encodes a value.
pub fn encode_value<T: Table>(value: &T::Value) -> Vec<u8> {
    // Borsh encoding into a Vec cannot fail.
    borsh::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Address;
    use crate::ids::AssetId;
    use crate::num::Amount;

    #[test]
    fn rollback_restores_exactly_the_state_at_each_nested_mark() {
        let mut s = State::default();
        let a = (Address::repeat_byte(1), AssetId(0));
        s.put::<Balances>(a, Amount::new(5));
        let before = s.encoded_entries();
        let outer = s.mark();
        s.put::<Balances>(a, Amount::new(7));
        let inner_before = s.encoded_entries();
        let inner = s.mark();
        s.put::<Balances>((Address::repeat_byte(2), AssetId(0)), Amount::new(1));
        s.delete::<Balances>(&a);
        s.rollback_to(inner);
        assert_eq!(s.encoded_entries(), inner_before);
        s.rollback_to(outer);
        assert_eq!(s.encoded_entries(), before);
    }

    #[test]
    fn a_state_rebuilt_from_its_entries_is_identical() {
        let mut s = State::default();
        s.put::<Balances>((Address::repeat_byte(1), AssetId(0)), Amount::new(5));
        s.put::<Balances>((Address::repeat_byte(2), AssetId(3)), Amount::new(7));
        let entries = s.encoded_entries();
        let rebuilt =
            State::from_entries(entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
        assert_eq!(rebuilt.encoded_entries(), entries);
        assert_eq!(
            State::from_entries([(&[200u8][..], &[][..])]).unwrap_err(),
            DecodeError::UnknownTable(200)
        );
        assert!(State::from_entries([(&[Balances::ID, 1][..], &[][..])]).is_err());
    }

    #[test]
    fn take_changes_reports_each_key_once_with_its_final_value() {
        let mut s = State::default();
        let a = (Address::repeat_byte(1), AssetId(0));
        s.put::<Balances>(a, Amount::new(5));
        s.put::<Balances>(a, Amount::new(6));
        let b = (Address::repeat_byte(2), AssetId(0));
        s.put::<Balances>(b, Amount::new(1));
        s.delete::<Balances>(&b);
        let changes = s.take_changes();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].1, Some(borsh::to_vec(&Amount::new(6)).unwrap()));
        assert_eq!(changes[1].1, None);
        assert!(s.take_changes().is_empty());
    }
}
