//! Vault tests through the full transaction path: every transaction goes through `execute_tx`,
//! which asserts the invariants after it (debug builds); every expected failure is checked to
//! change nothing but the signer's nonce.

use super::*;
use crate::bank::Accounts;
use crate::genesis::{Genesis, GenesisAccount, GenesisAsset};
use crate::ids::AssetId;
use crate::ids::fmt_address;
use crate::num::{Bps, WAD, Wad};
use crate::params::ParamsPatch;
use crate::state::Table;
use crate::{Action, BlockHeader, Height, Outcome, Tx, begin_block, execute_tx};
use alloy_primitives::U256;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const E18: u128 = WAD;

const GOV: Address = Address::repeat_byte(0x01);
const BRIDGE: Address = Address::repeat_byte(0x02);
const CURATOR: Address = Address::repeat_byte(0x10);
const ALICE: Address = Address::repeat_byte(0x11);
const BOB: Address = Address::repeat_byte(0x12);
const CAROL: Address = Address::repeat_byte(0x13);
const ATTACKER: Address = Address::repeat_byte(0x14);
const OP1: Address = Address::repeat_byte(0x21);
const OP2: Address = Address::repeat_byte(0x22);
const OP3: Address = Address::repeat_byte(0x23);
const SVC: Address = Address::repeat_byte(0x31);
const SVC2: Address = Address::repeat_byte(0x32);
const LRT: &str = "rstETH";

fn h(a: Address) -> String {
    fmt_address(&a)
}

fn set(service: Address) -> String {
    format!("{}/0", h(service))
}

fn n(x: u128) -> String {
    x.to_string()
}

struct Chain {
    state: State,
    header: BlockHeader,
    nonces: BTreeMap<Address, u64>,
}

impl Chain {
    fn new(params: Value) -> Self {
        let params: ParamsPatch = serde_json::from_value(params).expect("params");
        let rich = |a: Address| GenesisAccount {
            address: a,
            balances: [
                ("stETH".to_owned(), Amount::new(1_000_000 * E18)),
                ("EIGEN".to_owned(), Amount::new(1_000_000 * E18)),
            ]
            .into(),
        };
        let asset = |symbol: &str, restakable| GenesisAsset {
            symbol: symbol.into(),
            decimals: 18,
            issuer: Some(BRIDGE),
            restakable,
        };
        let genesis = Genesis {
            chain_id: 1,
            time: Timestamp::new(0),
            governance: Some(GOV),
            guardian: None,
            params,
            assets: vec![asset("stETH", true), asset("EIGEN", false)],
            accounts: [CURATOR, ALICE, BOB, CAROL, ATTACKER, SVC]
                .into_iter()
                .map(rich)
                .collect(),
            validators: Vec::new(),
        };
        let mut state = genesis.build().expect("genesis");
        state.set_invariant_checks(true);
        let header = BlockHeader::new(Height::new(1), Timestamp::new(0), None);
        begin_block(&mut state, &header).expect("first block");
        Self {
            state,
            header,
            nonces: BTreeMap::new(),
        }
    }

    fn try_tx(&mut self, signer: Address, action: Value) -> Result<Outcome> {
        let action: Action = serde_json::from_value(action).expect("a well-formed action");
        let nonce = self.nonces.entry(signer).or_insert(0);
        let tx = Tx::unpaid(signer, *nonce, action);
        *nonce += 1;
        execute_tx(&mut self.state, &self.header, tx)
            .expect("valid envelope")
            .result
    }

    fn tx(&mut self, signer: Address, action: Value) -> Outcome {
        let what = action.to_string();
        self.try_tx(signer, action)
            .unwrap_or_else(|e| panic!("{what} failed: {e}"))
    }

    /// Sends a transaction that must fail: returns its code and checks it changed nothing but
    /// the signer's nonce.
    fn fails(&mut self, signer: Address, action: Value) -> &'static str {
        let before = self.entries_but_nonces();
        let err = self
            .try_tx(signer, action.clone())
            .expect_err(&format!("{action} should fail"));
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

    fn now(&self) -> u64 {
        self.header.time.get()
    }

    fn balance(&self, a: Address, symbol: &str) -> u128 {
        let id = crate::bank::asset_id(&self.state, symbol).expect("asset");
        crate::bank::balance(&self.state, a, id).get()
    }

    fn view(&self) -> VaultView {
        vault_view(&self.state, LRT).expect("vault view")
    }

    /// (A, T) of the vault.
    fn at(&self) -> (u128, u128) {
        let v = value_now(&self.state, 0).expect("value");
        (v.assets.get(), v.units().expect("units").get())
    }

    fn deposit(&mut self, who: Address, amount: u128) -> u128 {
        match self.tx(
            who,
            json!({"tx": "vault_deposit", "vault": LRT, "amount": n(amount)}),
        ) {
            Outcome::Amount(a) => a.get(),
            o => panic!("unexpected {o:?}"),
        }
    }

    fn instant(&mut self, who: Address, lrt: &str) -> u128 {
        match self.tx(
            who,
            json!({"tx": "vault_withdraw_instant", "vault": LRT, "lrt": lrt}),
        ) {
            Outcome::Amount(a) => a.get(),
            o => panic!("unexpected {o:?}"),
        }
    }

    fn request(&mut self, who: Address, lrt: &str) -> u64 {
        match self.tx(
            who,
            json!({"tx": "vault_request_withdrawal", "vault": LRT, "lrt": lrt}),
        ) {
            Outcome::VaultRequest(id) => id,
            o => panic!("unexpected {o:?}"),
        }
    }

    fn claim(&mut self, who: Address, id: u64) -> u128 {
        match self.tx(who, json!({"tx": "vault_claim", "id": id})) {
            Outcome::Amount(a) => a.get(),
            o => panic!("unexpected {o:?}"),
        }
    }

