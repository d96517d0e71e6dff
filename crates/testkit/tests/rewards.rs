//! Properties of restaking rewards (PROTOCOL.md §7, §12.5):
//!
//! - every delegator is paid its exact pro-rata share of each epoch's slice, net of the protocol
//!   fee and its operator's commission, within a few units of rounding per epoch, whenever it joined, whenever it claims, and through a slash;
//! - Σ claimable never exceeds Σ distributed, and nothing is created or lost: claims,
//!   commissions, fees, refunds and the pool's rounding dust add up to the program's amount;
//! - the work of an epoch boundary that distributes rewards, and of a slash, does not grow with
//!   the number of delegators (counted as state entries written).

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Zero;
use proptest::prelude::*;
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset};
use rampart_core::ids::module;
use rampart_core::num::ShareAmount;
use rampart_core::params::ParamsPatch;
use rampart_core::restaking::{Admission, SlashArgs};
use rampart_core::rewards::{CreateRewardProgram, Weighting};
use rampart_core::{
    Action, Address, Amount, Bps, Duration, Error, Event, SetRef, Timestamp, WAD, Wad, invariants,
};
use rampart_scenario::names::dev_address;
use rampart_testkit::chain::Chain;

const EPOCH: u64 = 3_600;
const UNIT: u128 = 1_000_000_000_000_000_000;

type Q = BigRational;

fn q(n: u128) -> Q {
    Q::from_integer(BigInt::from(n))
}

fn addr(name: &str) -> Address {
    dev_address(name)
}

fn set() -> SetRef {
    SetRef {
        service: addr("svc"),
        id: 0,
    }
}

/// Genesis with `stakes` (whole stETH) for delegators `d0…`, and `funds` SVC for the service.
fn genesis(stakes: &[u128], funds: u128, protocol_fee_bps: u32) -> Genesis {
    let mut accounts: Vec<GenesisAccount> = stakes
        .iter()
        .enumerate()
        .map(|(i, k)| GenesisAccount {
            address: addr(&format!("d{i}")),
            balances: [("stETH".to_owned(), Amount::new(k * UNIT))].into(),
        })
        .collect();
    accounts.push(GenesisAccount {
        address: addr("svc"),
        balances: [("SVC".to_owned(), Amount::new(funds))].into(),
    });
    let params: ParamsPatch = serde_json::from_value(serde_json::json!({
        "protocol_fee_bps": protocol_fee_bps,
        "epoch_length_s": EPOCH,
        "max_positions_per_staker": 64,
    }))
    .expect("params");
    Genesis {
        chain_id: 1,
        time: Timestamp::new(0),
        governance: Some(addr("governance")),
        guardian: None,
        params,
        assets: vec![
            GenesisAsset {
                symbol: "stETH".into(),
                decimals: 18,
                issuer: Some(addr("bridge")),
                restakable: true,
            },
            GenesisAsset {
                symbol: "SVC".into(),
                decimals: 18,
                issuer: Some(addr("svc")),
                restakable: false,
            },
        ],
        accounts,
        validators: Vec::new(),
    }
}

/// Two operators with the given commissions, both fully allocated to `svc/0`.
fn setup(chain: &mut Chain, commissions: [u32; 2]) {
    for (i, c) in commissions.iter().enumerate() {
        chain.register_operator(addr(&format!("op{i}")), *c);
    }
    chain.register_instant_service(addr("svc"), WAD / 2);
    chain.must(
        addr("svc"),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec!["stETH".into()],
            admission: Admission::Open,
        },
    );
    for i in 0..2 {
        let op = addr(&format!("op{i}"));
        chain.must(op, Action::RegisterForSet { set: set() });
        chain.must(
            op,
            Action::Allocate {
                set: set(),
                strategy: "stETH".into(),
                magnitude: Wad::new(WAD),
            },
        );
    }
}

fn join(chain: &mut Chain, delegator: usize, op: usize, whole: u128) {
    let d = addr(&format!("d{delegator}"));
    chain.must(
        d,
        Action::Deposit {
            asset: "stETH".into(),
            amount: Amount::new(whole * UNIT),
            min_shares_out: None,
        },
    );
    chain.must(
        d,
        Action::Delegate {
            operator: addr(&format!("op{op}")),
            strategy: "stETH".into(),
            shares: ShareAmount::All,
            validator: None,
        },
    );
}

fn program(amount: u128, epochs: u64) -> Action {
    Action::CreateRewardProgram(CreateRewardProgram {
        service: addr("svc"),
        set: set(),
        asset: "SVC".into(),
        amount: Amount::new(amount),
        start: Some(Timestamp::new(EPOCH)),
        duration_s: Duration::new(epochs * EPOCH),
        weighting: Weighting::Delegated,
        multipliers: None,
    })
}

