//! Deterministic multi-validator tests (issue 11): Commonware's deterministic runtime and
//! simulated network, real Rampart nodes.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use commonware_codec::Write as _;
use commonware_consensus::simplex::types::{ConflictingNotarize, Notarize, Proposal};
use commonware_consensus::types::{Epoch, Round, View};
use commonware_cryptography::{Hasher as _, Sha256};
use commonware_p2p::{Recipients, Sender as _};
use commonware_runtime::Supervisor as _;
use commonware_runtime::{Clock, Runner as _};
use rampart_consensus::Stats;
use rampart_consensus::block::{self, Block};
use rampart_consensus::convert::{self, Scheme};
use rampart_core::base::ValidatorStatus;
use rampart_core::base::consensus::{
    self as core_consensus, committee, consensus_namespace, verify_vote,
};
use rampart_core::schema::Validators;
use rampart_node::chain::Proposal as NodeProposal;
use rampart_scenario::names::dev_address;
use std::time::Duration;

const LONG_EPOCHS: u64 = 100_000;

/// (a) Four validators finalize blocks with transactions sent to different nodes; every node
/// has the same blocks and state roots, and every transaction committed everywhere.
#[test]
fn four_validators_finalize_with_identical_roots() {
    runner(1, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 8, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 3, Duration::from_secs(60))
            .await;
        const PER_HOLDER: u64 = 5;
        for nonce in 0..PER_HOLDER {
            for h in 0..8 {
                let node = net.node(h % 4);
                node.submit(transfer(h, (h + 1) % 8, nonce)).unwrap();
            }
        }
        let all = [0, 1, 2, 3];
        net.wait_committed(&all, 8, PER_HOLDER, Duration::from_secs(120))
            .await;
        let target = (0..4).map(|i| net.height(i)).max().unwrap() + 5;
        net.wait_for(&all, target, Duration::from_secs(60)).await;
        let common = net.same_roots();
        assert!(common >= target);
        for v in &net.validators {
            assert_eq!(Stats::get(&v.running.stats.invalid_blocks), 0);
            assert_eq!(Stats::get(&v.running.stats.checkpoint_mismatches), 0);
        }
        let proposed: u64 = net
            .validators
            .iter()
            .map(|v| Stats::get(&v.running.stats.proposed))
            .sum();
        assert!(
            proposed >= target,
            "{proposed} proposals for {target} blocks"
        );
    });
}

/// (b) One validator crashes; the others keep finalizing; it restarts on its directory and
/// catches up to the same roots.
#[test]
fn a_crashed_validator_restarts_and_catches_up() {
    runner(2, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 2, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 5, Duration::from_secs(60))
            .await;
        net.crash(3).await;
        let at_crash = net.height(0);
        net.wait_for(&[0, 1, 2], at_crash + 15, Duration::from_secs(120))
            .await;
        net.start(3).await;
        let target = net.height(0) + 5;
        net.wait_for(&[0, 1, 2, 3], target, Duration::from_secs(120))
            .await;
        assert!(net.same_roots() >= target);
    });
}

/// (c) A 2|2 partition has no quorum: no height is finalized while it lasts; after the heal
/// all four continue with the same roots.
#[test]
fn a_two_two_partition_stalls_then_heals() {
    runner(3, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 2, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 5, Duration::from_secs(60))
            .await;
        net.cut(&[0, 1], &[2, 3]).await;
        // In-flight finalizations may still land; then nothing moves.
        context.sleep(Duration::from_secs(3)).await;
        let stalled: Vec<u64> = (0..4).map(|i| net.height(i)).collect();
        context.sleep(Duration::from_secs(20)).await;
        let after: Vec<u64> = (0..4).map(|i| net.height(i)).collect();
        assert_eq!(stalled, after, "no quorum, no progress");
        net.heal(&[0, 1], &[2, 3]).await;
        let target = after.iter().max().unwrap() + 10;
        net.wait_for(&[0, 1, 2, 3], target, Duration::from_secs(180))
            .await;
        assert!(net.same_roots() >= target);
    });
}

fn proposal(view: u64, payload: &[u8]) -> Proposal<block::Digest> {
    Proposal::new(
        Round::new(Epoch::new(0), View::new(view)),
        View::new(view - 1),
        Sha256::hash(&[payload]),
    )
}