    fn allocate(&mut self, op: Address, amount: u128) {
        self.tx(
            CURATOR,
            json!({"tx": "vault_allocate", "vault": LRT, "operator": h(op), "amount": n(amount)}),
        );
    }

    fn slash(&mut self, op: Address, wad: u128) {
        self.tx(
            SVC,
            json!({"tx": "slash", "operator": h(op), "set": set(SVC), "strategies": ["stETH"], "wad": n(wad)}),
        );
    }

    fn set_fees(&mut self, fees: Value) -> Result<Outcome> {
        self.try_tx(
            CURATOR,
            json!({"tx": "vault_set_fees", "vault": LRT, "fees": fees}),
        )
    }
}

/// Operators op1, op2 in `svc/0` (stETH, half their magnitude allocated), op3 in `svc2/0`; a
/// vault `rstETH` on stETH allowing op1–op3 and svc only, 60 % per operator, a 10 % buffer, a
/// 1e18 seed, the given fees.
fn chain_with_vault(params: Value, fees: Value) -> Chain {
    chain_with_vault_and_resolver(params, fees, None)
}

/// [`chain_with_vault`], with `svc`'s slashes vetoable by `resolver` for a day.
fn chain_with_vault_and_resolver(params: Value, fees: Value, resolver: Option<Address>) -> Chain {
    let mut c = Chain::new(params);
    for op in [OP1, OP2, OP3] {
        c.tx(op, json!({"tx": "register_operator"}));
    }
    for s in [SVC, SVC2] {
        let mut service = json!({"tx": "register_service", "slasher": h(s), "max_slash_per_event_wad": n(E18), "destination": "burn"});
        if let Some(r) = resolver.filter(|_| s == SVC) {
            service["resolver"] = json!(h(r));
            service["veto_window_s"] = json!(86_400);
        }
        c.tx(s, service);
        c.tx(
            s,
            json!({"tx": "create_operator_set", "set_id": 0, "strategies": ["stETH"]}),
        );
    }
    for (op, s) in [(OP1, SVC), (OP2, SVC), (OP3, SVC2)] {
        c.tx(op, json!({"tx": "register_for_set", "set": set(s)}));
        c.tx(
            op,
            json!({"tx": "allocate", "set": set(s), "strategy": "stETH", "magnitude": n(E18 / 2)}),
        );
    }
    c.tx(
        CURATOR,
        json!({
            "tx": "create_vault", "asset": "stETH", "lrt_symbol": LRT, "fees": fees,
            "deposit_cap": n(1_000_000 * E18), "buffer_bps": 1000,
            "policy": {"allowed_operators": [h(OP1), h(OP2), h(OP3)], "allowed_services": [h(SVC)], "max_per_operator_bps": 6000},
            "seed_amount": n(E18),
        }),
    );
    c
}

fn plain() -> Chain {
    chain_with_vault(json!({}), json!({}))
}

/// Funds a stETH reward program of `amount` per epoch for `epochs` epochs on `svc/0`.
fn reward_program(c: &mut Chain, per_epoch: u128, epochs: u64) {
    c.tx(
        SVC,
        json!({"tx": "create_reward_program", "service": h(SVC), "set": set(SVC), "asset": "stETH",
               "amount": n(per_epoch * u128::from(epochs)), "duration_s": 3600 * epochs}),
    );
}

/// `a/b ≤ c/d` for rates given as (assets, units).
fn rate_le(lo: (u128, u128), hi: (u128, u128)) -> bool {
    U256::from(lo.0) * U256::from(hi.1) <= U256::from(hi.0) * U256::from(lo.1)
}

// --- creation ----------------------------------------------------------------------------

#[test]
fn the_seed_is_minted_one_to_one_to_the_dead_account_and_the_lrt_is_issued_by_the_vault() {
    let c = plain();
    assert_eq!(c.balance(module::dead(), LRT), E18);
    let lrt = crate::bank::asset_id(&c.state, LRT).unwrap();
    let asset = crate::bank::asset(&c.state, lrt).unwrap();
    assert_eq!(asset.issuer, Some(module::vault(0)));
    assert_eq!(asset.kind, crate::bank::AssetKind::Lrt);
    let v = c.view();
    assert_eq!(v.rate_wad, Wad::new(WAD));
    assert_eq!(v.total_value, Amount::new(E18));
    assert_eq!(v.buffer, Amount::new(E18));
}

#[test]
fn vault_creation_validates_its_inputs_at_their_boundaries() {
    let mut c = plain();
    let base = |seed: u128, fees: Value, symbol: &str, asset: &str| {
        json!({
            "tx": "create_vault", "asset": asset, "lrt_symbol": symbol, "fees": fees,
            "deposit_cap": n(1_000 * E18), "policy": {"max_per_operator_bps": 10000},
            "seed_amount": n(seed),
        })
    };
    let min = c.state.params().vault_min_seed.get();
    assert_eq!(
        c.fails(ALICE, base(min - 1, json!({}), "v2", "stETH")),
        "invalid_input"
    );
    assert_eq!(
        c.fails(
            ALICE,
            base(min, json!({"management_bps": 501}), "v2", "stETH")
        ),
        "vault_fee_above_cap"
    );
    assert_eq!(
        c.fails(ALICE, base(min, json!({}), LRT, "stETH")),
        "asset_exists"
    );
    assert_eq!(
        c.fails(ALICE, base(min, json!({}), "v2", "RAM-native")),
        "invalid_input"
    );
    assert_eq!(
        c.fails(ALICE, base(min, json!({}), "v2", "EIGEN")),
        "unknown_strategy"
    );
    c.tx(ALICE, base(min, json!({"management_bps": 500, "performance_bps": 2000, "deposit_bps": 100, "withdrawal_bps": 100}), "v2", "stETH"));
}

