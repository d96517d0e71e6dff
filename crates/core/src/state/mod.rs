//! Typed state: one ordered map per table, an undo journal, and the canonical encoding.
//!
//! This module is the generic machinery only: the [`Table`] trait, the order-preserving key
//! encoding ([`KeyCodec`]), the journal, and the [`tables!`] macro a module declares its tables
//! with. Each table is declared by the module that owns its values (`bank`, `base/tables.rs`,
//! `restaking/tables.rs`, …; the chain's own `params`, `meta`, `timers` and `epoch_starts` in
//! [`meta`]), which gives it a stable one-byte id, a key type and a Borsh-encoded value. The full
//! list of tables (`crate::schema::TABLES`, and decoding with `State::from_entries`) is
//! assembled above the components, in the app layer's `crate::schema` (docs/architecture.md,
//! "Layers").
//!
//! Writes go through [`State::put`] and [`State::delete`], which record the old value in a
//! journal so that a failed transaction is rolled back exactly ([`State::rollback_to`]) and a
//! block's changed keys can be handed to storage ([`State::take_changes`]).
//! A write to a table with an [`Observer`] (registered by `crate::schema::OBSERVERS`) is shown to
//! it just before it is made: how a higher module keeps its tables in step with a lower one's
//! without the lower one calling it.
//!
//! # Invariants
//!
//! - State is only mutated through `put`/`delete`; the journal therefore holds every change since
//!   the last `take_changes`, and rolling back to a mark restores the exact maps.
//! - Maps are `BTreeMap`s: iteration order is key order, never insertion or hash order.
//! - One table per id: a second table type with a taken id is a bug (`crate::schema`'s tests
//!   check the ids are unique and pinned; a clash would panic on first use).

mod codec;
pub mod meta;

pub use codec::KeyCodec;
pub use meta::{EpochStarts, MetaTable, ParamsTable, Timers};

use std::any::Any;
use std::collections::BTreeMap;
use std::ops::RangeBounds;

/// A table: a typed, ordered map with a stable id in the state commitment. Declared with
/// [`tables!`].
pub trait Table: 'static {
    /// Stable one-byte prefix of this table's keys in the state commitment.
    const ID: u8;
    /// Name for diagnostics.
    const NAME: &'static str;
    /// Key type; its byte encoding preserves order.
    type Key: Ord + Clone + KeyCodec + std::fmt::Debug + Send + Sync + 'static;
    /// Value type, Borsh-encoded in the commitment.
    type Value: Clone
        + borsh::BorshSerialize
        + borsh::BorshDeserialize
        + std::fmt::Debug
        + Send
        + Sync
        + 'static;
}

/// Declares tables, each as `/// doc`, `ID name: TypeName(Key => Value)`: a unit struct
/// implementing [`Table`] with that id, name, key and value. Ids are versioned public API:
/// never reuse or renumber one (the state root and storage depend on them).
macro_rules! tables {
    ($( $(#[$doc:meta])* $id:literal $field:ident : $tbl:ident ($k:ty => $v:ty) ),* $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $tbl;

            impl $crate::state::Table for $tbl {
                const ID: u8 = $id;
                const NAME: &'static str = stringify!($field);
                type Key = $k;
                type Value = $v;
            }
        )*
    };
}
pub(crate) use tables;

/// One changed entry, encoded: the full key (table id first) and the new value (`None` when
/// deleted).
pub type EncodedChange = (Vec<u8>, Option<Vec<u8>>);

/// One table's entries and its share of the journal: the old value of each of its writes, oldest
/// first (the state's journal records which table each write went to).
struct Entries<T: Table> {
    map: BTreeMap<T::Key, T::Value>,
    undo: Vec<(T::Key, Option<T::Value>)>,
}

impl<T: Table> Default for Entries<T> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            undo: Vec::new(),
        }
    }
}

impl<T: Table> std::fmt::Debug for Entries<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(T::NAME)
            .field("map", &self.map)
            .field("undo", &self.undo)
            .finish()
    }
}

