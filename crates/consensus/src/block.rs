//! The consensus block: what simplex orders and marshal stores, and its codec.
//!
//! A block carries what the finalized-block executor needs to run it through the node's
//! `Chain::execute` + `commit`, and nothing that needs execution to verify:
//!
//! - `parent`, `height`: the chain (marshal height = Rampart height; height 0 is the genesis
//!   anchor [`Block::genesis`]);
//! - `time`: unix seconds from the leader's clock, never before the parent's (followers take the
//!   block's time, never their own clock);
//! - `epoch`, `view`, `parent_view`: the consensus round it was proposed in, so the next block's
//!   parent certificate can be checked against it;
//! - `proposer`: the validator that owns the round's leader key (priority tips go to it);
//! - `checkpoint`: (height c, state root after c) of an already executed height,
//!   `height − MAX_CHECKPOINT_LAG ≤ c < height`: a validator whose own root at c differs refuses
//!   the block, and a finalized block whose checkpoint differs halts the node instead of letting
//!   it fork silently;
//! - `parent_certificate`: the parent's notarization (encoded ed25519 certificate), whose
//!   signers are the parent's voters: the committee members missing from it become the block's
//!   `missed` (downtime tracking). Absent for the first block and when the leader has none;
//! - `evidence`: equivocation evidence (pairs of core [`Vote`]s) for the core's double-sign path;
//! - `txs`: the node's signed transactions (JSON of `rampart_api::SignedTx`, as the HTTP API
//!   receives them), re-verified by every validator before it votes.
//!
//! The digest is SHA-256 of the canonical encoding; decoding refuses trailing bytes, unknown
//! vote kinds and anything over the limits below, so `decode ∘ encode = id`.

use alloy_primitives::{Address, B256, Bytes as ABytes};
use bytes::{Buf as _, BufMut, Bytes};
use commonware_codec::{Buf, EncodeSize, Error as CodecError, RangeCfg, Read, ReadExt, Write};
use commonware_cryptography::{Digestible, Hasher, Sha256, sha256};
use rampart_core::base::consensus::{ConsensusEvidence, Vote, VoteKind};

/// Most transactions in one block.
pub const MAX_BLOCK_TXS: usize = 20_000;
/// Largest encoded transaction.
pub const MAX_TX_BYTES: usize = 128 * 1024;
/// Most evidence items in one block.
pub const MAX_BLOCK_EVIDENCE: usize = 64;
/// Largest encoded parent certificate (an ed25519 certificate of up to 1,024 signers).
pub const MAX_CERTIFICATE_BYTES: usize = 80 * 1024;
/// Largest encoded block: what the p2p message limit must admit.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;
/// How far the checkpoint may trail the block.
pub const MAX_CHECKPOINT_LAG: u64 = 32;

/// The consensus digest (SHA-256).
pub type Digest = sha256::Digest;

/// A consensus block (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Digest of the parent block.
    pub parent: Digest,
    /// Height (the Rampart height it executes as).
    pub height: u64,
    /// Unix seconds.
    pub time: u64,
    /// Consensus epoch it was proposed in.
    pub epoch: u64,
    /// View it was proposed in.
    pub view: u64,
    /// View of the parent's proposal.
    pub parent_view: u64,
    /// The leader's validator.
    pub proposer: Address,
    /// An executed height and its state root.
    pub checkpoint: (u64, B256),
    /// The parent's notarization, encoded (empty: none).
    pub parent_certificate: Bytes,
    /// Equivocation evidence.
    pub evidence: Vec<ConsensusEvidence>,
    /// Signed transactions (JSON).
    pub txs: Vec<Bytes>,
}

impl Block {
    /// The height-0 anchor of chain `chain_id`: its parent is `sha256("rampart-genesis" ‖
    /// chain_id)`, everything else empty, at the genesis time.
    pub fn genesis(chain_id: u64, time: u64) -> Self {
        Self {
            parent: Sha256::hash(&[b"rampart-genesis", &chain_id.to_be_bytes()]),
            height: 0,
            time,
            epoch: 0,
            view: 0,
            parent_view: 0,
            proposer: Address::ZERO,
            checkpoint: (0, B256::ZERO),
            parent_certificate: Bytes::new(),
            evidence: Vec::new(),
            txs: Vec::new(),
        }
    }
}

fn kind_byte(kind: VoteKind) -> u8 {
    match kind {
        VoteKind::Notarize => 0,
        VoteKind::Nullify => 1,
        VoteKind::Finalize => 2,
    }
}

