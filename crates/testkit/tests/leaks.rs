//! The value leaks of issue 9 §4, one test each, at default parameters (14-day withdrawal
//! delay, a one-day slash execution window, one-hour epochs): a queued vault request and a
//! restaking withdrawal that fall due while a vetoable slash is pending cannot escape it; the
//! rewards of redelegated stake show and are claimable at once; an operator that joins a set and
//! allocates one second before a distribution earns nothing for that epoch. (The LST queue after
//! a base slash, and a full redemption after validator churn, are in `liveness.rs`.)
//!
//! Every block start must succeed and the invariants hold after every block and transaction.

mod common;

use common::{E18, Net, genesis};
use rampart_core::genesis::GenesisAsset;
use rampart_core::ids::SlashId;
use rampart_core::num::{ShareAmount, mul_div_floor};
use rampart_core::params::ParamsPatch;
use rampart_core::restaking::{Admission, Destination, Receive, RegisterService, SlashArgs};
use rampart_core::rewards::{CreateRewardProgram, Weighting};
use rampart_core::vault::{AmountOrAll, CreateVault, Policy, VaultFees};
use rampart_core::{Action, Address, Amount, Bps, Duration, Error, Outcome, SetRef, WAD, Wad};
use rampart_scenario::names::dev_address;

const DAY: u64 = 86_400;
const LRT: &str = "rstETH";

fn a(name: &str) -> Address {
    dev_address(name)
}
fn svc() -> Address {
    a("svc")
}
fn council() -> Address {
    a("council")
}
fn set() -> SetRef {
    SetRef {
        service: svc(),
        id: 0,
    }
}

/// A chain with stETH (restakable) and SVC (a reward asset), `stakers` holding 10,000 stETH each,
/// operators op0 and op1 registered (10 % commission), and `svc` with set `svc/0` on stETH —
/// vetoable by `council` for a day when `vetoable` — that both operators join with half their
/// magnitude allocated (see [`chain_joined`]).
fn chain(stakers: &[&str], vetoable: bool) -> Net {
    chain_joined(stakers, vetoable, &["op0", "op1"])
}

/// [`chain`] with only the operators in `joined` in the set.
fn chain_joined(stakers: &[&str], vetoable: bool, joined: &[&str]) -> Net {
    let mut g = genesis(0, 0, &[], ParamsPatch::default());
    for (symbol, restakable) in [("stETH", true), ("SVC", false)] {
        g.assets.push(GenesisAsset {
            symbol: symbol.into(),
            decimals: 18,
            issuer: Some(a("bridge")),
            restakable,
        });
    }
    for s in stakers {
        g.accounts.push(rampart_core::genesis::GenesisAccount {
            address: a(s),
            balances: [("stETH".to_owned(), Amount::new(10_000 * E18))].into(),
        });
    }
    g.accounts.push(rampart_core::genesis::GenesisAccount {
        address: svc(),
        balances: [("SVC".to_owned(), Amount::new(1_000_000 * E18))].into(),
    });
    let mut net = Net::new(&g);
    for op in ["op0", "op1"] {
        net.chain.register_operator(a(op), 1_000);
    }
    net.must(
        svc(),
        Action::RegisterService(RegisterService {
            metadata_uri: String::new(),
            slasher: svc(),
            resolver: vetoable.then(council),
            veto_window_s: Duration::new(if vetoable { DAY } else { 0 }),
            max_slash_per_event_wad: Wad::new(WAD / 2),
            destination: Destination::Burn,
            resolution_delay_s: None,
            double_sign_wad: None,
        }),
    );
    net.must(
        svc(),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec!["stETH".into()],
            admission: Admission::Open,
        },
    );
    for op in joined {
        join(&mut net, a(op), WAD / 2);
    }
    net
}

fn join(net: &mut Net, op: Address, magnitude: u128) {
    net.must(op, Action::RegisterForSet { set: set() });
    net.must(
        op,
        Action::Allocate {
            set: set(),
            strategy: "stETH".into(),
            magnitude: Wad::new(magnitude),
        },
    );
}

