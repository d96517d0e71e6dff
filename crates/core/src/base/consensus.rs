//! Consensus seats (PROTOCOL.md §4.1, docs/consensus.md): ed25519 keys bound to validators,
//! the committee of each consensus epoch, and equivocation evidence checked here.
//!
//! # Seats
//!
//! Under BFT consensus (`consensus_epoch_blocks` = L > 0) the chain runs one consensus engine
//! per *consensus epoch* of L heights (epoch e spans heights e·L ..= (e+1)·L − 1; genesis is
//! height 0 of epoch 0). The committee of epoch e + 1 is the active set (top `max_validators` by
//! bonded stake, each with a consensus key) as it stands while the last height of epoch e
//! executes, so every node derives it from the same state; it is written into state then
//! ([`ConsensusCommittees`]) and is part of the state root, so anyone can check evidence
//! against it. Members are sorted by key: the position is the signer index Commonware's
//! ordered key set gives. One vote per seat: stake decides membership, proposer frequency,
//! rewards and slashable security, not vote weight.
//!
//! A committee is never empty: if no active validator has a key (every one jailed at once),
//! the previous committee carries over, so the chain keeps a quorum that can finalize the
//! unjail transactions instead of halting for good.
//!
//! # Leaders
//!
//! Each view's leader is drawn by stake: seat i leads view v of epoch e when
//! `keccak256("rampart-leader" ‖ e ‖ v) mod S` (8-byte big-endian integers, S the seats' total
//! stake) falls in seat i's slice of the cumulative stakes, in seat order ([`leader_seat`]).
//! The stakes are the seats' bonded stake when the committee was written
//! ([`ConsensusSeatStakes`]), so every node draws the same schedule for the whole epoch, and a
//! seat leads a share of views equal to its share of the committee's stake (in expectation;
//! the draw is a keyed hash, not a rotation). If every seat's stake is zero the views rotate
//! through the seats. The schedule is public in advance, as a round-robin one is: anyone can
//! compute who leads which view.
//!
//! # Keys
//!
//! `set_consensus_key {key, p2p_address, pop}` is signed by the validator's account; `pop` is
//! the key's ed25519 signature over `"rampart-consensus-key:" ‖ chain_id (8 bytes, big-endian)
//! ‖ validator address (20 bytes)`, so no one can bind another party's key. A key belongs to
//! one validator for ever ([`ConsensusKeyOwners`]); a replaced key stays in past committees, so
//! evidence against it still verifies. A change reaches consensus at the next committee.
//!
//! # Evidence
//!
//! Two votes by one committee member in one (epoch, view) that cannot both be honest: two
//! notarizes or two finalizes of different proposals, or a nullify and a finalize. The signed
//! bytes are Commonware simplex's (2026.10): `ed25519(varint(len ns) ‖ ns ‖ msg)` with `ns` the
//! chain's namespace ([`consensus_namespace`]) followed by `_NOTARIZE`, `_NULLIFY` or
//! `_FINALIZE`, and `msg = varint(epoch) ‖ varint(view) ‖ varint(parent view) ‖ payload` for a
//! proposal, `varint(epoch) ‖ varint(view)` for a nullify. Checked with `ed25519-consensus`
//! (the ZIP-215 rules Commonware vendors), so the core does not depend on the engine. Valid
//! evidence is a double sign at the first height of the committee's epoch (the snapshot that
//! granted the seat, so all stake that backed it stays reachable): the base layer slashes and
//! tombstones the validator, once.
//!
//! # Invariants
//!
//! - [`ConsensusKeys`] and [`ConsensusKeyOwners`] are inverse on current keys; owners also keep
//!   replaced keys.
//! - A committee's members are sorted by key, unique, and each was an active validator with
//!   that key when the committee was written.
//! - Committees are kept while evidence against them can still slash (the unbonding period
//!   in blocks after their epoch ends), then pruned, at most two per block.
//! - Every kept committee has its seat stakes, one per member; no stakes without a committee.