#[test]
fn the_number_of_vaults_is_limited() {
    let mut c = Chain::new(json!({"max_vaults": 1}));
    let create = |symbol: &str| {
        json!({"tx": "create_vault", "asset": "stETH", "lrt_symbol": symbol, "deposit_cap": n(E18),
               "policy": {"max_per_operator_bps": 10000}, "seed_amount": n(E18)})
    };
    c.tx(ALICE, create("v1"));
    assert_eq!(c.fails(ALICE, create("v2")), "limit_exceeded");
}

// --- deposits and the first-depositor attack ------------------------------------------------

#[test]
fn deposits_mint_at_the_rate_after_the_deposit_fee_and_respect_the_cap_and_slippage() {
    let mut c = chain_with_vault(json!({}), json!({"deposit_bps": 10}));
    // 10 bps of 10e18 to the curator; the rest mints at rate 1.
    assert_eq!(c.deposit(ALICE, 10 * E18), 9_990_000_000_000_000_000);
    assert_eq!(
        c.balance(CURATOR, "stETH"),
        1_000_000 * E18 - E18 + 10_000_000_000_000_000
    );
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_deposit", "vault": LRT, "amount": n(E18), "min_lrt_out": n(E18)})
        ),
        "slippage"
    );
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_deposit", "vault": LRT, "amount": n(2_000_000 * E18)})
        ),
        "vault_deposit_cap"
    );
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_deposit", "vault": LRT, "amount": "0"})
        ),
        "invalid_input"
    );
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_deposit", "vault": "nope", "amount": "1"})
        ),
        "unknown_vault"
    );
}

/// TV-24 on a vault with the weakest guard allowed (a seed of 1): the attacker deposits 1,
/// donates 1000 to the vault account and 1000 to the strategy, the victim deposits 1000. An
/// unprotected vault gives the victim 0 shares; here the donations are inert (the value comes
/// from the vault's books, not balances), the victim gets its full 1000 and the attacker loses
/// both donations.
#[test]
fn first_depositor_inflation_fails_for_the_attacker_tv24() {
    let mut c = Chain::new(json!({"vault_min_seed": "1"}));
    c.tx(
        CURATOR,
        json!({"tx": "create_vault", "asset": "stETH", "lrt_symbol": LRT, "deposit_cap": n(E18),
               "policy": {"max_per_operator_bps": 10000}, "seed_amount": "1", "min_request": "1"}),
    );
    let attacker_start = c.balance(ATTACKER, "stETH");
    assert_eq!(c.deposit(ATTACKER, 1), 1);
    for to in [
        module::vault(0),
        module::strategy(crate::bank::asset_id(&c.state, "stETH").unwrap()),
    ] {
        c.tx(
            ATTACKER,
            json!({"tx": "transfer", "to": h(to), "asset": "stETH", "amount": "1000"}),
        );
    }
    assert_eq!(c.at(), (2, 2), "donations do not enter the vault's value");
    assert_eq!(c.deposit(BOB, 1000), 1000, "the victim gets full LRT");
    assert_eq!(c.instant(ATTACKER, "all"), 1);
    assert_eq!(c.instant(BOB, "all"), 1000);
    assert_eq!(c.balance(ATTACKER, "stETH"), attacker_start - 2000);
}

/// TV-25/TV-26 amounts (attacker deposit 1, donation 1e3…1e6, victim 1000…1e5): the victim
/// always gets back exactly its deposit, and the attacker never gains.
#[test]
fn tv25_tv26_donation_amounts_never_cost_the_victim_and_never_pay_the_attacker() {
    for (donation, victim) in [
        (1_000u128, 1_000u128),
        (1_000_000, 1_000),
        (1_000_000, 1_001),
        (1_000_000, 2_000),
        (100_000, 100_000),
    ] {
        let mut c = Chain::new(json!({"vault_min_seed": "1"}));
        c.tx(
            CURATOR,
            json!({"tx": "create_vault", "asset": "stETH", "lrt_symbol": LRT, "deposit_cap": n(E18),
                   "policy": {"max_per_operator_bps": 10000}, "seed_amount": "1", "min_request": "1"}),
        );
        let start = c.balance(ATTACKER, "stETH");
        c.deposit(ATTACKER, 1);
        c.tx(
            ATTACKER,
            json!({"tx": "transfer", "to": h(module::vault(0)), "asset": "stETH", "amount": n(donation)}),
        );
        c.deposit(BOB, victim);
        c.instant(ATTACKER, "all");
        assert_eq!(c.instant(BOB, "all"), victim);
        assert!(c.balance(ATTACKER, "stETH") <= start - donation);
    }
}

#[test]
fn donations_to_the_vault_or_its_strategy_do_not_move_the_rate() {
    let mut c = plain();
    c.deposit(ALICE, 100 * E18);
    c.allocate(OP1, 50 * E18);
    let before = c.at();
    let strategy = module::strategy(crate::bank::asset_id(&c.state, "stETH").unwrap());
    for to in [module::vault(0), strategy] {
        c.tx(
            BOB,
            json!({"tx": "transfer", "to": h(to), "asset": "stETH", "amount": n(7 * E18)}),
        );
    }
    c.tx(
        BOB,
        json!({"tx": "transfer", "to": h(module::vault(0)), "asset": "EIGEN", "amount": n(E18)}),
    );
    assert_eq!(c.at(), before);
}

#[test]
fn the_governance_price_table_never_moves_the_rate_there_is_no_oracle() {
    let mut c = plain();
    c.deposit(ALICE, 100 * E18);
    c.allocate(OP1, 50 * E18);
    let before = c.view().rate_wad;
    c.tx(
        GOV,
        json!({"tx": "set_params", "prices": {"stETH": n(3 * E18), "EIGEN": n(E18 / 7)}}),
    );
    assert_eq!(c.view().rate_wad, before);
}

