//! Liveness at default parameters (issue 9 §1, §4): block hooks are total, the liquid staking
//! pool never meets a user limit, and redemptions are paid within one unbonding period of their
//! batch whatever the validator churn.
//!
//! Every test runs at the default parameters (one-hour epochs, a 21-day unbonding period, 32
//! unbonding entries per delegator, 8 redelegations per position): the ratio of delays to limits
//! that ordinary use meets. Every `begin_block` must succeed, the invariants are checked after
//! every block and every transaction, and each test counts the transactions it got accepted.

mod common;

use common::{E18, Net, Owed, genesis, holder, validator};
use proptest::prelude::*;
use rampart_core::base::Fault;
use rampart_core::num::ShareAmount;
use rampart_core::num::{mul_div_floor, wide_mul};
use rampart_core::params::ParamsPatch;
use rampart_core::restaking::{Admission, Destination, Receive, RegisterService, SlashArgs};
use rampart_core::schema::{StakerWithdrawals, VaultOwnerRequests};
use rampart_core::vault::{AmountOrAll, CreateVault, Policy, VaultFees};
use rampart_core::{Action, Address, Amount, Bps, Duration, SetRef, Shares, WAD, Wad};
use rampart_scenario::names::dev_address;

/// One LST redemption in every epoch for 45 epochs (more than `max_unbondings_per_delegator`),
/// each owing more than the pool's buffer, so every boundary unbonds: the chain keeps producing
/// blocks, the pool holds far more than 32 unbonding entries, every redemption is claimable
/// within one unbonding period (+ an epoch) of its batch and pays exactly what it is owed, and
/// the pool can always pay every queued redemption.
#[test]
fn an_lst_redemption_every_epoch_for_45_epochs_is_paid_within_one_unbonding_period() {
    let mut net = Net::new(&genesis(4, 3, &[], ParamsPatch::default()));
    for h in 0..3 {
        net.lst_deposit(holder(h), 10_000 * E18);
    }
    net.settle();
    let limit = net.chain.state.params().max_unbondings_per_delegator as usize;
    let mut open: Vec<Owed> = Vec::new();
    let mut paid: Vec<(Owed, u128)> = Vec::new();
    let mut most_entries = 0;
    for i in 0..45 {
        // A small deposit, so the buffer is never empty, then a redemption owing more than it.
        net.lst_deposit(holder((i + 1) % 3), E18);
        let id = net.redeem(holder(i % 3), Some(100 * E18));
        let owed = net.owed(id);
        assert!(
            net.pool().owed.get() > net.buffer(),
            "epoch {i}: the pool owes more than its buffer"
        );
        open.push(owed);
        net.next_epoch();
        net.assert_pool_covers_owed(true);
        most_entries = most_entries.max(net.pool_unbondings());
        paid.extend(net.claim_due(&mut open));
    }
    while !open.is_empty() {
        net.next_epoch();
        net.assert_pool_covers_owed(true);
        most_entries = most_entries.max(net.pool_unbondings());
        paid.extend(net.claim_due(&mut open));
    }
    assert_eq!(paid.len(), 45);
    for (o, amount) in &paid {
        assert_eq!(*amount, o.value, "redemption {} pays what it is owed", o.id);
    }
    assert!(
        most_entries > limit,
        "the pool held {most_entries} unbonding entries (the user limit is {limit})"
    );
    assert!(net.pool().owed.is_zero() && net.pool().queued.is_zero());
    assert!(net.accepted >= 138, "accepted {}", net.accepted);
    assert_eq!(net.rejected, 0);
    println!(
        "redemptions: {} accepted, {} blocks, at most {most_entries} pool unbonding entries",
        net.accepted, net.blocks
    );
}

