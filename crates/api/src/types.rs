//! Bodies of the HTTP API: blocks, receipts, status, proofs, streamed events.
//!
//! Hashes and roots are `0x` hex, amounts decimal strings, times unix seconds. Views of protocol
//! data (query results, events, action outcomes) are the core's JSON, passed through as is.

use crate::error::ApiError;
use crate::tx::{SignedTx, hex_decode, hex_encode};
use alloy_primitives::{Address, B256, keccak256};
use rampart_core::commitment::Proof;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A block's header as the API shows it and as its hash commits to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlockHeaderView {
    /// Height (the first block after genesis is 1).
    pub height: u64,
    /// Unix time.
    pub time: u64,
    /// Who proposed it (receives priority tips); none on the single-node dev chain.
    #[schema(value_type = Option<String>)]
    pub proposer: Option<Address>,
    /// The previous block's hash (zero for the first block).
    #[schema(value_type = String)]
    pub parent_hash: B256,
    /// `keccak256` of the concatenated transaction hashes, in block order.
    #[schema(value_type = String)]
    pub tx_root: B256,
    /// The state root after the block.
    #[schema(value_type = String)]
    pub state_root: B256,
    /// `keccak256(height ‖ time ‖ proposer ‖ parent_hash ‖ tx_root ‖ state_root)`.
    #[schema(value_type = String)]
    pub hash: B256,
}

impl BlockHeaderView {
    /// A header with its hash computed.
    pub fn new(
        height: u64,
        time: u64,
        proposer: Option<Address>,
        parent_hash: B256,
        tx_root: B256,
        state_root: B256,
    ) -> Self {
        let mut header = Self {
            height,
            time,
            proposer,
            parent_hash,
            tx_root,
            state_root,
            hash: B256::ZERO,
        };
        header.hash = header.compute_hash();
        header
    }

    /// The hash its fields give.
    pub fn compute_hash(&self) -> B256 {
        let mut buf = Vec::with_capacity(8 + 8 + 20 + 32 * 3);
        buf.extend_from_slice(&self.height.to_be_bytes());
        buf.extend_from_slice(&self.time.to_be_bytes());
        buf.extend_from_slice(self.proposer.unwrap_or(Address::ZERO).as_slice());
        buf.extend_from_slice(self.parent_hash.as_slice());
        buf.extend_from_slice(self.tx_root.as_slice());
        buf.extend_from_slice(self.state_root.as_slice());
        keccak256(buf)
    }
}

/// `keccak256` of the concatenated hashes.
pub fn tx_root(hashes: &[B256]) -> B256 {
    let mut buf = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        buf.extend_from_slice(h.as_slice());
    }
    keccak256(buf)
}

/// `POST /v1/simulate`: an action to run on the next block without a signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SimulateRequest {
    /// The account that would sign it.
    pub from: String,
    /// The action's name, as signed.
    pub action: String,
    /// Its arguments: the JSON text a wallet would sign (read as strictly as a signed one).
    pub args: String,
    /// The fee it would pay in RAM base units (default: the action's base fee).
    #[serde(default)]
    pub fee: Option<String>,
}

/// What an action would do on the next block, from `POST /v1/simulate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SimulationView {
    /// The height of the block it was run on (the head's plus one).
    pub height: u64,
    /// That block's time.
    pub time: u64,
    /// The nonce it would take (after the mempool's transactions of the same signer).
    pub nonce: u64,
    /// The fee it would pay, RAM base units, a decimal string.
    pub fee: String,
    /// Whether the action would succeed.
    pub ok: bool,
    /// What it would produce.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// Why it would fail: refused before execution (nonce, fee, balance) or by the action.
    pub error: Option<ApiError>,
    /// Its events (fee first), with asset ids as symbols.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
}

/// What a committed transaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptView {
    /// The transaction's id.
    #[schema(value_type = String)]
    pub hash: B256,
    /// The block it is in.
    pub height: u64,
    /// Its position in the block.
    pub index: u32,
    /// The signer.
    #[schema(value_type = String)]
    pub from: Address,
    /// The signer's nonce it consumed.
    pub nonce: u64,
    /// The action's name.
    pub action: String,
    /// Whether the action succeeded (a failed action still consumed its nonce and paid its fee).
    pub ok: bool,
    /// What the action produced when it succeeded.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// Why the action failed.
    pub error: Option<ApiError>,
    /// Its events (fee first), with asset ids as symbols.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
}