#[test]
fn lrt_is_minted_only_against_value_no_account_can_mint_or_burn_it() {
    let mut c = plain();
    c.deposit(ALICE, 10 * E18);
    for who in [CURATOR, ALICE, GOV] {
        assert_eq!(
            c.fails(
                who,
                json!({"tx": "mint", "to": h(who), "asset": LRT, "amount": "1"})
            ),
            "unauthorized"
        );
        assert_eq!(
            c.fails(who, json!({"tx": "burn", "asset": LRT, "amount": "1"})),
            "unauthorized"
        );
    }
    // Dust that would mint nothing is refused rather than taken.
    c.tx(
        BOB,
        json!({"tx": "transfer", "to": h(module::vault(0)), "asset": "stETH", "amount": "5"}),
    );
    let (a, t) = c.at();
    assert!(a == t, "the donation did not enter the value");
}

// --- instant exits and the buffer ------------------------------------------------------------

#[test]
fn an_instant_exit_pays_from_the_buffer_less_the_withdrawal_fee() {
    let mut c = chain_with_vault(json!({}), json!({"withdrawal_bps": 50}));
    c.deposit(ALICE, 10 * E18);
    let before = c.balance(ALICE, "stETH");
    assert_eq!(
        c.instant(ALICE, &n(2 * E18)),
        2 * E18 - 10_000_000_000_000_000
    );
    assert_eq!(
        c.balance(ALICE, "stETH"),
        before + 2 * E18 - 10_000_000_000_000_000
    );
    assert_eq!(
        c.view().fees_charged.withdrawal,
        Amount::new(10_000_000_000_000_000)
    );
}

#[test]
fn an_instant_exit_beyond_the_buffer_fails_with_a_typed_error() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.allocate(OP2, 30 * E18);
    assert_eq!(c.view().buffer, Amount::new(10 * E18));
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_withdraw_instant", "vault": LRT, "lrt": n(11 * E18)})
        ),
        "vault_buffer_insufficient"
    );
    assert_eq!(c.instant(ALICE, &n(10 * E18)), 10 * E18);
}

#[test]
fn due_queue_requests_come_before_instant_exits() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.allocate(OP2, 30 * E18);
    c.deposit(BOB, 5 * E18);
    // Alice's request (50) cannot be funded from the buffer (15).
    let id = c.request(ALICE, &n(50 * E18));
    c.advance(14 * 86_400);
    assert_eq!(
        c.fails(ALICE, json!({"tx": "vault_claim", "id": id})),
        "vault_request_not_funded"
    );
    assert_eq!(
        c.fails(
            BOB,
            json!({"tx": "vault_withdraw_instant", "vault": LRT, "lrt": n(E18)})
        ),
        "vault_buffer_insufficient",
        "a due request waits: the buffer is kept for it"
    );
}

// --- curator: allocation within the policy ---------------------------------------------------

#[test]
fn allocation_outside_the_policy_fails() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    let alloc = |op: Address, amount: u128| json!({"tx": "vault_allocate", "vault": LRT, "operator": h(op), "amount": n(amount)});
    // op3 is allowed but allocates stETH to svc2, whose service is not.
    assert_eq!(c.fails(CURATOR, alloc(OP3, E18)), "vault_policy_violated");
    // Above 60 % of the vault's 100 in one operator.
    assert_eq!(
        c.fails(CURATOR, alloc(OP1, 61 * E18)),
        "vault_policy_violated"
    );
    // Below the 10 % buffer.
    c.allocate(OP1, 60 * E18);
    assert_eq!(
        c.fails(CURATOR, alloc(OP2, 31 * E18)),
        "vault_buffer_below_target"
    );
    assert_eq!(c.fails(CURATOR, alloc(OP2, 0)), "invalid_input");
    assert_eq!(c.fails(ALICE, alloc(OP2, E18)), "unauthorized");
    // An operator outside the list.
    c.tx(CAROL, json!({"tx": "register_operator"}));
    assert_eq!(c.fails(CURATOR, alloc(CAROL, E18)), "vault_policy_violated");
    c.allocate(OP2, 30 * E18);
}

#[test]
fn loosening_the_policy_waits_config_delay_and_tightening_is_immediate() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    let policy = |ops: &[Address], services: &[Address], max: u32| {
        json!({"tx": "vault_set_policy", "vault": LRT, "policy": {
            "allowed_operators": ops.iter().map(|a| h(*a)).collect::<Vec<_>>(),
            "allowed_services": services.iter().map(|a| h(*a)).collect::<Vec<_>>(),
            "max_per_operator_bps": max}})
    };
    // Tighten: drop op2, 50 % per operator: at once.
    c.tx(CURATOR, policy(&[OP1, OP3], &[SVC], 5000));
    let alloc = |op: Address, amount: u128| json!({"tx": "vault_allocate", "vault": LRT, "operator": h(op), "amount": n(amount)});
    assert_eq!(c.fails(CURATOR, alloc(OP2, E18)), "vault_policy_violated");
    assert_eq!(
        c.fails(CURATOR, alloc(OP1, 51 * E18)),
        "vault_policy_violated"
    );
    // Loosen: allow svc2 and op2 back: the tighter part applies now, the rest after the delay.
    let delay = c.state.params().config_delay_s.get();
    match c.tx(CURATOR, policy(&[OP1, OP2, OP3], &[SVC, SVC2], 5000)) {
        Outcome::EffectAt(t) => assert_eq!(t.get(), c.now() + delay),
        o => panic!("{o:?}"),
    }
    assert_eq!(c.fails(CURATOR, alloc(OP3, E18)), "vault_policy_violated");
    assert_eq!(c.fails(CURATOR, alloc(OP2, E18)), "vault_policy_violated");
    c.advance(delay);
    c.allocate(OP3, E18);
    c.allocate(OP2, E18);
    assert!(c.view().pending_policy.is_none());
}

// --- fees ------------------------------------------------------------------------------------

