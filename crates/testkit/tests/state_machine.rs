//! Reference-model state-machine test: random sequences of every restaking action run on the
//! core and on the exact reference model; after every step the invariants hold, the core accepts
//! exactly what the model says is valid, a rejected transaction changes nothing, and every value
//! matches the exact one within rounding that favours the protocol.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rampart_testkit::harness::{ASSETS, Harness, OPERATORS, Part, STAKERS, Step};
use rampart_testkit::model::WAD;

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        1u128..10_000,
        (1u128..1_000_000).prop_map(|x| x * 1_000_000_000_000),
        (1u128..100_000).prop_map(|x| x * 1_000_000_000_000_000),
        (1u128..10_000).prop_map(|x| x * WAD),
        any::<u64>().prop_map(u128::from),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        3 => Just(Part::All),
        4 => (1u8..=100).prop_map(Part::Percent),
        1 => amount().prop_map(Part::Exact),
    ]
}

fn wad() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        Just(WAD / 10),
        Just(WAD / 3),
        Just(WAD / 2),
        Just(WAD),
        1u128..=WAD,
        Just(WAD + 1),
    ]
}

fn magnitude() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        Just(WAD / 4),
        Just(WAD / 3),
        Just(WAD / 2),
        Just(WAD),
        1u128..=WAD,
        Just(WAD + 1)
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    let s = 0..STAKERS;
    let o = 0..OPERATORS;
    let a = 0..ASSETS.len();
    prop_oneof![
        6 => (s.clone(), a.clone(), amount()).prop_map(|(staker, asset, amount)| Step::Deposit { staker, asset, amount }),
        6 => (s.clone(), o.clone(), a.clone(), part()).prop_map(|(staker, op, asset, part)| Step::Delegate { staker, op, asset, part }),
        5 => (o.clone(), 0..2usize, a.clone(), magnitude()).prop_map(|(op, set, asset, magnitude)| Step::Allocate { op, set, asset, magnitude }),
        4 => (o.clone(), 0..2usize, 0u8..4, wad(), prop::bool::weighted(0.1))
            .prop_map(|(op, set, assets, wad, wrong_signer)| Step::Slash { op, set, assets, wad, wrong_signer }),
        2 => any::<usize>().prop_map(|request| Step::Execute { request }),
        1 => (any::<usize>(), prop::bool::weighted(0.3)).prop_map(|(request, wrong_signer)| Step::Veto { request, wrong_signer }),
        5 => (s.clone(), prop::option::weighted(0.85, o.clone()), a.clone(), part())
            .prop_map(|(staker, op, asset, part)| Step::Queue { staker, op, asset, part }),
        4 => (s.clone(), any::<usize>(), any::<bool>()).prop_map(|(staker, index, as_shares)| Step::Complete { staker, index, as_shares }),
        3 => (s.clone(), o.clone(), o.clone(), a.clone(), part())
            .prop_map(|(staker, from, to, asset, part)| Step::Redelegate { staker, from, to, asset, part }),
        1 => (o.clone(), 0..2usize).prop_map(|(op, set)| Step::Register { op, set }),
        1 => (o.clone(), 0..2usize).prop_map(|(op, set)| Step::Deregister { op, set }),
        1 => (s.clone(), a.clone(), amount()).prop_map(|(staker, asset, amount)| Step::Donate { staker, asset, amount }),
        4 => prop_oneof![Just(1u64), Just(3_599), Just(3_600), Just(86_400), Just(604_800), 1u64..700_000]
            .prop_map(|seconds| Step::Advance { seconds }),
    ]
}

fn run(steps: &[Step]) -> Result<Harness, TestCaseError> {
    let mut h = Harness::new();
    h.check().map_err(TestCaseError::fail)?;
    for (i, s) in steps.iter().enumerate() {
        h.apply(s)
            .map_err(|e| TestCaseError::fail(format!("step {i}: {e}")))?;
    }
    Ok(h)
}

proptest! {
    #![proptest_config(Config { cases: 128, max_shrink_iters: 2_000, ..Config::default() })]

    #[test]
    fn core_matches_the_exact_reference_model_and_keeps_every_invariant(steps in prop::collection::vec(step(), 1..80)) {
        run(&steps)?;
    }
}

/// One long seeded run: thousands of steps in a single history, so delays, maturities and
/// repeated slashes compound.
#[test]
fn a_long_seeded_history_of_five_thousand_steps_stays_exact() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let steps = prop::collection::vec(step(), 5_000..=5_000)
        .new_tree(&mut runner)
        .expect("a value tree")
        .current();
    let h = run(&steps).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        h.accepted > 1_000,
        "too few accepted steps to mean much: {}",
        h.accepted
    );
    assert!(
        h.rejected > 100,
        "invalid steps should be exercised too: {}",
        h.rejected
    );
}