/// Claims everything `delegator` can (nothing having accrued is fine).
fn claim(chain: &mut Chain, delegator: usize) {
    let d = addr(&format!("d{delegator}"));
    match chain.send(
        d,
        Action::ClaimRewards {
            operator: None,
            strategy: None,
        },
    ) {
        Ok(_) | Err(Error::NothingToClaim { .. }) => {}
        Err(e) => panic!("claim failed: {e}"),
    }
}

fn asset(chain: &Chain, symbol: &str) -> rampart_core::AssetId {
    rampart_core::bank::asset_id(&chain.state, symbol).expect("asset")
}

fn no_violations(chain: &Chain) -> Result<(), TestCaseError> {
    let v = invariants::check(&chain.state);
    prop_assert!(v.is_empty(), "invariants: {v:?}");
    Ok(())
}

/// One delegator of the property: whole stETH, operator, epoch it joins in, epoch it claims at.
#[derive(Clone, Debug)]
struct Delegator {
    whole: u128,
    op: usize,
    joins: u64,
    claims_at: u64,
}

fn delegators() -> impl Strategy<Value = Vec<Delegator>> {
    prop::collection::vec(
        (1u128..1_000, 0usize..2, 0u64..3, 1u64..6).prop_map(|(whole, op, joins, claims_at)| {
            Delegator {
                whole,
                op,
                joins,
                claims_at,
            }
        }),
        1..7,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_delegator_gets_its_exact_share_within_rounding_and_nothing_is_lost(
        ds in delegators(),
        commissions in [0u32..5_000, 0u32..5_000],
        protocol_fee_bps in 0u32..2_000,
        amount in 1_000u128..1_000_000 * UNIT,
        epochs in 1u64..5,
        slash in prop::option::of((0usize..2, 1u64..5, 1u128..=50)),
    ) {
        let stakes: Vec<u128> = ds.iter().map(|d| d.whole).collect();
        let mut chain = Chain::new(&genesis(&stakes, amount, protocol_fee_bps));
        setup(&mut chain, commissions);
        chain.must(addr("svc"), program(amount, epochs));

        let last_boundary = epochs + 1;
        for e in 0..=last_boundary {
            if e > 0 {
                chain.advance_to(e * EPOCH);
                no_violations(&chain)?;
            }
            chain.advance_to(e * EPOCH + 10);
            for (i, d) in ds.iter().enumerate() {
                if d.joins == e {
                    join(&mut chain, i, d.op, d.whole);
                }
            }
            if let Some((op, s, pct)) = slash
                && s == e
            {
                chain.advance_to(e * EPOCH + 20);
                chain.must(addr("svc"), Action::Slash(SlashArgs {
                    operator: addr(&format!("op{op}")),
                    set: set(),
                    strategies: vec!["stETH".into()],
                    wad: Wad::new(WAD / 100 * pct),
                    evidence: String::new(),
                }));
            }
            chain.advance_to(e * EPOCH + 30);
            for (i, d) in ds.iter().enumerate() {
                if d.claims_at == e {
                    claim(&mut chain, i);
                }
            }
            no_violations(&chain)?;
        }
        for i in 0..ds.len() {
            claim(&mut chain, i);
        }
        no_violations(&chain)?;
        // Delegators hold no SVC but what they claimed.
        let svc = asset(&chain, "SVC");
        let paid: Vec<u128> = (0..ds.len())
            .map(|i| rampart_core::bank::balance(&chain.state, addr(&format!("d{i}")), svc).get())
            .collect();

        // The exact expectation.
        let bps = q(10_000);
        let mut exact = vec![Q::zero(); ds.len()];
        // Stake values are floored to whole units in the core, so weights can be a unit or two
        // off theirs exactly, which moves up to `2 · slice / W` of a slice between operators.
        let mut slack = Q::zero();
        let per_epoch = amount / u128::from(epochs);
        for e in 1..=epochs {
            let slice = if e == epochs { amount - per_epoch * u128::from(epochs - 1) } else { per_epoch };
            let value = |d: &Delegator| -> Q {
                let full = q(d.whole * UNIT);
                match slash {
                    Some((op, s, pct)) if op == d.op && s <= e && d.joins <= s => {
                        full * q(100 - pct) / q(100)
                    }
                    _ => full,
                }
            };
            let active = |d: &&Delegator| d.joins < e;
            let w_op = |op: usize| -> Q {
                ds.iter().filter(active).filter(|d| d.op == op).map(value).fold(Q::zero(), |a, b| a + b)
            };
            let w = w_op(0) + w_op(1);
            if w.is_zero() {
                continue; // refunded
            }
            slack += q(2 * slice) / w.clone() + q(1);
            for (i, d) in ds.iter().enumerate() {
                if !active(&d) {
                    continue;
                }
                let share = q(slice) * w_op(d.op) / w.clone();
                let after_fee = share.clone() - share * q(u128::from(protocol_fee_bps)) / bps.clone();
                let net = after_fee.clone() - after_fee * q(u128::from(commissions[d.op])) / bps.clone();
                exact[i] += net * value(d) / w_op(d.op);
            }
        }
        // Each delegator: its exact share, give or take the weights' rounding, and otherwise
        // less only a few units per epoch (every rounding step favours the protocol).
        for (i, (p, x)) in paid.iter().zip(&exact).enumerate() {
            let p = q(*p);
            prop_assert!(p <= x.clone() + slack.clone(), "delegator {i} was paid {p} > exact {x} + {slack}");
            let allowance = q(4 * u128::from(epochs) + 2) + slack.clone();
            prop_assert!(x.clone() - p.clone() <= allowance, "delegator {i} was paid {p}, exact {x}");
        }

        // Conservation: claims + commissions + fees + refunds + the pool's dust = amount.
        let bal = |a: Address| rampart_core::bank::balance(&chain.state, a, svc).get();
        let claimed: u128 = paid.iter().sum();
        let total = claimed + bal(addr("op0")) + bal(addr("op1")) + bal(module::treasury())
            + bal(addr("svc")) + bal(module::reward_pool()) + bal(module::reward_escrow());
        prop_assert_eq!(total, amount);
        prop_assert_eq!(bal(module::reward_escrow()), 0);
    }
}

/// Entries written by the boundary that distributes a program's slice, and by a slash, with `n`
/// delegators on the slashed operator.
fn work_with_delegators(n: usize) -> (usize, usize) {
    let stakes = vec![10u128; n];
    let mut chain = Chain::new(&genesis(&stakes, 1_000 * UNIT, 500));
    chain.state.set_invariant_checks(false);
    setup(&mut chain, [1_000, 2_000]);
    chain.must(addr("svc"), program(1_000 * UNIT, 4));
    chain.advance_to(10);
    for i in 0..n {
        join(&mut chain, i, i % 2, 10);
    }
    // Epoch 1 activates the delegations; epoch 2's boundary distributes with all of them.
    chain.advance_to(EPOCH);
    chain.advance_to(2 * EPOCH - 10);
    let (events, boundary) = chain.advance_counting(2 * EPOCH);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RewardDistributed { .. })),
        "the boundary distributed"
    );
    let (slashed, slash) = chain.send_counting(
        addr("svc"),
        Action::Slash(SlashArgs {
            operator: addr("op0"),
            set: set(),
            strategies: vec!["stETH".into()],
            wad: Wad::new(WAD / 10),
            evidence: String::new(),
        }),
    );
    assert!(slashed.is_ok(), "{slashed:?}");
    (boundary, slash)
}

