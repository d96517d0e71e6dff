//! Governance (issue 13): proposals, stake-weighted votes with delegator overrides, timelocks by
//! risk, the guardian's limited pause. Every test runs at default parameters (7-day votes, the
//! 21-day unbonding and 14-day withdrawal delays) with the invariants checked after every
//! transaction and block.

mod common;

use common::{E18, Net, genesis, holder, validator};
use proptest::prelude::*;
use rampart_core::genesis::Genesis;
use rampart_core::params::ParamsPatch;
use rampart_core::{Action, Address, Query};
use rampart_scenario::names::dev_address;
use serde_json::{Value, json};

fn act(v: Value) -> Action {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn q(net: &Net, v: Value) -> Value {
    let query: Query = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
    query
        .run(&net.chain.state)
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn n(x: u128) -> String {
    x.to_string()
}

fn guardian() -> Address {
    dev_address("guardian")
}

/// Three validators (10,000 RAM each) and holders; holder 0 delegates 20,000 RAM to validator 0,
/// so bonded stake is 50,000 RAM once it has activated.
fn net_with(g: &mut Genesis) -> Net {
    g.guardian = Some(guardian());
    g.accounts.push(rampart_core::genesis::GenesisAccount {
        address: guardian(),
        balances: [("RAM".to_owned(), rampart_core::Amount::new(10 * E18))].into(),
    });
    let mut net = Net::new(g);
    let (h0, v0) = (holder(0), validator(0));
    net.must(
        h0,
        act(json!({"tx": "delegate_base", "validator": v0, "amount": n(20_000 * E18)})),
    );
    net.settle();
    net
}

fn net() -> Net {
    net_with(&mut genesis(3, 4, &[], ParamsPatch::default()))
}

fn submit(net: &mut Net, who: Address, changes: Value, deposit: u128) -> u64 {
    let out = net.must(
        who,
        act(
            json!({"tx": "submit_proposal", "title": "a change", "metadata_uri": "ipfs://x",
                   "changes": changes, "deposit": n(deposit)}),
        ),
    );
    out.created_id()
        .and_then(|v| v.as_u64())
        .expect("a proposal id")
}

fn vote(net: &mut Net, who: Address, id: u64, option: &str) {
    net.must(
        who,
        act(json!({"tx": "vote", "proposal": id, "option": option})),
    );
}

fn proposal(net: &Net, id: u64) -> Value {
    q(net, json!({"query": "governance", "proposal": id}))["proposals"][0].clone()
}

fn amount(v: &Value) -> u128 {
    v.as_str()
        .unwrap_or_else(|| panic!("not an amount: {v}"))
        .parse()
        .expect("a decimal amount")
}

fn time(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a time: {v}"))
}

/// Every validator votes yes (the whole bonded stake, unless a delegator overrides).
fn all_vote_yes(net: &mut Net, id: u64) {
    for v in 0..3 {
        vote(net, validator(v), id, "yes");
    }
}

/// Every validator votes yes and the vote ends: the proposal passes.
fn pass(net: &mut Net, id: u64) {
    all_vote_yes(net, id);
    end_vote(net, id);
}

/// Waits until the proposal's vote has ended (the block at its end time tallies it).
fn end_vote(net: &mut Net, id: u64) {
    let ends = time(&proposal(net, id)["voting_ends_at"]);
    net.block(ends);
}

const MIN_DEPOSIT: u128 = 1_000 * E18;

#[test]
fn a_neutral_change_passes_waits_the_short_timelock_and_applies() {
    let mut net = net();
    let h1 = holder(1);
    let before = net.ram(h1);
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    let p = proposal(&net, id);
    assert_eq!(p["status"], "voting", "{p}");
    assert_eq!(p["risk"], "neutral");
    for v in [validator(0), validator(1)] {
        vote(&mut net, v, id, "yes");
    }
    vote(&mut net, validator(2), id, "no");
    // Stake values include the rewards compounded since genesis (a fraction of a RAM).
    let live = proposal(&net, id)["tally"].clone();
    assert_eq!(amount(&live["yes"]) / E18, 40_000, "{live}");
    assert_eq!(amount(&live["no"]) / E18, 10_000);
    end_vote(&mut net, id);
    let p = proposal(&net, id);
    assert_eq!(p["status"], "queued", "{p}");
    let effect = time(&p["effect_at"]);
    assert_eq!(
        effect,
        net.now() + 86_400,
        "a neutral change waits gov_neutral_delay_s"
    );
    assert_eq!(
        net.ram(h1),
        before,
        "a passed proposal's deposit is refunded"
    );
    assert_eq!(net.chain.state.params().lst_fee_bps.get(), 1_000);
    net.block(effect - 1);
    assert_eq!(net.chain.state.params().lst_fee_bps.get(), 1_000);
    net.block(effect);
    assert_eq!(net.chain.state.params().lst_fee_bps.get(), 500);
    assert_eq!(proposal(&net, id)["status"], "applied");
    assert!(
        q(&net, json!({"query": "governance"}))["queued"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn too_little_stake_voting_misses_quorum_and_burns_the_deposit() {
    let mut net = net();
    let h1 = holder(1);
    let supply = |net: &Net| amount(&q(net, json!({"query": "asset", "asset": "RAM"}))["supply"]);
    let (before, supply_before) = (net.ram(h1), supply(&net));
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    // 10,000 of 50,000 bonded: 20 % < 33.4 %.
    vote(&mut net, validator(2), id, "yes");
    end_vote(&mut net, id);
    assert_eq!(proposal(&net, id)["status"], "no_quorum");
    assert_eq!(net.ram(h1), before - MIN_DEPOSIT, "burned, not refunded");
    assert!(supply(&net) <= supply_before - MIN_DEPOSIT + 100_000 * E18);
    assert_eq!(net.chain.state.params().lst_fee_bps.get(), 1_000);
}

#[test]
fn a_veto_burns_the_deposit_and_a_plain_no_refunds_it() {
    let mut net = net();
    let h1 = holder(1);
    let before = net.ram(h1);
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    vote(&mut net, validator(0), id, "yes");
    vote(&mut net, validator(1), id, "veto");
    vote(&mut net, validator(2), id, "veto");
    end_vote(&mut net, id);
    // 20,000 of 50,000 vetoed: 40 % > 33.4 %.
    assert_eq!(proposal(&net, id)["status"], "vetoed");
    assert_eq!(net.ram(h1), before - MIN_DEPOSIT);

    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    vote(&mut net, validator(0), id, "no");
    vote(&mut net, validator(1), id, "yes");
    end_vote(&mut net, id);
    assert_eq!(proposal(&net, id)["status"], "rejected");
    assert_eq!(
        net.ram(h1),
        before - MIN_DEPOSIT,
        "the second deposit came back"
    );
}

#[test]
fn a_delegator_overrides_its_validator_and_its_stake_moves_follow() {
    let mut net = net();
    let (h0, h2, v0) = (holder(0), holder(2), validator(0));
    let id = submit(
        &mut net,
        h2,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    let tally = |net: &Net| {
        let t = proposal(net, id)["tally"].clone();
        (amount(&t["yes"]) / E18, amount(&t["no"]) / E18)
    };
    vote(&mut net, v0, id, "yes");
    assert_eq!(
        tally(&net),
        (30_000, 0),
        "the validator carries its delegators"
    );
    vote(&mut net, h0, id, "no");
    assert_eq!(
        tally(&net),
        (10_000, 20_000),
        "the delegator's 20,000 moved to no"
    );
    vote(&mut net, h0, id, "yes");
    assert_eq!(tally(&net), (30_000, 0), "voting again changes the option");
    vote(&mut net, h0, id, "no");
    // More stake behind the override counts with it once bonded (pending bonds do not vote).
    net.must(
        h0,
        act(json!({"tx": "delegate_base", "validator": v0, "amount": n(10_000 * E18)})),
    );
    net.settle();
    net.must(
        h0,
        act(json!({"tx": "undelegate_base", "validator": v0, "amount": n(1_000 * E18)})),
    );
    assert_eq!(tally(&net), (10_000, 29_000), "{}", proposal(&net, id));
    // Moving the stake to another validator takes the override along.
    net.must(
        h0,
        act(
            json!({"tx": "redelegate_base", "from_validator": v0, "to_validator": validator(1),
                   "amount": n(9_000 * E18)}),
        ),
    );
    assert_eq!(tally(&net), (10_000, 29_000), "{}", proposal(&net, id));
    // A holder with no bonded stake has no vote.
    let err = net
        .send(
            holder(3),
            act(json!({"tx": "vote", "proposal": id, "option": "yes"})),
        )
        .unwrap_err();
    assert_eq!(err.code(), "no_voting_power");
    end_vote(&mut net, id);
    let p = proposal(&net, id);
    assert_eq!(p["status"], "rejected", "{p}");
    let err = net
        .send(
            v0,
            act(json!({"tx": "vote", "proposal": id, "option": "yes"})),
        )
        .unwrap_err();
    assert_eq!(err.code(), "proposal_closed");
}

#[test]
fn a_risk_raising_change_waits_until_every_exit_open_at_passing_could_complete() {
    let mut net = net();
    let (h0, h1, h2) = (holder(0), holder(1), holder(2));
    // Holdings of every kind the timelock must outlast.
    net.lst_deposit(h1, 5_000 * E18);
    net.must(
        h1,
        act(json!({"tx": "lst_request_redeem", "shares": n(1_000 * E18)})),
    );
    net.must(
        h0,
        act(
            json!({"tx": "redelegate_base", "from_validator": validator(0),
                   "to_validator": validator(1), "amount": n(5_000 * E18)}),
        ),
    );
    net.must(
        h0,
        act(json!({"tx": "restake_native", "validator": validator(0), "amount": n(1_000 * E18)})),
    );
    let id = submit(
        &mut net,
        h2,
        json!([{"params": {"withdrawal_delay_s": 86_400}}]),
        MIN_DEPOSIT,
    );
    let p = proposal(&net, id);
    assert_eq!(p["risk"], "raising");
    assert_eq!(p["changes"][0]["raising"], json!(["withdrawal_delay_s"]));
    pass(&mut net, id);
    let passed_at = net.now();
    let p = proposal(&net, id);
    assert_eq!(p["status"], "queued", "{p}");
    let effect = time(&p["effect_at"]);
    let rules = q(&net, json!({"query": "governance"}))["rules"].clone();
    assert_eq!(effect - passed_at, time(&rules["risk_timelock_s"]));
    assert!(effect - passed_at > 2 * 14 * 86_400 + 21 * 86_400);
    for who in [h0, h1, h2] {
        let exit = q(&net, json!({"query": "exit_path", "account": who}));
        assert!(time(&exit["completes_at"]) < effect, "{exit}");
        assert_eq!(exit["governance"][0]["proposal"], id);
        assert_eq!(
            exit["governance"][0]["exit_completes_before"], true,
            "{exit}"
        );
        let pos = q(&net, json!({"query": "position", "staker": who}));
        assert_eq!(pos["governance"][0]["exit_completes_before"], true, "{pos}");
    }
    net.block(effect - 1);
    assert_eq!(
        net.chain.state.params().withdrawal_delay_s.get(),
        14 * 86_400
    );
    net.block(effect);
    assert_eq!(net.chain.state.params().withdrawal_delay_s.get(), 86_400);
}

#[test]
fn the_guardian_pauses_new_deposits_once_never_exits_and_only_a_proposal_renews() {
    let mut net = net();
    let (h0, h1) = (holder(0), holder(1));
    net.lst_deposit(h1, 1_000 * E18);
    let pause = |net: &mut Net, who: Address, s: u64| {
        net.send(who, act(json!({"tx": "pause_deposits", "duration_s": s})))
    };
    assert_eq!(
        pause(&mut net, h0, 3_600).unwrap_err().code(),
        "unauthorized"
    );
    assert_eq!(
        pause(&mut net, guardian(), 8 * 86_400).unwrap_err().code(),
        "invalid_input",
        "longer than max_pause_s"
    );
    pause(&mut net, guardian(), 86_400).expect("the guardian pauses");
    for (who, tx) in [
        (
            h1,
            json!({"tx": "deposit", "asset": "RAM", "amount": n(E18)}),
        ),
        (h1, json!({"tx": "lst_deposit", "amount": n(E18)})),
    ] {
        let err = net.send(who, act(tx.clone())).unwrap_err();
        assert_eq!(err.code(), "deposits_paused", "{tx}");
    }
    // Exits go on.
    net.must(
        h1,
        act(json!({"tx": "lst_request_redeem", "shares": n(E18)})),
    );
    net.must(
        h0,
        act(json!({"tx": "undelegate_base", "validator": validator(0), "amount": n(E18)})),
    );
    assert_eq!(
        pause(&mut net, guardian(), 3_600).unwrap_err().code(),
        "guardian_pause_used"
    );
    net.wait(86_400);
    net.must(h1, act(json!({"tx": "lst_deposit", "amount": n(E18)})));
    // A proposal renews the pause.
    let id = submit(
        &mut net,
        h1,
        json!([{"renew_pause": {"duration_s": 7_200}}]),
        MIN_DEPOSIT,
    );
    pass(&mut net, id);
    let effect = time(&proposal(&net, id)["effect_at"]);
    net.block(effect);
    assert_eq!(proposal(&net, id)["status"], "applied");
    let err = net
        .send(h1, act(json!({"tx": "lst_deposit", "amount": n(E18)})))
        .unwrap_err();
    assert_eq!(err.code(), "deposits_paused");
    let g = q(&net, json!({"query": "governance"}))["guardian"].clone();
    assert_eq!(g["paused"], true, "{g}");
    assert_eq!(time(&g["paused_until"]), effect + 7_200);
}

#[test]
fn a_change_that_cannot_apply_fails_the_whole_proposal_not_the_block() {
    let mut net = net();
    let h1 = holder(1);
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}},
               {"treasury_spend": {"to": h1, "asset": "RAM", "amount": n(1_000_000 * E18)}}]),
        MIN_DEPOSIT,
    );
    pass(&mut net, id);
    let effect = time(&proposal(&net, id)["effect_at"]);
    net.block(effect);
    let p = proposal(&net, id);
    assert_eq!(p["status"], "failed", "{p}");
    assert!(
        p["failure"]
            .as_str()
            .unwrap()
            .starts_with("insufficient_balance"),
        "{p}"
    );
    assert_eq!(
        net.chain.state.params().lst_fee_bps.get(),
        1_000,
        "all or nothing"
    );
    net.wait(3_600);
}

#[test]
fn deposits_below_the_minimum_wait_then_expire_and_are_burned() {
    let mut net = net();
    let (h1, h2) = (holder(1), holder(2));
    let (b1, b2) = (net.ram(h1), net.ram(h2));
    let err = net
        .send(
            h1,
            act(json!({"tx": "submit_proposal", "title": "t", "changes": [{"params": {"lst_fee_bps": 1}}],
                       "deposit": n(MIN_DEPOSIT / 4 - 1)})),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "below the initial deposit");
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 1}}]),
        MIN_DEPOSIT / 4,
    );
    assert_eq!(proposal(&net, id)["status"], "deposit");
    let err = net
        .send(
            h1,
            act(json!({"tx": "vote", "proposal": id, "option": "yes"})),
        )
        .unwrap_err();
    assert_eq!(err.code(), "proposal_closed");
    net.must(
        h2,
        act(json!({"tx": "deposit_proposal", "proposal": id, "amount": n(100 * E18)})),
    );
    assert_eq!(
        amount(&proposal(&net, id)["deposit"]),
        MIN_DEPOSIT / 4 + 100 * E18
    );
    net.wait(14 * 86_400);
    assert_eq!(proposal(&net, id)["status"], "expired");
    assert_eq!(
        (net.ram(h1), net.ram(h2)),
        (b1 - MIN_DEPOSIT / 4, b2 - 100 * E18),
        "a proposal nobody backed burns its deposits"
    );
    // Reaching the minimum starts the vote.
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 1}}]),
        MIN_DEPOSIT / 2,
    );
    net.must(
        h2,
        act(json!({"tx": "deposit_proposal", "proposal": id, "amount": n(MIN_DEPOSIT / 2)})),
    );
    assert_eq!(proposal(&net, id)["status"], "voting");
}