/// A block's transaction in a block view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TxSummary {
    /// The transaction's id.
    #[schema(value_type = String)]
    pub hash: B256,
    /// The signer.
    #[schema(value_type = String)]
    pub from: Address,
    /// The action's name.
    pub action: String,
    /// Whether the action succeeded.
    pub ok: bool,
}

/// A block as `GET /v1/blocks/{height}` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlockView {
    /// The header.
    pub header: BlockHeaderView,
    /// Its transactions, in order.
    pub txs: Vec<TxSummary>,
    /// Events of the block's start (delayed effects that came due).
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
}

/// A block with its signed transactions: what consensus agrees on and what a replay executes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlockBody {
    /// The header.
    pub header: BlockHeaderView,
    /// The signed transactions, in order.
    pub txs: Vec<SignedTx>,
}

/// The state of a submitted transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// Waiting in the mempool.
    Pending {
        /// The transaction's id.
        #[schema(value_type = String)]
        hash: B256,
    },
    /// In a committed block.
    Committed {
        /// Its receipt.
        receipt: Box<ReceiptView>,
    },
}

/// The answer to a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubmitResponse {
    /// The transaction's id (poll `GET /v1/tx/{hash}`).
    #[schema(value_type = String)]
    pub hash: B256,
}

/// One item of a batch submission's answer: a hash or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// Accepted into the mempool.
    Accepted {
        /// The transaction's id.
        #[schema(value_type = String)]
        hash: B256,
    },
    /// Rejected.
    Rejected {
        /// Why.
        error: ApiError,
    },
}

/// The chain's position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    /// EIP-712 chain id.
    pub chain_id: u64,
    /// Height of the last committed block.
    pub height: u64,
    /// Its time.
    pub time: u64,
    /// Its state root.
    #[schema(value_type = String)]
    pub state_root: B256,
    /// Its hash.
    #[schema(value_type = String)]
    pub block_hash: B256,
    /// Transactions waiting in the mempool.
    pub mempool: usize,
    /// The node's version.
    pub version: String,
    /// The last epoch whose start the chain processed.
    #[serde(default)]
    pub epoch: u64,
    /// Seconds per epoch.
    #[serde(default)]
    pub epoch_length_s: u64,
}

/// What exists on the chain: every validator, operator, service, operator set, reward program,
/// asset, strategy and vault (ids to pass to the per-entity queries), and the node's display
/// names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NetworkView {
    /// Height of the state listed.
    pub height: u64,
    /// Validators, by address.
    #[schema(value_type = Vec<String>)]
    pub validators: Vec<Address>,
    /// Operators, by address.
    #[schema(value_type = Vec<String>)]
    pub operators: Vec<Address>,
    /// Services, by address.
    #[schema(value_type = Vec<String>)]
    pub services: Vec<Address>,
    /// Operator sets, `"<service>/<set_id>"`.
    pub sets: Vec<String>,
    /// Reward program ids.
    pub reward_programs: Vec<u64>,
    /// Asset symbols.
    pub assets: Vec<String>,
    /// Strategy names.
    pub strategies: Vec<String>,
    /// Liquid restaking vaults, with their display names.
    #[serde(default)]
    pub vaults: Vec<VaultListing>,
    /// Display names of accounts (address → name), from the node's configuration; vaults'
    /// module accounts are named after their vault unless configured.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// A liquid restaking vault as `GET /v1/network` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VaultListing {
    /// Its LRT symbol: the `vault` of its actions and of the `vault` query.
    pub vault: String,
    /// Display name: the node's configured name for it (`vault_names`), else the LRT symbol.
    pub name: String,
    /// The asset it holds.
    pub asset: String,
    /// Its curator.
    #[schema(value_type = String)]
    pub curator: Address,
    /// Its module account: the staker its restaking positions belong to.
    #[schema(value_type = String)]
    pub account: Address,
}

/// A built-in stress scenario the node can run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StressExample {
    /// Its name (`GET /v1/risk/stress/{name}` runs it).
    pub name: String,
    /// What it shows.
    pub title: String,
}

/// An account's nonces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NonceView {
    /// The account.
    #[schema(value_type = String)]
    pub address: Address,
    /// The next nonce after its committed transactions.
    pub committed: u64,
    /// The nonce its next transaction should carry (after those pending in the mempool).
    pub next: u64,
}

/// One (key, leaf hash) of a proof's bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProofEntry {
    /// The encoded key, hex.
    pub key: String,
    /// Its leaf hash.
    #[schema(value_type = String)]
    pub leaf: B256,
}

