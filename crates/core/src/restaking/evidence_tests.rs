//! Double-sign evidence through the full transaction path: every transaction goes through
//! `execute_tx`, which asserts the invariants after it; every expected failure is checked to
//! change nothing but the signer's nonce and fee.

use super::{attestation_signing_hash, magnitude};
use crate::bank::{Accounts, Balances};
use crate::genesis::{Genesis, GenesisAccount, GenesisAsset};
use crate::ids::{Address, SetRef, fmt_address, module};
use crate::num::{Amount, WAD, Wad};
use crate::params::ParamsPatch;
use crate::query::{operator_view, position_view};
use crate::restaking::{Escrows, SlashRequests};
use crate::state::{State, Table};
use crate::time::{Height, Timestamp};
use crate::{Action, BlockHeader, Event, Outcome, Tx, begin_block, execute_tx};
use alloy_primitives::{B256, Signature};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const E18: u128 = WAD;
const CHAIN_ID: u64 = 7;
const GOV: Address = Address::repeat_byte(0x01);
const BRIDGE: Address = Address::repeat_byte(0x02);
const ALICE: Address = Address::repeat_byte(0x11);
const WATCHER: Address = Address::repeat_byte(0x12);
/// Has a double-sign rule of 10 % (cap 50 %), sets 0 and 1 on stETH, burns.
const SVC: Address = Address::repeat_byte(0x31);
/// No double-sign rule.
const PLAIN: Address = Address::repeat_byte(0x32);
/// A rule of 10 % and a resolver: evidence still needs no veto window.
const VETOED: Address = Address::repeat_byte(0x33);

fn key(byte: u8) -> SigningKey {
    SigningKey::from_slice(&[byte; 32]).expect("a valid secret")
}

fn operator() -> Address {
    Address::from_private_key(&key(0x21))
}

fn h(a: Address) -> String {
    fmt_address(&a)
}

fn set(service: Address, id: u32) -> SetRef {
    SetRef { service, id }
}

