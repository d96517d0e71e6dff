//! Parameter ranges (issue 9 §6): every parameter of `Params::ranges()` at its minimum and at
//! its maximum is accepted at genesis and by `set_params`, and the chain keeps producing blocks
//! over several epochs with activity on every layer; a value just outside its range is rejected
//! with a typed error (no panic, nothing changed); a change of `epoch_length_s` applies from the
//! next boundary and never renumbers past epochs.

mod common;

use common::{E18, Net, T0, genesis, holder, validator};
use rampart_core::num::ShareAmount;
use rampart_core::params::{Params, ParamsPatch};
use rampart_core::schema::Accounts;
use rampart_core::{Action, Address, Amount, Epoch, Error, Event, Timestamp};
use rampart_scenario::names::dev_address;

fn governance() -> Address {
    dev_address("governance")
}

fn operator() -> Address {
    dev_address("op")
}

/// The patch setting `name` to `value`, written as the parameter's JSON form (a number, or a
/// decimal string for amounts); `Err` if the value does not even parse.
fn patch(name: &str, value: u128) -> Result<ParamsPatch, serde_json::Error> {
    let default = serde_json::to_value(Params::default()).expect("params serialize");
    let literal = if default[name].is_string() {
        format!("\"{value}\"")
    } else {
        value.to_string()
    };
    serde_json::from_str(&format!("{{\"{name}\": {literal}}}"))
}

/// Funding large enough for the largest base fee on every transaction of a run.
const RICH: u128 = 1_000_000_000_000_000_000_000_000_000_000_000;

/// A chain at `params`: two validators, a rich holder, an operator.
fn chain(params: ParamsPatch) -> Result<Net, Error> {
    let mut g = genesis(
        2,
        0,
        &[(holder(0), RICH), (operator(), RICH), (governance(), RICH)],
        params,
    );
    // No commission, so that every value of `commission_max_bps` admits the validators.
    for (i, v) in g.validators.iter_mut().enumerate() {
        v.commission_bps = rampart_core::Bps::ZERO;
        // A BFT genesis (consensus_epoch_blocks > 0) needs validators with consensus keys.
        let seed = rampart_core::base::consensus::dev_consensus_seed(&format!("v{i}"));
        let key = ed25519_consensus::SigningKey::from(seed).verification_key();
        v.consensus_key = Some(alloy_primitives::B256::from(key.to_bytes()));
        v.p2p_address = Some(format!("127.0.0.1:{}", 26_656 + i));
    }
    g.build()?;
    Ok(Net::new(&g))
}

/// Activity on every layer over `epochs` epochs: LST deposits, redemptions and claims, base
/// delegation and undelegation, a restaking deposit of the LST delegated to an operator and a
/// withdrawal queued and completed. Returns the transactions accepted.
fn activity(net: &mut Net, epochs: u64) -> usize {
    let h = holder(0);
    let before = net.accepted;
    // Fails harmlessly when already registered (a second run on the same chain).
    let _ = net.send(operator(), register_operator());
    for e in 0..epochs {
        let _ = net.send(
            h,
            Action::LstDeposit {
                amount: Amount::new(100 * E18),
                min_lst_out: None,
            },
        );
        let _ = net.send(
            h,
            Action::LstRequestRedeem {
                shares: ShareAmount::Exact(rampart_core::Shares::new(E18)),
            },
        );
        for (id, _) in rampart_core::lst::redemptions_of(&net.chain.state, h) {
            let _ = net.send(h, Action::LstClaim { id });
        }
        let v = validator(usize::try_from(e % 2).expect("small"));
        let _ = net.send(
            h,
            Action::DelegateBase {
                validator: v,
                amount: Amount::new(10 * E18),
            },
        );
        let _ = net.send(
            h,
            Action::UndelegateBase {
                validator: v,
                shares: None,
                amount: Some(Amount::new(E18)),
            },
        );
        let _ = net.send(h, Action::ClaimUnbonded {});
        let _ = net.send(
            h,
            Action::Deposit {
                asset: "stRAM".into(),
                amount: Amount::new(E18),
                min_shares_out: None,
            },
        );
        let _ = net.send(
            h,
            Action::Delegate {
                operator: operator(),
                strategy: "stRAM".into(),
                shares: ShareAmount::All,
                validator: None,
            },
        );
        let _ = net.send(
            h,
            Action::QueueWithdrawal {
                operator: Some(operator()),
                strategy: "stRAM".into(),
                shares: ShareAmount::Exact(rampart_core::Shares::new(E18 / 10)),
                validator: None,
            },
        );
        for id in withdrawals(net, h) {
            let _ = net.send(
                h,
                Action::CompleteWithdrawal {
                    id,
                    receive: rampart_core::restaking::Receive::Tokens,
                },
            );
        }
        net.wait(net.epoch_len() / 3);
        net.next_epoch();
    }
    net.accepted - before
}