use crate::base::{ConsensusCommittees, ConsensusKeyOwners, ConsensusKeys, ConsensusSeatStakes};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, fmt_address};
use crate::num::Amount;
use crate::state::State;
use crate::time::Height;
use alloy_primitives::{B256, Bytes, keccak256};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Longest `p2p_address` a validator may publish (`host:port`).
pub const MAX_P2P_ADDRESS_LEN: usize = 256;

/// A validator's consensus key and where its peers reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsensusKeyRecord {
    /// The ed25519 public key.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub key: B256,
    /// `host:port` of its p2p endpoint.
    pub p2p_address: String,
}

/// One seat of a committee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitteeMember {
    /// Its ed25519 public key.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub key: B256,
    /// The validator holding the seat.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub validator: Address,
    /// Its p2p endpoint.
    pub p2p_address: String,
}

/// The committee of one consensus epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Committee {
    /// The consensus epoch.
    pub epoch: u64,
    /// Its first height (`epoch · L`).
    pub first_height: u64,
    /// Seats sorted by key: the index is the signer index in votes.
    pub members: Vec<CommitteeMember>,
}

impl Committee {
    /// The seat of `key`, if it has one.
    pub fn index_of(&self, key: &B256) -> Option<u32> {
        self.members
            .binary_search_by(|m| m.key.cmp(key))
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }
}

/// What a vote is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoteKind {
    /// Notarize a proposal.
    Notarize,
    /// Skip a view.
    Nullify,
    /// Finalize a proposal.
    Finalize,
}

/// One signed consensus vote, as Commonware simplex signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// Notarize, nullify or finalize.
    pub kind: VoteKind,
    /// Consensus epoch.
    pub epoch: u64,
    /// View (round) in the epoch.
    pub view: u64,
    /// The proposal's parent view (0 for a nullify).
    #[serde(default)]
    pub parent: u64,
    /// The proposal's digest (zero for a nullify).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub payload: B256,
    /// The signer's index in the epoch's committee.
    pub signer: u32,
    /// The 64-byte ed25519 signature.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature: Bytes,
}

/// Two votes that prove their signer equivocated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsensusEvidence {
    /// One vote.
    pub first: Vote,
    /// The vote it conflicts with.
    pub second: Vote,
}

/// The simplex namespace of chain `chain_id`: `"rampart-" ‖ chain_id` in decimal.
pub fn consensus_namespace(chain_id: u64) -> Vec<u8> {
    format!("rampart-{chain_id}").into_bytes()
}

/// The dev consensus key seed of a name: `keccak256("rampart-dev-consensus-key:" ‖ name)`.
pub fn dev_consensus_seed(name: &str) -> [u8; 32] {
    keccak256(format!("rampart-dev-consensus-key:{name}")).0
}

