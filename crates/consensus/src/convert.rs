//! Commonware keys, votes and certificates ↔ the core's types.

use alloy_primitives::{B256, Bytes};
use commonware_codec::{EncodeSize, Read, ReadExt, Write};
use commonware_consensus::simplex::types::{
    ConflictingFinalize, ConflictingNotarize, Finalize, Notarize, Nullify, NullifyFinalize,
    Proposal,
};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_utils::ordered::Set;
use rampart_core::base::consensus::{Committee, ConsensusEvidence, Vote, VoteKind};

use crate::block::Digest;

/// The simplex signing scheme: ed25519, attributable.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// Bytes of a codec value.
pub fn to_vec<T: Write + EncodeSize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.encode_size());
    value.write(&mut out);
    out
}

/// A Commonware ed25519 public key from the core's 32 bytes (`None`: not a valid point).
pub fn public_key(key: &B256) -> Option<ed25519::PublicKey> {
    let mut buf = bytes::Bytes::copy_from_slice(key.as_slice());
    ed25519::PublicKey::read(&mut buf).ok()
}

/// The core's 32 bytes of a Commonware ed25519 public key.
pub fn key_bytes(key: &ed25519::PublicKey) -> B256 {
    let bytes = to_vec(key);
    B256::from_slice(&bytes)
}

/// The ed25519 private key of a 32-byte seed (the core's `dev_consensus_seed`, or a key file).
/// Every 32-byte seed is a key; `None` is not reached in practice.
pub fn private_key(seed: [u8; 32]) -> Option<ed25519::PrivateKey> {
    let mut buf = bytes::Bytes::copy_from_slice(&seed);
    ed25519::PrivateKey::read(&mut buf).ok()
}

/// The public key of a seed, as the core stores it.
pub fn public_of_seed(seed: [u8; 32]) -> Option<B256> {
    private_key(seed).map(|k| key_bytes(&k.public_key()))
}

/// A committee's keys as Commonware's ordered participant set, if every key is valid and the
/// set's order is the committee's (the signer index must mean the same seat in both).
pub fn participants(committee: &Committee) -> Option<Set<ed25519::PublicKey>> {
    let keys: Vec<ed25519::PublicKey> = committee
        .members
        .iter()
        .map(|m| public_key(&m.key))
        .collect::<Option<_>>()?;
    let set = Set::try_from(keys.clone()).ok()?;
    let same_order = set.iter().zip(&keys).all(|(a, b)| a == b) && set.len() == keys.len();
    same_order.then_some(set)
}

fn signature_bytes<S: Write + EncodeSize>(sig: &S) -> Bytes {
    Bytes::from(to_vec(sig))
}

fn proposal_vote(kind: VoteKind, p: &Proposal<Digest>, signer: u32, signature: Bytes) -> Vote {
    Vote {
        kind,
        epoch: p.round.epoch().get(),
        view: p.round.view().get(),
        parent: p.parent.get(),
        payload: B256::from_slice(p.payload.as_ref()),
        signer,
        signature,
    }
}

/// A notarize vote as the core's [`Vote`].
pub fn notarize_vote(n: &Notarize<Scheme, Digest>) -> Vote {
    proposal_vote(
        VoteKind::Notarize,
        &n.proposal,
        n.attestation.signer.get(),
        signature_bytes(&n.attestation.signature),
    )
}

/// A finalize vote as the core's [`Vote`].
pub fn finalize_vote(f: &Finalize<Scheme, Digest>) -> Vote {
    proposal_vote(
        VoteKind::Finalize,
        &f.proposal,
        f.attestation.signer.get(),
        signature_bytes(&f.attestation.signature),
    )
}

/// A nullify vote as the core's [`Vote`].
pub fn nullify_vote(n: &Nullify<Scheme>) -> Vote {
    Vote {
        kind: VoteKind::Nullify,
        epoch: n.round.epoch().get(),
        view: n.round.view().get(),
        parent: 0,
        payload: B256::ZERO,
        signer: n.attestation.signer.get(),
        signature: signature_bytes(&n.attestation.signature),
    }
}

/// Two conflicting notarizes as evidence. Commonware keeps the pair's fields private; its
/// encoding is the two votes one after the other, so they are read back from it.
pub fn conflicting_notarize(c: &ConflictingNotarize<Scheme, Digest>) -> Option<ConsensusEvidence> {
    let mut buf = bytes::Bytes::from(to_vec(c));
    let first = Notarize::<Scheme, Digest>::read(&mut buf).ok()?;
    let second = Notarize::<Scheme, Digest>::read(&mut buf).ok()?;
    Some(ConsensusEvidence {
        first: notarize_vote(&first),
        second: notarize_vote(&second),
    })
}

/// Two conflicting finalizes as evidence.
pub fn conflicting_finalize(c: &ConflictingFinalize<Scheme, Digest>) -> Option<ConsensusEvidence> {
    let mut buf = bytes::Bytes::from(to_vec(c));
    let first = Finalize::<Scheme, Digest>::read(&mut buf).ok()?;
    let second = Finalize::<Scheme, Digest>::read(&mut buf).ok()?;
    Some(ConsensusEvidence {
        first: finalize_vote(&first),
        second: finalize_vote(&second),
    })
}

/// A nullify and a finalize of one view as evidence.
pub fn nullify_finalize(c: &NullifyFinalize<Scheme, Digest>) -> Option<ConsensusEvidence> {
    let mut buf = bytes::Bytes::from(to_vec(c));
    let nullify = Nullify::<Scheme>::read(&mut buf).ok()?;
    let finalize = Finalize::<Scheme, Digest>::read(&mut buf).ok()?;
    Some(ConsensusEvidence {
        first: nullify_vote(&nullify),
        second: finalize_vote(&finalize),
    })
}

/// The (epoch, view, signer) an evidence item convicts, for de-duplication.
pub fn evidence_key(e: &ConsensusEvidence) -> (u64, u64, u32) {
    (e.first.epoch, e.first.view, e.first.signer)
}

/// Reads a value that was encoded with `to_vec`, refusing trailing bytes.
pub fn from_slice<T: Read>(bytes: &[u8], cfg: &T::Cfg) -> Option<T> {
    use bytes::Buf as _;
    let mut buf = bytes::Bytes::copy_from_slice(bytes);
    let value = T::read_cfg(&mut buf, cfg).ok()?;
    (!buf.has_remaining()).then_some(value)
}