fn digest(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

/// `key`'s attestation of `digest` for `set` at `height` on chain `chain_id`, as 0x hex.
fn attest(key: &SigningKey, chain_id: u64, set: SetRef, height: u64, digest: B256) -> String {
    let hash = attestation_signing_hash(chain_id, set, height, digest);
    let (sig, recid) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("signing");
    let sig = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    format!("0x{}", alloy_primitives::hex::encode(sig.as_bytes()))
}

/// Evidence that `key` signed digests `a` and `b` for `set` at `height`.
fn evidence(key: &SigningKey, set: SetRef, height: u64, a: u8, b: u8) -> Value {
    json!({
        "tx": "submit_double_sign_evidence",
        "operator": h(operator()),
        "set": set.to_string(),
        "height": height,
        "digest_a": digest(a).to_string(),
        "signature_a": attest(key, CHAIN_ID, set, height, digest(a)),
        "digest_b": digest(b).to_string(),
        "signature_b": attest(key, CHAIN_ID, set, height, digest(b)),
    })
}

struct Chain {
    state: State,
    header: BlockHeader,
    nonces: BTreeMap<Address, u64>,
}

impl Chain {
    /// Alice's 100 stETH delegated to the operator, which allocates half its magnitude to
    /// `SVC/0`, a quarter to `SVC/1` and a tenth to each of `PLAIN/0` and `VETOED/0`, all slashable
    /// at once.
    fn new() -> Self {
        let genesis = Genesis {
            chain_id: CHAIN_ID,
            time: Timestamp::new(0),
            governance: Some(GOV),
            guardian: None,
            params: ParamsPatch::default(),
            assets: vec![GenesisAsset {
                symbol: "stETH".into(),
                decimals: 18,
                issuer: Some(BRIDGE),
                restakable: true,
            }],
            accounts: vec![GenesisAccount {
                address: ALICE,
                balances: [("stETH".to_owned(), Amount::new(100 * E18))].into(),
            }],
            validators: Vec::new(),
        };
        let mut state = genesis.build().expect("genesis");
        state.set_invariant_checks(true);
        let header = BlockHeader::new(Height::new(1), Timestamp::new(0), None);
        begin_block(&mut state, &header).expect("first block");
        let mut c = Self {
            state,
            header,
            nonces: BTreeMap::new(),
        };
        let op = operator();
        c.tx(op, json!({"tx": "register_operator"}));
        let half = (E18 / 2).to_string();
        c.tx(SVC, json!({"tx": "register_service", "slasher": h(SVC), "max_slash_per_event_wad": half, "destination": "burn", "double_sign_wad": (E18 / 10).to_string()}));
        c.tx(PLAIN, json!({"tx": "register_service", "slasher": h(PLAIN), "max_slash_per_event_wad": half, "destination": "burn"}));
        c.tx(VETOED, json!({"tx": "register_service", "slasher": h(VETOED), "resolver": h(GOV), "veto_window_s": 86_400, "max_slash_per_event_wad": half, "destination": "burn", "double_sign_wad": (E18 / 10).to_string()}));
        for (service, id, magnitude) in [
            (SVC, 0, E18 / 2),
            (SVC, 1, E18 / 4),
            (PLAIN, 0, E18 / 10),
            (VETOED, 0, E18 / 10),
        ] {
            c.tx(
                service,
                json!({"tx": "create_operator_set", "set_id": id, "strategies": ["stETH"]}),
            );
            let s = set(service, id).to_string();
            c.tx(op, json!({"tx": "register_for_set", "set": s}));
            c.tx(
                op,
                json!({"tx": "allocate", "set": s, "strategy": "stETH", "magnitude": magnitude.to_string()}),
            );
        }
        c.tx(
            ALICE,
            json!({"tx": "deposit", "asset": "stETH", "amount": (100 * E18).to_string()}),
        );
        c.tx(
            ALICE,
            json!({"tx": "delegate", "operator": h(op), "strategy": "stETH", "shares": "all"}),
        );
        c
    }

    fn send(&mut self, signer: Address, action: Value) -> crate::Receipt {
        let action: Action = serde_json::from_value(action).expect("a well-formed action");
        let nonce = self.nonces.entry(signer).or_insert(0);
        let tx = Tx::unpaid(signer, *nonce, action);
        *nonce += 1;
        execute_tx(&mut self.state, &self.header, tx).expect("valid envelope")
    }

    fn tx(&mut self, signer: Address, action: Value) -> Outcome {
        let what = action.to_string();
        self.send(signer, action)
            .result
            .unwrap_or_else(|e| panic!("{what} failed: {e}"))
    }

    /// Sends a transaction that must fail: returns its code and checks it changed nothing but
    /// the signer's nonce (fees are zero here).
    fn fails(&mut self, signer: Address, action: Value) -> &'static str {
        let before = self.entries_but_nonces();
        let receipt = self.send(signer, action.clone());
        let err = receipt.result.expect_err(&format!("{action} should fail"));
        assert!(receipt.events.is_empty(), "a failed action emits nothing");
        assert_eq!(
            before,
            self.entries_but_nonces(),
            "the failed {action} changed state"
        );
        err.code()
    }

    fn entries_but_nonces(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.state
            .encoded_entries()
            .into_iter()
            .filter(|(k, _)| k[0] != Accounts::ID)
            .collect()
    }

    fn advance(&mut self, seconds: u64) {
        let time = Timestamp::new(self.header.time.get() + seconds);
        let height = Height::new(self.header.height.get() + (seconds / 2).max(1));
        self.header = BlockHeader::new(height, time, None);
        begin_block(&mut self.state, &self.header).expect("block");
    }

    fn withdrawable(&self) -> u128 {
        position_view(&self.state, ALICE)
            .expect("position")
            .positions[0]
            .withdrawable
            .get()
    }

    fn balance(&self, a: Address) -> u128 {
        let id = crate::bank::asset_id(&self.state, "stETH").expect("asset");
        self.state.get::<Balances>(&(a, id)).map_or(0, |b| b.get())
    }

    fn allocation(&self, s: SetRef) -> Wad {
        let id = crate::bank::asset_id(&self.state, "stETH").expect("asset");
        self.state
            .get::<crate::restaking::Allocations>(&(operator(), s, id))
            .map_or(Wad::ZERO, |a| a.current)
    }
}

#[test]
fn a_valid_double_sign_slashes_exactly_double_sign_wad_of_the_allocation() {
    let mut c = Chain::new();
    assert_eq!(c.withdrawable(), 100 * E18);
    let s = set(SVC, 0);
    let receipt = c.send(WATCHER, evidence(&key(0x21), s, 42, 0xaa, 0xbb));
    let Ok(Outcome::Slash(id)) = receipt.result else {
        panic!("evidence refused: {:?}", receipt.result);
    };
    // 10 % of a 0.5 allocation: 0.05 of the magnitude, 5 of Alice's 100 stETH.
    assert_eq!(c.allocation(s), Wad::new(E18 / 2 - E18 / 20));
    let steth = crate::bank::asset_id(&c.state, "stETH").expect("asset");
    assert_eq!(
        magnitude(&c.state, operator(), steth).max_magnitude,
        Wad::new(E18 - E18 / 20)
    );
    assert_eq!(c.withdrawable(), 95 * E18);
    assert_eq!(c.balance(module::slash_escrow()), 5 * E18);
    let request = c.state.get::<SlashRequests>(&id).expect("recorded");
    assert_eq!(request.status, super::SlashStatus::Executed);
    assert_eq!(request.wad, Wad::new(E18 / 10));
    assert!(receipt.events.iter().any(|e| matches!(
        e,
        Event::DoubleSignProven { operator: o, height: 42, submitter, .. }
            if *o == operator() && *submitter == WATCHER
    )));
    assert!(receipt.events.iter().any(|e| matches!(
        e,
        Event::Slashed { amount, .. } if amount.get() == 5 * E18
    )));
    // Without a reward parameter nothing goes to the watcher.
    assert_eq!(c.balance(WATCHER), 0);
}