/// (d) Conformance: a vote Commonware's simplex ed25519 scheme signs verifies with the core's
/// `verify_vote`, and a conflicting pair the engine would report is evidence the core accepts:
/// executed in a block, the validator is slashed and tombstoned.
#[test]
fn commonware_votes_verify_in_core_and_conflicts_slash() {
    let g = genesis(4, 4, 0, bft_params(LONG_EPOCHS));
    let dir = tempfile::tempdir().unwrap();
    let node =
        rampart_node::Shared::open(rampart_node::NodeConfig::new(dir.path().to_path_buf()), &g)
            .unwrap();
    let seats = node.with_state(|s| committee(s, 0)).unwrap().unwrap();
    let set = convert::participants(&seats).unwrap();
    let ns = consensus_namespace(CHAIN_ID);
    // The seat of validator-2.
    let seat = seats.index_of(&consensus_key(2)).unwrap();
    let scheme =
        Scheme::signer(&ns, set, convert::private_key(consensus_seed(2)).unwrap()).unwrap();
    let n1 = Notarize::sign(&scheme, proposal(5, b"a")).unwrap();
    let n2 = Notarize::sign(&scheme, proposal(5, b"b")).unwrap();
    let v1 = convert::notarize_vote(&n1);
    assert_eq!(v1.signer, seat);
    assert!(verify_vote(&ns, &consensus_key(2), &v1));
    assert!(!verify_vote(&ns, &consensus_key(1), &v1));
    let evidence =
        convert::conflicting_notarize(&ConflictingNotarize::new(n1.clone(), n2)).unwrap();
    let (convicted, _) = node
        .with_state(|s| core_consensus::check_evidence(s, &evidence))
        .unwrap()
        .unwrap();
    let target = dev_address(&validator_name(2));
    assert_eq!(convicted, target);
    // The same pair encoded in a block round-trips.
    let mut b = Block::genesis(CHAIN_ID, T0);
    b.height = 1;
    b.evidence = vec![evidence.clone()];
    assert_eq!(block::decode(&block::encode(&b)).unwrap(), b);
    // Executed in a block: slashed and tombstoned.
    let bonded_before = node
        .with_state(|s| s.get::<Validators>(&target).unwrap().bonded)
        .unwrap();
    let mut p = NodeProposal::new(1, T0 + 1, None, Vec::new());
    p.evidence = vec![evidence];
    node.commit_proposal(p).unwrap();
    let v = node
        .with_state(|s| s.get::<Validators>(&target).unwrap().clone())
        .unwrap();
    assert_eq!(v.status, ValidatorStatus::Tombstoned);
    assert!(v.bonded < bonded_before, "slashed");
    // A notarize and the same notarize are no evidence.
    let mut same = convert::notarize_vote(&n1);
    same.signer = v1.signer;
    assert!(
        node.with_state(|s| core_consensus::check_evidence(
            s,
            &rampart_core::base::ConsensusEvidence {
                first: v1.clone(),
                second: same
            }
        ))
        .unwrap()
        .is_err()
    );
}

/// (f) Missed signatures from the parent certificates reach the core's downtime tracking:
/// while one validator is down, blocks report it missing.
#[test]
fn missed_signatures_reach_downtime_tracking() {
    runner(4, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 0, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 4, Duration::from_secs(60))
            .await;
        let down = dev_address(&validator_name(3));
        let missed = |net: &Net| {
            net.node(0)
                .with_state(|s| s.get::<Validators>(&down).unwrap().uptime.missed)
                .unwrap()
        };
        let before = missed(&net);
        net.crash(3).await;
        let h = net.height(0);
        net.wait_for(&[0, 1, 2], h + 10, Duration::from_secs(120))
            .await;
        let after = missed(&net);
        assert!(
            after >= before + 8,
            "validator-3 missed {before} then {after} blocks"
        );
        // The live ones are not reported missing for those blocks.
        let live = dev_address(&validator_name(0));
        let live_missed = net
            .node(0)
            .with_state(|s| s.get::<Validators>(&live).unwrap().uptime.missed)
            .unwrap();
        assert!(live_missed < after);
    });
}