#[test]
fn votes_are_bounded_and_a_full_deposit_waits_for_a_free_slot() {
    let params = ParamsPatch {
        gov_max_active_proposals: Some(1),
        ..ParamsPatch::default()
    };
    let mut net = net_with(&mut genesis(3, 4, &[], params));
    let (h1, h2) = (holder(1), holder(2));
    let first = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 1}}]),
        MIN_DEPOSIT,
    );
    let full = json!({"tx": "submit_proposal", "title": "t",
                      "changes": [{"params": {"lst_fee_bps": 2}}], "deposit": n(MIN_DEPOSIT)});
    let err = net.send(h2, act(full)).unwrap_err();
    assert_eq!(err.code(), "limit_exceeded", "the one voting slot is taken");
    let second = submit(
        &mut net,
        h2,
        json!([{"params": {"lst_fee_bps": 2}}]),
        MIN_DEPOSIT / 2,
    );
    let top_up =
        json!({"tx": "deposit_proposal", "proposal": second, "amount": n(MIN_DEPOSIT / 2)});
    let err = net.send(h2, act(top_up.clone())).unwrap_err();
    assert_eq!(err.code(), "limit_exceeded");
    assert_eq!(
        amount(&proposal(&net, second)["deposit"]),
        MIN_DEPOSIT / 2,
        "refused whole"
    );
    end_vote(&mut net, first);
    net.must(h2, act(top_up));
    assert_eq!(proposal(&net, second)["status"], "voting");
}