/// The message a proof of possession signs.
pub fn pop_message(chain_id: u64, validator: &Address) -> Vec<u8> {
    let mut m = b"rampart-consensus-key:".to_vec();
    m.extend_from_slice(&chain_id.to_be_bytes());
    m.extend_from_slice(validator.as_slice());
    m
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        // The low seven bits always fit a byte.
        let byte = u8::try_from(v & 0x7f).unwrap_or(0);
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The bytes a vote's signature covers (see the module docs).
pub fn vote_signing_bytes(namespace: &[u8], vote: &Vote) -> Vec<u8> {
    let suffix: &[u8] = match vote.kind {
        VoteKind::Notarize => b"_NOTARIZE",
        VoteKind::Nullify => b"_NULLIFY",
        VoteKind::Finalize => b"_FINALIZE",
    };
    let ns_len = namespace.len().saturating_add(suffix.len());
    let mut out = Vec::with_capacity(ns_len.saturating_add(64));
    put_varint(&mut out, u64::try_from(ns_len).unwrap_or(u64::MAX));
    out.extend_from_slice(namespace);
    out.extend_from_slice(suffix);
    put_varint(&mut out, vote.epoch);
    put_varint(&mut out, vote.view);
    if vote.kind != VoteKind::Nullify {
        put_varint(&mut out, vote.parent);
        out.extend_from_slice(vote.payload.as_slice());
    }
    out
}

fn verify_ed25519(key: &B256, message: &[u8], signature: &[u8]) -> bool {
    let Ok(vk) = ed25519_consensus::VerificationKey::try_from(key.0) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    vk.verify(&ed25519_consensus::Signature::from(sig), message)
        .is_ok()
}

/// Whether `vote` is signed by `key` under `namespace`.
pub fn verify_vote(namespace: &[u8], key: &B256, vote: &Vote) -> bool {
    verify_ed25519(key, &vote_signing_bytes(namespace, vote), &vote.signature)
}

/// The committee of consensus epoch `epoch`, if it is kept.
pub fn committee(state: &State, epoch: u64) -> Option<Committee> {
    state.get::<ConsensusCommittees>(&epoch).cloned()
}

/// The seat stakes of consensus epoch `epoch`'s committee, if it is kept.
pub fn seat_stakes(state: &State, epoch: u64) -> Option<Vec<Amount>> {
    state.get::<ConsensusSeatStakes>(&epoch).cloned()
}

/// The seat that leads `view` of consensus epoch `epoch` under seat stakes `stakes` (see the
/// module docs, "Leaders"). 0 for an empty committee (which is never written).
pub fn leader_seat(stakes: &[Amount], epoch: u64, view: u64) -> usize {
    let mut seed = b"rampart-leader".to_vec();
    seed.extend_from_slice(&epoch.to_be_bytes());
    seed.extend_from_slice(&view.to_be_bytes());
    super::stake_draw(stakes, keccak256(&seed).0).unwrap_or_else(|| {
        // No seat has stake: rotate.
        let n = u64::try_from(stakes.len()).unwrap_or(u64::MAX).max(1);
        let i = epoch.wrapping_add(view).checked_rem(n).unwrap_or(0);
        usize::try_from(i).unwrap_or(0)
    })
}

/// The consensus key bound to `validator`.
pub fn consensus_key<'a>(state: &'a State, validator: &Address) -> Option<&'a ConsensusKeyRecord> {
    state.get::<ConsensusKeys>(validator)
}

fn check_p2p_address(p2p_address: &str) -> Result<()> {
    let ok = p2p_address.len() <= MAX_P2P_ADDRESS_LEN
        && p2p_address.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty()
                && !host.chars().any(char::is_whitespace)
                && port.parse::<u16>().is_ok_and(|p| p != 0)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "p2p_address",
            format!("{p2p_address:?} is not host:port (at most {MAX_P2P_ADDRESS_LEN} bytes)"),
        ))
    }
}

/// Binds `key` to `validator` without a proof of possession (genesis, where the chain's
/// creator vouches for its validators), after the checks every binding shares.
pub fn bind_consensus_key(
    state: &mut State,
    validator: Address,
    key: B256,
    p2p_address: String,
) -> Result<()> {
    super::validator(state, validator)?;
    check_p2p_address(&p2p_address)?;
    if ed25519_consensus::VerificationKey::try_from(key.0).is_err() {
        return Err(Error::invalid("key", "not an ed25519 public key"));
    }
    if let Some(owner) = state.get::<ConsensusKeyOwners>(&key)
        && *owner != validator
    {
        return Err(Error::ConsensusKeyInUse {
            key,
            validator: fmt_address(owner),
        });
    }
    state.put::<ConsensusKeyOwners>(key, validator);
    state.put::<ConsensusKeys>(validator, ConsensusKeyRecord { key, p2p_address });
    Ok(())
}