/// (g) Garbage, oversized messages and votes signed by a non-member are dropped (the sender
/// is blocked and counted); the validators keep finalizing.
#[test]
fn malformed_messages_and_non_member_votes_are_dropped() {
    runner(5, Duration::from_secs(300)).start(|context| async move {
        // Five peers on the network, four seats: peer 4 is an intruder.
        let g = genesis(4, 4, 0, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 5).await;
        for i in 0..4 {
            net.start(i).await;
        }
        net.wait_for(&[0, 1, 2, 3], 3, Duration::from_secs(60))
            .await;
        let intruder = net.validators[4].pk.clone();
        let control = net.oracle.control(intruder.clone());
        let quota = commonware_runtime::Quota::per_second(commonware_utils::NZU32!(1000));
        let mut senders = Vec::new();
        for c in rampart_consensus::engine::CHANNELS {
            senders.push(control.register(c, quota).await.unwrap().0);
        }
        // A vote signed by a key that holds no seat, over the committee with it swapped in.
        let seats = net
            .node(0)
            .with_state(|s| committee(s, 0))
            .unwrap()
            .unwrap();
        let mut keys: Vec<_> = seats
            .members
            .iter()
            .map(|m| convert::public_key(&m.key).unwrap())
            .collect();
        keys[0] = intruder.clone();
        let set = commonware_utils::ordered::Set::from_iter_dedup(keys);
        let fake = Scheme::signer(
            &consensus_namespace(CHAIN_ID),
            set,
            net.validators[4].key.clone(),
        )
        .unwrap();
        let vote = commonware_consensus::simplex::types::Vote::Notarize(
            Notarize::sign(&fake, proposal(2, b"x")).unwrap(),
        );
        let mut vote_bytes = Vec::new();
        // Subchannel 0 (epoch 0) of the muxed vote channel.
        commonware_codec::varint::UInt(0u64).write(&mut vote_bytes);
        vote.write(&mut vote_bytes);
        // A well-formed gossip message whose transaction was altered after signing: first on
        // the gossip channel, so it is read before the garbage there blocks the intruder.
        let mut forged = transfer(0, 1, 0);
        forged.args = forged.args.replace("\"1\"", "\"1000\"");
        let forged = bytes::Bytes::from(serde_json::to_vec(&forged).unwrap());
        let _ = senders[5].send(
            Recipients::All,
            rampart_consensus::gossip::encode(&[forged]),
            false,
        );
        let garbage = vec![0xffu8; 512];
        let mut bad_block = vec![0u8; 8];
        bad_block.extend_from_slice(&[0xee; 100]);
        for (i, sender) in senders.iter_mut().enumerate() {
            let _ = sender.send(Recipients::All, garbage.clone(), false);
            if i == 0 {
                let _ = sender.send(Recipients::All, vote_bytes.clone(), false);
            }
            if i == 4 {
                let _ = sender.send(Recipients::All, bad_block.clone(), false);
            }
        }
        // Over the block codec's limits (a transaction of 1 MiB) on the block broadcast and
        // backfill channels: decoding refuses it before allocating.
        let mut oversized = vec![0u8; 8 * 9 + 20 + 32];
        oversized.extend_from_slice(&[0u8; 4]);
        oversized.extend_from_slice(&[0xffu8; 1024 * 1024]);
        let _ = senders[3].send(Recipients::All, oversized.clone(), false);
        let _ = senders[4].send(Recipients::All, oversized, false);
        let h = net.height(0);
        net.wait_for(&[0, 1, 2, 3], h + 5, Duration::from_secs(120))
            .await;
        net.same_roots();
        let blocked = net.oracle.blocked().await.unwrap();
        let blockers = blocked.iter().filter(|(_, b)| *b == intruder).count();
        assert!(blockers >= 1, "the intruder was blocked: {blocked:?}");
        let invalid: u64 = (0..4)
            .map(|i| Stats::get(&net.validators[i].running.stats.gossip_invalid))
            .sum();
        assert!(invalid >= 1, "the forged gossip was refused");
        for i in 0..4 {
            assert_eq!(
                Stats::get(&net.validators[i].running.stats.gossip_admitted),
                0
            );
        }
    });
}

/// A signed transaction of dev account `name`.
fn signed(name: &str, action: serde_json::Value, nonce: u64) -> rampart_api::SignedTx {
    rampart_api::UnsignedTx::from_action_json(&action, nonce, 0, 0)
        .unwrap()
        .sign(&rampart_scenario::names::dev_signing_key(name), CHAIN_ID)
        .unwrap()
}