fn deposit_and_delegate(net: &mut Net, staker: Address, op: Address, amount: u128) {
    net.must(
        staker,
        Action::Deposit {
            asset: "stETH".into(),
            amount: Amount::new(amount),
            min_shares_out: None,
        },
    );
    net.must(
        staker,
        Action::Delegate {
            operator: op,
            strategy: "stETH".into(),
            shares: ShareAmount::All,
            validator: None,
        },
    );
}

/// A slash request of `wad` against `op` (pending for a day when the service is vetoable).
fn slash(net: &mut Net, op: Address, wad: u128) -> SlashId {
    match net.must(
        svc(),
        Action::Slash(SlashArgs {
            operator: op,
            set: set(),
            strategies: vec!["stETH".into()],
            wad: Wad::new(wad),
            evidence: String::new(),
        }),
    ) {
        Outcome::Slash(id) => id,
        o => panic!("unexpected {o:?}"),
    }
}

/// How a pending slash request ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Executed,
    Vetoed,
    Expired,
}

/// Resolves request `id` (made at `requested_at` with a one-day veto window) as `end`.
fn resolve(net: &mut Net, id: SlashId, requested_at: u64, end: End) {
    match end {
        End::Vetoed => {
            net.must(council(), Action::VetoSlash { id });
        }
        End::Executed => {
            net.block(requested_at + DAY);
            net.must(a("anyone"), Action::ExecuteSlash { id });
        }
        End::Expired => {
            let window = net.chain.state.params().slash_execution_window_s.get();
            net.block(requested_at + DAY + window);
            let r = net.send(a("anyone"), Action::ExecuteSlash { id });
            assert_eq!(r.map_err(|e| e.code()), Err("slash_not_pending"));
        }
    }
}

// --- a queued vault request falls due during a veto window --------------------------------

fn vault_chain() -> Net {
    let mut net = chain(&["alice", "bob", "curator"], true);
    net.must(
        a("curator"),
        Action::CreateVault(Box::new(CreateVault {
            asset: "stETH".into(),
            curator: None,
            lrt_symbol: LRT.into(),
            fees: VaultFees {
                management_bps: Bps::ZERO,
                performance_bps: Bps::ZERO,
                deposit_bps: Bps::ZERO,
                withdrawal_bps: Bps::ZERO,
            },
            deposit_cap: Amount::new(1_000_000 * E18),
            buffer_bps: Bps::new(1_000),
            policy: Policy {
                allowed_operators: vec![a("op0"), a("op1")],
                allowed_services: vec![svc()],
                max_per_operator_bps: Bps::new(10_000),
            },
            seed_amount: Amount::new(E18),
            min_request: None,
        })),
    );
    for who in ["alice", "bob"] {
        net.must(
            a(who),
            Action::VaultDeposit {
                vault: LRT.into(),
                amount: Amount::new(100 * E18),
                min_lrt_out: None,
            },
        );
    }
    net.must(
        a("curator"),
        Action::VaultAllocate {
            vault: LRT.into(),
            operator: a("op0"),
            amount: Amount::new(60 * E18),
        },
    );
    net
}

/// `(A, T)` of the vault.
fn vault_at(net: &Net) -> (u128, u128) {
    let v = rampart_core::vault::value_now(&net.chain.state, 0).expect("vault");
    (v.assets.get(), v.units().expect("units").get())
}