/// Validators holding the pool's stake leave the active set again and again (downtime jails,
/// then unjail and return), 16 times — twice `max_redelegations_per_position`: blocks keep
/// coming, and a full redemption of every holder afterwards is paid within one unbonding period
/// (+ an epoch) of its batch.
#[test]
fn sixteen_exits_of_pool_validators_then_a_full_redemption_is_paid_within_one_unbonding_period() {
    let mut net = Net::new(&genesis(4, 3, &[], ParamsPatch::default()));
    for h in 0..3 {
        net.lst_deposit(holder(h), 10_000 * E18);
    }
    net.settle();
    let jail_s = net.chain.state.params().jail_period_s.get();
    let mut exits = 0;
    let mut jailed: Vec<(Address, u64)> = Vec::new();
    for k in 0..64 {
        // New deposits every epoch, so the pool delegates to every validator in the set.
        net.lst_deposit(holder(k % 3), 100 * E18);
        let v = validator(k % 4);
        let before: Vec<(Address, u128)> = net
            .active()
            .into_iter()
            .map(|a| (a, net.pool_shares_at(a)))
            .collect();
        let held = net.pool_shares_at(v) > 0;
        if held && net.active().contains(&v) && exits < 16 {
            net.jail(v);
            jailed.push((v, net.now()));
        }
        net.next_epoch();
        let after = net.active();
        exits += before
            .iter()
            .filter(|(a, shares)| *shares > 0 && !after.contains(a))
            .count();
        // Jailed validators unjail as soon as they may, and rejoin at the next boundary.
        net.wait(jail_s);
        let now = net.now();
        let (free, still): (Vec<_>, Vec<_>) =
            jailed.into_iter().partition(|(_, at)| at + jail_s <= now);
        jailed = still;
        for (v, _) in free {
            net.must(v, Action::Unjail {});
        }
        if exits >= 16 && jailed.is_empty() {
            break;
        }
    }
    assert!(exits >= 16, "only {exits} exits of pool validators");
    // Let the last deposits' bonds activate (see the ignored test below for why).
    net.settle();
    let mut open: Vec<Owed> = Vec::new();
    for h in 0..3 {
        let id = net.redeem(holder(h), None);
        open.push(net.owed(id));
    }
    let mut paid = Vec::new();
    while !open.is_empty() {
        net.next_epoch();
        net.assert_pool_covers_owed(true);
        paid.extend(net.claim_due(&mut open));
    }
    for (o, amount) in &paid {
        assert_eq!(*amount, o.value, "redemption {} pays what it is owed", o.id);
    }
    assert!((0..3).all(|h| net.lst_balance(holder(h)) == 0));
    assert!(net.accepted >= 40, "accepted {}", net.accepted);
    println!(
        "churn: {exits} exits, {} accepted, {} blocks",
        net.accepted, net.blocks
    );
}

/// A redemption requested while some of the pool's stake is a bond still waiting to activate
/// (delegated from the buffer at the last boundary) must be funded when it becomes claimable.
#[test]
fn a_redemption_made_while_the_pool_has_pending_bonds_is_funded_when_it_becomes_claimable() {
    let mut net = Net::new(&genesis(2, 2, &[], ParamsPatch::default()));
    net.lst_deposit(holder(0), 1_000 * E18);
    net.settle();
    net.lst_deposit(holder(1), 100 * E18);
    // The boundary delegates the 100 RAM: a bond that activates two boundaries later.
    net.next_epoch();
    assert!(net.pool_pending() > 0);
    let ids = [net.redeem(holder(0), None), net.redeem(holder(1), None)];
    let mut open: Vec<Owed> = ids.iter().map(|id| net.owed(*id)).collect();
    let claimable_at = open[0].batch_close + net.unbonding_s();
    // Every block checks the invariants, among them that what is claimable is held liquid.
    while net.now() < claimable_at {
        let t = net.next_boundary().min(claimable_at);
        net.block(t);
    }
    let paid = net.claim_due(&mut open);
    assert_eq!(paid.len(), 2, "both are paid as soon as they are claimable");
}

/// When each of two equal holders requests its redemption, relative to the slash.
#[derive(Clone, Copy, Debug)]
enum Order {
    BothAfter,
    OneBeforeOneAfter,
}