fn register_operator() -> Action {
    Action::RegisterOperator {
        metadata_uri: String::new(),
        allocation_delay_s: rampart_core::Duration::ZERO,
        default_commission_bps: None,
        signing_key: None,
    }
}

fn withdrawals(net: &Net, staker: Address) -> Vec<rampart_core::ids::WithdrawalId> {
    net.chain
        .state
        .range::<rampart_core::schema::StakerWithdrawals, _>(
            (staker, rampart_core::ids::WithdrawalId(0))..,
        )
        .take_while(|((a, _), _)| *a == staker)
        .map(|((_, id), _)| *id)
        .collect()
}

/// Sends `set_params` with `patch`; on rejection, checks nothing but the signer's nonce changed.
fn set_params(net: &mut Net, patch: ParamsPatch) -> Result<(), Error> {
    let before: Vec<_> = entries(net);
    let r = net.send(governance(), Action::SetParams(Box::new(patch)));
    if r.is_err() {
        let after = entries(net);
        let changed: Vec<u8> = before
            .iter()
            .filter(|e| !after.contains(e))
            .chain(after.iter().filter(|e| !before.contains(e)))
            .map(|(k, _)| k[0])
            .collect();
        assert!(
            changed.is_empty(),
            "a rejected set_params changed tables {changed:?}"
        );
    }
    r.map(|_| ())
}

/// Every entry but the nonces and the balances a fee paid by governance moves.
fn entries(net: &Net) -> Vec<(Vec<u8>, Vec<u8>)> {
    use rampart_core::schema::Balances;
    use rampart_core::state::Table;
    let fee_pool = rampart_core::ids::module::fee_pool();
    net.chain
        .state
        .encoded_entries()
        .into_iter()
        .filter(|(k, _)| {
            let fee = k[0] == Balances::ID
                && (k[1..21] == governance().as_slice()[..] || k[1..21] == fee_pool.as_slice()[..]);
            k[0] != Accounts::ID && !fee
        })
        .collect()
}

/// Each parameter at each end of its range, at genesis: accepted, and four epochs of activity
/// on every layer produce blocks; the value one past each end is refused at genesis with
/// `invalid_input` (or does not parse).
#[test]
fn every_parameter_at_its_bounds_is_accepted_at_genesis_and_the_chain_keeps_going() {
    let ranges = Params::default().ranges();
    assert!(ranges.len() >= 40, "{} ranged parameters", ranges.len());
    let (mut runs, mut refused, mut unparsable) = (0, 0, Vec::new());
    for (name, _, min, max) in ranges {
        for value in [min, max] {
            let p = patch(name, value).unwrap_or_else(|e| panic!("{name}={value}: {e}"));
            let mut net = chain(p).unwrap_or_else(|e| panic!("{name}={value} refused: {e}"));
            let accepted = activity(&mut net, 4);
            assert!(
                accepted >= 8,
                "{name}={value}: only {accepted} transactions accepted"
            );
            runs += 1;
        }
        let outside = [min.checked_sub(1), max.checked_add(1)];
        for value in outside.into_iter().flatten() {
            let Ok(p) = patch(name, value) else {
                unparsable.push(format!("{name}={value}"));
                continue;
            };
            refused += 1;
            let e = chain(p)
                .err()
                .unwrap_or_else(|| panic!("{name}={value} accepted at genesis"));
            assert_eq!(e.code(), "invalid_input", "{name}={value}: {e}");
        }
    }
    println!(
        "{runs} genesis runs at parameter bounds; {refused} values outside refused; not even \
         parsed: {unparsable:?}"
    );
    assert!(refused >= 60, "{refused} values outside their range tried");
}