/// Alice queues her whole exit; a slash request against the vault's operator is made an hour
/// before it falls due and is still pending when it does. However the request ends, the holder
/// who stays (bob, who holds what alice held) is left with at least what alice was paid: the
/// leaver does not push its share of the loss onto the stayer.
#[test]
fn a_queued_vault_request_due_during_a_veto_window_does_not_escape_the_slash() {
    for end in [End::Executed, End::Vetoed, End::Expired] {
        let mut net = vault_chain();
        let (alice, bob) = (a("alice"), a("bob"));
        let lrt = net.balance(alice, LRT);
        assert_eq!(lrt, net.balance(bob, LRT));
        let id = match net.must(
            alice,
            Action::VaultRequestWithdrawal {
                vault: LRT.into(),
                lrt: AmountOrAll::All,
            },
        ) {
            Outcome::VaultRequest(id) => id,
            o => panic!("unexpected {o:?}"),
        };
        let due = net.now() + net.chain.state.params().withdrawal_delay_s.get();
        net.block(due - 3_600);
        let requested_at = net.now();
        // op0 has half its magnitude in svc/0: 20 % cuts 10 % of the vault's 60 there.
        let slash_id = slash(&mut net, a("op0"), WAD / 5);
        net.block(due);
        let steth_before = net.balance(alice, "stETH");
        let claimed = net.send(alice, Action::VaultClaim { id });
        let paid = match claimed {
            Ok(Outcome::Amount(x)) => Some(x.get()),
            Ok(o) => panic!("unexpected {o:?}"),
            Err(e) => {
                // Waiting for the resolution is the other allowed rule.
                assert!(
                    matches!(
                        e,
                        Error::VaultRequestNotFunded { .. } | Error::VaultRequestNotReady { .. }
                    ),
                    "{end:?}: {e}"
                );
                None
            }
        };
        resolve(&mut net, slash_id, requested_at, end);
        let paid = match paid {
            Some(x) => x,
            None => {
                net.next_epoch();
                match net.must(alice, Action::VaultClaim { id }) {
                    Outcome::Amount(x) => x.get(),
                    o => panic!("unexpected {o:?}"),
                }
            }
        };
        assert_eq!(net.balance(alice, "stETH") - steth_before, paid);
        let (assets, units) = vault_at(&net);
        let bob_worth = mul_div_floor(lrt, assets, units).expect("fits");
        assert!(
            bob_worth >= paid,
            "{end:?}: alice left with {paid}, bob's equal holding is worth {bob_worth}"
        );
        if end == End::Executed {
            // The slash took 6 stETH of the vault's 201: alice's share of the loss is hers.
            assert!(
                paid <= mul_div_floor(lrt, 195 * E18, 201 * E18).expect("fits"),
                "{end:?}: alice paid {paid}, above her share after the slash"
            );
        } else {
            // Nothing was taken: bob keeps at least his full value.
            assert!(
                bob_worth >= lrt,
                "{end:?}: bob's {lrt} LRT are worth {bob_worth}"
            );
        }
        assert!(net.accepted >= 12, "accepted {}", net.accepted);
    }
}

// --- a restaking withdrawal matures during a veto window -------------------------------------

/// The withdrawal, queued two weeks before, matures an hour after a slash request against its
/// operator: completing it fails with `withdrawal_held` while the request is pending; then it
/// pays net of the slash if the request is executed, and in full if it is vetoed or expires
/// (completed at the request's expiry at the latest).
#[test]
fn a_restaking_withdrawal_maturing_in_a_veto_window_is_held_until_the_request_ends() {
    for end in [End::Executed, End::Vetoed, End::Expired] {
        let mut net = chain(&["d0"], true);
        let d0 = a("d0");
        deposit_and_delegate(&mut net, d0, a("op0"), 100 * E18);
        let id = match net.must(
            d0,
            Action::QueueWithdrawal {
                operator: Some(a("op0")),
                strategy: "stETH".into(),
                shares: ShareAmount::All,
                validator: None,
            },
        ) {
            Outcome::Withdrawal(id) => id,
            o => panic!("unexpected {o:?}"),
        };
        let due = net.now() + net.chain.state.params().withdrawal_delay_s.get();
        net.block(due - 3_600);
        let requested_at = net.now();
        // 20 % of op0's half-magnitude allocation: 10 % of its magnitude.
        let slash_id = slash(&mut net, a("op0"), WAD / 5);
        net.block(due);
        let complete = Action::CompleteWithdrawal {
            id,
            receive: Receive::Tokens,
        };
        for t in [due, requested_at + DAY / 2] {
            if t > net.now() {
                net.block(t);
            }
            let r = net.send(d0, complete.clone());
            assert_eq!(
                r.map_err(|e| e.code()),
                Err("withdrawal_held"),
                "{end:?}: at {t}"
            );
        }
        resolve(&mut net, slash_id, requested_at, end);
        // At the latest the hold ends when the request would have expired (the test below
        // checks that a resolved request releases it at once).
        let expiry = requested_at + DAY + net.chain.state.params().slash_execution_window_s.get();
        if net.now() < expiry {
            net.block(expiry);
        }
        let before = net.balance(d0, "stETH");
        net.must(d0, complete.clone());
        let paid = net.balance(d0, "stETH") - before;
        let expected = if end == End::Executed {
            90 * E18
        } else {
            100 * E18
        };
        assert!(
            paid.abs_diff(expected) <= 1,
            "{end:?}: paid {paid}, expected {expected}"
        );
        assert!(net.accepted >= 10, "accepted {}", net.accepted);
    }
}