#[test]
fn evidence_needs_no_veto_window_even_when_the_service_has_a_resolver() {
    let mut c = Chain::new();
    c.tx(WATCHER, evidence(&key(0x21), set(VETOED, 0), 1, 1, 2));
    // 10 % of a 0.1 allocation of 100 stETH.
    assert_eq!(c.withdrawable(), 99 * E18);
}

#[test]
fn reused_evidence_fails_with_evidence_already_used() {
    let mut c = Chain::new();
    let s = set(SVC, 0);
    c.tx(WATCHER, evidence(&key(0x21), s, 42, 0xaa, 0xbb));
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), s, 42, 0xaa, 0xbb)),
        "evidence_already_used"
    );
    // Another pair of digests for the same (operator, set, height) is the same offence.
    assert_eq!(
        c.fails(ALICE, evidence(&key(0x21), s, 42, 0xcc, 0xdd)),
        "evidence_already_used"
    );
    // Another height is another offence.
    c.tx(WATCHER, evidence(&key(0x21), s, 43, 0xaa, 0xbb));
}

#[test]
fn equal_digests_fail_with_evidence_not_conflicting() {
    let mut c = Chain::new();
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), set(SVC, 0), 42, 0xaa, 0xaa)),
        "evidence_not_conflicting"
    );
}

#[test]
fn a_signature_by_another_key_fails_with_evidence_bad_signature() {
    let mut c = Chain::new();
    let s = set(SVC, 0);
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x99), s, 42, 0xaa, 0xbb)),
        "evidence_bad_signature"
    );
    // One good signature and one by another key.
    let mut mixed = evidence(&key(0x21), s, 42, 0xaa, 0xbb);
    mixed["signature_b"] = attest(&key(0x99), CHAIN_ID, s, 42, digest(0xbb)).into();
    assert_eq!(c.fails(WATCHER, mixed), "evidence_bad_signature");
    // Signed for another chain, another height or another set.
    for (chain, height, other) in [
        (CHAIN_ID + 1, 42, s),
        (CHAIN_ID, 41, s),
        (CHAIN_ID, 42, set(SVC, 1)),
    ] {
        let mut wrong = evidence(&key(0x21), s, 42, 0xaa, 0xbb);
        wrong["signature_a"] = attest(&key(0x21), chain, other, height, digest(0xaa)).into();
        assert_eq!(c.fails(WATCHER, wrong), "evidence_bad_signature");
    }
    // Malformed: too short, bad v.
    let mut short = evidence(&key(0x21), s, 42, 0xaa, 0xbb);
    short["signature_a"] = "0x1234".into();
    assert_eq!(c.fails(WATCHER, short), "evidence_bad_signature");
    let mut bad_v = evidence(&key(0x21), s, 42, 0xaa, 0xbb);
    let mut text = bad_v["signature_b"].as_str().expect("hex").to_owned();
    text.replace_range(text.len() - 2.., "1d");
    bad_v["signature_b"] = text.into();
    assert_eq!(c.fails(WATCHER, bad_v), "evidence_bad_signature");
    assert_eq!(c.withdrawable(), 100 * E18);
}

#[test]
fn the_registered_signing_key_is_the_one_checked() {
    let mut c = Chain::new();
    // An operator whose signing key is not its account: its account's signatures do not count.
    let account_key = key(0x41);
    let op2 = Address::from_private_key(&account_key);
    let signer = key(0x42);
    c.tx(
        op2,
        json!({"tx": "register_operator", "signing_key": h(Address::from_private_key(&signer))}),
    );
    let s = set(SVC, 0);
    c.tx(op2, json!({"tx": "register_for_set", "set": s.to_string()}));
    let mut by_account = evidence(&account_key, s, 1, 1, 2);
    by_account["operator"] = h(op2).into();
    // Nothing allocated, but the signature is checked first.
    assert_eq!(c.fails(WATCHER, by_account), "evidence_bad_signature");
    let mut by_key = evidence(&signer, s, 1, 1, 2);
    by_key["operator"] = h(op2).into();
    assert_eq!(c.fails(WATCHER, by_key), "not_slashable");
}