/// (e) Across consensus epoch boundaries (L = 20): validator-4, active but without a key at
/// genesis, binds one with `set_consensus_key` and joins the committee at the next boundary;
/// validator-3, convicted by a `submit_consensus_evidence` transaction, is tombstoned and drops
/// out. The new committee finalizes, with validator-4 voting and validator-3 following.
#[test]
fn validators_join_and_leave_at_epoch_boundaries() {
    runner(6, Duration::from_secs(600)).start(|context| async move {
        const L: u64 = 20;
        let mut params = bft_params(L);
        params.epoch_length_s = Some(rampart_core::Duration::new(60));
        let g = genesis(5, 4, 1, params);
        let mut net = Net::new(context.child("net"), g, 5).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3, 4], 3, Duration::from_secs(60))
            .await;
        let c0 = net
            .node(0)
            .with_state(|s| committee(s, 0))
            .unwrap()
            .unwrap();
        assert_eq!(c0.members.len(), 4);
        // validator-4 binds its key, with a proof of possession.
        let joiner = dev_address(&validator_name(4));
        let sk = ed25519_consensus::SigningKey::from(consensus_seed(4));
        let pop = sk.sign(&core_consensus::pop_message(CHAIN_ID, &joiner));
        let bind = serde_json::json!({
            "tx": "set_consensus_key",
            "key": format!("{:#x}", consensus_key(4)),
            "p2p_address": "127.0.0.1:26660",
            "pop": format!("0x{}", alloy_primitives::hex::encode(pop.to_bytes())),
        });
        let bind_hash = net
            .node(0)
            .submit(signed(&validator_name(4), bind, 0))
            .unwrap();
        // Evidence against validator-3: two notarizes of one view.
        let set = convert::participants(&c0).unwrap();
        let scheme = Scheme::signer(
            &consensus_namespace(CHAIN_ID),
            set,
            convert::private_key(consensus_seed(3)).unwrap(),
        )
        .unwrap();
        let e = convert::conflicting_notarize(&ConflictingNotarize::new(
            Notarize::sign(&scheme, proposal(2, b"one")).unwrap(),
            Notarize::sign(&scheme, proposal(2, b"two")).unwrap(),
        ))
        .unwrap();
        let mut submit = serde_json::to_value(&e).unwrap();
        submit["tx"] = "submit_consensus_evidence".into();
        net.node(1)
            .submit(signed(&holder_name(0), submit, 0))
            .unwrap();
        // Three boundaries later every node agrees, under a committee with 4 in and 3 out.
        net.wait_for(&[0, 1, 2, 3, 4], 3 * L + 5, Duration::from_secs(300))
            .await;
        net.same_roots();
        let leaver = dev_address(&validator_name(3));
        let status = net
            .node(0)
            .with_state(|s| s.get::<Validators>(&leaver).unwrap().status)
            .unwrap();
        assert_eq!(status, ValidatorStatus::Tombstoned);
        let bound = net.node(0).tx_status(bind_hash).unwrap();
        assert!(
            serde_json::to_string(&bound)
                .unwrap()
                .contains("\"ok\":true"),
            "set_consensus_key: {bound:?}"
        );
        let c3 = net
            .node(0)
            .with_state(|s| committee(s, 3))
            .unwrap()
            .unwrap();
        let members: Vec<_> = c3.members.iter().map(|m| m.validator).collect();
        assert!(!members.contains(&leaver), "validator-3 left: {members:?}");
        // validator-4 is pending until the next staking epoch (60 s) makes it active; the
        // consensus epoch after that seats it.
        let mut joined = None;
        for e in 4..40 {
            net.wait_for(&[0, 1, 2, 4], e * L + 2, Duration::from_secs(300))
                .await;
            let c = net
                .node(0)
                .with_state(|s| committee(s, e))
                .unwrap()
                .unwrap();
            if c.members.iter().any(|m| m.validator == joiner) {
                joined = Some(e);
                break;
            }
        }
        let joined = joined.expect("validator-4 joined a committee");
        net.wait_for(&[0, 1, 2, 4], (joined + 2) * L, Duration::from_secs(300))
            .await;
        net.same_roots();
        assert!(
            Stats::get(&net.validators[4].running.stats.verified) > 0,
            "validator-4 votes"
        );
        // The leaver keeps executing as a follower.
        net.wait_for(&[3], (joined + 2) * L, Duration::from_secs(120))
            .await;
        net.same_roots();
    });
}

