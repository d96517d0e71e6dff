//! Random walks over the whole protocol — base layer, liquid staking, native restaking,
//! restaking, reward programs, liquid restaking vaults (one on stETH, one on the LST), faults and
//! time — with the invariants of PROTOCOL.md §12 checked
//! after every step, and every rejected transaction checked to have changed nothing but its
//! signer's nonce. Objective double-sign evidence (issue 12) is submitted against a second
//! service's set, honest and forged, with signing keys rotating under it. (The restaking ledger alone is also checked against an exact reference model in
//! `state_machine.rs`; here the point is that every layer composes without breaking an invariant.)

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rampart_core::base::Fault;
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset, GenesisValidator};
use rampart_core::ids::WithdrawalId;
use rampart_core::num::{ShareAmount, Shares};
use rampart_core::restaking::{Admission, Receive, SlashArgs};
use rampart_core::rewards::{CreateRewardProgram, Weighting};
use rampart_core::schema::{Accounts, Balances, StakerWithdrawals, VaultOwnerRequests};
use rampart_core::state::Table;
use rampart_core::vault::{AmountOrAll, CreateVault, Policy, VaultFees};
use rampart_core::{
    Action, Address, Amount, Bps, Duration, Height, SetRef, Timestamp, WAD, Wad, invariants,
};
use rampart_scenario::names::dev_address;
use rampart_testkit::chain::Chain;

const E18: u128 = 1_000_000_000_000_000_000;
const STAKERS: usize = 4;
const VALIDATORS: usize = 3;
const OPERATORS: usize = 2;
const EPOCH: u64 = 600;
/// Strategies a position can name: stETH, the LST, native stake (with a validator).
const STRATEGIES: [&str; 3] = ["stETH", "stRAM", "RAM-native"];
/// Vaults (LRT symbols) and their assets.
const VAULTS: [(&str, &str); 2] = [("rstETH", "stETH"), ("rstRAM", "stRAM")];

fn staker(i: usize) -> Address {
    dev_address(&format!("s{i}"))
}
fn validator(i: usize) -> Address {
    dev_address(&format!("v{i}"))
}
fn operator(i: usize) -> Address {
    dev_address(&format!("op{i}"))
}
fn service() -> Address {
    dev_address("svc")
}
fn curator() -> Address {
    dev_address("curator")
}
/// The service with an objective double-sign rule (10 %), one set on stETH and native stake.
fn objective() -> Address {
    dev_address("objective")
}
/// Sets 0 and 1 of `svc`; 2 is `objective`'s set 0.
fn set(i: usize) -> SetRef {
    match i {
        2 => SetRef {
            service: objective(),
            id: 0,
        },
        _ => SetRef {
            service: service(),
            id: i as u32,
        },
    }
}
/// Signing key `k` of operator `o`: its own account's for 0, else an extra key it may rotate to.
fn signing_key(o: usize, k: usize) -> k256::ecdsa::SigningKey {
    rampart_scenario::names::dev_signing_key(&match k {
        0 => format!("op{o}"),
        _ => format!("op{o}-key{k}"),
    })
}

#[derive(Clone, Debug)]
enum Step {
    DelegateBase(usize, usize, u128),
    UndelegateBase(usize, usize, Option<u128>),
    RedelegateBase(usize, usize, usize, Option<u128>),
    ClaimUnbonded(usize),
    SetCommission(usize, u32),
    Unjail(usize),
    PayProposer(usize, u128),
    LstDeposit(usize, u128),
    LstRedeem(usize, Option<u128>),
    LstClaim(usize, u64),
    Deposit(usize, usize, u128),
    RestakeNative(usize, usize, Option<u128>),
    Delegate(usize, usize, usize, usize, Option<u128>),
    Allocate(usize, usize, usize, u128),
    Queue(usize, usize, usize, usize, Option<u128>),
    Complete(usize, usize, bool),
    Redelegate(usize, usize, usize, usize, usize, Option<u128>),
    Slash(usize, usize, u128),
    Program(usize, u128, u64, bool),
    ClaimRewards(usize),
    ServiceCommission(usize, u32),
    Advance(u64),
    DoubleSign(usize, u64),
    Downtime(usize, u64),
    VaultDeposit(usize, usize, u128),
    VaultExit(usize, usize, Option<u128>, bool),
    VaultClaim(usize, usize),
    VaultAllocate(usize, usize, u128),
    VaultDeallocate(usize, usize, Option<u128>),
    VaultHarvest(usize),
    /// A proposal by a staker: which change, and whether the deposit is the minimum or a quarter.
    Propose(usize, usize, bool),
    /// A vote by a staker (false) or a validator (true) on proposal `id` with option index.
    Vote(bool, usize, u64, usize),
    DepositProposal(usize, u64, u128),
    /// Evidence against operator, set (2 has the rule), height, signed by key k, digests
    /// conflicting or equal.
    Evidence(usize, usize, u64, usize, bool),
    /// Operator rotates to its key k.
    SetSigningKey(usize, usize),
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        1u128..1_000,
        (1u128..1_000).prop_map(|x| x * E18 / 10),
        (1u128..200).prop_map(|x| x * E18),
    ]
}