#[test]
fn a_service_without_the_rule_fails_with_no_double_sign_rule() {
    let mut c = Chain::new();
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), set(PLAIN, 0), 42, 0xaa, 0xbb)),
        "no_double_sign_rule"
    );
}

#[test]
fn an_operator_past_its_deallocation_delay_fails_with_not_slashable() {
    let mut c = Chain::new();
    let s = set(SVC, 0);
    c.tx(
        operator(),
        json!({"tx": "deregister_from_set", "set": s.to_string()}),
    );
    let delay = c.state.params().deallocation_delay_s.get();
    // Still slashable inside the delay...
    c.advance(delay - 10);
    c.tx(WATCHER, evidence(&key(0x21), s, 1, 0xaa, 0xbb));
    assert_eq!(c.withdrawable(), 95 * E18);
    // ...not from its end on.
    c.advance(10);
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), s, 2, 0xaa, 0xbb)),
        "not_slashable"
    );
}

#[test]
fn two_sets_of_one_service_at_one_height_are_two_offences() {
    let mut c = Chain::new();
    c.tx(WATCHER, evidence(&key(0x21), set(SVC, 0), 42, 0xaa, 0xbb));
    c.tx(WATCHER, evidence(&key(0x21), set(SVC, 1), 42, 0xaa, 0xbb));
    // 10 % of 0.5, then 10 % of 0.25 of the remaining magnitude's worth: 5 + 2.5 stETH.
    assert_eq!(c.allocation(set(SVC, 1)), Wad::new(E18 / 4 - E18 / 40));
    assert_eq!(c.withdrawable(), 100 * E18 - 5 * E18 - 25 * E18 / 10);
    assert_eq!(c.balance(module::slash_escrow()), 75 * E18 / 10);
}

#[test]
fn the_evidence_reward_is_paid_to_the_submitter_out_of_the_escrow() {
    let mut c = Chain::new();
    c.tx(
        GOV,
        json!({"tx": "set_params", "evidence_reward_bps": 1_000}),
    );
    c.tx(WATCHER, evidence(&key(0x21), set(SVC, 0), 42, 0xaa, 0xbb));
    assert_eq!(c.withdrawable(), 95 * E18);
    assert_eq!(c.balance(WATCHER), 5 * E18 / 10);
    assert_eq!(c.balance(module::slash_escrow()), 45 * E18 / 10);
    let (_, escrow) = c.state.iter::<Escrows>().next().expect("escrowed");
    assert_eq!(escrow.amount.get(), 45 * E18 / 10);
    // The whole slash as reward: the escrow is paid out and removed; its timer finds nothing.
    c.tx(
        GOV,
        json!({"tx": "set_params", "evidence_reward_bps": 10_000}),
    );
    c.tx(WATCHER, evidence(&key(0x21), set(SVC, 1), 42, 0xaa, 0xbb));
    assert_eq!(c.balance(WATCHER), 5 * E18 / 10 + 25 * E18 / 10);
    assert_eq!(c.state.iter::<Escrows>().count(), 1);
    c.advance(c.state.params().resolution_delay_s.get() + 1);
    assert_eq!(c.balance(module::slash_escrow()), 0);
    assert_eq!(
        c.fails(
            GOV,
            json!({"tx": "set_params", "evidence_reward_bps": 10_001})
        ),
        "invalid_input"
    );
}

#[test]
fn views_show_objective_fault_exposure_per_set() {
    let c = Chain::new();
    let view = position_view(&c.state, ALICE).expect("position");
    let exposure = &view.positions[0].exposure;
    let of = |s: SetRef| exposure.iter().find(|e| e.set == s).expect("exposed");
    assert_eq!(of(set(SVC, 0)).double_sign_wad, Some(Wad::new(E18 / 10)));
    assert_eq!(of(set(SVC, 0)).double_sign_loss, Some(Amount::new(5 * E18)));
    assert_eq!(
        of(set(SVC, 1)).double_sign_loss,
        Some(Amount::new(25 * E18 / 10))
    );
    assert_eq!(of(set(PLAIN, 0)).double_sign_wad, None);
    assert_eq!(of(set(PLAIN, 0)).double_sign_loss, None);
    let op = operator_view(&c.state, operator()).expect("operator");
    let alloc = op
        .allocations
        .iter()
        .find(|a| a.set == set(SVC, 0))
        .expect("allocated");
    assert_eq!(alloc.double_sign_wad, Some(Wad::new(E18 / 10)));
    assert_eq!(alloc.double_sign_exposure, Some(Amount::new(5 * E18)));
    let json = serde_json::to_value(&op).expect("serializes");
    assert!(json["allocations"][0].get("double_sign_exposure").is_some());
}