/// Once a pending request is vetoed or executed, nothing is pending any more: the withdrawal it
/// held can be completed at once, not only when the request would have expired.
#[test]
fn a_held_withdrawal_is_released_as_soon_as_the_request_is_vetoed_or_executed() {
    for end in [End::Vetoed, End::Executed] {
        let mut net = chain(&["d0"], true);
        let d0 = a("d0");
        deposit_and_delegate(&mut net, d0, a("op0"), 100 * E18);
        let id = match net.must(
            d0,
            Action::QueueWithdrawal {
                operator: Some(a("op0")),
                strategy: "stETH".into(),
                shares: ShareAmount::All,
                validator: None,
            },
        ) {
            Outcome::Withdrawal(id) => id,
            o => panic!("unexpected {o:?}"),
        };
        let due = net.now() + net.chain.state.params().withdrawal_delay_s.get();
        net.block(due - 3_600);
        let requested_at = net.now();
        let slash_id = slash(&mut net, a("op0"), WAD / 5);
        net.block(due);
        resolve(&mut net, slash_id, requested_at, end);
        let r = net.send(
            d0,
            Action::CompleteWithdrawal {
                id,
                receive: Receive::Tokens,
            },
        );
        assert!(r.is_ok(), "{end:?}: {:?}", r.map_err(|e| e.to_string()));
    }
}

// --- rewards of redelegated stake ---------------------------------------------------------

fn program(net: &mut Net, per_epoch: u128, epochs: u64, weighting: Weighting) {
    let epoch = net.epoch_len();
    net.must(
        svc(),
        Action::CreateRewardProgram(CreateRewardProgram {
            service: svc(),
            set: set(),
            asset: "SVC".into(),
            amount: Amount::new(per_epoch * u128::from(epochs)),
            start: None,
            duration_s: Duration::new(epochs * epoch),
            weighting,
            multipliers: None,
        }),
    );
}

fn claim(net: &mut Net, staker: Address, op: Option<Address>) -> Result<u128, Error> {
    let before = net.balance(staker, "SVC");
    net.send(
        staker,
        Action::ClaimRewards {
            operator: op,
            strategy: None,
        },
    )?;
    Ok(net.balance(staker, "SVC") - before)
}

/// The shown pending SVC rewards of `staker`'s position with `op`.
fn shown(net: &Net, staker: Address, op: Address) -> u128 {
    let view = rampart_core::query::position_view(&net.chain.state, staker).expect("view");
    view.positions
        .iter()
        .filter(|p| p.operator == op)
        .flat_map(|p| p.pending_rewards.iter())
        .filter(|r| r.asset == "SVC")
        .map(|r| r.amount.get())
        .sum()
}

/// d0 moves its stake from op0 to op1; while the tranche is still slashable by op0 (14 days) it
/// earns op1's rewards, and they can be claimed at once.
#[test]
fn rewards_of_a_redelegated_tranche_are_claimable_at_once() {
    let (mut net, d0, redelegated_at) = redelegated_chain();
    let got = claim(&mut net, d0, Some(a("op1"))).expect("the tranche's rewards are claimable");
    // Two epochs at half of a 1,000 SVC slice, less 10 % commission: about 900.
    assert!(got >= 800 * E18, "claimed {got}");
    assert!(net.now() < redelegated_at + 14 * DAY);
}