/// `set_consensus_key`: the signer (a validator) binds `key`, proven by `pop`.
pub fn set_consensus_key(
    state: &mut State,
    ctx: &mut Ctx,
    key: B256,
    p2p_address: String,
    pop: Bytes,
) -> Result<()> {
    let validator = ctx.signer;
    if state.get::<crate::base::Validators>(&validator).is_none() {
        return Err(Error::unauthorized(
            "set_consensus_key",
            &validator,
            "a validator",
        ));
    }
    if !verify_ed25519(&key, &pop_message(state.meta().chain_id, &validator), &pop) {
        return Err(Error::invalid(
            "pop",
            "not the key's ed25519 signature over the proof-of-possession message",
        ));
    }
    bind_consensus_key(state, validator, key, p2p_address)?;
    ctx.emit(Event::ConsensusKeySet { validator, key });
    Ok(())
}

/// The validator a piece of evidence convicts and the infraction height, after every check
/// (see the module docs). Reads only; never writes.
pub fn check_evidence(state: &State, evidence: &ConsensusEvidence) -> Result<(Address, Height)> {
    let (a, b) = (&evidence.first, &evidence.second);
    if (a.epoch, a.view, a.signer) != (b.epoch, b.view, b.signer) {
        return Err(Error::InvalidEvidence(
            "the votes are not by one signer in one epoch and view".into(),
        ));
    }
    let proposal = |v: &Vote| (v.parent, v.payload);
    let conflicting = match (a.kind, b.kind) {
        (VoteKind::Notarize, VoteKind::Notarize) | (VoteKind::Finalize, VoteKind::Finalize) => {
            proposal(a) != proposal(b)
        }
        (VoteKind::Nullify, VoteKind::Finalize) | (VoteKind::Finalize, VoteKind::Nullify) => true,
        _ => false,
    };
    if !conflicting {
        return Err(Error::InvalidEvidence(format!(
            "a {:?} and a {:?} of these proposals do not conflict",
            a.kind, b.kind
        )));
    }
    let committee = committee(state, a.epoch).ok_or_else(|| {
        Error::InvalidEvidence(format!(
            "no committee of consensus epoch {} is kept (unknown, or too old to slash)",
            a.epoch
        ))
    })?;
    let member = usize::try_from(a.signer)
        .ok()
        .and_then(|i| committee.members.get(i))
        .ok_or_else(|| {
            Error::InvalidEvidence(format!(
                "signer {} is not a seat of epoch {}",
                a.signer, a.epoch
            ))
        })?;
    let ns = consensus_namespace(state.meta().chain_id);
    for (which, vote) in [("first", a), ("second", b)] {
        if !verify_ed25519(&member.key, &vote_signing_bytes(&ns, vote), &vote.signature) {
            return Err(Error::InvalidEvidence(format!(
                "the {which} vote is not signed by seat {} ({})",
                a.signer, member.key
            )));
        }
    }
    Ok((member.validator, Height::new(committee.first_height)))
}

/// The invariants of the module docs, as violations.
pub fn check(state: &State, v: &mut Vec<String>) {
    for (validator, r) in state.iter::<ConsensusKeys>() {
        if state.get::<ConsensusKeyOwners>(&r.key) != Some(validator) {
            v.push(format!(
                "consensus key {} of {} has another owner",
                r.key,
                fmt_address(validator)
            ));
        }
    }
    for (epoch, c) in state.iter::<ConsensusCommittees>() {
        if c.epoch != *epoch || !c.members.windows(2).all(|w| w[0].key < w[1].key) {
            v.push(format!(
                "committee {epoch} is not sorted by key, unique, under its epoch"
            ));
        }
        if state
            .get::<ConsensusSeatStakes>(epoch)
            .is_none_or(|stakes| stakes.len() != c.members.len())
        {
            v.push(format!(
                "committee {epoch} has no seat stakes, or not one per seat"
            ));
        }
        for m in &c.members {
            if state.get::<ConsensusKeyOwners>(&m.key) != Some(&m.validator) {
                v.push(format!(
                    "committee {epoch}: key {} is not its member's",
                    m.key
                ));
            }
        }
    }
    for (epoch, _) in state.iter::<ConsensusSeatStakes>() {
        if state.get::<ConsensusCommittees>(epoch).is_none() {
            v.push(format!(
                "seat stakes of epoch {epoch} without its committee"
            ));
        }
    }
}