/// A state proof in JSON form (see `rampart_core::commitment`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProofJson {
    /// Tree depth (bucket bits).
    pub depth: u8,
    /// The key's bucket.
    pub bucket: u32,
    /// Every entry of the bucket, in key order.
    pub entries: Vec<ProofEntry>,
    /// Sibling hashes from the bucket up to the root.
    #[schema(value_type = Vec<String>)]
    pub siblings: Vec<B256>,
}

impl From<&Proof> for ProofJson {
    fn from(p: &Proof) -> Self {
        Self {
            depth: p.depth,
            bucket: p.bucket,
            entries: p
                .entries
                .iter()
                .map(|(k, leaf)| ProofEntry {
                    key: hex_encode(k),
                    leaf: *leaf,
                })
                .collect(),
            siblings: p.siblings.clone(),
        }
    }
}

impl ProofJson {
    /// The core's proof, or `None` if a key is not hex.
    pub fn to_proof(&self) -> Option<Proof> {
        let entries = self
            .entries
            .iter()
            .map(|e| Some((hex_decode(&e.key)?, e.leaf)))
            .collect::<Option<Vec<_>>>()?;
        Some(Proof {
            depth: self.depth,
            bucket: self.bucket,
            entries,
            siblings: self.siblings.clone(),
        })
    }
}

/// A key's value (or absence) at a committed height, with its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProofView {
    /// The height whose state was proved.
    pub height: u64,
    /// That block's state root.
    #[schema(value_type = String)]
    pub state_root: B256,
    /// The encoded key (table id, then the key), hex.
    pub key: String,
    /// The encoded value (Borsh), hex; `null` proves absence.
    pub value: Option<String>,
    /// The proof.
    pub proof: ProofJson,
}

impl ProofView {
    /// Whether the proof shows `value` under `key` against `state_root` (offline; trust the
    /// root by checking it against a block header you trust).
    pub fn verify(&self) -> bool {
        let Some(key) = hex_decode(&self.key) else {
            return false;
        };
        let value = match &self.value {
            Some(v) => match hex_decode(v) {
                Some(v) => Some(v),
                None => return false,
            },
            None => None,
        };
        self.proof
            .to_proof()
            .is_some_and(|p| p.verify(&self.state_root, &key, value.as_deref()))
    }
}

/// A protocol event on the stream (`GET /v1/events`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StreamEvent {
    /// Its id, `"<height>:<index in the block>"`: the SSE `id:`, so a client reconnecting with
    /// `Last-Event-ID` resumes after it.
    #[serde(default)]
    pub id: String,
    /// The block.
    pub height: u64,
    /// The asset (or strategy) the event is about, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The transaction that emitted it; `null` for events of the block's start.
    #[schema(value_type = Option<String>)]
    pub tx: Option<B256>,
    /// The event, as in receipts.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthView {
    /// True while the node produces blocks; false once it has failed.
    pub ok: bool,
    /// Height of the last committed block.
    pub height: u64,
    /// Why the node failed (absent while it is healthy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::commitment::Commitment;

    #[test]
    fn a_proof_survives_its_json_form_and_verifies_offline() {
        let mut c = Commitment::new(4);
        c.set(b"alpha", Some(b"1"));
        c.set(b"beta", Some(b"2"));
        let root = c.root();
        let view = ProofView {
            height: 1,
            state_root: root,
            key: hex_encode(b"alpha"),
            value: Some(hex_encode(b"1")),
            proof: ProofJson::from(&c.prove(b"alpha")),
        };
        let json = serde_json::to_string(&view).unwrap();
        let back: ProofView = serde_json::from_str(&json).unwrap();
        assert!(back.verify());
        let lie = ProofView {
            value: Some(hex_encode(b"2")),
            ..back.clone()
        };
        assert!(!lie.verify());
        let absent = ProofView {
            key: hex_encode(b"gamma"),
            value: None,
            proof: ProofJson::from(&c.prove(b"gamma")),
            ..back
        };
        assert!(absent.verify());
    }

    #[test]
    fn a_header_hash_commits_to_every_field() {
        let h = BlockHeaderView::new(1, 2, None, B256::ZERO, tx_root(&[]), B256::ZERO);
        assert_eq!(h.hash, h.compute_hash());
        let other = BlockHeaderView::new(1, 3, None, B256::ZERO, tx_root(&[]), B256::ZERO);
        assert_ne!(h.hash, other.hash);
    }
}