/// Two equal holders both redeem across a 2.5 % slash of the pool (a double sign of one of its
/// two validators): both claims succeed, neither is paid more than its pro-rata share, and the
/// two together take no more than the pool held for them.
#[test]
fn two_equal_holders_redeeming_across_a_base_slash_are_both_paid_at_most_pro_rata() {
    for order in [Order::BothAfter, Order::OneBeforeOneAfter] {
        let (a, b) = (holder(0), holder(1));
        let mut net = Net::new(&genesis(2, 2, &[], ParamsPatch::default()));
        let lst_a = net.lst_deposit(a, 1_000 * E18);
        let lst_b = net.lst_deposit(b, 1_000 * E18);
        assert_eq!(lst_a, lst_b);
        net.settle();
        let first = match order {
            Order::OneBeforeOneAfter => Some(net.redeem(a, None)),
            Order::BothAfter => None,
        };
        let (v0, u0) = (net.pool_value(), net.pool_units());
        net.fault(Fault::DoubleSign {
            validator: validator(0),
            height: None,
        })
        .expect("double sign");
        let (v1, u1) = (net.pool_value(), net.pool_units());
        assert_eq!(u1, u0);
        // Half the pool is at the slashed validator: 5 % of it is 2.5 % of the pool.
        let lost = v0 - v1;
        assert!(
            lost.abs_diff(v0 / 40) <= 2,
            "{order:?}: lost {lost} of {v0}"
        );
        let id_a = first.unwrap_or_else(|| net.redeem(a, None));
        let id_b = net.redeem(b, None);
        for (id, lst) in [(id_a, lst_a), (id_b, lst_b)] {
            let r = net.redemption(id).expect("queued");
            let pro_rata = mul_div_floor(lst, v1, u1).expect("fits");
            if Some(id) != first {
                assert!(
                    r.value_at_request.get() <= pro_rata,
                    "{order:?}: redemption {id} is owed {} above its pro-rata share {pro_rata}",
                    r.value_at_request
                );
            }
        }
        let mut open = vec![net.owed(id_a), net.owed(id_b)];
        let mut paid = Vec::new();
        let mut held_for_them = None;
        while !open.is_empty() {
            net.next_epoch();
            net.assert_pool_covers_owed(true);
            if held_for_them.is_none() {
                let claimable = open.iter().all(|o| {
                    let r = net.redemption(o.id).expect("queued");
                    rampart_core::lst::claimable_at(&net.chain.state, r.epoch)
                        .is_some_and(|t| t.get() <= net.now())
                });
                if claimable {
                    let (v, u) = (net.pool_value(), net.pool_units());
                    let held = mul_div_floor(lst_a + lst_b, v, u).expect("fits");
                    held_for_them = Some((held, (v, u)));
                }
            }
            paid.extend(net.claim_due(&mut open));
        }
        let (held, (v, u)) = held_for_them.expect("both became claimable");
        let total: u128 = paid.iter().map(|(_, x)| x).sum();
        for (o, x) in &paid {
            assert!(
                *x <= o.value,
                "{order:?}: {} paid {x} above {}",
                o.id,
                o.value
            );
            let share = mul_div_floor(o.lst, v, u).expect("fits");
            assert!(
                *x <= share,
                "{order:?}: {} paid {x} above its pro-rata share {share}",
                o.id
            );
        }
        assert!(
            total <= held,
            "{order:?}: paid {total} in all, the pool held {held} for them"
        );
        // Whoever is left (the treasury's fee LST) is not worse off per unit.
        let (v2, u2) = (net.pool_value(), net.pool_units());
        assert!(
            u2 == 0 || wide_mul(v2, u) >= wide_mul(v, u2),
            "{order:?}: the rate fell from {v}/{u} to {v2}/{u2}"
        );
        assert!(net.accepted >= 6, "accepted {}", net.accepted);
    }
}

// --- a random walk at default delay-to-limit ratios ------------------------------------------

const HOLDERS: usize = 3;
const VALIDATORS: usize = 4;

fn operator(i: usize) -> Address {
    dev_address(&format!("op{i}"))
}
fn service() -> Address {
    dev_address("svc")
}
fn resolver() -> Address {
    dev_address("council")
}
fn curator() -> Address {
    dev_address("curator")
}
fn set() -> SetRef {
    SetRef {
        service: service(),
        id: 0,
    }
}
const VAULT: &str = "rstRAM";

#[derive(Clone, Debug)]
enum Step {
    LstDeposit(usize, u8),
    LstRedeem(usize, u8),
    LstClaim(usize),
    DelegateBase(usize, usize, u8),
    UndelegateBase(usize, usize, u8),
    RedelegateBase(usize, usize, usize, u8),
    ClaimUnbonded(usize),
    Downtime(usize),
    Unjail(usize),
    Restake(usize, usize, u8),
    Queue(usize, usize, u8),
    Complete(usize),
    Slash(usize),
    Veto,
    Execute,
    VaultDeposit(usize, u8),
    VaultRequest(usize, u8),
    VaultClaim(usize),
    VaultAllocate(usize, u8),
    VaultDeallocate(usize),
    Advance(u64),
}