#[test]
fn a_change_that_became_risk_raising_while_queued_waits_the_risk_timelock() {
    let mut net = net();
    let h1 = holder(1);
    // Both pass together: the first lowers the LST fee, the second "sets it to 10 %", neutral
    // against the fee at passing — but a rise once the first has applied.
    let lower = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 500}}]),
        MIN_DEPOSIT,
    );
    let back = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 1_000}}]),
        MIN_DEPOSIT,
    );
    for id in [lower, back] {
        all_vote_yes(&mut net, id);
    }
    end_vote(&mut net, back);
    let passed_at = net.now();
    let p = proposal(&net, back);
    assert_eq!(p["risk"], "neutral", "{p}");
    let effect = time(&p["effect_at"]);
    net.block(effect);
    assert_eq!(
        net.chain.state.params().lst_fee_bps.get(),
        500,
        "only the cut applied"
    );
    let p = proposal(&net, back);
    assert_eq!(p["status"], "queued", "{p}");
    assert_eq!(p["risk"], "raising");
    let rules = q(&net, json!({"query": "governance"}))["rules"].clone();
    assert_eq!(
        time(&p["effect_at"]),
        passed_at + time(&rules["risk_timelock_s"])
    );
    net.block(time(&p["effect_at"]));
    assert_eq!(net.chain.state.params().lst_fee_bps.get(), 1_000);
    assert_eq!(proposal(&net, back)["status"], "applied");
}