fn write_vote(v: &Vote, buf: &mut impl BufMut) {
    kind_byte(v.kind).write(buf);
    v.epoch.write(buf);
    v.view.write(buf);
    v.parent.write(buf);
    v.payload.0.write(buf);
    v.signer.write(buf);
    let mut sig = [0u8; 64];
    if v.signature.len() == 64 {
        sig.copy_from_slice(&v.signature);
    }
    sig.write(buf);
}

const VOTE_SIZE: usize = 1 + 8 + 8 + 8 + 32 + 4 + 64;

fn read_vote(buf: &mut impl Buf) -> Result<Vote, CodecError> {
    let kind = match u8::read(buf)? {
        0 => VoteKind::Notarize,
        1 => VoteKind::Nullify,
        2 => VoteKind::Finalize,
        _ => return Err(CodecError::Invalid("rampart::Vote", "unknown vote kind")),
    };
    let epoch = u64::read(buf)?;
    let view = u64::read(buf)?;
    let parent = u64::read(buf)?;
    let payload = B256::from(<[u8; 32]>::read(buf)?);
    let signer = u32::read(buf)?;
    let sig = <[u8; 64]>::read(buf)?;
    Ok(Vote {
        kind,
        epoch,
        view,
        parent,
        payload,
        signer,
        signature: ABytes::copy_from_slice(&sig),
    })
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        self.parent.write(buf);
        self.height.write(buf);
        self.time.write(buf);
        self.epoch.write(buf);
        self.view.write(buf);
        self.parent_view.write(buf);
        self.proposer.0.0.write(buf);
        self.checkpoint.0.write(buf);
        self.checkpoint.1.0.write(buf);
        self.parent_certificate.write(buf);
        self.evidence.len().write(buf);
        for e in &self.evidence {
            write_vote(&e.first, buf);
            write_vote(&e.second, buf);
        }
        self.txs.write(buf);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        self.parent.encode_size()
            + 8 * 6
            + 20
            + 32
            + self.parent_certificate.encode_size()
            + self.evidence.len().encode_size()
            + self.evidence.len() * 2 * VOTE_SIZE
            + self.txs.encode_size()
    }
}

impl Read for Block {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let parent = Digest::read(buf)?;
        let height = u64::read(buf)?;
        let time = u64::read(buf)?;
        let epoch = u64::read(buf)?;
        let view = u64::read(buf)?;
        let parent_view = u64::read(buf)?;
        let proposer = Address::from(<[u8; 20]>::read(buf)?);
        let checkpoint = (u64::read(buf)?, B256::from(<[u8; 32]>::read(buf)?));
        let parent_certificate = Bytes::read_cfg(buf, &RangeCfg::from(..=MAX_CERTIFICATE_BYTES))?;
        let n = usize::read_cfg(buf, &RangeCfg::from(..=MAX_BLOCK_EVIDENCE))?;
        let mut evidence = Vec::with_capacity(n);
        for _ in 0..n {
            let first = read_vote(buf)?;
            let second = read_vote(buf)?;
            evidence.push(ConsensusEvidence { first, second });
        }
        let txs = Vec::<Bytes>::read_cfg(
            buf,
            &(
                RangeCfg::from(..=MAX_BLOCK_TXS),
                RangeCfg::from(..=MAX_TX_BYTES),
            ),
        )?;
        Ok(Self {
            parent,
            height,
            time,
            epoch,
            view,
            parent_view,
            proposer,
            checkpoint,
            parent_certificate,
            evidence,
            txs,
        })
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        let mut bytes = Vec::with_capacity(self.encode_size());
        self.write(&mut bytes);
        Sha256::hash(&[&bytes])
    }
}

impl commonware_consensus::Heightable for Block {
    fn height(&self) -> commonware_consensus::types::Height {
        commonware_consensus::types::Height::new(self.height)
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        self.parent
    }
}

/// Decodes a whole block (no trailing bytes).
pub fn decode(bytes: &[u8]) -> Result<Block, CodecError> {
    let mut buf = bytes::Bytes::copy_from_slice(bytes);
    let block = Block::read_cfg(&mut buf, &())?;
    if buf.has_remaining() {
        return Err(CodecError::ExtraData(buf.remaining()));
    }
    Ok(block)
}

/// Encodes a block.
pub fn encode(block: &Block) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.encode_size());
    block.write(&mut out);
    out
}