fn part() -> impl Strategy<Value = Option<u128>> {
    prop_oneof![2 => Just(None), 1 => amount().prop_map(Some)]
}

fn step() -> impl Strategy<Value = Step> {
    let s = 0..STAKERS;
    let v = 0..VALIDATORS;
    let o = 0..OPERATORS;
    let st = 0..STRATEGIES.len();
    prop_oneof![
        4 => (s.clone(), v.clone(), amount()).prop_map(|(a, b, c)| Step::DelegateBase(a, b, c)),
        2 => (s.clone(), v.clone(), part()).prop_map(|(a, b, c)| Step::UndelegateBase(a, b, c)),
        2 => (s.clone(), v.clone(), v.clone(), part()).prop_map(|(a, b, c, d)| Step::RedelegateBase(a, b, c, d)),
        1 => s.clone().prop_map(Step::ClaimUnbonded),
        1 => (v.clone(), 0u32..3_000).prop_map(|(a, b)| Step::SetCommission(a, b)),
        1 => v.clone().prop_map(Step::Unjail),
        2 => (s.clone(), amount()).prop_map(|(a, b)| Step::PayProposer(a, b)),
        3 => (s.clone(), amount()).prop_map(|(a, b)| Step::LstDeposit(a, b)),
        2 => (s.clone(), part()).prop_map(|(a, b)| Step::LstRedeem(a, b)),
        1 => (s.clone(), 0u64..6).prop_map(|(a, b)| Step::LstClaim(a, b)),
        3 => (s.clone(), 0usize..2, amount()).prop_map(|(a, b, c)| Step::Deposit(a, b, c)),
        2 => (s.clone(), v.clone(), part()).prop_map(|(a, b, c)| Step::RestakeNative(a, b, c)),
        4 => (s.clone(), o.clone(), st.clone(), v.clone(), part()).prop_map(|(a, b, c, d, e)| Step::Delegate(a, b, c, d, e)),
        3 => (o.clone(), 0usize..3, st.clone(), prop_oneof![Just(0u128), Just(WAD / 4), Just(WAD / 2), Just(WAD), 1u128..=WAD])
            .prop_map(|(a, b, c, d)| Step::Allocate(a, b, c, d)),
        2 => (s.clone(), o.clone(), st.clone(), v.clone(), part()).prop_map(|(a, b, c, d, e)| Step::Queue(a, b, c, d, e)),
        2 => (s.clone(), 0usize..4, any::<bool>()).prop_map(|(a, b, c)| Step::Complete(a, b, c)),
        1 => (s.clone(), o.clone(), o.clone(), st.clone(), v.clone(), part()).prop_map(|(a, b, c, d, e, f)| Step::Redelegate(a, b, c, d, e, f)),
        2 => (o.clone(), 0usize..2, prop_oneof![Just(WAD / 10), Just(WAD / 2), 1u128..=WAD / 2]).prop_map(|(a, b, c)| Step::Slash(a, b, c)),
        2 => (0usize..2, amount(), 1u64..5, any::<bool>()).prop_map(|(a, b, c, d)| Step::Program(a, b, c, d)),
        2 => s.clone().prop_map(Step::ClaimRewards),
        1 => (o.clone(), 0u32..3_000).prop_map(|(a, b)| Step::ServiceCommission(a, b)),
        5 => prop_oneof![1u64..30, 30u64..EPOCH, EPOCH..4 * EPOCH, Just(86_400u64)].prop_map(Step::Advance),
        1 => (v.clone(), 0u64..50).prop_map(|(a, b)| Step::DoubleSign(a, b)),
        1 => (v.clone(), 1u64..700).prop_map(|(a, b)| Step::Downtime(a, b)),
        3 => (s.clone(), 0usize..2, amount()).prop_map(|(a, b, c)| Step::VaultDeposit(a, b, c)),
        2 => (s.clone(), 0usize..2, part(), any::<bool>()).prop_map(|(a, b, c, d)| Step::VaultExit(a, b, c, d)),
        1 => (s.clone(), 0usize..4).prop_map(|(a, b)| Step::VaultClaim(a, b)),
        2 => (0usize..2, o.clone(), amount()).prop_map(|(a, b, c)| Step::VaultAllocate(a, b, c)),
        1 => (0usize..2, o.clone(), part()).prop_map(|(a, b, c)| Step::VaultDeallocate(a, b, c)),
        1 => (0usize..2).prop_map(Step::VaultHarvest),
        1 => (s.clone(), 0usize..4, prop_oneof![3 => Just(true), 1 => Just(false)]).prop_map(|(a, b, c)| Step::Propose(a, b, c)),
        4 => (any::<bool>(), 0usize..STAKERS.max(VALIDATORS), 0u64..3, prop_oneof![3 => Just(0usize), 1 => 1usize..4]).prop_map(|(a, b, c, d)| Step::Vote(a, b, c, d)),
        1 => (s.clone(), 0u64..6, amount()).prop_map(|(a, b, c)| Step::DepositProposal(a, b, c)),
        2 => (o.clone(), prop_oneof![1 => 0usize..2, 3 => Just(2usize)], 0u64..4, 0usize..3, prop_oneof![5 => Just(true), 1 => Just(false)])
            .prop_map(|(a, b, c, d, e)| Step::Evidence(a, b, c, d, e)),
        1 => (o.clone(), 0usize..3).prop_map(|(a, b)| Step::SetSigningKey(a, b)),
    ]
}