/// A table's entries with the table type erased, so that the state holds every table without
/// naming them (the types live in the components).
trait AnyEntries: Send + Sync + std::fmt::Debug {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_boxed(&self) -> Box<dyn AnyEntries>;
    /// Undoes this table's last journaled write.
    fn revert_last(&mut self);
    /// Moves this table's journaled keys, encoded, with their current encoded values into `out`.
    fn drain_changes(&mut self, out: &mut BTreeMap<Vec<u8>, Option<Vec<u8>>>);
    /// Forgets this table's share of the journal.
    fn clear_undo(&mut self);
    /// Appends every entry, encoded, in key order.
    fn encode_all(&self, out: &mut Vec<(Vec<u8>, Vec<u8>)>);
}

impl<T: Table> AnyEntries for Entries<T> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn clone_boxed(&self) -> Box<dyn AnyEntries> {
        Box::new(Self {
            map: self.map.clone(),
            undo: self.undo.clone(),
        })
    }

    fn revert_last(&mut self) {
        if let Some((key, old)) = self.undo.pop() {
            match old {
                Some(v) => {
                    self.map.insert(key, v);
                }
                None => {
                    self.map.remove(&key);
                }
            }
        }
    }

    fn drain_changes(&mut self, out: &mut BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        for (key, _) in std::mem::take(&mut self.undo) {
            let value = self.map.get(&key).map(encode_value::<T>);
            out.insert(encode_full_key::<T>(&key), value);
        }
    }

    fn clear_undo(&mut self) {
        self.undo.clear();
    }

    fn encode_all(&self, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
        for (k, v) in &self.map {
            out.push((encode_full_key::<T>(k), encode_value::<T>(v)));
        }
    }
}

impl Clone for Box<dyn AnyEntries> {
    fn clone(&self) -> Self {
        self.clone_boxed()
    }
}

/// Slots for every possible table id.
const SLOTS: usize = 256;

/// A function shown every write to one table just before it is made: the key, and the value
/// written (`None` for a delete), as `&dyn Any` of the table's key and value types. How a module
/// keeps its own tables in step with a lower layer's table without that layer naming it; the
/// app layer's `crate::schema::OBSERVERS` registers them (docs/architecture.md, "Layers").
pub type Observer = fn(&mut State, key: &dyn Any, value: Option<&dyn Any>);

/// The whole protocol state.
#[derive(Clone, Debug)]
pub struct State {
    /// Each table's entries at its id (`None` until first written).
    tables: Vec<Option<Box<dyn AnyEntries>>>,
    /// The table id of each write since the last `take_changes`, in order.
    journal: Vec<u8>,
    invariant_checks: bool,
    /// Per table id, the observer shown each of its writes first.
    observers: &'static [(u8, Observer)],
}

/// A point in the journal: [`State::rollback_to`] undoes every write made after it. Marks nest
/// (a block's mark, then each transaction's); a mark is valid until the next
/// [`State::take_changes`] or [`State::discard_journal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Mark(usize);

impl State {
    /// An empty state whose writes to a table listed in `observers` are shown to its observer
    /// first. `State::default()` (in `crate::schema`) is the empty state with the schema's
    /// observers: the one every state is built from.
    pub fn with_observers(observers: &'static [(u8, Observer)]) -> Self {
        Self {
            tables: (0..SLOTS).map(|_| None).collect(),
            journal: Vec::new(),
            invariant_checks: cfg!(debug_assertions),
            observers,
        }
    }

    /// Shows a write to `T` to `T`'s observers, before it is made.
    fn observe<T: Table>(&mut self, key: &T::Key, value: Option<&T::Value>) {
        let observers = self.observers;
        for (id, observer) in observers {
            if *id == T::ID {
                observer(self, key, value.map(|v| v as &dyn Any));
            }
        }
    }
}