#[test]
fn set_params_by_a_single_key_exists_only_where_genesis_names_one() {
    let mut g = genesis(1, 1, &[], ParamsPatch::default());
    g.governance = None;
    let mut net = Net::new(&g);
    let err = net
        .send(
            holder(0),
            act(json!({"tx": "set_params", "lst_fee_bps": 1})),
        )
        .unwrap_err();
    assert_eq!(err.code(), "unauthorized");
}

#[test]
fn every_stored_change_kind_round_trips_and_bad_changes_are_refused_at_submission() {
    let mut net = net();
    let h1 = holder(1);
    for (changes, code) in [
        (json!([]), "invalid_input"),
        (json!([{"params": {"epoch_length_s": 1}}]), "invalid_input"),
        (
            json!([{"register_asset": {"symbol": "RAM"}}]),
            "asset_exists",
        ),
        (
            json!([{"treasury_spend": {"to": h1, "asset": "NOPE", "amount": "1"}}]),
            "unknown_asset",
        ),
        (json!([{"renew_pause": {"duration_s": 0}}]), "invalid_input"),
        (json!([{"prices": {"stETH": "0"}}]), "invalid_input"),
    ] {
        let err = net
            .send(
                h1,
                act(
                    json!({"tx": "submit_proposal", "title": "t", "changes": changes,
                           "deposit": n(MIN_DEPOSIT)}),
                ),
            )
            .unwrap_err();
        assert_eq!(err.code(), code, "{changes}");
    }
    let id = submit(
        &mut net,
        h1,
        json!([{"params": {"lst_fee_bps": 900, "base_fees": {"deposit": "5"}}},
               {"register_asset": {"symbol": "wBTC", "decimals": 8, "restakable": true}},
               {"prices": {"wBTC": "60000000000000000000000"}},
               {"set_guardian": {"guardian": holder(3)}},
               {"renew_pause": {"duration_s": 60}}]),
        MIN_DEPOSIT,
    );
    let p = proposal(&net, id);
    assert_eq!(
        p["risk"], "raising",
        "a new restakable asset and a fee rise"
    );
    assert_eq!(p["changes"][0]["raising"], json!(["base_fees"]));
    assert_eq!(p["changes"][3]["risk"], "neutral");
    pass(&mut net, id);
    let effect = time(&proposal(&net, id)["effect_at"]);
    net.block(effect);
    assert_eq!(proposal(&net, id)["status"], "applied");
    assert_eq!(
        q(&net, json!({"query": "governance"}))["guardian"]["address"],
        json!(holder(3))
    );
    assert!(q(&net, json!({"query": "strategy", "strategy": "wBTC"})).is_object());
}

