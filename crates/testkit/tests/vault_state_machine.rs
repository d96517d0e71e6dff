//! Vault state-machine tests: random histories of every vault action, with slashes, reward
//! programs and time, through the full transaction path. After every step the invariants hold,
//! a rejected transaction changed nothing, the rate moved only as §12.6 allows, a deposit
//! followed by an instant exit never returned more than was put in, and the queue was finalized
//! in request order, each request paid exactly min(value at request, value at finalization).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rampart_testkit::harness::Part;
use rampart_testkit::vault_harness::{E18, HOLDERS, VAULT_OPS, VaultHarness, VaultStep};

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        1u128..10_000,
        (1u128..1_000_000).prop_map(|x| x * 1_000_000_000_000),
        (1u128..1_000).prop_map(|x| x * E18),
        (1u128..100_000).prop_map(|x| x * E18 / 7),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        2 => Just(Part::All),
        4 => (1u8..=100).prop_map(Part::Percent),
        1 => amount().prop_map(Part::Exact),
    ]
}

fn fees() -> impl Strategy<Value = [u32; 4]> {
    (0u32..=520, 0u32..=2_050, 0u32..=105, 0u32..=105).prop_map(|(m, p, d, w)| [m, p, d, w])
}

fn valid_fees() -> impl Strategy<Value = [u32; 4]> {
    (0u32..=500, 0u32..=2_000, 0u32..=100, 0u32..=100).prop_map(|(m, p, d, w)| [m, p, d, w])
}

fn wad() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(E18 / 10),
        Just(E18 / 3),
        Just(E18 / 2),
        Just(E18),
        1u128..=E18
    ]
}

fn step() -> impl Strategy<Value = VaultStep> {
    let holder = 0..HOLDERS;
    let op = 0..VAULT_OPS;
    prop_oneof![
        8 => (holder.clone(), amount()).prop_map(|(holder, amount)| VaultStep::Deposit { holder, amount }),
        4 => (holder.clone(), amount()).prop_map(|(holder, amount)| VaultStep::RoundTrip { holder, amount }),
        4 => (holder.clone(), part()).prop_map(|(holder, part)| VaultStep::Instant { holder, part }),
        5 => (holder.clone(), part()).prop_map(|(holder, part)| VaultStep::Request { holder, part }),
        4 => (holder.clone(), any::<usize>()).prop_map(|(holder, index)| VaultStep::Claim { holder, index }),
        6 => (op.clone(), amount()).prop_map(|(op, amount)| VaultStep::Allocate { op, amount }),
        3 => (op.clone(), part()).prop_map(|(op, part)| VaultStep::Deallocate { op, part }),
        2 => Just(VaultStep::Harvest),
        2 => (op.clone(), wad()).prop_map(|(op, wad)| VaultStep::Slash { op, wad }),
        1 => (any::<bool>(), amount()).prop_map(|(to_strategy, amount)| VaultStep::Donate { to_strategy, amount }),
        1 => (holder.clone(), holder.clone(), part()).prop_map(|(from, to, part)| VaultStep::TransferLrt { from, to, part }),
        1 => fees().prop_map(|fees| VaultStep::SetFees { fees }),
        5 => prop_oneof![Just(1u64), Just(1_799), Just(3_600), Just(86_400), Just(604_800), Just(1_209_600), 1u64..1_300_000]
            .prop_map(|seconds| VaultStep::Advance { seconds }),
    ]
}

fn run(fees: [u32; 4], steps: &[VaultStep]) -> Result<VaultHarness, TestCaseError> {
    let mut h = VaultHarness::new(fees);
    for (i, s) in steps.iter().enumerate() {
        h.apply(s)
            .map_err(|e| TestCaseError::fail(format!("step {i}: {e}")))?;
    }
    Ok(h)
}

proptest! {
    #![proptest_config(Config { cases: 64, max_shrink_iters: 1_000, ..Config::default() })]

    #[test]
    fn every_vault_history_keeps_the_invariants_the_rate_rules_and_the_fair_fifo_queue(
        fees in valid_fees(),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        run(fees, &steps)?;
    }

    #[test]
    fn a_deposit_then_instant_exit_never_returns_more_than_was_put_in(
        fees in valid_fees(),
        history in prop::collection::vec(step(), 0..30),
        trips in prop::collection::vec((0..HOLDERS, amount()), 1..8),
    ) {
        let mut h = run(fees, &history)?;
        for (holder, amount) in trips {
            h.apply(&VaultStep::RoundTrip { holder, amount }).map_err(TestCaseError::fail)?;
        }
    }
}

/// One long seeded history: delays, maturities, rewards, fee changes and slashes compound.
#[test]
fn a_long_seeded_vault_history_keeps_every_rule() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    let steps = prop::collection::vec(step(), 1_500..=1_500)
        .new_tree(&mut runner)
        .expect("a value tree")
        .current();
    let h = run([100, 1_000, 10, 20], &steps).unwrap_or_else(|e| panic!("{e}"));
    assert!(h.accepted > 500, "too few accepted steps: {}", h.accepted);
    assert!(
        h.rejected > 50,
        "invalid steps should be exercised: {}",
        h.rejected
    );
    assert!(h.finalized > 10, "the queue should move: {}", h.finalized);
    assert!(
        h.round_trips > 10,
        "round trips should run: {}",
        h.round_trips
    );
}
