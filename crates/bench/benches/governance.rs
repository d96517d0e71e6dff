//! What governance costs (issue 13): a vote, the tally, and a voter's stake move, against the
//! number of delegators who voted. Prints tables; never a pass/fail timing.
//!
//! 100 active validators; `voters` delegators each delegate to one of them and vote themselves
//! (an override). The tally reads the active set only, so it must stay flat in `voters`; a vote
//! costs O(the voter's delegations); a voter's stake move costs O(proposals in voting).
//!
//! Run: `cargo bench -p rampart-bench --bench governance`.
#![allow(clippy::disallowed_methods)]

use rampart_bench::{Chain, account, staker, table};
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisValidator};
use rampart_core::governance::{Change, StoredPatch, VoteOption};
use rampart_core::params::ParamsPatch;
use rampart_core::{Action, Address, Amount, Bps, Timestamp};
use std::hint::black_box;
use std::time::Instant;

const E18: u128 = 1_000_000_000_000_000_000;
const T0: u64 = 1_700_000_000;

fn validator(i: u64) -> Address {
    account(4, i)
}

fn genesis(voters: u64) -> Genesis {
    let accounts = (0..voters.max(64))
        .map(|i| GenesisAccount {
            address: staker(i),
            balances: [("RAM".to_owned(), Amount::new(1_000_000 * E18))].into(),
        })
        .collect();
    Genesis {
        chain_id: 1,
        time: Timestamp::new(T0),
        governance: None,
        guardian: None,
        params: serde_json::from_value(serde_json::json!({"bonding_epochs": 0})).expect("params"),
        assets: Vec::new(),
        accounts,
        validators: (0..100)
            .map(|i| GenesisValidator {
                address: validator(i),
                self_bond: Amount::new((10_000 + u128::from(i)) * E18),
                commission_bps: Bps::new(500),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

fn proposal(chain: &mut Chain, who: Address) -> u64 {
    let patch = ParamsPatch {
        lst_fee_bps: Some(Bps::new(900)),
        ..ParamsPatch::default()
    };
    let out = chain.send(
        who,
        Action::SubmitProposal {
            title: "bench".into(),
            metadata_uri: String::new(),
            changes: vec![Change::Params(StoredPatch(Box::new(patch)))],
            deposit: Amount::new(1_000 * E18),
        },
    );
    out.created_id()
        .and_then(|v| v.as_u64())
        .expect("a proposal id")
}

fn vote(proposal: u64, option: VoteOption) -> Action {
    Action::Vote { proposal, option }
}

fn us(start: Instant, n: u64) -> String {
    format!("{:.2}", start.elapsed().as_secs_f64() * 1e6 / n as f64)
}

/// One row: µs per delegator vote, per validator vote, per tally, per voter stake move with
/// `open` proposals in voting.
fn row(voters: u64, open: u64) -> Vec<String> {
    let mut chain = Chain::from_genesis(&genesis(voters));
    for i in 0..voters {
        chain.send(
            staker(i),
            Action::DelegateBase {
                validator: validator(i % 100),
                amount: Amount::new(100 * E18),
            },
        );
    }
    chain.advance_to(T0 + 2 * 3_600);
    let ids: Vec<u64> = (0..open).map(|i| proposal(&mut chain, staker(i))).collect();
    let first = ids[0];
    let start = Instant::now();
    for i in 0..voters {
        chain.send(staker(i), vote(first, VoteOption::No));
    }
    let per_delegator_vote = us(start, voters);
    let start = Instant::now();
    for v in 0..100 {
        chain.send(validator(v), vote(first, VoteOption::Yes));
    }
    let per_validator_vote = us(start, 100);
    for &id in &ids[1..] {
        for i in 0..voters.min(64) {
            chain.send(staker(i), vote(id, VoteOption::Yes));
        }
    }
    let reps = 200;
    let start = Instant::now();
    for _ in 0..reps {
        black_box(rampart_core::governance::tally(&chain.state, first).expect("tally"));
    }
    let per_tally = us(start, reps);
    let moves = voters.min(64);
    let start = Instant::now();
    for i in 0..moves {
        chain.send(
            staker(i),
            Action::DelegateBase {
                validator: validator(i % 100),
                amount: Amount::new(E18),
            },
        );
    }
    let per_move = us(start, moves);
    vec![
        voters.to_string(),
        open.to_string(),
        per_delegator_vote,
        per_validator_vote,
        per_tally,
        per_move,
    ]
}

fn main() {
    let rows: Vec<Vec<String>> = [(10, 1), (1_000, 1), (10_000, 1), (10_000, 16)]
        .into_iter()
        .map(|(voters, open)| row(voters, open))
        .collect();
    table(
        "Governance against delegators who voted (100 active validators), µs",
        &[
            "delegators voted",
            "proposals in voting",
            "per delegator vote",
            "per validator vote",
            "per tally",
            "per voter stake move",
        ],
        &rows,
    );
}