#[test]
fn fee_rug_is_prevented_caps_rise_limits_and_one_rise_per_epoch_effective_next_epoch() {
    let mut c = chain_with_vault(
        json!({}),
        json!({"management_bps": 100, "performance_bps": 1000, "withdrawal_bps": 20}),
    );
    let code = |r: Result<Outcome>| r.map(|_| "ok").unwrap_or_else(|e| e.code());
    let fees = |m: u32, d: u32, w: u32| json!({"management_bps": m, "performance_bps": 1000, "deposit_bps": d, "withdrawal_bps": w});
    assert_eq!(code(c.set_fees(fees(501, 0, 20))), "vault_fee_above_cap");
    assert_eq!(
        code(c.set_fees(fees(126, 0, 20))),
        "vault_fee_rise_too_large"
    );
    assert_eq!(
        code(c.set_fees(fees(100, 11, 20))),
        "vault_fee_rise_too_large"
    );
    // +25 % and +10 bps from zero are fine; they apply from the next epoch.
    assert!(matches!(
        c.set_fees(fees(125, 10, 20)),
        Ok(Outcome::EffectAt(_))
    ));
    assert_eq!(c.view().fees.management_bps, Bps::new(100));
    // A second rise of the same fee in the same epoch is refused; a decrease is immediate.
    assert_eq!(
        code(c.set_fees(fees(125, 10, 20))),
        "ok",
        "not a rise: same as scheduled"
    );
    c.tx(
        CURATOR,
        json!({"tx": "vault_set_fees", "vault": LRT, "fees": fees(124, 10, 5)}),
    );
    assert_eq!(c.view().fees.withdrawal_bps, Bps::new(5));
    assert_eq!(
        code(c.set_fees(fees(125, 10, 5))),
        "vault_fee_rise_too_early"
    );
    assert_eq!(
        c.fails(
            ALICE,
            json!({"tx": "vault_set_fees", "vault": LRT, "fees": fees(0, 0, 0)})
        ),
        "unauthorized"
    );
    c.advance(3_600);
    let v = c.view();
    assert_eq!(
        (v.fees.management_bps, v.fees.deposit_bps),
        (Bps::new(124), Bps::new(10))
    );
    assert_eq!(
        code(c.set_fees(fees(155, 10, 5))),
        "ok",
        "124 + floor(124/4) = 155"
    );
}

#[test]
fn a_management_fee_rise_is_charged_only_from_the_epoch_it_applies_to() {
    let mut c = chain_with_vault(json!({}), json!({"management_bps": 400}));
    c.deposit(ALICE, 99 * E18);
    c.tx(
        CURATOR,
        json!({"tx": "vault_set_fees", "vault": LRT, "fees": {"management_bps": 500}}),
    );
    c.advance(3_600);
    // Epoch 0 at 400 bps: ceil(100e18 · 4 % · 3600 / year).
    let at_400 = 456_621_004_566_211;
    assert_eq!(c.view().fees_charged.management, Amount::new(at_400));
    assert_eq!(c.view().fees.management_bps, Bps::new(500));
    c.advance(3_600);
    let at_500 = c.view().fees_charged.management.get() - at_400;
    assert!(at_500 > at_400 * 5 / 4 - 1_000_000, "{at_500}");
}

#[test]
fn a_year_of_management_fee_costs_holders_at_most_its_rate() {
    let mut c = chain_with_vault(json!({}), json!({"management_bps": 200}));
    c.deposit(ALICE, 99 * E18);
    c.advance(365 * 86_400);
    let (a, t) = c.at();
    assert_eq!(a, 100 * E18, "the fee is minted as LRT, assets stay");
    let curator = c.balance(CURATOR, LRT);
    let curator_value = curator * a / t;
    // Per-epoch compounding of 2 %/year on a value that includes the curator's own LRT:
    // 1 − (1 − 0.02/8760)^8760 ≈ 1.98 %.
    assert!(curator_value > 1_970_000_000_000_000_000, "{curator_value}");
    assert!(curator_value <= 2 * E18, "{curator_value}");
    let fees = c.view().fees_charged.management.get();
    assert!((2 * E18..2 * E18 + 10_000).contains(&fees), "{fees}");
}

// --- rewards ---------------------------------------------------------------------------------

#[test]
fn harvest_compounds_rewards_and_takes_the_performance_fee_on_rewards_only() {
    let mut c = chain_with_vault(json!({}), json!({"performance_bps": 1000}));
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    reward_program(&mut c, 10 * E18, 3);
    // Epoch 0: the vault's stake is new (earns from epoch 1), the slice is refunded. Epoch 1's
    // slice: 10, operator commission 10 %, 9 to the vault.
    c.advance(7_200);
    let v = c.view();
    assert_eq!(v.rewards.recognized, Amount::new(9 * E18));
    assert_eq!(v.rewards.performance_fee_owed, Amount::new(9 * E18 / 10));
    assert_eq!(
        v.value.unvested,
        Amount::new(9 * E18 * 9 / 10),
        "vesting starts now"
    );
    let before = c.at();
    let curator = c.balance(CURATOR, "stETH");
    match c.tx(BOB, json!({"tx": "vault_harvest", "vault": LRT})) {
        Outcome::Amount(a) => assert_eq!(a, Amount::new(9 * E18)),
        o => panic!("{o:?}"),
    }
    assert_eq!(c.at(), before, "harvesting moves no value");
    assert_eq!(c.balance(CURATOR, "stETH"), curator + 9 * E18 / 10);
    // Over the next epoch the net 8.1 vests into the rate.
    c.advance(1_800);
    let (a, _) = c.at();
    assert_eq!(a, 100 * E18 + 81 * E18 / 20);
    c.advance(1_800);
    assert_eq!(
        c.at().0,
        100 * E18 + 81 * E18 / 10,
        "epoch 2's rewards are vesting now"
    );
}