fn genesis() -> Genesis {
    let mut accounts: Vec<GenesisAccount> = (0..STAKERS)
        .map(|i| GenesisAccount {
            address: staker(i),
            balances: [
                ("RAM".to_owned(), Amount::new(10_000 * E18)),
                ("stETH".to_owned(), Amount::new(10_000 * E18)),
            ]
            .into(),
        })
        .collect();
    accounts.push(GenesisAccount {
        address: service(),
        balances: [("RAM".to_owned(), Amount::new(100_000 * E18))].into(),
    });
    accounts.push(GenesisAccount {
        address: objective(),
        balances: [("RAM".to_owned(), Amount::new(E18))].into(),
    });
    accounts.push(GenesisAccount {
        address: curator(),
        balances: [
            ("RAM".to_owned(), Amount::new(100 * E18)),
            ("stETH".to_owned(), Amount::new(E18)),
        ]
        .into(),
    });
    // Everyone else pays base fees too.
    for a in (0..OPERATORS)
        .map(operator)
        .chain((0..VALIDATORS).map(validator))
    {
        accounts.push(GenesisAccount {
            address: a,
            balances: [("RAM".to_owned(), Amount::new(E18))].into(),
        });
    }
    Genesis {
        chain_id: 1,
        time: Timestamp::new(0),
        governance: Some(dev_address("governance")),
        guardian: None,
        params: serde_json::from_value(serde_json::json!({
            "epoch_length_s": EPOCH, "bonding_epochs": 1, "unbonding_period_s": 3 * EPOCH,
            "withdrawal_delay_s": 2 * EPOCH, "deallocation_delay_s": 2 * EPOCH,
            "resolution_delay_s": EPOCH, "commission_delay_s": EPOCH, "jail_period_s": 300,
            "downtime_window_blocks": 500, "protocol_fee_bps": 300, "inflation_bps": 500,
            "base_fee": "1000", "max_unbondings_per_delegator": 6, "max_withdrawals_per_staker": 6,
            "gov_min_deposit": "100000000000000000000", "gov_voting_period_s": 24 * EPOCH,
            "gov_max_deposit_period_s": 24 * EPOCH, "gov_neutral_delay_s": EPOCH,
            "gov_risk_margin_s": EPOCH, "gov_max_active_proposals": 3, "gov_quorum_bps": 1_000,
        }))
        .expect("params"),
        assets: vec![GenesisAsset {
            symbol: "stETH".into(),
            decimals: 18,
            issuer: Some(dev_address("bridge")),
            restakable: true,
        }],
        accounts,
        validators: (0..VALIDATORS)
            .map(|i| GenesisValidator {
                address: validator(i),
                self_bond: Amount::new((2 + i as u128) * 1_000 * E18),
                commission_bps: Bps::new(500),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

fn setup() -> Chain {
    let mut chain = Chain::new(&genesis());
    chain.state.set_invariant_checks(false);
    for i in 0..OPERATORS {
        chain.register_operator(operator(i), 1_000 * i as u32);
    }
    chain.register_instant_service(service(), WAD / 2);
    chain.must(
        objective(),
        Action::RegisterService(rampart_core::restaking::RegisterService {
            metadata_uri: String::new(),
            slasher: objective(),
            resolver: None,
            veto_window_s: Duration::ZERO,
            max_slash_per_event_wad: Wad::new(WAD / 2),
            destination: rampart_core::restaking::Destination::Burn,
            resolution_delay_s: None,
            double_sign_wad: Some(Wad::new(WAD / 10)),
        }),
    );
    chain.must(
        objective(),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec!["stETH".into(), "RAM-native".into()],
            admission: Admission::Open,
        },
    );
    for o in 0..OPERATORS {
        chain.must(operator(o), Action::RegisterForSet { set: set(2) });
    }
    for (id, strategies) in [
        vec!["stETH", "stRAM", "RAM-native"],
        vec!["stETH", "RAM-native"],
    ]
    .into_iter()
    .enumerate()
    {
        chain.must(
            service(),
            Action::CreateOperatorSet {
                set_id: id as u32,
                strategies: strategies.into_iter().map(str::to_owned).collect(),
                admission: Admission::Open,
            },
        );
        for o in 0..OPERATORS {
            chain.must(operator(o), Action::RegisterForSet { set: set(id) });
        }
    }
    chain.must(
        curator(),
        Action::LstDeposit {
            amount: Amount::new(10 * E18),
            min_lst_out: None,
        },
    );
    for (lrt, asset) in VAULTS {
        chain.must(
            curator(),
            Action::CreateVault(Box::new(CreateVault {
                asset: asset.into(),
                curator: None,
                lrt_symbol: lrt.into(),
                fees: VaultFees {
                    management_bps: Bps::new(200),
                    performance_bps: Bps::new(1_000),
                    deposit_bps: Bps::new(5),
                    withdrawal_bps: Bps::new(10),
                },
                deposit_cap: Amount::new(1_000_000 * E18),
                buffer_bps: Bps::new(1_000),
                policy: Policy {
                    allowed_operators: (0..OPERATORS).map(operator).collect(),
                    allowed_services: vec![service()],
                    max_per_operator_bps: Bps::new(10_000),
                },
                seed_amount: Amount::new(E18),
                min_request: Some(Amount::new(1_000)),
            })),
        );
    }
    chain
}

fn vault_request(chain: &Chain, s: usize, index: usize) -> u64 {
    let mine: Vec<u64> = chain
        .state
        .range::<VaultOwnerRequests, _>((staker(s), 0u64)..)
        .take_while(|((a, _), _)| *a == staker(s))
        .map(|((_, id), _)| *id)
        .collect();
    mine.get(index).copied().unwrap_or(u64::MAX)
}

fn lrt(part: Option<u128>) -> AmountOrAll {
    part.map_or(AmountOrAll::All, |n| AmountOrAll::Exact(Amount::new(n)))
}

fn shares(part: Option<u128>) -> ShareAmount {
    part.map_or(ShareAmount::All, |n| ShareAmount::Exact(Shares::new(n)))
}

/// State that a rejected transaction by `signer` must not change: everything but the nonce
/// table and the balances its fee moves (the signer's and the fee pool's).
fn snapshot(chain: &Chain, signer: Address) -> Vec<(Vec<u8>, Vec<u8>)> {
    let fee_pool = rampart_core::ids::module::fee_pool();
    let mut entries = chain.state.encoded_entries();
    entries.retain(|(k, _)| {
        let paid_fee = k[0] == Balances::ID
            && (k[1..21] == signer.as_slice()[..] || k[1..21] == fee_pool.as_slice()[..]);
        k[0] != Accounts::ID && !paid_fee
    });
    entries
}

fn withdrawal(chain: &Chain, s: usize, index: usize) -> WithdrawalId {
    let mine: Vec<WithdrawalId> = chain
        .state
        .range::<StakerWithdrawals, _>((staker(s), WithdrawalId(0))..)
        .take_while(|((a, _), _)| *a == staker(s))
        .map(|((_, id), _)| *id)
        .collect();
    mine.get(index).copied().unwrap_or(WithdrawalId(u64::MAX))
}

/// One of the proposals in voting (`back` picks which), else one of the newest three: votes and
/// deposits mostly reach live proposals.
fn recent_proposal(chain: &Chain, back: u64) -> u64 {
    let voting: Vec<u64> = chain
        .state
        .iter::<rampart_core::schema::VotingProposals>()
        .map(|(id, ())| *id)
        .collect();
    match usize::try_from(back)
        .ok()
        .and_then(|b| voting.get(b % voting.len().max(1)))
    {
        Some(id) => *id,
        None => rampart_core::governance::gov_state(&chain.state)
            .next_proposal
            .saturating_sub(1 + back % 3),
    }
}

fn action(chain: &Chain, step: &Step) -> Option<(Address, Action)> {
    let strategy = |i: usize, v: usize| (STRATEGIES[i].to_owned(), (i == 2).then(|| validator(v)));
    Some(match *step {
        Step::DelegateBase(s, v, a) => (
            staker(s),
            Action::DelegateBase {
                validator: validator(v),
                amount: Amount::new(a),
            },
        ),
        Step::UndelegateBase(s, v, p) => (
            staker(s),
            Action::UndelegateBase {
                validator: validator(v),
                shares: Some(shares(p)),
                amount: None,
            },
        ),
        Step::RedelegateBase(s, a, b, p) => (
            staker(s),
            Action::RedelegateBase {
                from_validator: validator(a),
                to_validator: validator(b),
                shares: Some(shares(p)),
                amount: None,
            },
        ),
        Step::ClaimUnbonded(s) => (staker(s), Action::ClaimUnbonded {}),
        Step::SetCommission(v, b) => (
            validator(v),
            Action::SetValidatorCommission {
                commission_bps: Bps::new(b),
            },
        ),
        Step::Unjail(v) => (validator(v), Action::Unjail {}),
        Step::PayProposer(s, a) => (
            staker(s),
            Action::PayProposer {
                amount: Amount::new(a),
            },
        ),
        Step::LstDeposit(s, a) => (
            staker(s),
            Action::LstDeposit {
                amount: Amount::new(a),
                min_lst_out: None,
            },
        ),
        Step::LstRedeem(s, p) => (staker(s), Action::LstRequestRedeem { shares: shares(p) }),
        Step::LstClaim(s, id) => (staker(s), Action::LstClaim { id }),
        Step::Deposit(s, asset, a) => (
            staker(s),
            Action::Deposit {
                asset: ["stETH", "stRAM"][asset].into(),
                amount: Amount::new(a),
                min_shares_out: None,
            },
        ),
        Step::RestakeNative(s, v, p) => (
            staker(s),
            Action::RestakeNative {
                validator: validator(v),
                shares: Some(shares(p)),
                amount: None,
            },
        ),
        Step::Delegate(s, o, st, v, p) => {
            let (strategy, validator) = strategy(st, v);
            (
                staker(s),
                Action::Delegate {
                    operator: operator(o),
                    strategy,
                    shares: shares(p),
                    validator,
                },
            )
        }
        Step::Allocate(o, set_i, st, m) => (
            operator(o),
            Action::Allocate {
                set: set(set_i),
                strategy: STRATEGIES[st].into(),
                magnitude: Wad::new(m),
            },
        ),
        Step::Queue(s, o, st, v, p) => {
            let (strategy, validator) = strategy(st, v);
            (
                staker(s),
                Action::QueueWithdrawal {
                    operator: Some(operator(o)),
                    strategy,
                    shares: shares(p),
                    validator,
                },
            )
        }
        Step::Complete(s, index, as_shares) => (
            staker(s),
            Action::CompleteWithdrawal {
                id: withdrawal(chain, s, index),
                receive: if as_shares {
                    Receive::Shares
                } else {
                    Receive::Tokens
                },
            },
        ),
        Step::Redelegate(s, a, b, st, v, p) => {
            let (strategy, validator) = strategy(st, v);
            (
                staker(s),
                Action::Redelegate {
                    from_operator: operator(a),
                    to_operator: operator(b),
                    strategy,
                    shares: shares(p),
                    validator,
                },
            )
        }
        Step::Evidence(o, set_i, height, k, conflicting) => {
            let key = signing_key(o, k);
            let chain_id = chain.state.meta().chain_id;
            let sign = |byte: u8| {
                let text = format!("0x{}", format!("{byte:02x}").repeat(32));
                let digest = serde_json::from_value(serde_json::json!(text)).expect("a digest");
                let signature =
                    rampart_scenario::attest::attest(&key, chain_id, set(set_i), height, digest)
                        .expect("signs");
                (digest, signature.to_vec().into())
            };
            let (digest_a, signature_a) = sign(0xaa);
            let (digest_b, signature_b) = sign(if conflicting { 0xbb } else { 0xaa });
            (
                staker(0),
                Action::SubmitDoubleSignEvidence(rampart_core::restaking::DoubleSignEvidenceArgs {
                    operator: operator(o),
                    set: set(set_i),
                    height,
                    digest_a,
                    signature_a,
                    digest_b,
                    signature_b,
                }),
            )
        }
        Step::SetSigningKey(o, k) => (
            operator(o),
            Action::SetSigningKey {
                signing_key: Address::from_private_key(&signing_key(o, k)),
            },
        ),
        Step::Slash(o, set_i, w) => {
            let strategies = if set_i == 0 {
                vec!["stETH", "stRAM", "RAM-native"]
            } else {
                vec!["stETH", "RAM-native"]
            };
            (
                service(),
                Action::Slash(SlashArgs {
                    operator: operator(o),
                    set: set(set_i),
                    strategies: strategies.into_iter().map(str::to_owned).collect(),
                    wad: Wad::new(w),
                    evidence: String::new(),
                }),
            )
        }
        Step::Program(set_i, a, epochs, allocated) => (
            service(),
            Action::CreateRewardProgram(CreateRewardProgram {
                service: service(),
                set: set(set_i),
                asset: "RAM".into(),
                amount: Amount::new(a),
                start: None,
                duration_s: Duration::new(epochs * EPOCH),
                weighting: if allocated {
                    Weighting::Allocated
                } else {
                    Weighting::Delegated
                },
                multipliers: None,
            }),
        ),
        Step::ClaimRewards(s) => (
            staker(s),
            Action::ClaimRewards {
                operator: None,
                strategy: None,
            },
        ),
        Step::ServiceCommission(o, b) => (
            operator(o),
            Action::SetServiceCommission {
                service: service(),
                commission_bps: Bps::new(b),
            },
        ),
        Step::VaultDeposit(s, v, a) => (
            staker(s),
            Action::VaultDeposit {
                vault: VAULTS[v].0.into(),
                amount: Amount::new(a),
                min_lrt_out: None,
            },
        ),
        Step::VaultExit(s, v, p, instant) => (
            staker(s),
            if instant {
                Action::VaultWithdrawInstant {
                    vault: VAULTS[v].0.into(),
                    lrt: lrt(p),
                    min_out: None,
                }
            } else {
                Action::VaultRequestWithdrawal {
                    vault: VAULTS[v].0.into(),
                    lrt: lrt(p),
                }
            },
        ),
        Step::VaultClaim(s, index) => (
            staker(s),
            Action::VaultClaim {
                id: vault_request(chain, s, index),
            },
        ),
        Step::VaultAllocate(v, o, a) => (
            curator(),
            Action::VaultAllocate {
                vault: VAULTS[v].0.into(),
                operator: operator(o),
                amount: Amount::new(a),
            },
        ),
        Step::VaultDeallocate(v, o, p) => (
            curator(),
            Action::VaultDeallocate {
                vault: VAULTS[v].0.into(),
                operator: operator(o),
                amount: lrt(p),
            },
        ),
        Step::VaultHarvest(v) => (
            staker(0),
            Action::VaultHarvest {
                vault: VAULTS[v].0.into(),
            },
        ),
        Step::Propose(s, kind, full) => {
            let change: serde_json::Value = match kind {
                0 => serde_json::json!({"params": {"lst_fee_bps": 500}}),
                1 => serde_json::json!({"params": {"withdrawal_delay_s": 7_200}}),
                2 => {
                    serde_json::json!({"treasury_spend": {"to": staker(s), "asset": "RAM", "amount": "1"}})
                }
                _ => serde_json::json!({"params": {"protocol_fee_bps": 300, "lst_fee_bps": 1_500}}),
            };
            let min = 100 * E18;
            (
                staker(s),
                Action::SubmitProposal {
                    title: format!("proposal {kind}"),
                    metadata_uri: String::new(),
                    changes: vec![serde_json::from_value(change).expect("a change")],
                    deposit: Amount::new(if full { min } else { min / 4 }),
                },
            )
        }
        Step::Vote(is_validator, who, back, o) => (
            if is_validator {
                validator(who % VALIDATORS)
            } else {
                staker(who % STAKERS)
            },
            Action::Vote {
                proposal: recent_proposal(chain, back),
                option: rampart_core::governance::VoteOption::ALL[o],
            },
        ),
        Step::DepositProposal(s, back, a) => (
            staker(s),
            Action::DepositProposal {
                proposal: recent_proposal(chain, back),
                amount: Amount::new(a.saturating_mul(10)),
            },
        ),
        Step::Advance(_) | Step::DoubleSign(..) | Step::Downtime(..) => return None,
    })
}

/// Runs one step; `Err` describes a broken property.
fn apply(chain: &mut Chain, step: &Step) -> Result<(), String> {
    match action(chain, step) {
        Some((signer, action)) => {
            let before = snapshot(chain, signer);
            let r = chain.send(signer, action);
            if r.is_err() && snapshot(chain, signer) != before {
                return Err(format!("{step:?}: a rejected transaction changed state"));
            }
        }
        None => match *step {
            Step::Advance(seconds) => {
                let t = chain.now() + seconds;
                chain.advance_to(t);
            }
            Step::DoubleSign(v, back) | Step::Downtime(v, back) => {
                let fault = if matches!(step, Step::DoubleSign(..)) {
                    Fault::DoubleSign {
                        validator: validator(v),
                        height: Some(Height::new(chain.header.height.get().saturating_sub(back))),
                    }
                } else {
                    Fault::Downtime {
                        validator: validator(v),
                        blocks: back,
                    }
                };
                let before = snapshot(chain, Address::ZERO);
                let mut events = Vec::new();
                let (height, now) = (chain.header.height, chain.header.time);
                let applied = rampart_core::block::apply_fault(
                    &mut chain.state,
                    &mut events,
                    &fault,
                    height,
                    now,
                );
                if applied.is_err() && snapshot(chain, Address::ZERO) != before {
                    return Err(format!("{step:?}: a rejected fault changed state"));
                }
                chain.state.discard_journal();
            }
            _ => unreachable!("every transaction step has an action"),
        },
    }
    let violations = invariants::check(&chain.state);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(format!("after {step:?}: {violations:?}"))
    }
}

fn run(steps: &[Step]) -> Result<(), String> {
    let mut chain = setup();
    for (i, step) in steps.iter().enumerate() {
        apply(&mut chain, step).map_err(|e| format!("step {i}: {e}"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_layer_keeps_every_invariant_and_rejections_change_nothing(
        steps in prop::collection::vec(step(), 1..90)
    ) {
        if let Err(e) = run(&steps) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// One long deterministic walk (seeded), so CI always covers thousands of steps.
#[test]
fn a_seeded_walk_of_3000_steps_over_every_layer_keeps_every_invariant() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = prop::collection::vec(step(), 3_000);
    let steps = strategy.new_tree(&mut runner).expect("steps").current();
    let mut chain = setup();
    for (i, step) in steps.iter().enumerate() {
        if let Err(e) = apply(&mut chain, step) {
            panic!("step {i}: {e}");
        }
    }
    // Governance took part: proposals went through their whole life amid the other layers.
    let g = rampart_core::governance::governance_view(&chain.state, None).expect("governance");
    let count = |s: &str| g.proposals.iter().filter(|p| p.status == s).count();
    let statuses: Vec<&str> = g.proposals.iter().map(|p| p.status).collect();
    assert!(
        count("applied") + count("failed") + count("rejected") + count("vetoed") > 0
            && g.proposals.len() >= 5,
        "proposals: {statuses:?}"
    );
    eprintln!("governance in the seeded walk: {statuses:?}");
    // The walk reached the objective rule, not only its refusals.
    let punished = chain
        .state
        .count::<rampart_core::schema::DoubleSignEvidence>();
    assert!(punished > 0, "no double-sign evidence was accepted");
    eprintln!(
        "double signs punished: {punished}; replaced keys on record: {}",
        chain
            .state
            .count::<rampart_core::schema::RetiredSigningKeys>()
    );
}