/// A percentage in 1..=100.
fn pct() -> impl Strategy<Value = u8> {
    prop_oneof![Just(100u8), 1u8..=100]
}

fn step() -> impl Strategy<Value = Step> {
    let h = 0..HOLDERS;
    let v = 0..VALIDATORS;
    prop_oneof![
        4 => (h.clone(), pct()).prop_map(|(a, b)| Step::LstDeposit(a, b)),
        4 => (h.clone(), pct()).prop_map(|(a, b)| Step::LstRedeem(a, b)),
        3 => h.clone().prop_map(Step::LstClaim),
        2 => (h.clone(), v.clone(), pct()).prop_map(|(a, b, c)| Step::DelegateBase(a, b, c)),
        2 => (h.clone(), v.clone(), pct()).prop_map(|(a, b, c)| Step::UndelegateBase(a, b, c)),
        2 => (h.clone(), v.clone(), v.clone(), pct()).prop_map(|(a, b, c, d)| Step::RedelegateBase(a, b, c, d)),
        1 => h.clone().prop_map(Step::ClaimUnbonded),
        1 => v.clone().prop_map(Step::Downtime),
        2 => v.clone().prop_map(Step::Unjail),
        3 => (h.clone(), 0usize..2, pct()).prop_map(|(a, b, c)| Step::Restake(a, b, c)),
        2 => (h.clone(), 0usize..2, pct()).prop_map(|(a, b, c)| Step::Queue(a, b, c)),
        2 => h.clone().prop_map(Step::Complete),
        1 => (0usize..2).prop_map(Step::Slash),
        1 => Just(Step::Veto),
        1 => Just(Step::Execute),
        2 => (h.clone(), pct()).prop_map(|(a, b)| Step::VaultDeposit(a, b)),
        1 => (h.clone(), pct()).prop_map(|(a, b)| Step::VaultRequest(a, b)),
        1 => h.clone().prop_map(Step::VaultClaim),
        1 => (0usize..2, pct()).prop_map(|(a, b)| Step::VaultAllocate(a, b)),
        1 => (0usize..2).prop_map(Step::VaultDeallocate),
        8 => prop_oneof![4 => 1u64..=3, 1 => 4u64..=48, 1 => 100u64..=520].prop_map(Step::Advance),
    ]
}

fn walk_setup() -> Net {
    let extra = [
        (service(), 1_000 * E18),
        (curator(), 1_000 * E18),
        (resolver(), E18),
        (operator(0), E18),
        (operator(1), E18),
    ];
    let mut net = Net::new(&genesis(
        VALIDATORS,
        HOLDERS,
        &extra,
        ParamsPatch::default(),
    ));
    net.chain.state.set_invariant_checks(false);
    for i in 0..2 {
        net.chain.register_operator(operator(i), 1_000);
    }
    net.chain.must(
        service(),
        Action::RegisterService(RegisterService {
            metadata_uri: String::new(),
            slasher: service(),
            resolver: Some(resolver()),
            veto_window_s: Duration::days(2),
            max_slash_per_event_wad: Wad::new(WAD / 10),
            destination: Destination::Burn,
            resolution_delay_s: None,
            double_sign_wad: None,
        }),
    );
    net.chain.must(
        service(),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec!["stRAM".into()],
            admission: Admission::Open,
        },
    );
    for i in 0..2 {
        net.chain
            .must(operator(i), Action::RegisterForSet { set: set() });
        net.chain.must(
            operator(i),
            Action::Allocate {
                set: set(),
                strategy: "stRAM".into(),
                magnitude: Wad::new(WAD / 2),
            },
        );
    }
    net.lst_deposit(curator(), 10 * E18);
    net.chain.must(
        curator(),
        Action::CreateVault(Box::new(CreateVault {
            asset: "stRAM".into(),
            curator: None,
            lrt_symbol: VAULT.into(),
            fees: VaultFees {
                management_bps: Bps::new(100),
                performance_bps: Bps::new(1_000),
                deposit_bps: Bps::ZERO,
                withdrawal_bps: Bps::new(10),
            },
            deposit_cap: Amount::new(10_000_000 * E18),
            buffer_bps: Bps::new(1_000),
            policy: Policy {
                allowed_operators: vec![operator(0), operator(1)],
                allowed_services: vec![service()],
                max_per_operator_bps: Bps::new(10_000),
            },
            seed_amount: Amount::new(E18),
            min_request: None,
        })),
    );
    for h in 0..HOLDERS {
        net.lst_deposit(holder(h), 50_000 * E18);
    }
    net.accepted = 0;
    net.rejected = 0;
    net
}