/// A leader that proposes invalid blocks is skipped: honest validators refuse its proposals
/// (counted), simplex nullifies its views, and the others' blocks keep finalizing with the same
/// roots; none of its blocks is ever executed.
#[test]
fn a_leader_proposing_invalid_blocks_is_skipped() {
    runner(7, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 0, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.invalid_proposer = Some(0);
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 20, Duration::from_secs(120))
            .await;
        let common = net.same_roots();
        let refused: u64 = (1..4)
            .map(|i| Stats::get(&net.validators[i].running.stats.invalid_blocks))
            .sum();
        assert!(refused > 0, "the invalid proposals were refused");
        let bad = dev_address(&validator_name(0));
        for h in 1..=common {
            let b = net.node(1).block(Some(h)).unwrap();
            assert_ne!(
                b.header.proposer,
                Some(bad),
                "block {h} is the bad leader's"
            );
        }
    });
}

/// Leaders are drawn by stake: validator 0 bonds 60k of the committee's 90k and proposes about
/// two thirds of the blocks; every executed block's proposer holds the seat the core's
/// `leader_seat` draws for the block's (epoch, view), on every node.
#[test]
fn leaders_are_drawn_by_stake() {
    runner(8, Duration::from_secs(300)).start(|context| async move {
        let mut g = genesis(4, 4, 0, bft_params(LONG_EPOCHS));
        g.validators[0].self_bond = rampart_core::Amount::new(60_000 * E18);
        g.accounts
            .iter_mut()
            .find(|a| a.address == g.validators[0].address)
            .unwrap()
            .balances
            .insert("RAM".into(), rampart_core::Amount::new(61_000 * E18));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 60, Duration::from_secs(120))
            .await;
        let common = net.same_roots();
        let (c, stakes) = net
            .node(1)
            .with_state(|s| {
                (
                    committee(s, 0).unwrap(),
                    core_consensus::seat_stakes(s, 0).unwrap(),
                )
            })
            .unwrap();
        assert_eq!(stakes.len(), 4);
        let heavy = dev_address(&validator_name(0));
        let by_heavy = (1..=common)
            .filter(|h| net.node(1).block(Some(*h)).unwrap().header.proposer == Some(heavy))
            .count() as u64;
        // Expected 2/3 of the blocks; the draw's deviation over 60 blocks is about 6 %.
        assert!(
            (common * 45 / 100..=common * 85 / 100).contains(&by_heavy),
            "validator 0 proposed {by_heavy} of {common} blocks with 2/3 of the stake"
        );
        for i in 0..4 {
            let recent = net.node(i).consensus_status().unwrap().recent;
            assert!(recent.len() >= 30);
            for b in recent {
                let seat = core_consensus::leader_seat(&stakes, b.epoch, b.view);
                assert_eq!(
                    b.proposer, c.members[seat].validator,
                    "block {} (view {}) on node {i}",
                    b.height, b.view
                );
            }
        }
    });
}

/// Mempool gossip: transactions sent to one validator reach the others' mempools, so blocks led
/// by the others carry them too; every node counts what it admitted from gossip and none is
/// refused as invalid.
#[test]
fn transactions_sent_to_one_node_are_gossiped_to_every_leader() {
    runner(9, Duration::from_secs(300)).start(|context| async move {
        let g = genesis(4, 4, 8, bft_params(LONG_EPOCHS));
        let mut net = Net::new(context.child("net"), g, 4).await;
        net.start_all().await;
        net.wait_for(&[0, 1, 2, 3], 3, Duration::from_secs(60))
            .await;
        let from = net.height(0);
        const PER_HOLDER: u64 = 10;
        for nonce in 0..PER_HOLDER {
            for h in 0..8 {
                net.node(0).submit(transfer(h, (h + 1) % 8, nonce)).unwrap();
            }
            context.sleep(Duration::from_millis(300)).await;
        }
        net.wait_committed(&[0, 1, 2, 3], 8, PER_HOLDER, Duration::from_secs(120))
            .await;
        let head = net.height(0);
        let first = dev_address(&validator_name(0));
        let others_with_txs = (from + 1..=head)
            .map(|h| net.node(1).block(Some(h)).unwrap())
            .filter(|b| b.header.proposer != Some(first) && !b.txs.is_empty())
            .count();
        assert!(
            others_with_txs >= 3,
            "only {others_with_txs} blocks by other leaders carried node 0's transactions"
        );
        assert!(Stats::get(&net.validators[0].running.stats.gossip_sent) >= 80);
        for i in 1..4 {
            let s = &net.validators[i].running.stats;
            assert!(
                Stats::get(&s.gossip_admitted) > 0,
                "node {i} admitted nothing"
            );
            assert_eq!(Stats::get(&s.gossip_invalid), 0);
            assert_eq!(Stats::get(&s.gossip_malformed), 0);
        }
        net.same_roots();
    });
}
