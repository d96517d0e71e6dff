//! Consensus seats in the core (docs/consensus.md): keys bound with a proof of possession,
//! committees per consensus epoch, equivocation evidence verified in the core and turned into a
//! double sign, missed signatures into downtime, and committees pruned after the evidence window.

mod common;

use alloy_primitives::{B256, Bytes};
use common::{E18, Net, genesis, holder, validator};
use rampart_core::base::ValidatorStatus;
use rampart_core::base::consensus::{
    self, ConsensusEvidence, Vote, VoteKind, consensus_namespace, dev_consensus_seed, pop_message,
    vote_signing_bytes,
};
use rampart_core::params::ParamsPatch;
use rampart_core::schema::{ConsensusCommittees, Validators};
use rampart_core::{Action, Address, Amount, BlockHeader, Bps, Error, Height, Timestamp};
use rampart_core::{begin_block, block::apply_consensus_evidence};
use rampart_scenario::names::dev_address;

const L: u64 = 10;

fn signing_key(name: &str) -> ed25519_consensus::SigningKey {
    ed25519_consensus::SigningKey::from(dev_consensus_seed(name))
}

fn public(name: &str) -> B256 {
    B256::from(signing_key(name).verification_key().to_bytes())
}

fn bft_params() -> ParamsPatch {
    ParamsPatch {
        consensus_epoch_blocks: Some(L),
        ..ParamsPatch::default()
    }
}

/// A BFT chain: `n` validators `v{i}` with dev consensus keys of the same names.
fn bft_net(n: usize, params: ParamsPatch) -> Net {
    let mut g = genesis(n, 2, &[(holder(9), 1_000_000 * E18)], params);
    for (i, v) in g.validators.iter_mut().enumerate() {
        v.consensus_key = Some(public(&format!("v{i}")));
        v.p2p_address = Some(format!("127.0.0.1:{}", 26_656 + i));
    }
    Net::new(&g)
}

/// Opens the next block (height + 1, one block time later, or at `at`) with consensus reports.
fn step_with(
    net: &mut Net,
    at: Option<u64>,
    missed: Vec<Address>,
    evidence: Vec<ConsensusEvidence>,
) {
    open_block(net, at, missed, evidence);
    net.check();
}

/// [`step_with`] without the invariant check (O(state)), for long runs that check periodically.
fn open_block(
    net: &mut Net,
    at: Option<u64>,
    missed: Vec<Address>,
    evidence: Vec<ConsensusEvidence>,
) {
    let chain = &mut net.chain;
    let t = at.unwrap_or(chain.header.time.get() + chain.state.params().block_time_s.get());
    let mut header = BlockHeader::new(
        Height::new(chain.header.height.get() + 1),
        Timestamp::new(t),
        None,
    );
    header.missed = missed;
    header.evidence = evidence;
    begin_block(&mut chain.state, &header).expect("a block start never fails");
    chain.state.discard_journal();
    chain.header = header;
}

fn to_boundary(net: &mut Net) {
    let t = net.next_boundary();
    step_with(net, Some(t), vec![], vec![]);
}

fn step(net: &mut Net) {
    step_with(net, None, Vec::new(), Vec::new());
}

/// Steps to the last height of the current consensus epoch and one past it: the next
/// committee is written.
fn next_consensus_epoch(net: &mut Net) {
    loop {
        step(net);
        if net.chain.header.height.get().is_multiple_of(L) {
            return;
        }
    }
}

fn committee_validators(net: &Net, epoch: u64) -> Vec<Address> {
    consensus::committee(&net.chain.state, epoch)
        .unwrap_or_else(|| panic!("committee {epoch}"))
        .members
        .iter()
        .map(|m| m.validator)
        .collect()
}

fn vote(name: &str, net: &Net, kind: VoteKind, epoch: u64, view: u64, payload: u8) -> Vote {
    let committee = consensus::committee(&net.chain.state, epoch).expect("committee");
    let signer = committee.index_of(&public(name)).expect("a seat");
    let mut v = Vote {
        kind,
        epoch,
        view,
        parent: if kind == VoteKind::Nullify {
            0
        } else {
            view - 1
        },
        payload: if kind == VoteKind::Nullify {
            B256::ZERO
        } else {
            B256::repeat_byte(payload)
        },
        signer,
        signature: Bytes::new(),
    };
    let ns = consensus_namespace(net.chain.state.meta().chain_id);
    let sig = signing_key(name).sign(&vote_signing_bytes(&ns, &v));
    v.signature = Bytes::from(sig.to_bytes().to_vec());
    v
}