#[test]
fn reward_distribution_and_slashing_write_the_same_entries_for_10_or_1000_delegators() {
    let small = work_with_delegators(10);
    let large = work_with_delegators(1_000);
    assert_eq!(
        small, large,
        "(boundary, slash) entries written with 10 vs 1000 delegators"
    );
}

/// Entries written by an epoch boundary paying issuance, and by a double-sign slash, with `n`
/// base delegators on the validator.
fn base_work_with_delegators(n: usize) -> (usize, usize) {
    let mut g = genesis(&[], 0, 0);
    g.params = serde_json::from_value(serde_json::json!({
        "epoch_length_s": EPOCH, "bonding_epochs": 0, "inflation_bps": 300,
    }))
    .expect("params");
    g.validators = vec![rampart_core::genesis::GenesisValidator {
        address: addr("v1"),
        self_bond: Amount::new(1_000 * UNIT),
        commission_bps: Bps::new(500),
        consensus_key: None,
        p2p_address: None,
    }];
    for i in 0..n {
        g.accounts.push(GenesisAccount {
            address: addr(&format!("b{i}")),
            balances: [("RAM".to_owned(), Amount::new(10 * UNIT))].into(),
        });
    }
    let mut chain = Chain::new(&g);
    chain.state.set_invariant_checks(false);
    for i in 0..n {
        chain.must(
            addr(&format!("b{i}")),
            Action::DelegateBase {
                validator: addr("v1"),
                amount: Amount::new(10 * UNIT),
            },
        );
    }
    chain.advance_to(EPOCH);
    chain.advance_to(2 * EPOCH - 10);
    let (_, boundary) = chain.advance_counting(2 * EPOCH);
    chain.state.discard_journal();
    let mut events = Vec::new();
    let (height, now) = (chain.header.height, chain.header.time);
    rampart_core::block::apply_fault(
        &mut chain.state,
        &mut events,
        &rampart_core::base::Fault::DoubleSign {
            validator: addr("v1"),
            height: None,
        },
        height,
        now,
    )
    .expect("double sign");
    (boundary, chain.state.take_changes().len())
}

#[test]
fn base_rewards_and_base_slashing_write_the_same_entries_for_10_or_1000_delegators() {
    let small = base_work_with_delegators(10);
    let large = base_work_with_delegators(1_000);
    assert_eq!(
        small, large,
        "(boundary, double sign) entries written with 10 vs 1000 delegators"
    );
}