#[test]
fn a_deposit_just_before_a_reward_boundary_earns_only_for_its_time_no_jit_sniping() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    reward_program(&mut c, 10 * E18, 3);
    c.advance(3_600 + 3_599);
    let start = c.balance(ATTACKER, "stETH");
    let lrt = c.deposit(ATTACKER, 100 * E18);
    c.advance(1);
    // The boundary distributed 9 to the vault: it vests, the rate has not jumped, so the
    // attacker leaves with what it brought.
    assert_eq!(c.view().value.unvested, Amount::new(9 * E18));
    assert_eq!(c.instant(ATTACKER, &n(lrt)), 100 * E18);
    assert_eq!(c.balance(ATTACKER, "stETH"), start);
}

#[test]
fn rewards_in_other_assets_go_to_the_side_pocket_and_never_move_the_rate() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.tx(
        SVC,
        json!({"tx": "create_reward_program", "service": h(SVC), "set": set(SVC), "asset": "EIGEN",
               "amount": n(30 * E18), "duration_s": 3 * 3600}),
    );
    c.advance(7_200);
    let before = c.at();
    c.tx(BOB, json!({"tx": "vault_harvest", "vault": LRT}));
    assert_eq!(c.at(), before);
    assert_eq!(
        c.view().rewards.side_pocket,
        vec![("EIGEN".to_owned(), Amount::new(9 * E18))]
    );
    assert_eq!(c.balance(module::vault(0), "EIGEN"), 9 * E18);
}

// --- slashes and the queue -------------------------------------------------------------------

#[test]
fn a_slash_lowers_the_rate_at_once() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.slash(OP1, E18 / 10);
    // op1's magnitude 1 → 0.95: its 60 lose 5 %.
    assert_eq!(c.at(), (97 * E18, 100 * E18));
}

/// Exit front-running of a vetoable slash: while a request against one of the vault's operators
/// is in its veto window, an instant exit is priced as if it had executed, so the leaver cannot
/// push the loss onto those who stay. Executed, the stayers' rate is no worse than the exit's;
/// vetoed, the stayers keep what the leaver left.
#[test]
fn an_instant_exit_during_a_slash_veto_window_is_priced_as_if_the_slash_executed() {
    const COUNCIL: Address = Address::repeat_byte(0x40);
    for veto in [false, true] {
        let mut c = chain_with_vault_and_resolver(json!({}), json!({}), Some(COUNCIL));
        c.deposit(ALICE, 100 * E18);
        c.deposit(BOB, 100 * E18);
        c.allocate(OP1, 120 * E18);
        let id = match c.tx(
            SVC,
            json!({"tx": "slash", "operator": h(OP1), "set": set(SVC), "strategies": ["stETH"], "wad": n(E18 / 10)}),
        ) {
            Outcome::Slash(id) => id,
            o => panic!("unexpected {o:?}"),
        };
        // op1 has half its magnitude in svc/0: a 10 % slash cuts 5 % of its 120.
        assert_eq!(c.at(), (201 * E18, 201 * E18), "nothing has happened yet");
        let v = c.view();
        assert_eq!(v.pending_slash_loss, Amount::new(6 * E18));
        assert_eq!(v.exit_rate_wad.get(), 195 * E18 / 201);
        let paid = c.instant(ALICE, &n(50 * E18));
        assert_eq!(paid, crate::num::mul_div_floor(50 * E18, 195, 201).unwrap());
        let after_exit = c.at();
        if veto {
            c.tx(COUNCIL, json!({"tx": "veto_slash", "id": id.0}));
            // Bob and alice's rest gain what alice's exit left behind.
            assert!(rate_le((1, 1), c.at()), "{:?}", c.at());
            assert!(!rate_le(c.at(), (1, 1)));
        } else {
            c.advance(86_400);
            c.tx(BOB, json!({"tx": "execute_slash", "id": id.0}));
            // The stayers' rate is at least the rate the exit was paid at.
            assert!(rate_le((195, 201), c.at()), "{:?}", c.at());
            assert_ne!(c.at(), after_exit);
        }
        assert!(c.view().pending_slash_loss.is_zero());
    }
}

/// The pending loss is the same whether it is found from the (few) pending requests or, past
/// `MAX_PENDING_SCAN` of them network-wide, from the vault's positions; several pending
/// requests add up.
#[test]
fn pending_slash_loss_sums_pending_requests_by_either_lookup() {
    const COUNCIL: Address = Address::repeat_byte(0x40);
    for requests in [
        super::MAX_PENDING_SCAN as u128,
        super::MAX_PENDING_SCAN as u128 + 1,
    ] {
        let mut c = chain_with_vault_and_resolver(json!({}), json!({}), Some(COUNCIL));
        c.deposit(ALICE, 200 * E18);
        c.allocate(OP1, 120 * E18);
        for _ in 0..requests {
            c.tx(
                SVC,
                json!({"tx": "slash", "operator": h(OP1), "set": set(SVC), "strategies": ["stETH"], "wad": n(E18 / 1_000)}),
            );
        }
        // Each cuts 0.05 % of op1's magnitude: 0.06 of the vault's 120 there.
        assert_eq!(
            c.view().pending_slash_loss,
            Amount::new(requests * 6 * E18 / 100),
            "{requests} requests"
        );
    }
}

/// Negative rebase fairness: alice requests her exit, then a slash hits; at finalization she
/// is paid `min(value at request, value then)`, which is exactly the holders' new rate: both
/// lose the same fraction, and the holders' rate does not fall when she leaves.
#[test]
fn a_slash_during_the_queue_is_shared_pro_rata_by_queued_requests_and_holders() {
    let mut c = plain();
    c.deposit(ALICE, 100 * E18);
    c.deposit(BOB, 100 * E18);
    c.allocate(OP1, 120 * E18);
    c.allocate(OP2, 60 * E18);
    let id = c.request(ALICE, "all");
    c.slash(OP1, E18 / 10);
    let (a, t) = c.at();
    assert_eq!((a, t), (195 * E18, 201 * E18));
    c.tx(
        CURATOR,
        json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP1), "amount": "all"}),
    );
    c.advance(14 * 86_400);
    let worth = |lrt: u128, a: u128, t: u128| crate::num::mul_div_floor(lrt, a, t).unwrap();
    let expected = worth(100 * E18, a, t);
    assert_eq!(c.claim(ALICE, id), expected);
    // Bob's LRT is worth the same fraction, rounded in the vault's favour.
    let (a2, t2) = c.at();
    assert!(rate_le((a, t), (a2, t2)));
    assert!(worth(100 * E18, a2, t2) >= expected);
}