/// A table type's entries in its slot. Two table types with one id are a bug of the schema
/// (`crate::schema`'s tests rule it out).
fn downcast<T: Table>(slot: &dyn AnyEntries) -> &Entries<T> {
    slot.as_any()
        .downcast_ref::<Entries<T>>()
        .unwrap_or_else(|| {
            panic!(
                "table id {} is taken by another table than {}",
                T::ID,
                T::NAME
            )
        })
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

    /// The table's map, if it was ever written.
    fn map<T: Table>(&self) -> Option<&BTreeMap<T::Key, T::Value>> {
        let slot = self.tables.get(usize::from(T::ID))?.as_deref()?;
        Some(&downcast::<T>(slot).map)
    }

    /// The table's entries, created empty on first use.
    fn entries_mut<T: Table>(&mut self) -> &mut Entries<T> {
        // `tables` has a slot for every u8.
        #[allow(clippy::indexing_slicing)]
        let slot = self.tables[usize::from(T::ID)]
            .get_or_insert_with(|| Box::new(Entries::<T>::default()));
        slot.as_any_mut()
            .downcast_mut::<Entries<T>>()
            .unwrap_or_else(|| {
                panic!(
                    "table id {} is taken by another table than {}",
                    T::ID,
                    T::NAME
                )
            })
    }

    /// The entry under `key`.
    pub fn get<T: Table>(&self, key: &T::Key) -> Option<&T::Value> {
        self.map::<T>()?.get(key)
    }

    /// The entry under a borrowed form of its key (a `&str` for a `String` key, say).
    pub fn lookup<T: Table, Q>(&self, key: &Q) -> Option<&T::Value>
    where
        T::Key: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map::<T>()?.get(key)
    }

    /// Whether `key` is present.
    pub fn contains<T: Table>(&self, key: &T::Key) -> bool {
        self.map::<T>().is_some_and(|m| m.contains_key(key))
    }

    /// Writes `value` under `key` (shown to the table's observers first).
    pub fn put<T: Table>(&mut self, key: T::Key, value: T::Value) {
        self.observe::<T>(&key, Some(&value));
        let entries = self.entries_mut::<T>();
        let old = entries.map.insert(key.clone(), value);
        entries.undo.push((key, old));
        self.journal.push(T::ID);
    }

    /// Removes `key`, returning its value (shown to the table's observers first, whether or not
    /// the key is present).
    pub fn delete<T: Table>(&mut self, key: &T::Key) -> Option<T::Value> {
        self.observe::<T>(key, None);
        if !self.contains::<T>(key) {
            return None;
        }
        let entries = self.entries_mut::<T>();
        let old = entries.map.remove(key);
        entries.undo.push((key.clone(), old.clone()));
        self.journal.push(T::ID);
        old
    }

    /// Entries with keys in `range`, in key order.
    pub fn range<T: Table, R: RangeBounds<T::Key>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = (&T::Key, &T::Value)> {
        self.map::<T>()
            .map(|m| m.range(range))
            .into_iter()
            .flatten()
    }

    /// All entries of a table, in key order.
    pub fn iter<T: Table>(&self) -> impl DoubleEndedIterator<Item = (&T::Key, &T::Value)> {
        self.map::<T>().map(BTreeMap::iter).into_iter().flatten()
    }

    /// Number of entries in a table.
    pub fn count<T: Table>(&self) -> usize {
        self.map::<T>().map_or(0, BTreeMap::len)
    }

    /// The current point in the journal.
    pub fn mark(&self) -> Mark {
        Mark(self.journal.len())
    }

    /// Undoes every write made since `mark`, restoring the exact maps of that moment.
    pub fn rollback_to(&mut self, mark: Mark) {
        while self.journal.len() > mark.0 {
            if let Some(id) = self.journal.pop()
                && let Some(Some(slot)) = self.tables.get_mut(usize::from(id))
            {
                slot.revert_last();
            }
        }
    }

    /// The keys written since the last call, with their current encoded values, each key once
    /// and in byte order. Storage commits exactly these.
    pub fn take_changes(&mut self) -> Vec<EncodedChange> {
        self.journal.clear();
        let mut changes = BTreeMap::new();
        for slot in self.tables.iter_mut().flatten() {
            slot.drain_changes(&mut changes);
        }
        changes.into_iter().collect()
    }

    /// Forgets the journal without collecting changes (benchmarks, scenario blocks whose changes
    /// are not persisted).
    pub fn discard_journal(&mut self) {
        self.journal.clear();
        for slot in self.tables.iter_mut().flatten() {
            slot.clear_undo();
        }
    }

    /// Every entry of the state, encoded, in byte order of the full key (tables by id, each in
    /// key order).
    pub fn encoded_entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for slot in self.tables.iter().flatten() {
            slot.encode_all(&mut out);
        }
        out
    }

    /// Inserts one encoded entry of table `T` (`rest` is the full key after the table id),
    /// unjournaled: how `State::from_entries` (in `crate::schema`, which knows every table)
    /// rebuilds a state.
    pub fn insert_encoded<T: Table>(
        &mut self,
        rest: &[u8],
        value: &[u8],
    ) -> Result<(), DecodeError> {
        let mut rest = rest;
        let key = <T::Key as KeyCodec>::decode_key(&mut rest).ok_or(DecodeError::Key(T::ID))?;
        if !rest.is_empty() {
            return Err(DecodeError::Key(T::ID));
        }
        let value = <T::Value as borsh::BorshDeserialize>::try_from_slice(value)
            .map_err(|_| DecodeError::Value(T::ID))?;
        self.entries_mut::<T>().map.insert(key, value);
        Ok(())
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
    use crate::ids::{Address, AssetId};
    use crate::num::Amount;

    tables! {
        /// A table of the tests alone: the machinery needs no component's table.
        250 test_balances: Balances((Address, AssetId) => Amount),
    }

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

    #[test]
    fn entries_come_back_through_insert_encoded() {
        let mut s = State::default();
        s.put::<Balances>((Address::repeat_byte(1), AssetId(0)), Amount::new(5));
        let entries = s.encoded_entries();
        let mut rebuilt = State::default();
        for (k, v) in &entries {
            assert_eq!(k[0], Balances::ID);
            rebuilt.insert_encoded::<Balances>(&k[1..], v).unwrap();
        }
        assert_eq!(rebuilt.encoded_entries(), entries);
        assert_eq!(
            rebuilt.mark(),
            State::default().mark(),
            "decoding is not journaled"
        );
        assert_eq!(
            rebuilt.insert_encoded::<Balances>(&[1], &[]),
            Err(DecodeError::Key(Balances::ID))
        );
    }

    tables! {
        /// How many writes the test observer saw (a second test table).
        251 test_seen: Seen(() => u64),
    }

    fn count_writes(state: &mut State, key: &dyn Any, value: Option<&dyn Any>) {
        let key = key.downcast_ref::<(Address, AssetId)>().unwrap();
        assert!(value.is_none_or(|v| v.downcast_ref::<Amount>().is_some()));
        // The write is not made yet: the test puts a new key, then deletes it.
        assert_eq!(state.contains::<Balances>(key), value.is_none());
        let seen = state.get::<Seen>(&()).copied().unwrap_or(0);
        state.put::<Seen>((), seen + 1);
    }

    #[test]
    fn observers_see_each_write_before_it_is_made_and_roll_back_with_it() {
        static OBSERVERS: &[(u8, Observer)] = &[(Balances::ID, count_writes)];
        let mut s = State::with_observers(OBSERVERS);
        let a = (Address::repeat_byte(1), AssetId(0));
        let mark = s.mark();
        s.put::<Balances>(a, Amount::new(5));
        assert_eq!(s.get::<Seen>(&()), Some(&1));
        s.delete::<Balances>(&a);
        assert_eq!(s.get::<Seen>(&()), Some(&2));
        s.rollback_to(mark);
        assert_eq!(s.encoded_entries(), Vec::new());
    }
}