/// The same tranche's rewards show in the position's pending rewards.
#[test]
fn rewards_of_a_redelegated_tranche_show_in_pending_rewards() {
    let (mut net, d0, _) = redelegated_chain();
    let shown_before = shown(&net, d0, a("op1"));
    let got = claim(&mut net, d0, Some(a("op1"))).expect("claimable");
    assert!(got > 0);
    assert_eq!(shown_before, got, "pending rewards show what a claim pays");
}

/// d0 and d1 delegate 100 stETH each, to op0 and op1; a program streams 1,000 SVC an epoch by
/// delegated stake; d0 claims, redelegates everything to op1, and two full epochs pass.
fn redelegated_chain() -> (Net, Address, u64) {
    let mut net = chain(&["d0", "d1"], false);
    let (d0, d1) = (a("d0"), a("d1"));
    deposit_and_delegate(&mut net, d0, a("op0"), 100 * E18);
    deposit_and_delegate(&mut net, d1, a("op1"), 100 * E18);
    program(&mut net, 1_000 * E18, 100, Weighting::Delegated);
    net.settle();
    claim(&mut net, d0, None).expect("d0 earned at op0");
    net.must(
        d0,
        Action::Redelegate {
            from_operator: a("op0"),
            to_operator: a("op1"),
            strategy: "stETH".into(),
            shares: ShareAmount::All,
            validator: None,
        },
    );
    let at = net.now();
    // Pending in the epoch it moved; then two full epochs at op1.
    for _ in 0..3 {
        net.next_epoch();
    }
    (net, d0, at)
}

// --- operator reward sniping ----------------------------------------------------------------

/// op1, with stake delegated to it long before, joins the set and allocates one second before a
/// distribution: it (and its delegators) get nothing of that epoch's slice, which goes whole to
/// op0's side; from the next epoch it shares like anyone.
#[test]
fn an_operator_joining_one_second_before_a_distribution_gets_nothing_for_that_epoch() {
    for weighting in [Weighting::Delegated, Weighting::Allocated] {
        let mut net = chain_joined(&["d0", "d1"], false, &["op0"]);
        let (d0, d1, op1) = (a("d0"), a("d1"), a("op1"));
        deposit_and_delegate(&mut net, d0, a("op0"), 100 * E18);
        deposit_and_delegate(&mut net, d1, op1, 100 * E18);
        program(&mut net, 1_000 * E18, 100, weighting);
        net.settle();
        let op1_svc = net.balance(op1, "SVC");
        assert_eq!(
            claim(&mut net, d1, None).map_err(|e| e.code()),
            Err("nothing_to_claim")
        );
        let _ = claim(&mut net, d0, None);
        let boundary = net.next_boundary();
        net.block(boundary - 1);
        net.must(op1, Action::RegisterForSet { set: set() });
        net.must(
            op1,
            Action::Allocate {
                set: set(),
                strategy: "stETH".into(),
                magnitude: Wad::new(WAD / 2),
            },
        );
        net.block(boundary);
        assert_eq!(
            claim(&mut net, d1, None).map_err(|e| e.code()),
            Err("nothing_to_claim"),
            "{weighting:?}: op1's delegator earned from the epoch op1 joined in"
        );
        assert_eq!(
            net.balance(op1, "SVC"),
            op1_svc,
            "{weighting:?}: op1 was paid"
        );
        let d0_got = claim(&mut net, d0, None).expect("d0 earned");
        // The whole slice, less 10 % commission.
        assert!(
            d0_got.abs_diff(900 * E18) <= E18 / 1_000,
            "{weighting:?}: d0 got {d0_got}"
        );
        net.next_epoch();
        let d1_got = claim(&mut net, d1, None).expect("d1 earns from the next epoch");
        assert!(d1_got > 0, "{weighting:?}");
        assert!(net.accepted >= 14, "accepted {}", net.accepted);
    }
}
