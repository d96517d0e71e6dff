//! Rampart's embedded storage: one redb file, one ACID write transaction per block.
//!
//! # Tables
//!
//! | table | key | value |
//! |---|---|---|
//! | `state` | encoded full key (table id first) | Borsh value: the core's encoded entries, mirrored |
//! | `blocks` | height (`u64`) | JSON [`StoredBlock`]: header, signed transactions, block events |
//! | `receipts` | transaction hash (32 bytes) | JSON [`ReceiptView`] |
//! | `meta` | name | `genesis` (JSON), `head` (the last committed header, JSON) |
//!
//! # Invariants
//!
//! - [`Store::commit`] writes a block's state changes, the block, its receipts and the new head
//!   in one write transaction with immediate durability: after a crash the file holds every
//!   block up to some committed head and nothing of the next one.
//! - The `state` table equals the in-memory state after the head block, so a restart rebuilds
//!   the state ([`Store::load_state`]) and its commitment, and checks the root against the head.
//! - Height 0 is genesis: [`Store::init`] writes the genesis state and a header with its root.

use alloy_primitives::B256;
use rampart_api::tx::SignedTx;
use rampart_api::types::{BlockHeaderView, ReceiptView, TxSummary};
use rampart_core::Genesis;
use rampart_core::state::EncodedChange;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::Path;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const GENESIS_KEY: &str = "genesis";
const HEAD_KEY: &str = "head";

/// A storage failure. The node stops producing blocks on any of these.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// redb failed (I/O, corruption it detected, a full disk).
    #[error("database: {0}")]
    Db(String),
    /// A stored record does not decode.
    #[error("corrupt record {what}: {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        reason: String,
    },
    /// The store was used before [`Store::init`].
    #[error("the store holds no chain; initialise it from a genesis first")]
    Uninitialised,
    /// A commit did not follow the head.
    #[error("block {got} does not follow the head {head}")]
    OutOfOrder {
        /// The head's height.
        head: u64,
        /// The block's height.
        got: u64,
    },
}

impl StorageError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        "internal"
    }
}

macro_rules! db_error {
    ($($t:ty),*) => {
        $(impl From<$t> for StorageError {
            fn from(e: $t) -> Self {
                Self::Db(e.to_string())
            }
        })*
    };
}
db_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// Result alias for storage.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A transaction of a stored block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTx {
    /// Its id.
    pub hash: B256,
    /// Whether its action succeeded.
    pub ok: bool,
    /// What the client sent.
    pub signed: SignedTx,
}

/// A committed block as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBlock {
    /// The header.
    pub header: BlockHeaderView,
    /// Its transactions, in execution order.
    pub txs: Vec<StoredTx>,
    /// Events of the block's start.
    pub events: serde_json::Value,
    /// Active validators that did not sign the block's parent (BFT consensus only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<alloy_primitives::Address>,
    /// Equivocation evidence the block carried (BFT consensus only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<rampart_core::base::ConsensusEvidence>,
}

impl StoredBlock {
    /// The block's transactions as summaries.
    pub fn summaries(&self) -> Vec<TxSummary> {
        self.txs
            .iter()
            .map(|t| TxSummary {
                hash: t.hash,
                from: t.signed.from,
                action: t.signed.action.clone(),
                ok: t.ok,
            })
            .collect()
    }
}

/// Everything one block writes.
#[derive(Debug)]
pub struct BlockCommit<'a> {
    /// The block.
    pub block: &'a StoredBlock,
    /// Its receipts, in order.
    pub receipts: &'a [ReceiptView],
    /// The state's changed keys (`State::take_changes`).
    pub changes: &'a [EncodedChange],
}