fn part(total: u128, pct: u8) -> u128 {
    total / 100 * u128::from(pct)
}

fn exact(n: u128) -> ShareAmount {
    ShareAmount::Exact(Shares::new(n))
}

/// The transaction a step sends (`None` for time and faults, or when there is nothing to name).
fn walk_action(net: &Net, step: &Step) -> Option<(Address, Action)> {
    let state = &net.chain.state;
    Some(match *step {
        Step::LstDeposit(h, p) => (
            holder(h),
            Action::LstDeposit {
                amount: Amount::new(part(net.ram(holder(h)) / 20, p).max(1)),
                min_lst_out: None,
            },
        ),
        Step::LstRedeem(h, p) => (
            holder(h),
            Action::LstRequestRedeem {
                shares: exact(part(net.lst_balance(holder(h)), p)),
            },
        ),
        Step::LstClaim(h) => {
            let (id, _) = rampart_core::lst::redemptions_of(state, holder(h))
                .into_iter()
                .next()?;
            (holder(h), Action::LstClaim { id })
        }
        Step::DelegateBase(h, v, p) => (
            holder(h),
            Action::DelegateBase {
                validator: validator(v),
                amount: Amount::new(part(net.ram(holder(h)) / 20, p).max(1)),
            },
        ),
        Step::UndelegateBase(h, v, p) => (
            holder(h),
            Action::UndelegateBase {
                validator: validator(v),
                shares: Some(if p == 100 {
                    ShareAmount::All
                } else {
                    exact(part(
                        rampart_core::base::settled_delegation(state, holder(h), validator(v))
                            .ok()??
                            .shares,
                        p,
                    ))
                }),
                amount: None,
            },
        ),
        Step::RedelegateBase(h, a, b, p) => (
            holder(h),
            Action::RedelegateBase {
                from_validator: validator(a),
                to_validator: validator(b),
                shares: Some(if p == 100 {
                    ShareAmount::All
                } else {
                    exact(part(
                        rampart_core::base::settled_delegation(state, holder(h), validator(a))
                            .ok()??
                            .shares,
                        p,
                    ))
                }),
                amount: None,
            },
        ),
        Step::ClaimUnbonded(h) => (holder(h), Action::ClaimUnbonded {}),
        Step::Unjail(v) => (validator(v), Action::Unjail {}),
        Step::Queue(h, o, p) => (
            holder(h),
            Action::QueueWithdrawal {
                operator: Some(operator(o)),
                strategy: "stRAM".into(),
                shares: if p == 100 {
                    ShareAmount::All
                } else {
                    let pos = state.get::<rampart_core::schema::Positions>(&(
                        holder(h),
                        operator(o),
                        lst_asset(net),
                    ))?;
                    exact(part(pos.scaled, p).max(1))
                },
                validator: None,
            },
        ),
        Step::Complete(h) => {
            let id = state
                .range::<StakerWithdrawals, _>((holder(h), rampart_core::ids::WithdrawalId(0))..)
                .take_while(|((a, _), _)| *a == holder(h))
                .map(|((_, id), _)| *id)
                .next()?;
            (
                holder(h),
                Action::CompleteWithdrawal {
                    id,
                    receive: Receive::Tokens,
                },
            )
        }
        Step::Slash(o) => (
            service(),
            Action::Slash(SlashArgs {
                operator: operator(o),
                set: set(),
                strategies: vec!["stRAM".into()],
                wad: Wad::new(WAD / 20),
                evidence: String::new(),
            }),
        ),
        Step::Veto | Step::Execute => {
            let id = last_pending_slash(net)?;
            if matches!(step, Step::Veto) {
                (resolver(), Action::VetoSlash { id })
            } else {
                (holder(0), Action::ExecuteSlash { id })
            }
        }
        Step::VaultDeposit(h, p) => (
            holder(h),
            Action::VaultDeposit {
                vault: VAULT.into(),
                amount: Amount::new(part(net.lst_balance(holder(h)) / 4, p).max(1)),
                min_lrt_out: None,
            },
        ),
        Step::VaultRequest(h, p) => (
            holder(h),
            Action::VaultRequestWithdrawal {
                vault: VAULT.into(),
                lrt: if p == 100 {
                    AmountOrAll::All
                } else {
                    AmountOrAll::Exact(Amount::new(part(net.balance(holder(h), VAULT), p).max(1)))
                },
            },
        ),
        Step::VaultClaim(h) => {
            let id = state
                .range::<VaultOwnerRequests, _>((holder(h), 0u64)..)
                .take_while(|((a, _), _)| *a == holder(h))
                .map(|((_, id), _)| *id)
                .next()?;
            (holder(h), Action::VaultClaim { id })
        }
        Step::VaultAllocate(o, p) => (
            curator(),
            Action::VaultAllocate {
                vault: VAULT.into(),
                operator: operator(o),
                amount: Amount::new(
                    part(
                        rampart_core::vault::value_now(state, 0)
                            .ok()?
                            .idle_free
                            .get(),
                        p,
                    )
                    .max(1),
                ),
            },
        ),
        Step::VaultDeallocate(o) => (
            curator(),
            Action::VaultDeallocate {
                vault: VAULT.into(),
                operator: operator(o),
                amount: AmountOrAll::All,
            },
        ),
        Step::Restake(..) | Step::Downtime(_) | Step::Advance(_) => return None,
    })
}