#[test]
fn a_request_made_before_a_rate_rise_is_paid_its_value_at_request_and_the_rest_vests_to_holders() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    reward_program(&mut c, 10 * E18, 400);
    let id = c.request(ALICE, &n(20 * E18));
    c.tx(
        CURATOR,
        json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP1), "amount": n(10 * E18)}),
    );
    c.advance(14 * 86_400);
    let before = c.at();
    assert_eq!(c.claim(ALICE, id), 20 * E18);
    assert!(rate_le(before, c.at()));
    let v = c.view();
    assert!(v.value.unvested > Amount::ZERO);
}

#[test]
fn the_queue_is_fifo_and_finalization_is_bounded_per_call() {
    let mut c = chain_with_vault(json!({"vault_queue_batch": 2}), json!({}));
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    let ids: Vec<u64> = (0..5).map(|_| c.request(ALICE, &n(5 * E18))).collect();
    // A later, larger request from bob cannot jump the queue.
    let bob = {
        c.deposit(BOB, 10 * E18);
        c.allocate(OP2, 20 * E18);
        c.request(BOB, &n(10 * E18))
    };
    c.advance(14 * 86_400);
    // One boundary finalized the first two (batch of 2); more on the next calls.
    let finalized = |c: &Chain| {
        c.view()
            .queue
            .iter()
            .filter(|q| q.status == "finalized")
            .map(|q| q.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(finalized(&c), ids[..2].to_vec());
    c.tx(CAROL, json!({"tx": "vault_harvest", "vault": LRT}));
    assert_eq!(finalized(&c), ids[..4].to_vec());
    c.advance(3_600);
    assert_eq!(
        finalized(&c),
        ids[..5].to_vec(),
        "bob waits: 10 > the 5 left in the buffer"
    );
    assert_eq!(
        c.fails(BOB, json!({"tx": "vault_claim", "id": bob})),
        "vault_request_not_funded"
    );
    for id in ids {
        assert_eq!(c.claim(ALICE, id), 5 * E18);
    }
}

#[test]
fn queue_griefing_is_bounded_by_the_minimum_request_and_the_per_owner_limit() {
    let mut c = chain_with_vault(json!({"max_vault_requests_per_owner": 2}), json!({}));
    c.deposit(ATTACKER, 10 * E18);
    assert_eq!(
        c.fails(
            ATTACKER,
            json!({"tx": "vault_request_withdrawal", "vault": LRT, "lrt": n(E18 - 1)})
        ),
        "invalid_input",
        "below min_request (the seed)"
    );
    c.request(ATTACKER, &n(E18));
    c.request(ATTACKER, &n(E18));
    assert_eq!(
        c.fails(
            ATTACKER,
            json!({"tx": "vault_request_withdrawal", "vault": LRT, "lrt": n(E18)})
        ),
        "limit_exceeded"
    );
    assert_eq!(
        c.fails(ALICE, json!({"tx": "vault_claim", "id": 0})),
        "unauthorized",
        "only the owner claims"
    );
    assert_eq!(
        c.fails(ATTACKER, json!({"tx": "vault_claim", "id": 0})),
        "vault_request_not_ready"
    );
    assert_eq!(
        c.fails(ATTACKER, json!({"tx": "vault_claim", "id": 99})),
        "unknown_vault_request"
    );
}

#[test]
fn a_deallocation_stays_slashable_until_it_completes_then_refills_the_buffer() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.tx(
        CURATOR,
        json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP1), "amount": n(30 * E18)}),
    );
    assert_eq!(c.view().value.in_flight, Amount::new(30 * E18));
    c.advance(86_400);
    c.slash(OP1, E18 / 10);
    let v = c.view();
    assert_eq!(
        v.value.in_flight,
        Amount::new(285 * E18 / 10),
        "the queued withdrawal was hit"
    );
    assert_eq!(v.value.positions, Amount::new(285 * E18 / 10));
    c.advance(13 * 86_400);
    let v = c.view();
    assert_eq!(v.value.in_flight, Amount::ZERO);
    assert_eq!(v.buffer, Amount::new(40 * E18 + 285 * E18 / 10));
}

#[test]
fn deallocating_a_token_amount_takes_at_least_that_much() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    c.slash(OP1, E18 / 3);
    c.tx(
        CURATOR,
        json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP1), "amount": n(7 * E18 + 3)}),
    );
    let v = c.view();
    assert!(v.value.in_flight.get() >= 7 * E18 + 3);
    assert!(v.value.in_flight.get() <= 7 * E18 + 5);
    assert_eq!(
        c.fails(
            CURATOR,
            json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP2), "amount": "all"})
        ),
        "no_position"
    );
}

// --- views -------------------------------------------------------------------------------------

#[test]
fn position_shows_exposure_through_the_vault_to_each_set() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    let p = crate::query::position_view(&c.state, ALICE).unwrap();
    let hold = &p.vaults[0];
    assert_eq!(hold.vault, LRT);
    assert_eq!(hold.value, Amount::new(99 * E18));
    // The vault's 60 at op1, half of op1's magnitude allocated to svc/0: 30 slashable, alice
    // holds 99 %.
    assert_eq!(hold.exposure.len(), 1);
    assert_eq!(hold.exposure[0].slashable, Amount::new(297 * E18 / 10));
    assert_eq!(hold.worst_case_loss, Amount::new(297 * E18 / 10));
}

