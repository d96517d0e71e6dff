//! Golden encodings of the state (STYLE.md 11; issue 9): one stored entry — full key and Borsh
//! value — of every table, frozen as hex. A store written today must decode with tomorrow's
//! code and re-encode to the same bytes, so a change of any key or value layout (a field added,
//! removed, reordered or resized, a variant renumbered) fails here instead of silently breaking
//! existing stores. A new table fails the coverage test until an entry of it is frozen.
//!
//! The frozen entries were taken from the state of the scenario in [`scenario`]; to extend
//! them, run `print_golden_entries` (ignored) and paste the table's line. Never regenerate an
//! existing line to make a failure pass: a failure here means existing stores need a migration.

mod common;

use common::{E18, Net, genesis, holder, validator};
use rampart_core::State;
use rampart_core::genesis::{GenesisAccount, GenesisAsset};
use rampart_core::ids::fmt_address;
use rampart_core::params::ParamsPatch;
use rampart_core::schema::TABLES;
use rampart_core::{Action, Address, Amount};
use rampart_scenario::names::dev_address;
use serde_json::{Value, json};

fn a(name: &str) -> Address {
    dev_address(name)
}

fn h(x: Address) -> String {
    fmt_address(&x)
}

fn act(v: Value) -> Action {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn send(net: &mut Net, signer: Address, v: Value) {
    let action = act(v);
    net.must(signer, action);
    snap(net);
}

/// States the scenario passed through (tables that are written and later emptied are caught).
static SNAPSHOTS: std::sync::Mutex<Vec<State>> = std::sync::Mutex::new(Vec::new());

fn snap(net: &Net) {
    SNAPSHOTS
        .lock()
        .expect("not poisoned")
        .push(net.chain.state.clone());
}

/// A scenario that writes at least one entry of every table: base stake (bonds, unbonding,
/// redelegation, a commission change), the LST (deposits, a redemption batch, pool unbonding),
/// restaking (deposits, positions, a redelegated tranche, withdrawals, a held then released
/// queue bucket, pending and executed slashes, escrow, a security profile, an approval set),
/// reward programs with a commission, and a vault with a queued and a finalized request.
fn scenario() -> State {
    let mut g = genesis(2, 2, &[], ParamsPatch::default());
    for (symbol, restakable) in [("stETH", true), ("SVC", false)] {
        g.assets.push(GenesisAsset {
            symbol: symbol.into(),
            decimals: 18,
            issuer: Some(a("bridge")),
            restakable,
        });
    }
    for name in ["h0", "h1", "curator"] {
        g.accounts.push(GenesisAccount {
            address: a(name),
            balances: [("stETH".to_owned(), Amount::new(10_000 * E18))].into(),
        });
    }
    for name in ["svc", "svc2"] {
        g.accounts.push(GenesisAccount {
            address: a(name),
            balances: [("SVC".to_owned(), Amount::new(1_000_000 * E18))].into(),
        });
    }
    let mut net = Net::new(&g);
    let (h0, h1) = (holder(0), holder(1));
    let n = |x: u128| x.to_string();
    net.lst_deposit(h0, 1_000 * E18);
    send(
        &mut net,
        h0,
        json!({"tx": "delegate_base", "validator": h(validator(0)), "amount": n(100 * E18)}),
    );
    net.settle();
    snap(&net);
    send(
        &mut net,
        h0,
        json!({"tx": "undelegate_base", "validator": h(validator(0)), "amount": n(10 * E18)}),
    );
    send(
        &mut net,
        h0,
        json!({"tx": "redelegate_base", "from_validator": h(validator(0)), "to_validator": h(validator(1)), "amount": n(10 * E18)}),
    );
    send(
        &mut net,
        validator(1),
        json!({"tx": "set_validator_commission", "commission_bps": 600}),
    );
    net.lst_deposit(h1, 100 * E18);
    net.redeem(h1, Some(10 * E18));
    // More than the buffer: the next boundary unbonds (a pool unbonding entry).
    net.redeem(h0, Some(500 * E18));
    for op in ["op0", "op1"] {
        net.chain.register_operator(a(op), 1_000);
    }
    send(
        &mut net,
        a("svc"),
        json!({"tx": "register_service", "slasher": h(a("svc")), "resolver": h(a("council")),
               "veto_window_s": 86_400, "max_slash_per_event_wad": n(E18 / 2), "destination": "burn"}),
    );
    send(
        &mut net,
        a("svc2"),
        json!({"tx": "register_service", "slasher": h(a("svc2")), "max_slash_per_event_wad": n(E18 / 2), "destination": "burn"}),
    );
    let set = |s: &str, id: u32| format!("{}/{id}", h(a(s)));
    send(
        &mut net,
        a("svc"),
        json!({"tx": "create_operator_set", "set_id": 0, "strategies": ["stETH", "stRAM"]}),
    );
    send(
        &mut net,
        a("svc"),
        json!({"tx": "create_operator_set", "set_id": 1, "strategies": ["stETH"], "admission": "approval"}),
    );
    send(
        &mut net,
        a("svc"),
        json!({"tx": "approve_operator", "operator": h(a("op0")), "set": set("svc", 1)}),
    );
    send(
        &mut net,
        a("svc"),
        json!({"tx": "set_security_profile", "set_id": 0, "profit": n(1_000 * E18), "fault": "safety"}),
    );
    send(
        &mut net,
        a("svc2"),
        json!({"tx": "create_operator_set", "set_id": 0, "strategies": ["stETH"]}),
    );
    for op in ["op0", "op1"] {
        send(
            &mut net,
            a(op),
            json!({"tx": "register_for_set", "set": set("svc", 0)}),
        );
        send(
            &mut net,
            a(op),
            json!({"tx": "allocate", "set": set("svc", 0), "strategy": "stETH", "magnitude": n(E18 / 4)}),
        );
    }
    send(
        &mut net,
        a("op0"),
        json!({"tx": "register_for_set", "set": set("svc2", 0)}),
    );
    send(
        &mut net,
        a("op0"),
        json!({"tx": "allocate", "set": set("svc2", 0), "strategy": "stETH", "magnitude": n(E18 / 4)}),
    );
    send(
        &mut net,
        a("op0"),
        json!({"tx": "set_service_commission", "service": h(a("svc")), "commission_bps": 500}),
    );
    send(
        &mut net,
        a("svc"),
        json!({"tx": "create_reward_program", "service": h(a("svc")), "set": set("svc", 0), "asset": "SVC",
               "amount": n(100_000 * E18), "duration_s": 3_600 * 1_000, "weighting": "delegated"}),
    );
    for (who, amount) in [(a("h0"), 100 * E18), (a("h1"), 100 * E18)] {
        send(
            &mut net,
            who,
            json!({"tx": "deposit", "asset": "stETH", "amount": n(amount)}),
        );
        send(
            &mut net,
            who,
            json!({"tx": "delegate", "operator": h(a("op0")), "strategy": "stETH", "shares": "all"}),
        );
    }
    send(
        &mut net,
        a("curator"),
        json!({
            "tx": "create_vault", "asset": "stETH", "lrt_symbol": "rstETH", "fees": {},
            "deposit_cap": n(1_000_000 * E18), "buffer_bps": 1000,
            "policy": {"allowed_operators": [h(a("op0")), h(a("op1"))], "allowed_services": [h(a("svc")), h(a("svc2"))], "max_per_operator_bps": 10000},
            "seed_amount": n(E18),
        }),
    );
    send(
        &mut net,
        a("h0"),
        json!({"tx": "vault_deposit", "vault": "rstETH", "amount": n(50 * E18)}),
    );
    send(
        &mut net,
        a("curator"),
        json!({"tx": "vault_allocate", "vault": "rstETH", "operator": h(a("op0")), "amount": n(20 * E18)}),
    );
    for lrt in [5 * E18, 5 * E18] {
        send(
            &mut net,
            a("h0"),
            json!({"tx": "vault_request_withdrawal", "vault": "rstETH", "lrt": n(lrt)}),
        );
    }
    net.next_epoch();
    snap(&net);
    send(
        &mut net,
        a("h1"),
        json!({"tx": "redelegate", "from_operator": h(a("op0")), "to_operator": h(a("op1")), "strategy": "stETH", "shares": n(10 * E18)}),
    );
    send(
        &mut net,
        a("h0"),
        json!({"tx": "queue_withdrawal", "operator": h(a("op0")), "strategy": "stETH", "shares": n(10 * E18)}),
    );
    let due = net.now() + 14 * 86_400;
    send(
        &mut net,
        a("svc2"),
        json!({"tx": "slash", "operator": h(a("op0")), "set": set("svc2", 0), "strategies": ["stETH"], "wad": n(E18 / 100)}),
    );
    net.next_epoch();
    snap(&net);
    net.next_epoch();
    snap(&net);
    // A pending request an hour before the withdrawal is due holds it; it expires, releasing it.
    net.block(due - 3_600);
    snap(&net);
    send(
        &mut net,
        a("svc"),
        json!({"tx": "slash", "operator": h(a("op0")), "set": set("svc", 0), "strategies": ["stETH"], "wad": n(E18 / 100)}),
    );
    net.block(due + 3 * 86_400);
    snap(&net);
    // The first vault request is finalized, the second claimed-less too; a new one stays queued.
    send(
        &mut net,
        a("h0"),
        json!({"tx": "vault_request_withdrawal", "vault": "rstETH", "lrt": n(2 * E18)}),
    );
    // A pending slash request stays in the index.
    send(
        &mut net,
        a("svc"),
        json!({"tx": "slash", "operator": h(a("op1")), "set": set("svc", 0), "strategies": ["stETH"], "wad": n(E18 / 100)}),
    );
    // An executed slash's escrow, still held.
    send(
        &mut net,
        a("svc2"),
        json!({"tx": "slash", "operator": h(a("op0")), "set": set("svc2", 0), "strategies": ["stETH"], "wad": n(E18 / 100)}),
    );
    // New stake on a term that has earned: its activation snapshot at the next boundary.
    send(
        &mut net,
        a("h1"),
        json!({"tx": "deposit", "asset": "stETH", "amount": n(10 * E18)}),
    );
    send(
        &mut net,
        a("h1"),
        json!({"tx": "delegate", "operator": h(a("op0")), "strategy": "stETH", "shares": "all"}),
    );
    net.next_epoch();
    snap(&net);
    // Governance: a delegator overrides its validator on a proposal that passes and is queued.
    send(
        &mut net,
        a("h1"),
        json!({"tx": "delegate_base", "validator": h(validator(1)), "amount": n(100 * E18)}),
    );
    net.next_epoch();
    net.next_epoch();
    send(
        &mut net,
        a("h1"),
        json!({"tx": "submit_proposal", "title": "lower the LST fee", "changes": [{"params": {"lst_fee_bps": 900}}], "deposit": n(1_000 * E18)}),
    );
    for v in [validator(0), validator(1)] {
        send(
            &mut net,
            v,
            json!({"tx": "vote", "proposal": 0, "option": "yes"}),
        );
    }
    send(
        &mut net,
        a("h1"),
        json!({"tx": "vote", "proposal": 0, "option": "no"}),
    );
    net.wait(7 * 86_400);
    snap(&net);
    // Objective double-sign evidence (table 44) and a replaced signing key (table 45).
    send(
        &mut net,
        a("svc3"),
        json!({"tx": "register_service", "slasher": h(a("svc3")), "max_slash_per_event_wad": n(E18 / 2),
               "destination": "burn", "double_sign_wad": n(E18 / 10)}),
    );
    send(
        &mut net,
        a("svc3"),
        json!({"tx": "create_operator_set", "set_id": 0, "strategies": ["stETH"]}),
    );
    send(
        &mut net,
        a("op1"),
        json!({"tx": "register_for_set", "set": set("svc3", 0)}),
    );
    send(
        &mut net,
        a("op1"),
        json!({"tx": "allocate", "set": set("svc3", 0), "strategy": "stETH", "magnitude": n(E18 / 4)}),
    );
    net.block(net.now() + 1_000);
    snap(&net);
    let svc3: rampart_core::ids::SetRef = set("svc3", 0).parse().expect("a set name");
    let key = rampart_scenario::names::dev_signing_key("op1");
    let chain_id = net.chain.state.meta().chain_id;
    let sign = |byte: u8| {
        let text = format!("0x{}", format!("{byte:02x}").repeat(32));
        let digest = serde_json::from_value(json!(text)).expect("a 32-byte digest");
        let sig =
            rampart_scenario::attest::attest_hex(&key, chain_id, svc3, 9, digest).expect("signs");
        (text, sig)
    };
    let ((da, sa), (db, sb)) = (sign(0xaa), sign(0xbb));
    send(
        &mut net,
        a("watcher"),
        json!({"tx": "submit_double_sign_evidence", "operator": h(a("op1")), "set": set("svc3", 0),
               "height": 9, "digest_a": da, "signature_a": sa, "digest_b": db, "signature_b": sb}),
    );
    send(
        &mut net,
        a("op0"),
        json!({"tx": "set_signing_key", "signing_key": h(a("op0-hsm"))}),
    );
    // Consensus seats (tables 110–112): a BFT chain whose validators carry consensus keys.
    let mut bft = genesis(
        2,
        0,
        &[],
        ParamsPatch {
            consensus_epoch_blocks: Some(10),
            ..ParamsPatch::default()
        },
    );
    for (i, v) in bft.validators.iter_mut().enumerate() {
        let seed = rampart_core::base::consensus::dev_consensus_seed(&format!("v{i}"));
        let key = ed25519_consensus::SigningKey::from(seed).verification_key();
        v.consensus_key = Some(alloy_primitives::B256::from(key.to_bytes()));
        v.p2p_address = Some(format!("127.0.0.1:{}", 26_656 + i));
    }
    snap(&Net::new(&bft));
    net.chain.state.clone()
}

/// Hex of bytes.
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The first entry of each table, in the first state that has one.
fn first_entries(states: &[State]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut seen = std::collections::BTreeMap::new();
    for state in states {
        for (k, v) in state.encoded_entries() {
            seen.entry(k[0]).or_insert((k, v));
        }
    }
    seen.into_values().collect()
}

/// Prints the golden lines of the scenario's state (run by hand to add a table).
#[test]
#[ignore = "generator: prints the golden entries"]
fn print_golden_entries() {
    scenario();
    let entries = first_entries(&SNAPSHOTS.lock().expect("not poisoned"));
    for (k, v) in &entries {
        let name = TABLES
            .iter()
            .find(|(id, _)| *id == k[0])
            .map_or("?", |(_, n)| n);
        println!("    // {name}\n    (\"{}\", \"{}\"),", hex(k), hex(v));
    }
    let covered: Vec<u8> = entries.iter().map(|(k, _)| k[0]).collect();
    let missing: Vec<&str> = TABLES
        .iter()
        .filter(|(id, _)| !covered.contains(id))
        .map(|(_, n)| *n)
        .collect();
    println!("missing: {missing:?}");
}

/// `(full key, value)` in hex, one per table, frozen.
#[rustfmt::skip]
const GOLDEN: &[(&str, &str)] = &[
    // params
    ("01", "0200000000000000100e000000000000640000000100000080af1b00000000002c010000f401000001000000e803000000000000881300005802000000000000000064a7b3b6e00d000000000000000064000000881300000075120000000000805101000000000000751200000000004012170000000000803a090000000000803a090000000000e803000000000000e8030000e80300000000000000000000000000004000000000010000200000004000000000040000000100000800000020000000a8000000000000004000000000010000000100000000000000000000000000000000000000000000000000000001000040420f0000000000000000000000000040000000400000002000000040000000"),
    // meta
    ("02", "0100000000000000010000000000000000f153650000000000f153650000000005cbfd431775d08438908862aefa2c7491672437000000000000000000f1536500000000100e00000000000000000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000"),
    // accounts
    ("039a7ddc957536337694e1eb9cad0dfd41d2b2aa91", "0200000000000000"),
    // assets
    ("0400000000", "0300000052414d1200000000c063dc88f2d62cac010000000000"),
    // asset_symbols
    ("0552414d", "00000000"),
    // balances
    ("0605838259340f4ed5e90affae6c303f6413e2b6c100000000", "000000a1edccce1bc2d3000000000000"),
    // timers
    ("0700000000655d55b00000000000000000", "0880f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf"),
    // epoch_starts
    ("08000000006553ff10", "0100000000000000"),
    // strategies
    ("1400000000", "0000000000000000000000000000000000000000000000000000000000000000"),
    // deposits
    ("159a7ddc957536337694e1eb9cad0dfd41d2b2aa9100000002", "000010632d5ec76b0500000000000000"),
    // operators
    ("1644bcf83f450fa8e093fc601ca29eed19720e431c", "000000000000000000000000e803000044bcf83f450fa8e093fc601ca29eed19720e431c00000000301b546500000000"),
    // terms
    ("1780f4f9a9570936435af58c80a80f33a6066a001200000002", "000010632d5ec76b050000000000000000000000000000000000000000000000000010632d5ec76b0500000000000000"),
    // magnitude_history
    ("1880f4f9a9570936435af58c80a80f33a6066a0012000000020000000065542940", "00c0730bf7d4d70d0000000000000000"),
    // positions
    ("199a7ddc957536337694e1eb9cad0dfd41d2b2aa9180f4f9a9570936435af58c80a80f33a6066a001200000002", "000010632d5ec76b0500000000000000000010632d5ec76b050000000000000000000000000010632d5ec76b0500000000000000030000000000000000000000301b54650000000000000000"),
    // queue_buckets
    ("1a80f4f9a9570936435af58c80a80f33a6066a0012000000020000000065669e40", "0000e8890423c78a0000000000000000"),
    // withdrawals
    ("1b0000000000000000", "9a7ddc957536337694e1eb9cad0dfd41d2b2aa910180f4f9a9570936435af58c80a80f33a6066a0012020000000000e8890423c78a00000000000000000000e8890423c78a00000000000000004029546500000000409e666500000000"),
    // staker_withdrawals
    ("1c9a7ddc957536337694e1eb9cad0dfd41d2b2aa910000000000000000", ""),
    // services
    ("1da3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf", "00000000a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf01c3ca327654dff231952524750205acddf11837bc80510100000000000000b2d3595bf006000000000000000000803a090000000000000000000000301b546500000000"),
    // operator_sets
    ("1ea3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000000", "0200000002000000010000000000000000"),
    // set_approvals
    ("1fa3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf0000000180f4f9a9570936435af58c80a80f33a6066a0012", ""),
    // memberships
    ("2080f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000000", "00"),
    // set_members
    ("21a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf0000000080f4f9a9570936435af58c80a80f33a6066a0012", ""),
    // allocations
    ("2280f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf0000000000000002", "0000d9e9ac2d7803000000000000000000"),
    // slash_requests
    ("230000000000000000", "0ca30ec3db5c20a6bb696eda139f8539082a207180f4f9a9570936435af58c80a80f33a6066a00120ca30ec3db5c20a6bb696eda139f8539082a20710000000001000000020000000000c16ff2862300000000000000000000000000402954650000000040295465000000000201000000020000000040f09bbce1080000000000000000000000770216fea10700000000000000000000770216fea1070000000000000000"),
    // service_slashes
    ("240ca30ec3db5c20a6bb696eda139f8539082a20710000000000000000", ""),
    // escrows
    ("250000000000000000", "0000000000000000020000000000770216fea1070000000000000000c0635d650000000000"),
    // bridges
    ("2680f4f9a9570936435af58c80a80f33a6066a00120000000244bcf83f450fa8e093fc601ca29eed19720e431c", "0000e8890423c78a00000000000000000000e8890423c78a0000000000000000"),
    // bridge_chunks
    ("2780f4f9a9570936435af58c80a80f33a6066a00120000000244bcf83f450fa8e093fc601ca29eed19720e431c0000000065669e40", "0000e8890423c78a00000000000000000400000000000000"),
    // bridges_in
    ("2844bcf83f450fa8e093fc601ca29eed19720e431c0000000280f4f9a9570936435af58c80a80f33a6066a0012", ""),
    // magnitudes
    ("2980f4f9a9570936435af58c80a80f33a6066a001200000002", "000064a7b3b6e00d00000000000000000000d9e9ac2d78030000000000000000"),
    // security_profiles
    ("2aa3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000000", "0000a0dec5adc93536000000000000000102000000000000000300000000000000301b546500000000"),
    // operator_pending_slashes
    ("2b80f4f9a9570936435af58c80a80f33a6066a00120000000000000001", ""),
    // double_sign_evidence
    ("2c44bcf83f450fa8e093fc601ca29eed19720e431c5f8b26ecb2830ca36ef0c09ef5b2182b85414b31000000000000000000000009", "0400000000000000"),
    // retired_signing_keys
    ("2d80f4f9a9570936435af58c80a80f33a6066a0012000000006586705880f4f9a9570936435af58c80a80f33a6066a0012", "58fb736500000000"),
    // validators
    ("3207c0a7eedd781722129ead8385c460d94985dd0a", "00000000f4010000000001000040b2bac9e0191e02000000000000000040b2bac9e0191e02000000000000000010632d5ec76b05000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000f1536500000000"),
    // validator_indexes
    ("3300000000", "07c0a7eedd781722129ead8385c460d94985dd0a"),
    // base_delegations
    ("3407c0a7eedd781722129ead8385c460d94985dd0a07c0a7eedd781722129ead8385c460d94985dd0a", "000040b2bac9e0191e02000000000000000000000000000000f153650000000000000000109f4bb31507c97bce97c00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // activations
    ("35000000000000000207c0a7eedd781722129ead8385c460d94985dd0a", "000010632d5ec76b05000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // unbondings
    ("360000000000000000", "9a7ddc957536337694e1eb9cad0dfd41d2b2aa9107c0a7eedd781722129ead8385c460d94985dd0a0000e8890423c78a00000000000000001915000000000000b0ca6f6500000000"),
    // delegator_unbondings
    ("379a7ddc957536337694e1eb9cad0dfd41d2b2aa910000000000000000", ""),
    // unbond_cumulative
    ("3807c0a7eedd781722129ead8385c460d94985dd0a00000000000015190000000000000000", "0000e8890423c78a0000000000000000"),
    // redelegation_cumulative
    ("3907c0a7eedd781722129ead8385c460d94985dd0ad318311fd0fdecdf767f2d8aa2a8e9716008f36d00000000000015190000000000000000", "b13121c73fcac68a0000000000000000"),
    // redelegation_targets
    ("3a07c0a7eedd781722129ead8385c460d94985dd0ad318311fd0fdecdf767f2d8aa2a8e9716008f36d", ""),
    // lst_pools
    ("3c", "010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000a0dec5adc935360000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // redemptions
    ("3d0000000000000000", "05838259340f4ed5e90affae6c303f6413e2b6c10000e8890423c78a0000000000000000ffffe7890423c78a00000000000000000300000000000000301b546500000000"),
    // redemption_batches
    ("3e0000000000000003", "c0d86f6500000000"),
    // lst_snapshots
    ("3f0000000000000001", "10ff5365000000000000a0dec5adc93536000000000000000000a0dec5adc93536000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // account_redemptions
    ("4005838259340f4ed5e90affae6c303f6413e2b6c10000000000000000", ""),
    // reward_programs
    ("460000000000000000", "a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecfa3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf0000000003000000000080f64ae1c7022d150000000000000300000000000000e80300000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // active_programs
    ("470000000000000000", ""),
    // reward_indexes
    ("4880f4f9a9570936435af58c80a80f33a6066a0012000000020000000000000000000000000000000000000000a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000003", "000000009407e2c3c9dc8084b6aa560000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000f4c7c315c1a663b930a1090000000000000000000000000000000000"),
    // reward_pending
    ("49000000000000000380f4f9a9570936435af58c80a80f33a6066a0012000000020000000000000000000000000000000000000000", "000010632d5ec76b0500000000000000"),
    // reward_activations
    ("4a000000000000019c80f4f9a9570936435af58c80a80f33a6066a0012000000020000000000000000000000000000000000000000a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000003", "0080cc3596648047de7e86348f343d88000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008070b6f1f91c958b4d224dd7254d0a00000000000000000000000000000000"),
    // service_commissions
    ("4b80f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf", "e803000001f4010000b0555d6500000000"),
    // reward_maturities
    ("4c80f4f9a9570936435af58c80a80f33a6066a00120000000244bcf83f450fa8e093fc601ca29eed19720e431c0000000065669e40", "01000000a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf030000000000cc60e5d50b36b21a43c9bd4fb06b0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000741159bd5990f802ebf94d25f70b00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // set_joins
    ("4d80f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000000", "0300000000000000"),
    // allocation_raises
    ("4e80f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf0000000000000002", "030000000000000000000000000000000000000000000000"),
    // set_programs
    ("4fa3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000000", "01000000"),
    // vaults
    ("5000000000", "0000000002000000040000005e7d3b10dd10092f6e5d3611ee24cabe528b7612000064a7b3b6e00d0000000000000000000064a7b3b6e00d0000000000000000000000a1edccce1bc2d3000000000000e80300000200000044bcf83f450fa8e093fc601ca29eed19720e431c80f4f9a9570936435af58c80a80f33a6066a0012020000000ca30ec3db5c20a6bb696eda139f8539082a2071a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf1027000000000000000000000000000000000000000000000000301b546500000000"),
    // vault_books
    ("5100000000", "000064a7b3b6e00d0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000301b546500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000301b546500000000"),
    // vault_by_lrt
    ("5200000004", "00000000"),
    // vault_requests
    ("530000000000000000", "000000009a7ddc957536337694e1eb9cad0dfd41d2b2aa910000f4448291634500000000000000000000f444829163450000000000000000301b546500000000309066650000000000"),
    // vault_queue
    ("54000000000000000000000000", ""),
    // vault_owner_requests
    ("559a7ddc957536337694e1eb9cad0dfd41d2b2aa910000000000000000", ""),
    // vault_snapshots
    ("56000000000000000000000004", "40295465000000000000ec58ca65c4c302000000000000000000ec58ca65c4c302000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    // vault_counters
    ("57", "0100000000000000"),
    // vault_finalized
    ("58000000000000000000000000", ""),
    // active_set
    ("5a07c0a7eedd781722129ead8385c460d94985dd0a", ""),
    // validator_power
    ("5bfffffffffffffde1e61f36454dbfffff07c0a7eedd781722129ead8385c460d94985dd0a", ""),
    // commission_changes
    ("5c0000000000000004d318311fd0fdecdf767f2d8aa2a8e9716008f36d", ""),
    // module_unbondings
    ("5d72616d706172740007000000000000000000000007c0a7eedd781722129ead8385c460d94985dd0a00000000656fd8c0", "0100000000000000"),
    // queue_releases
    ("5e80f4f9a9570936435af58c80a80f33a6066a0012000000020000000065669e40", "00c0730bf7d4d70d0000000000000000"),
    // commissions_earned
    ("5f80f4f9a9570936435af58c80a80f33a6066a0012a3e79fb6bebce0d9d6e2acba6ad9b8d3b1270ecf00000003", "0000e8890423c78a0000000000000000"),
    // gov_state
    ("64", "00000000000000000000000000000000000000000000"),
    // proposals
    ("650000000000000000", "05838259340f4ed5e90affae6c303f6413e2b6c1110000006c6f77657220746865204c535420666565000000000100000000130000007b226c73745f6665655f627073223a3930307d010000a0dec5adc9353600000000000000f0bc6a6500000000f0317d65000000000170f773650000000000000000"),
    // proposal_deposits
    ("66000000000000000005838259340f4ed5e90affae6c303f6413e2b6c1", "0000a0dec5adc9353600000000000000"),
    // votes
    ("67000000000000000007c0a7eedd781722129ead8385c460d94985dd0a", "00"),
    // vote_shares
    ("68000000000000000005838259340f4ed5e90affae6c303f6413e2b6c1d318311fd0fdecdf767f2d8aa2a8e9716008f36d", "993bd46f4d02ed690500000000000000"),
    // option_shares
    ("690000000000000000d318311fd0fdecdf767f2d8aa2a8e9716008f36d01", "993bd46f4d02ed690500000000000000"),
    // voting_proposals
    ("6a0000000000000000", ""),
    // queued_proposals
    ("6b0000000000000000", ""),
    // consensus_keys
    ("6e07c0a7eedd781722129ead8385c460d94985dd0a", "026c2e12b3a995f2a8d0c31bef155ec933b211db1a03b65d4f77a0e1d9c85bae0f0000003132372e302e302e313a3236363536"),
    // consensus_key_owners
    ("6f026c2e12b3a995f2a8d0c31bef155ec933b211db1a03b65d4f77a0e1d9c85bae", "07c0a7eedd781722129ead8385c460d94985dd0a"),
    // consensus_committees
    ("700000000000000000", "0000000000000000000000000000000002000000026c2e12b3a995f2a8d0c31bef155ec933b211db1a03b65d4f77a0e1d9c85bae07c0a7eedd781722129ead8385c460d94985dd0a0f0000003132372e302e302e313a323636353609a83abf353c679f8e57bb2e65f808ae5105f5e344cd6b330eead2bb0c8acc9bd318311fd0fdecdf767f2d8aa2a8e9716008f36d0f0000003132372e302e302e313a3236363537"),
    // consensus_seat_stakes
    ("710000000000000000", "02000000000040b2bac9e0191e02000000000000000040b2bac9e0191e02000000000000"),
];

#[test]
fn every_frozen_entry_decodes_and_reencodes_to_the_same_bytes() {
    assert!(!GOLDEN.is_empty());
    let raw: Vec<(Vec<u8>, Vec<u8>)> = GOLDEN.iter().map(|(k, v)| (unhex(k), unhex(v))).collect();
    for (k, v) in &raw {
        let state = State::from_entries([(k.as_slice(), v.as_slice())])
            .unwrap_or_else(|e| panic!("table {}: the frozen entry no longer decodes: {e}", k[0]));
        assert_eq!(
            state.encoded_entries(),
            vec![(k.clone(), v.clone())],
            "table {}: the frozen entry re-encodes differently",
            k[0]
        );
    }
}

#[test]
fn every_table_has_a_frozen_entry() {
    let covered: Vec<u8> = GOLDEN.iter().map(|(k, _)| unhex(&k[..2])[0]).collect();
    let missing: Vec<&str> = TABLES
        .iter()
        .filter(|(id, _)| !covered.contains(id))
        .map(|(_, n)| *n)
        .collect();
    assert!(
        missing.is_empty(),
        "tables without a golden entry: {missing:?}"
    );
}

/// Re-encoding alone would not notice two fields of one width swapping places: the frozen
/// entries also decode to the values the scenario wrote.
#[test]
fn frozen_entries_decode_to_the_values_written() {
    let raw: Vec<(Vec<u8>, Vec<u8>)> = GOLDEN.iter().map(|(k, v)| (unhex(k), unhex(v))).collect();
    let state = State::from_entries(raw.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
        .expect("the frozen entries decode");
    let proposal = state
        .get::<rampart_core::schema::Proposals>(&0)
        .expect("the frozen proposal");
    assert_eq!(proposal.title, "lower the LST fee");
    assert_eq!(proposal.proposer, a("h1"));
    assert_eq!(proposal.deposit, Amount::new(1_000 * E18));
    let meta = state.meta();
    assert_eq!(meta.chain_id, 1);
    assert_eq!(meta.genesis_time.get(), common::T0);
    assert_eq!(meta.governance, a("governance"));
    let p = state.params();
    assert_eq!(p.block_time_s.get(), 2);
    assert_eq!(p.epoch_length_s.get(), 3_600);
    assert_eq!(p.unbonding_period_s.get(), 21 * 86_400);
    assert_eq!(p.withdrawal_delay_s.get(), 14 * 86_400);
    assert_eq!(p.max_unbondings_per_delegator, 32);
    assert_eq!(p.max_redelegations_per_position, 8);
    assert_eq!(p.virtual_shares, 1_000);
    assert_eq!(p.min_self_bond.get(), E18);
    let r = state
        .iter::<rampart_core::schema::Redemptions>()
        .next()
        .map(|(_, r)| r.clone())
        .expect("a frozen redemption");
    assert_eq!((r.owner, r.lst.get()), (holder(1), 10 * E18));
    let (addr, v) = state
        .iter::<rampart_core::schema::Validators>()
        .next()
        .expect("a frozen validator");
    assert!([validator(0), validator(1)].contains(addr));
    assert_eq!(v.created_at.get(), common::T0);
    let ((operator, set, height), slash) = state
        .iter::<rampart_core::schema::DoubleSignEvidence>()
        .next()
        .expect("a frozen double sign");
    assert_eq!(
        (*operator, set.service, set.id, *height),
        (a("op1"), a("svc3"), 0, 9)
    );
    assert_eq!(slash.0, 4);
    let ((operator, until, key), replaced_at) = state
        .iter::<rampart_core::schema::RetiredSigningKeys>()
        .next()
        .expect("a frozen replaced key");
    assert_eq!((*operator, *key), (a("op0"), a("op0")));
    assert_eq!(until.get() - replaced_at.get(), 14 * 86_400);
}