fn pop(name: &str, chain_id: u64, account: Address) -> Bytes {
    Bytes::from(
        signing_key(name)
            .sign(&pop_message(chain_id, &account))
            .to_bytes()
            .to_vec(),
    )
}

fn set_key(key_name: &str, account: Address, net: &Net) -> Action {
    Action::SetConsensusKey {
        key: public(key_name),
        p2p_address: "10.0.0.1:26656".into(),
        pop: pop(key_name, net.chain.state.meta().chain_id, account),
    }
}

fn status(net: &Net, v: Address) -> ValidatorStatus {
    net.chain
        .state
        .get::<Validators>(&v)
        .expect("validator")
        .status
}

fn bonded(net: &Net, v: Address) -> u128 {
    net.chain
        .state
        .get::<Validators>(&v)
        .expect("validator")
        .bonded
        .get()
}

#[test]
fn the_genesis_committee_is_the_keyed_active_set_sorted_by_key() {
    let net = bft_net(4, bft_params());
    let c = consensus::committee(&net.chain.state, 0).expect("committee 0 at genesis");
    assert_eq!((c.epoch, c.first_height, c.members.len()), (0, 0, 4));
    assert!(
        c.members.windows(2).all(|w| w[0].key < w[1].key),
        "sorted by key"
    );
    for i in 0..4 {
        let name = format!("v{i}");
        let seat = c.index_of(&public(&name)).expect("seated") as usize;
        assert_eq!(c.members[seat].validator, validator(i));
    }
    // Genesis refuses a BFT chain without keys, and half a binding.
    let mut g = genesis(2, 0, &[], bft_params());
    assert!(g.build().is_err(), "no keyed validator");
    g.validators[0].consensus_key = Some(public("v0"));
    assert!(g.build().is_err(), "a key without a p2p address");
}

#[test]
fn a_validator_needs_a_proven_key_of_its_own_for_a_seat() {
    let mut net = bft_net(4, bft_params());
    let newcomer = holder(9);
    net.must(
        newcomer,
        Action::CreateValidator {
            commission_bps: Bps::new(500),
            self_bond: Amount::new(50_000 * E18),
        },
    );
    net.chain.state.discard_journal();
    // The largest bond, but no key: never active under BFT consensus.
    to_boundary(&mut net);
    to_boundary(&mut net);
    assert_ne!(status(&net, newcomer), ValidatorStatus::Active);

    let chain_id = net.chain.state.meta().chain_id;
    let refused = |net: &mut Net, signer: Address, action: Action| -> Error {
        net.send(signer, action).expect_err("refused")
    };
    // Not a validator.
    let action = set_key("h0", holder(0), &net);
    let e = refused(&mut net, holder(0), action);
    assert_eq!(e.code(), "unauthorized");
    // A proof of possession for another account (replayed) or another chain.
    let replayed = Action::SetConsensusKey {
        key: public("fresh"),
        p2p_address: "10.0.0.1:1".into(),
        pop: pop("fresh", chain_id, validator(0)),
    };
    assert_eq!(
        refused(&mut net, newcomer, replayed).code(),
        "invalid_input"
    );
    let other_chain = Action::SetConsensusKey {
        key: public("fresh"),
        p2p_address: "10.0.0.1:1".into(),
        pop: pop("fresh", chain_id + 1, newcomer),
    };
    assert_eq!(
        refused(&mut net, newcomer, other_chain).code(),
        "invalid_input"
    );
    // Someone else's key, even with a proof they obtained (a key has one owner for ever).
    let taken = set_key("v0", newcomer, &net);
    assert_eq!(
        refused(&mut net, newcomer, taken).code(),
        "consensus_key_in_use"
    );
    let bad_address = Action::SetConsensusKey {
        key: public("fresh"),
        p2p_address: "no port".into(),
        pop: pop("fresh", chain_id, newcomer),
    };
    assert_eq!(
        refused(&mut net, newcomer, bad_address).code(),
        "invalid_input"
    );

    net.must(newcomer, set_key("fresh", newcomer, &net));
    to_boundary(&mut net);
    assert_eq!(status(&net, newcomer), ValidatorStatus::Active);
    // Active now; seated from the next consensus epoch.
    let epoch = net.chain.header.height.get() / L;
    assert!(!committee_validators(&net, epoch).contains(&newcomer));
    next_consensus_epoch(&mut net);
    let seated = committee_validators(&net, epoch + 1);
    assert_eq!(seated.len(), 5);
    assert!(seated.contains(&newcomer));
}