#[test]
fn yield_and_exit_path_show_the_vault_layer() {
    let mut c = chain_with_vault(
        json!({}),
        json!({"performance_bps": 1000, "withdrawal_bps": 10}),
    );
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    reward_program(&mut c, 10 * E18, 48);
    c.advance(24 * 3_600);
    let y = crate::insight::yield_view(&c.state, ALICE).unwrap();
    let layer = y
        .layers
        .iter()
        .find(|l| l.layer == "vault")
        .expect("vault layer");
    assert!(layer.apr_bps.unwrap() > 0);
    assert_eq!(layer.compounding_per_year, 8_760);
    assert!(
        y.sources
            .iter()
            .any(|s| s.layer == "vault" && s.service == Some(SVC) && s.net > 0)
    );
    assert!(
        y.fee_stack
            .iter()
            .any(|f| f.kind == "vault_performance_fee" && f.amount > 0)
    );
    let e = crate::insight::exit_view(&c.state, ALICE).unwrap();
    let kinds: Vec<&str> = e
        .paths
        .iter()
        .flat_map(|p| p.steps.iter().map(|s| s.kind))
        .collect();
    assert!(kinds.contains(&"vault_withdraw_instant"));
    assert!(kinds.contains(&"vault_request_withdrawal"));
    assert!(kinds.contains(&"vault_claim"));
}

// --- regressions found by the vault state-machine harness (outside the vault) ----------------

/// A program's slice split over operators with uneven weights leaves rounding dust; it used to
/// stay in the reward escrow (breaking "escrow = amount − streamed"). It returns to the service.
#[test]
fn reward_dust_from_splitting_a_slice_returns_to_the_service() {
    let mut c = plain();
    for (who, op, amount) in [(ALICE, OP1, 1u128), (BOB, OP2, 2)] {
        c.tx(
            who,
            json!({"tx": "deposit", "asset": "stETH", "amount": n(amount * E18)}),
        );
        c.tx(
            who,
            json!({"tx": "delegate", "operator": h(op), "strategy": "stETH", "shares": "all"}),
        );
    }
    c.tx(
        SVC,
        json!({"tx": "create_reward_program", "service": h(SVC), "set": set(SVC), "asset": "stETH",
               "amount": "30", "duration_s": 3 * 3600}),
    );
    c.advance(3 * 3600);
    assert_eq!(crate::invariants::check(&c.state), Vec::<String>::new());
    let p = crate::query::reward_program_view(&c.state, 0).unwrap();
    // Epoch 0 refunded (no active stake yet); epochs 1 and 2 split 10 as 3 + 6 (+ 1 dust each).
    assert_eq!(p.program.refunded, Amount::new(12));
    assert_eq!(c.balance(module::reward_escrow(), "stETH"), 0);
}

/// A staker who withdraws a whole position keeps it while it has rewards to claim; the
/// invariants accept such a position (they used to flag it as an empty position).
#[test]
fn a_position_emptied_with_rewards_unclaimed_is_kept_and_sound() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    reward_program(&mut c, 10 * E18, 3);
    c.advance(7_200);
    c.tx(
        CURATOR,
        json!({"tx": "vault_deallocate", "vault": LRT, "operator": h(OP1), "amount": "all"}),
    );
    let key = (
        module::vault(0),
        OP1,
        crate::bank::asset_id(&c.state, "stETH").unwrap(),
    );
    assert!(c.state.contains::<crate::restaking::Positions>(&key));
    c.tx(BOB, json!({"tx": "vault_harvest", "vault": LRT}));
    assert!(!c.state.contains::<crate::restaking::Positions>(&key));
}

#[test]
fn a_vault_on_the_lst_shows_the_lst_redemption_after_the_vault_exit() {
    let mut c = Chain::new(json!({}));
    for a in [CURATOR, ALICE] {
        let amount = Amount::new(100 * E18);
        crate::bank::mint(&mut c.state, &mut Vec::new(), a, AssetId::NATIVE, amount).unwrap();
    }
    c.state.discard_journal();
    for who in [CURATOR, ALICE] {
        c.tx(who, json!({"tx": "lst_deposit", "amount": n(10 * E18)}));
    }
    c.tx(
        CURATOR,
        json!({"tx": "create_vault", "asset": "stRAM", "lrt_symbol": "rstRAM", "deposit_cap": n(1_000 * E18),
               "policy": {"max_per_operator_bps": 10000}, "seed_amount": n(E18)}),
    );
    c.tx(
        ALICE,
        json!({"tx": "vault_deposit", "vault": "rstRAM", "amount": n(5 * E18)}),
    );
    let e = crate::insight::exit_view(&c.state, ALICE).unwrap();
    let path = e
        .paths
        .iter()
        .find(|p| p.holding == "vault/rstRAM (buffer)")
        .expect("the vault's buffer path");
    let kinds: Vec<&str> = path.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        ["vault_withdraw_instant", "lst_request_redeem", "lst_claim"]
    );
}

#[test]
fn the_vault_view_flags_a_position_whose_operator_later_allocates_outside_the_policy() {
    let mut c = plain();
    c.deposit(ALICE, 99 * E18);
    c.allocate(OP1, 60 * E18);
    assert!(c.view().positions[0].outside_policy.is_empty());
    c.tx(OP1, json!({"tx": "register_for_set", "set": set(SVC2)}));
    c.tx(
        OP1,
        json!({"tx": "allocate", "set": set(SVC2), "strategy": "stETH", "magnitude": n(E18 / 4)}),
    );
    let v = c.view();
    let p = v
        .positions
        .iter()
        .find(|p| p.position.operator == OP1)
        .unwrap();
    assert_eq!(p.outside_policy.len(), 1);
    assert_eq!(p.outside_policy[0].service, SVC2);
}