/// The node's database.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)?;
        let store = Self { db };
        store.ensure_tables()?;
        Ok(store)
    }

    /// A database in memory (replays and tests; nothing is durable).
    pub fn open_in_memory() -> Result<Self> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        let store = Self { db };
        store.ensure_tables()?;
        Ok(store)
    }

    fn ensure_tables(&self) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(STATE)?;
        txn.open_table(BLOCKS)?;
        txn.open_table(RECEIPTS)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(())
    }

    /// Whether the store holds a chain.
    pub fn is_initialised(&self) -> Result<bool> {
        Ok(self.meta(GENESIS_KEY)?.is_some())
    }

    /// Writes the genesis, its state and the height-0 header, atomically.
    pub fn init(
        &self,
        genesis: &Genesis,
        entries: &[(Vec<u8>, Vec<u8>)],
        header: &BlockHeaderView,
    ) -> Result<()> {
        let genesis_json = to_json("genesis", genesis)?;
        let head_json = to_json("head", header)?;
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut state = txn.open_table(STATE)?;
            for (k, v) in entries {
                state.insert(k.as_slice(), v.as_slice())?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(GENESIS_KEY, genesis_json.as_slice())?;
            meta.insert(HEAD_KEY, head_json.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The genesis the chain started from.
    pub fn genesis(&self) -> Result<Genesis> {
        let bytes = self.meta(GENESIS_KEY)?.ok_or(StorageError::Uninitialised)?;
        from_json("genesis", &bytes)
    }

    /// The last committed header (height 0: genesis).
    pub fn head(&self) -> Result<BlockHeaderView> {
        let bytes = self.meta(HEAD_KEY)?.ok_or(StorageError::Uninitialised)?;
        from_json("head", &bytes)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    /// Commits one block atomically: state changes, the block, its receipts, the new head.
    pub fn commit(&self, commit: &BlockCommit<'_>) -> Result<()> {
        let head = self.head()?;
        let height = commit.block.header.height;
        if height != head.height + 1 {
            return Err(StorageError::OutOfOrder {
                head: head.height,
                got: height,
            });
        }
        let block_json = to_json("block", commit.block)?;
        let head_json = to_json("head", &commit.block.header)?;
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut state = txn.open_table(STATE)?;
            for (k, v) in commit.changes {
                match v {
                    Some(v) => state.insert(k.as_slice(), v.as_slice())?,
                    None => state.remove(k.as_slice())?,
                };
            }
            let mut receipts = txn.open_table(RECEIPTS)?;
            let mut buf = Vec::with_capacity(512);
            for r in commit.receipts {
                buf.clear();
                serde_json::to_writer(&mut buf, r).map_err(|e| corrupt("receipt", &e))?;
                receipts.insert(r.hash.as_slice(), buf.as_slice())?;
            }
            txn.open_table(BLOCKS)?
                .insert(height, block_json.as_slice())?;
            txn.open_table(META)?
                .insert(HEAD_KEY, head_json.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Every state entry, in key order (for `State::from_entries` and the commitment).
    pub fn load_state(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(STATE)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (k, v) = item?;
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The committed value of one encoded state key.
    pub fn state_value(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(STATE)?;
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<StoredBlock>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let Some(bytes) = table.get(height)? else {
            return Ok(None);
        };
        from_json(&format!("block {height}"), bytes.value()).map(Some)
    }

    /// The receipt of the transaction `hash`.
    pub fn receipt(&self, hash: &B256) -> Result<Option<ReceiptView>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECEIPTS)?;
        let Some(bytes) = table.get(hash.as_slice())? else {
            return Ok(None);
        };
        from_json(&format!("receipt {hash:#x}"), bytes.value()).map(Some)
    }
}

fn to_json<T: Serialize>(what: &str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| corrupt(what, &e))
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(what, &e))
}

fn corrupt(what: &str, e: &dyn std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_api::types::tx_root;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rampart-storage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("chain.redb")
    }

    fn header(height: u64, root: u8) -> BlockHeaderView {
        BlockHeaderView::new(
            height,
            100 + height,
            None,
            B256::ZERO,
            tx_root(&[]),
            B256::repeat_byte(root),
        )
    }

    #[test]
    fn committed_blocks_and_state_survive_reopening() {
        let path = temp("reopen");
        {
            let store = Store::open(&path).unwrap();
            assert!(!store.is_initialised().unwrap());
            store
                .init(
                    &Genesis::default(),
                    &[
                        (b"a".to_vec(), b"1".to_vec()),
                        (b"b".to_vec(), b"2".to_vec()),
                    ],
                    &header(0, 0),
                )
                .unwrap();
            let block = StoredBlock {
                header: header(1, 1),
                txs: vec![],
                events: serde_json::json!([]),
                missed: vec![],
                evidence: vec![],
            };
            let changes = vec![(b"a".to_vec(), None), (b"c".to_vec(), Some(b"3".to_vec()))];
            store
                .commit(&BlockCommit {
                    block: &block,
                    receipts: &[],
                    changes: &changes,
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.head().unwrap().height, 1);
        assert_eq!(
            store.load_state().unwrap(),
            vec![
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        assert_eq!(store.block(1).unwrap().unwrap().header, header(1, 1));
        assert!(store.block(2).unwrap().is_none());
        assert!(store.receipt(&B256::ZERO).unwrap().is_none());
    }

    #[test]
    fn a_block_that_does_not_follow_the_head_is_refused() {
        let path = temp("order");
        let store = Store::open(&path).unwrap();
        store.init(&Genesis::default(), &[], &header(0, 0)).unwrap();
        let block = StoredBlock {
            header: header(2, 1),
            txs: vec![],
            events: serde_json::json!([]),
            missed: vec![],
            evidence: vec![],
        };
        let err = store
            .commit(&BlockCommit {
                block: &block,
                receipts: &[],
                changes: &[],
            })
            .unwrap_err();
        assert!(matches!(err, StorageError::OutOfOrder { head: 0, got: 2 }));
    }
}