#[test]
fn equivocation_evidence_slashes_and_tombstones_once() {
    let mut net = bft_net(4, bft_params());
    for _ in 0..3 {
        step(&mut net);
    }
    let offender = validator(2);
    let before = bonded(&net, offender);
    let evidence = ConsensusEvidence {
        first: vote("v2", &net, VoteKind::Notarize, 0, 5, 0xaa),
        second: vote("v2", &net, VoteKind::Notarize, 0, 5, 0xbb),
    };
    // Anyone may submit it.
    net.must(holder(1), Action::SubmitConsensusEvidence(evidence.clone()));
    assert_eq!(status(&net, offender), ValidatorStatus::Tombstoned);
    let bps = u128::from(net.chain.state.params().double_sign_slash_bps.get());
    let after = bonded(&net, offender);
    assert_eq!(
        before - after,
        (before * bps).div_ceil(10_000),
        "burned double_sign_slash_bps"
    );
    // Once only.
    let again = net
        .send(holder(1), Action::SubmitConsensusEvidence(evidence))
        .expect_err("tombstoned already");
    assert_eq!(again.code(), "invalid_evidence");
    // The next committee has no seat for it.
    next_consensus_epoch(&mut net);
    let seated = committee_validators(&net, 1);
    assert_eq!(seated.len(), 3);
    assert!(!seated.contains(&offender));
    // Finalize conflicting with a nullify in one view is evidence too.
    let nf = ConsensusEvidence {
        first: vote("v1", &net, VoteKind::Nullify, 1, 12, 0),
        second: vote("v1", &net, VoteKind::Finalize, 1, 12, 0xcc),
    };
    net.must(holder(1), Action::SubmitConsensusEvidence(nf));
    assert_eq!(status(&net, validator(1)), ValidatorStatus::Tombstoned);
}

#[test]
fn votes_that_do_not_conflict_or_do_not_verify_are_not_evidence() {
    let mut net = bft_net(4, bft_params());
    step(&mut net);
    let n = |net: &Net, payload| vote("v0", net, VoteKind::Notarize, 0, 7, payload);
    let cases: Vec<(&str, ConsensusEvidence)> = vec![
        (
            "the same vote twice",
            ConsensusEvidence {
                first: n(&net, 1),
                second: n(&net, 1),
            },
        ),
        (
            "a notarize then a nullify (honest on a timeout)",
            ConsensusEvidence {
                first: n(&net, 1),
                second: vote("v0", &net, VoteKind::Nullify, 0, 7, 0),
            },
        ),
        (
            "two views",
            ConsensusEvidence {
                first: n(&net, 1),
                second: vote("v0", &net, VoteKind::Notarize, 0, 8, 2),
            },
        ),
        (
            "two signers",
            ConsensusEvidence {
                first: n(&net, 1),
                second: vote("v1", &net, VoteKind::Notarize, 0, 7, 2),
            },
        ),
        ("an unknown epoch", {
            let mut a = n(&net, 1);
            let mut b = n(&net, 2);
            a.epoch = 5;
            b.epoch = 5;
            ConsensusEvidence {
                first: a,
                second: b,
            }
        }),
        ("a forged signature", {
            let mut b = n(&net, 2);
            b.payload = B256::repeat_byte(3);
            ConsensusEvidence {
                first: n(&net, 1),
                second: b,
            }
        }),
        ("a seat that does not exist", {
            let mut a = n(&net, 1);
            let mut b = n(&net, 2);
            a.signer = 9;
            b.signer = 9;
            ConsensusEvidence {
                first: a,
                second: b,
            }
        }),
        ("a signature of the wrong length", {
            let mut b = n(&net, 2);
            b.signature = Bytes::from(vec![0u8; 63]);
            ConsensusEvidence {
                first: n(&net, 1),
                second: b,
            }
        }),
    ];
    for (what, evidence) in cases {
        let e = net
            .send(holder(1), Action::SubmitConsensusEvidence(evidence.clone()))
            .expect_err(what);
        assert_eq!(e.code(), "invalid_evidence", "{what}: {e}");
        // In a block, it is skipped: nothing changes.
        step_with(&mut net, None, vec![], vec![evidence]);
    }
    for i in 0..4 {
        assert_eq!(status(&net, validator(i)), ValidatorStatus::Active);
    }
    assert_eq!(net.rejected, 8, "each case was submitted and refused");
}