/// The consensus epoch of `height` under epochs of `l` blocks.
pub fn epoch_of(height: u64, l: u64) -> u64 {
    height.checked_div(l).unwrap_or(0)
}

/// Writes the committee of the epoch that starts after `height` if `height` is the last of its
/// epoch (and the committee is not written yet), then prunes committees too old for evidence.
/// Reads the active set: O(max_validators). Total.
pub fn on_block(state: &mut State, height: Height) -> crate::error::HookResult {
    let l = state.params().consensus_epoch_blocks;
    let next_first = height.get().saturating_add(1);
    if l == 0 || next_first.checked_rem(l) != Some(0) {
        return Ok(());
    }
    let epoch = epoch_of(next_first, l);
    if state.get::<ConsensusCommittees>(&epoch).is_none() {
        let mut members = seats(state);
        if members.is_empty()
            && let Some(previous) = epoch.checked_sub(1).and_then(|e| committee(state, e))
        {
            members = previous.members;
        }
        put_committee(
            state,
            Committee {
                epoch,
                first_height: next_first,
                members,
            },
        );
    }
    prune(state, height, l);
    Ok(())
}

/// Writes `committee` with its seats' bonded stake as they stand now.
fn put_committee(state: &mut State, committee: Committee) {
    let stakes = committee
        .members
        .iter()
        .map(|m| {
            state
                .get::<crate::base::Validators>(&m.validator)
                .map_or(Amount::ZERO, |v| v.bonded)
        })
        .collect();
    state.put::<ConsensusSeatStakes>(committee.epoch, stakes);
    state.put::<ConsensusCommittees>(committee.epoch, committee);
}

/// The active validators with a consensus key, sorted by key.
pub fn seats(state: &State) -> Vec<CommitteeMember> {
    let mut members = Vec::new();
    for validator in super::active_set(state) {
        if let Some(r) = state.get::<ConsensusKeys>(&validator) {
            members.push(CommitteeMember {
                key: r.key,
                validator,
                p2p_address: r.p2p_address.clone(),
            });
        }
    }
    members.sort_by_key(|m| m.key);
    // Keys are unique per validator (`ConsensusKeyOwners`), so nothing is dropped here.
    members.dedup_by(|a, b| a.key == b.key);
    members
}

fn prune(state: &mut State, height: Height, l: u64) {
    let p = state.params();
    let window = p
        .unbonding_period_s
        .get()
        .checked_div(p.block_time_s.get())
        .unwrap_or(0);
    for _ in 0..2 {
        let Some((oldest, last)) = state
            .iter::<ConsensusCommittees>()
            .next()
            // The last height of the oldest epoch.
            .map(|(e, c)| (*e, c.first_height.saturating_add(l).saturating_sub(1)))
        else {
            return;
        };
        let newest = epoch_of(height.get().saturating_add(1), l);
        if oldest >= newest || last.saturating_add(window) >= height.get() {
            return;
        }
        state.delete::<ConsensusCommittees>(&oldest);
        state.delete::<ConsensusSeatStakes>(&oldest);
    }
}