fn lst_asset(net: &Net) -> rampart_core::AssetId {
    net.pool().asset
}

fn last_pending_slash(net: &Net) -> Option<rampart_core::ids::SlashId> {
    net.chain
        .state
        .iter::<rampart_core::schema::OperatorPendingSlashes>()
        .map(|((_, id), ())| *id)
        .max()
}

/// Runs a walk; returns (transactions accepted, transactions sent, epochs crossed).
fn run_walk(steps: &[Step]) -> (usize, usize, u64) {
    let mut net = walk_setup();
    let start = net.chain.state.meta().epoch.get();
    for step in steps {
        match *step {
            Step::Advance(epochs) => {
                let t = net.next_boundary() + (epochs - 1) * net.epoch_len();
                net.block(t);
            }
            Step::Downtime(v) => {
                let blocks = net.chain.state.params().downtime_window_blocks;
                let _ = net.fault(Fault::Downtime {
                    validator: validator(v),
                    blocks,
                });
            }
            Step::Restake(h, o, p) => {
                let amount = part(net.lst_balance(holder(h)) / 4, p).max(1);
                let deposited = net.send(
                    holder(h),
                    Action::Deposit {
                        asset: "stRAM".into(),
                        amount: Amount::new(amount),
                        min_shares_out: None,
                    },
                );
                if deposited.is_ok() {
                    let _ = net.send(
                        holder(h),
                        Action::Delegate {
                            operator: operator(o),
                            strategy: "stRAM".into(),
                            shares: ShareAmount::All,
                            validator: None,
                        },
                    );
                }
            }
            _ => {
                if let Some((signer, action)) = walk_action(&net, step) {
                    let _ = net.send(signer, action);
                }
            }
        }
        net.check();
    }
    let epochs = net.chain.state.meta().epoch.get() - start;
    (net.accepted, net.accepted + net.rejected, epochs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Mixed actions over the base layer, the LST, restaking with vetoable slashes and a vault on
    /// the LST, with time moving by whole epochs (hundreds of them), at default parameters: no
    /// block start ever fails, every invariant holds after every step, and most transactions
    /// are accepted.
    #[test]
    fn a_walk_at_default_delay_to_limit_ratios_never_stops_the_chain(
        steps in prop::collection::vec(step(), 150..200)
    ) {
        let (accepted, sent, epochs) = run_walk(&steps);
        prop_assert!(
            accepted * 3 >= sent && accepted >= 30,
            "only {accepted} of {sent} transactions accepted over {epochs} epochs"
        );
    }
}

/// A seeded walk long enough to cross more than three unbonding periods of epochs with an LST
/// redemption in most of them.
#[test]
fn a_seeded_walk_of_1500_steps_at_default_parameters_never_stops_the_chain() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
    );
    let steps = prop::collection::vec(step(), 1_500)
        .new_tree(&mut runner)
        .expect("steps")
        .current();
    let (accepted, sent, epochs) = run_walk(&steps);
    println!("seeded walk: {accepted} of {sent} transactions accepted over {epochs} epochs");
    assert!(epochs > 3 * 504, "crossed {epochs} epochs");
    assert!(accepted * 2 >= sent, "{accepted} of {sent} accepted");
}