#[test]
fn evidence_carried_by_a_block_applies_at_the_start_of_the_block() {
    let mut net = bft_net(4, bft_params());
    step(&mut net);
    let evidence = ConsensusEvidence {
        first: vote("v3", &net, VoteKind::Finalize, 0, 4, 1),
        second: vote("v3", &net, VoteKind::Finalize, 0, 4, 2),
    };
    // The same evidence twice in one block tombstones once.
    step_with(
        &mut net,
        None,
        vec![],
        vec![evidence.clone(), evidence.clone()],
    );
    assert_eq!(status(&net, validator(3)), ValidatorStatus::Tombstoned);
    let mut events = Vec::new();
    let (h, t) = (net.chain.header.height, net.chain.header.time);
    let again = apply_consensus_evidence(&mut net.chain.state, &mut events, &evidence, h, t);
    assert!(again.is_err() && events.is_empty());
}

#[test]
fn missed_signatures_from_certificates_jail_a_validator() {
    let params = ParamsPatch {
        downtime_window_blocks: Some(20),
        ..bft_params()
    };
    let mut net = bft_net(4, params);
    let limit = 20 * u64::from(net.chain.state.params().downtime_max_missed_bps.get()) / 10_000;
    for _ in 0..limit {
        step_with(&mut net, None, vec![validator(0)], vec![]);
    }
    assert_eq!(
        status(&net, validator(0)),
        ValidatorStatus::Active,
        "at the limit"
    );
    step_with(&mut net, None, vec![validator(0)], vec![]);
    assert!(matches!(
        status(&net, validator(0)),
        ValidatorStatus::Jailed { .. }
    ));
    // It leaves the committee at the next consensus epoch, once the active set is chosen again.
    to_boundary(&mut net);
    next_consensus_epoch(&mut net);
    let epoch = net.chain.header.height.get() / L;
    assert!(!committee_validators(&net, epoch).contains(&validator(0)));
    assert_eq!(committee_validators(&net, epoch).len(), 3);
}

#[test]
fn a_committee_is_never_empty() {
    let mut net = bft_net(2, bft_params());
    for i in 0..2 {
        net.jail(validator(i));
    }
    to_boundary(&mut net);
    next_consensus_epoch(&mut net);
    let epoch = net.chain.header.height.get() / L;
    // No active validator has a key: the last committee carries over, so unjail can finalize.
    assert_eq!(committee_validators(&net, epoch).len(), 2);
}

#[test]
fn consensus_epoch_blocks_is_fixed_at_genesis() {
    let mut net = bft_net(4, bft_params());
    let e = net
        .send(
            dev_address("governance"),
            Action::SetParams(Box::new(ParamsPatch {
                consensus_epoch_blocks: Some(20),
                ..ParamsPatch::default()
            })),
        )
        .expect_err("fixed");
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(net.chain.state.params().consensus_epoch_blocks, L);
}

/// At default parameter ratios (21-day unbonding, 2 s blocks), committees are kept for the
/// evidence window and no longer: the table stays bounded however long the chain runs, and
/// evidence older than the window is refused.
#[test]
fn committees_are_kept_for_the_evidence_window_then_pruned() {
    let params = ParamsPatch {
        unbonding_period_s: Some(rampart_core::Duration::new(86_400)),
        ..bft_params()
    };
    let mut net = bft_net(4, params);
    let window = 86_400 / net.chain.state.params().block_time_s.get();
    step(&mut net);
    let old = ConsensusEvidence {
        first: vote("v1", &net, VoteKind::Notarize, 0, 3, 1),
        second: vote("v1", &net, VoteKind::Notarize, 0, 3, 2),
    };
    let mut most = 0;
    for i in 0..(window + 5 * L) {
        open_block(&mut net, None, vec![], vec![]);
        if i % 2_000 == 0 {
            net.check();
        }
        most = most.max(net.chain.state.iter::<ConsensusCommittees>().count() as u64);
    }
    assert!(
        most <= window / L + 3,
        "kept {most} committees for a window of {window} blocks"
    );
    assert!(
        consensus::committee(&net.chain.state, 0).is_none(),
        "pruned"
    );
    let e = net
        .send(holder(1), Action::SubmitConsensusEvidence(old))
        .expect_err("too old");
    assert_eq!(e.code(), "invalid_evidence");
}