/// Writes committee 0 at genesis (BFT chains only).
pub fn genesis_committee(state: &mut State) -> Result<()> {
    if state.params().consensus_epoch_blocks == 0 {
        return Ok(());
    }
    let members = seats(state);
    if members.is_empty() {
        return Err(Error::invalid(
            "validators",
            "a BFT chain (consensus_epoch_blocks > 0) needs genesis validators with consensus keys",
        ));
    }
    put_committee(
        state,
        Committee {
            epoch: 0,
            first_height: 0,
            members,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_leb128() {
        let mut out = Vec::new();
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            put_varint(&mut out, v);
        }
        assert_eq!(
            out,
            [
                0, 1, 127, 0x80, 1, 0xac, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                1
            ]
        );
    }

    #[test]
    fn leaders_are_drawn_in_proportion_to_seat_stake() {
        let e18 = 1_000_000_000_000_000_000u128;
        let stakes: Vec<Amount> = [1u128, 2, 3, 4, 0]
            .iter()
            .map(|w| Amount::new(w * 1_000 * e18))
            .collect();
        const VIEWS: u64 = 20_000;
        let mut led = [0u64; 5];
        for view in 1..=VIEWS {
            led[leader_seat(&stakes, 3, view)] += 1;
        }
        assert_eq!(led[4], 0, "a seat without stake never leads");
        for (i, w) in [1u64, 2, 3, 4].iter().enumerate() {
            // Expected VIEWS·w/10; the draw's standard deviation is under 70 views here.
            let expected = VIEWS * w / 10;
            assert!(
                led[i].abs_diff(expected) < 300,
                "seat {i} led {} views, expected about {expected}",
                led[i]
            );
        }
        // A pure function of (stakes, epoch, view); another epoch draws another schedule.
        let a: Vec<usize> = (1..50).map(|v| leader_seat(&stakes, 3, v)).collect();
        let b: Vec<usize> = (1..50).map(|v| leader_seat(&stakes, 3, v)).collect();
        let c: Vec<usize> = (1..50).map(|v| leader_seat(&stakes, 4, v)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // One seat with all the stake leads every view.
        let one = [Amount::ZERO, Amount::new(5), Amount::ZERO];
        assert!((1..100).all(|v| leader_seat(&one, 0, v) == 1));
        // Stakes near the top of the range do not overflow.
        let huge = [Amount::new(u128::MAX), Amount::new(u128::MAX)];
        let mut both = [0u32; 2];
        for v in 1..200 {
            both[leader_seat(&huge, 0, v)] += 1;
        }
        assert!(both.iter().all(|n| *n > 60), "{both:?}");
    }

    #[test]
    fn leaders_rotate_when_no_seat_has_stake() {
        let zero = [Amount::ZERO; 4];
        let led: Vec<usize> = (0..8).map(|v| leader_seat(&zero, 1, v)).collect();
        assert_eq!(led, [1, 2, 3, 0, 1, 2, 3, 0]);
        assert_eq!(leader_seat(&[], 0, 9), 0);
    }

    #[test]
    fn p2p_addresses_are_host_and_port() {
        for ok in ["127.0.0.1:26656", "node-1.example.org:1", "[::1]:9000"] {
            assert!(check_p2p_address(ok).is_ok(), "{ok}");
        }
        for bad in ["", "127.0.0.1", ":80", "host:0", "host:65536", "a b:1"] {
            assert!(check_p2p_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_vote_verifies_only_under_its_own_bytes() {
        let sk = ed25519_consensus::SigningKey::from(dev_consensus_seed("validator-0"));
        let key = B256::from(sk.verification_key().to_bytes());
        let ns = consensus_namespace(7);
        let mut vote = Vote {
            kind: VoteKind::Notarize,
            epoch: 3,
            view: 200,
            parent: 199,
            payload: B256::repeat_byte(9),
            signer: 0,
            signature: Bytes::new(),
        };
        vote.signature = Bytes::from(sk.sign(&vote_signing_bytes(&ns, &vote)).to_bytes().to_vec());
        assert!(verify_vote(&ns, &key, &vote));
        assert!(!verify_vote(&consensus_namespace(8), &key, &vote));
        let mut finalize = vote.clone();
        finalize.kind = VoteKind::Finalize;
        assert!(!verify_vote(&ns, &key, &finalize));
        let mut other = vote.clone();
        other.payload = B256::repeat_byte(8);
        assert!(!verify_vote(&ns, &key, &other));
    }
}