// --- the rule, as a property -------------------------------------------------------------

/// A holding opened before the vote ends.
#[derive(Clone, Debug)]
enum Holding {
    Base(u128),
    Lst(u128),
    Redeem(u128),
    Unbond(u128),
    Redelegate(u128),
    Deposit(u128),
    Restake(u128),
}

fn holding() -> impl Strategy<Value = Holding> {
    let amt = 1u128..500;
    prop_oneof![
        amt.clone().prop_map(Holding::Base),
        amt.clone().prop_map(Holding::Lst),
        amt.clone().prop_map(Holding::Redeem),
        amt.clone().prop_map(Holding::Unbond),
        amt.clone().prop_map(Holding::Redelegate),
        amt.clone().prop_map(Holding::Deposit),
        amt.prop_map(Holding::Restake),
    ]
}

/// A parameter patch: one to three parameters moved up or down within their ranges.
fn patch() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just(("withdrawal_delay_s", 0u64, 60 * 86_400)),
        Just(("unbonding_period_s", 0, 60 * 86_400)),
        Just(("deallocation_delay_s", 0, 60 * 86_400)),
        Just(("lst_fee_bps", 0, 10_000)),
        Just(("protocol_fee_bps", 0, 10_000)),
        Just(("epoch_length_s", 600, 86_400)),
        Just(("max_withdrawals_per_staker", 1, 4_096)),
        Just(("inflation_bps", 0, 10_000)),
        Just(("gov_quorum_bps", 1, 10_000)),
    ];
    prop::collection::vec((field, 0u64..=1_000), 1..=3).prop_map(|fields| {
        let mut m = serde_json::Map::new();
        for ((name, lo, hi), x) in fields {
            m.insert(name.to_owned(), json!(lo + (hi - lo) * x / 1_000));
        }
        Value::Object(m)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn no_risk_raising_change_applies_before_an_exit_open_at_passing_could_complete(
        holdings in prop::collection::vec(holding(), 1..8),
        patch in patch(),
    ) {
        let mut net = net();
        let operator = dev_address("op");
        net.must(holder(3), act(json!({"tx": "transfer", "to": operator, "asset": "RAM", "amount": n(10 * E18)})));
        net.must(operator, act(json!({"tx": "register_operator"})));
        let mut accepted = 0;
        let mut accounts = vec![holder(0)];
        for (i, h) in holdings.iter().enumerate() {
            // Holder 0 has base stake at validator 0 to unbond, move and restake.
            let who = match h {
                Holding::Unbond(_) | Holding::Redelegate(_) | Holding::Deposit(_) | Holding::Restake(_) => holder(0),
                _ => holder(i % 3),
            };
            accounts.push(who);
            let v = validator(i % 3);
            let tx = match h {
                Holding::Base(x) => json!({"tx": "delegate_base", "validator": v, "amount": n(x * E18)}),
                Holding::Lst(x) => json!({"tx": "lst_deposit", "amount": n(x * E18)}),
                Holding::Redeem(x) => {
                    net.lst_deposit(who, x * E18);
                    json!({"tx": "lst_request_redeem", "shares": n(x * E18 / 2)})
                }
                Holding::Unbond(x) => json!({"tx": "undelegate_base", "validator": validator(0), "amount": n(x * E18)}),
                Holding::Redelegate(x) => json!({"tx": "redelegate_base", "from_validator": validator(0), "to_validator": validator(1 + i % 2), "amount": n(x * E18)}),
                Holding::Deposit(x) => json!({"tx": "restake_native", "validator": validator(0), "amount": n(x * E18)}),
                Holding::Restake(x) => {
                    let v0 = validator(0);
                    net.must(who, act(json!({"tx": "restake_native", "validator": v0, "amount": n(x * E18)})));
                    net.must(who, act(json!({"tx": "delegate", "operator": operator, "strategy": "RAM-native", "validator": v0, "shares": "all"})));
                    json!({"tx": "queue_withdrawal", "operator": operator, "strategy": "RAM-native", "validator": v0, "shares": "all"})
                }
            };
            if net.send(who, act(tx)).is_ok() {
                accepted += 1;
            }
            net.wait(3_600);
        }
        prop_assert!(accepted * 2 >= holdings.len(), "only {accepted} of {} holdings opened", holdings.len());
        let id = submit(&mut net, holder(3), json!([{"params": patch}]), MIN_DEPOSIT);
        pass(&mut net, id);
        let p = proposal(&net, id);
        if p["status"] != "queued" {
            // A patch that moves nothing raises nothing; everything else passes.
            prop_assert_eq!(p["status"].as_str(), Some("queued"), "{}", p);
        }
        let effect = time(&p["effect_at"]);
        let raising = !p["changes"][0]["raising"].as_array().unwrap().is_empty();
        prop_assert_eq!(p["risk"] == "raising", raising);
        if raising {
            for who in &accounts {
                let exit = q(&net, json!({"query": "exit_path", "account": who}));
                prop_assert!(time(&exit["completes_at"]) < effect, "{} exits at {} after the change at {}", who, exit["completes_at"], effect);
                prop_assert_eq!(&exit["governance"][0]["exit_completes_before"], &json!(true));
            }
        }
        net.block(effect);
        let after = proposal(&net, id);
        prop_assert_eq!(after["status"].as_str(), Some("applied"), "{}", after);
    }
}