#[test]
fn unknown_operator_service_or_set_get_their_codes() {
    let mut c = Chain::new();
    let mut unknown_op = evidence(&key(0x21), set(SVC, 0), 1, 1, 2);
    unknown_op["operator"] = h(ALICE).into();
    assert_eq!(c.fails(WATCHER, unknown_op), "unknown_operator");
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), set(ALICE, 0), 1, 1, 2)),
        "unknown_service"
    );
    assert_eq!(
        c.fails(WATCHER, evidence(&key(0x21), set(SVC, 9), 1, 1, 2)),
        "unknown_set"
    );
}

#[test]
fn a_rotated_key_signs_from_now_and_the_old_one_stays_accountable_for_the_deallocation_delay() {
    let mut c = Chain::new();
    let old = key(0x21);
    let new = key(0x22);
    let new_address = Address::from_private_key(&new);
    c.tx(
        operator(),
        json!({"tx": "set_signing_key", "signing_key": h(new_address)}),
    );
    let view = operator_view(&c.state, operator()).expect("operator");
    assert_eq!(view.signing_key, new_address);
    let delay = c.state.params().deallocation_delay_s.get();
    assert_eq!(view.retired_signing_keys.len(), 1);
    assert_eq!(view.retired_signing_keys[0].key, operator());
    assert_eq!(view.retired_signing_keys[0].accountable_until.get(), delay);
    // The new key's double sign counts.
    c.tx(WATCHER, evidence(&new, set(SVC, 0), 1, 0xaa, 0xbb));
    assert_eq!(c.withdrawable(), 95 * E18);
    // One attestation by each key is not a double sign by one key.
    let mut mixed = evidence(&old, set(SVC, 0), 2, 0xaa, 0xbb);
    mixed["signature_b"] = attest(&new, CHAIN_ID, set(SVC, 0), 2, digest(0xbb)).into();
    assert_eq!(c.fails(WATCHER, mixed), "evidence_bad_signature");
    // Rotating right after a double sign escapes nothing: the old key still counts...
    c.advance(delay - 2);
    c.tx(WATCHER, evidence(&old, set(SVC, 1), 1, 0xaa, 0xbb));
    // ...until its window ends; then a thief holding it can frame no one.
    c.advance(2);
    assert_eq!(
        c.fails(WATCHER, evidence(&old, set(SVC, 0), 3, 0xaa, 0xbb)),
        "evidence_bad_signature"
    );
    assert!(
        operator_view(&c.state, operator())
            .expect("operator")
            .retired_signing_keys
            .is_empty()
    );
    c.tx(WATCHER, evidence(&new, set(SVC, 0), 3, 0xaa, 0xbb));
}

#[test]
fn only_an_operator_rotates_and_never_to_its_current_key() {
    let mut c = Chain::new();
    assert_eq!(
        c.fails(
            WATCHER,
            json!({"tx": "set_signing_key", "signing_key": h(WATCHER)})
        ),
        "unknown_operator"
    );
    assert_eq!(
        c.fails(
            operator(),
            json!({"tx": "set_signing_key", "signing_key": h(operator())})
        ),
        "invalid_input"
    );
}

#[test]
fn accountable_replaced_keys_are_bounded_by_max_retired_signing_keys() {
    let mut c = Chain::new();
    let max = c.state.params().max_retired_signing_keys;
    for i in 0..max {
        let k = Address::from_private_key(&key(0x50 + u8::try_from(i).expect("small")));
        c.tx(
            operator(),
            json!({"tx": "set_signing_key", "signing_key": h(k)}),
        );
    }
    let one_more = Address::from_private_key(&key(0x70));
    let rotate = json!({"tx": "set_signing_key", "signing_key": h(one_more)});
    assert_eq!(c.fails(operator(), rotate.clone()), "limit_exceeded");
    // Every replaced key still counts, the first (the account's own) included.
    c.tx(WATCHER, evidence(&key(0x21), set(SVC, 0), 1, 0xaa, 0xbb));
    // Once their windows end they are pruned and the operator may rotate again.
    c.advance(c.state.params().deallocation_delay_s.get());
    c.tx(operator(), rotate);
    let stored = crate::restaking::retired_signing_keys(&c.state, operator()).count();
    assert_eq!(stored, 1, "ended entries are pruned at the next rotation");
}