/// The same through `set_params` on a running chain: each bound is accepted and the chain keeps
/// going under it; one past each bound is refused with `invalid_input` and changes nothing.
#[test]
fn every_parameter_at_its_bounds_is_accepted_by_set_params_and_the_chain_keeps_going() {
    let mut accepted = 0;
    for (name, _, min, max) in Params::default().ranges() {
        let mut net = chain(ParamsPatch::default()).expect("default genesis");
        net.settle();
        if name == "consensus_epoch_blocks" {
            // Fixed at genesis: every value but the chain's own is refused, and nothing changes.
            for value in [max, 1] {
                let e = set_params(&mut net, patch(name, value).expect("parses"))
                    .err()
                    .unwrap_or_else(|| panic!("set_params {name}={value} accepted"));
                assert_eq!(e.code(), "invalid_input", "{name}={value}: {e}");
            }
            assert_eq!(
                u128::from(net.chain.state.params().consensus_epoch_blocks),
                min,
                "{name} changed"
            );
            accepted += activity(&mut net, 1);
            continue;
        }
        for value in [min, max] {
            set_params(&mut net, patch(name, value).expect("parses"))
                .unwrap_or_else(|e| panic!("set_params {name}={value}: {e}"));
            accepted += activity(&mut net, 2);
        }
        let outside = [min.checked_sub(1), max.checked_add(1)];
        for value in outside.into_iter().flatten() {
            let Ok(p) = patch(name, value) else {
                continue;
            };
            let e = set_params(&mut net, p)
                .err()
                .unwrap_or_else(|| panic!("set_params {name}={value} accepted"));
            assert_eq!(e.code(), "invalid_input", "{name}={value}: {e}");
        }
        // Back to the default, and the chain still goes.
        let default = Params::default().ranges();
        let (_, d, _, _) = default.iter().find(|(n, ..)| *n == name).expect("listed");
        set_params(&mut net, patch(name, *d).expect("parses")).expect("back to the default");
        activity(&mut net, 1);
    }
    assert!(accepted >= 500, "accepted {accepted}");
    println!("set_params runs: {accepted} transactions accepted");
}

/// Shortening and lengthening the epoch take effect from the next boundary: the current epoch
/// ends when it was due, past epochs keep their numbers and starts, and one boundary runs one
/// epoch end.
#[test]
fn an_epoch_length_change_applies_from_the_next_boundary_without_renumbering() {
    let mut net = chain(ParamsPatch::default()).expect("genesis");
    const H: u64 = 3_600;
    for _ in 0..5 {
        net.next_epoch();
    }
    assert_eq!(net.chain.state.meta().epoch, Epoch::new(5));
    let starts_before: Vec<(Timestamp, Epoch)> = net
        .chain
        .state
        .iter::<rampart_core::state::EpochStarts>()
        .map(|(t, e)| (*t, *e))
        .collect();
    net.wait(100);
    set_params(&mut net, patch("epoch_length_s", 60).expect("parses")).expect("60 s epochs");
    // Still epoch 5, ending at the hour as it was due.
    assert_eq!(
        net.chain.state.epoch_at(Timestamp::new(net.now())),
        Epoch::new(5)
    );
    assert_eq!(net.next_boundary(), T0 + 6 * H);
    let started = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(e, Event::EpochStarted { .. }))
            .count()
    };
    let events = net.block(T0 + 6 * H - 1);
    assert_eq!(started(&events), 0);
    let events = net.block(T0 + 6 * H);
    assert_eq!(started(&events), 1);
    assert_eq!(net.chain.state.meta().epoch, Epoch::new(6));
    assert_eq!(net.next_boundary(), T0 + 6 * H + 60);
    let events = net.block(T0 + 6 * H + 60 * 10);
    assert_eq!(started(&events), 10, "ten one-minute epochs in ten minutes");
    assert_eq!(net.chain.state.meta().epoch, Epoch::new(16));
    // Past epochs keep their numbers and starts.
    for (t, e) in &starts_before {
        assert_eq!(net.chain.state.epoch_at(*t), *e);
        assert_eq!(net.chain.state.epoch_start(*e).expect("start"), *t);
        assert_eq!(
            net.chain.state.epoch_at(Timestamp::new(t.get() + H - 1)),
            *e
        );
    }
    assert_eq!(
        net.chain
            .state
            .epoch_start(Epoch::new(6))
            .expect("start")
            .get(),
        T0 + 6 * H
    );
    // Lengthening to a week: the current one-minute epoch ends on time, then weeks.
    set_params(&mut net, patch("epoch_length_s", 604_800).expect("parses")).expect("weeks");
    let end = net.next_boundary();
    assert_eq!(end, T0 + 6 * H + 60 * 11);
    let events = net.block(end);
    assert_eq!(started(&events), 1);
    assert_eq!(net.next_boundary(), end + 604_800);
    let events = net.block(end + 604_800 - 1);
    assert_eq!(started(&events), 0);
    assert_eq!(net.chain.state.meta().epoch, Epoch::new(17));
    let accepted = activity(&mut net, 2);
    assert!(accepted >= 8, "accepted {accepted}");
}
