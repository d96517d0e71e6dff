//! The governance invariants (see the module docs), checked over the whole state in tests.

use super::actions::voting_shares;
use super::{Status, VoteOption, gov_state};
use crate::bank;
use crate::base::BaseDelegations;
use crate::governance::{
    OptionShares, ProposalDeposits, Proposals, QueuedProposals, VoteShares, Votes, VotingProposals,
};
use crate::ids::{Address, AssetId, module};
use crate::state::State;
use std::collections::BTreeMap;

/// Pushes every violation found onto `v`.
pub fn check(state: &State, v: &mut Vec<String>) {
    let mut per_proposal: BTreeMap<u64, u128> = BTreeMap::new();
    for ((id, _), amount) in state.iter::<ProposalDeposits>() {
        let s = per_proposal.entry(*id).or_default();
        *s = s.saturating_add(amount.get());
    }
    let held = bank::balance(state, module::governance_deposits(), AssetId::NATIVE).get();
    let total = per_proposal
        .values()
        .fold(0u128, |a, b| a.saturating_add(*b));
    if held != total {
        v.push(format!(
            "governance deposits: the account holds {held}, the deposits sum to {total}"
        ));
    }
    let mut active = 0u32;
    for (id, p) in state.iter::<Proposals>() {
        let live = matches!(p.status, Status::Deposit | Status::Voting);
        if p.status == Status::Voting {
            active = active.saturating_add(1);
        }
        if live {
            if per_proposal.get(id).copied().unwrap_or(0) != p.deposit.get() {
                v.push(format!(
                    "proposal {id}: its deposits do not sum to {}",
                    p.deposit
                ));
            }
        } else if per_proposal.contains_key(id) {
            v.push(format!("proposal {id} has ended but still holds deposits"));
        }
        if (p.status == Status::Voting) != state.get::<VotingProposals>(id).is_some() {
            v.push(format!(
                "proposal {id}: the voting index disagrees with its status"
            ));
        }
        if (p.status == Status::Queued) != state.get::<QueuedProposals>(id).is_some() {
            v.push(format!(
                "proposal {id}: the queue index disagrees with its status"
            ));
        }
    }
    if active != gov_state(state).active {
        v.push(format!(
            "governance: {active} proposals are in voting, the counter says {}",
            gov_state(state).active
        ));
    }
    // Overrides of proposals in voting match the voters' delegations.
    for (id, ()) in state.iter::<VotingProposals>() {
        let mut carried: BTreeMap<Address, u128> = BTreeMap::new();
        for ((_, voter, validator), shares) in state
            .range::<VoteShares, _>((*id, Address::ZERO, Address::ZERO)..)
            .take_while(|((p, _, _), _)| p == id)
        {
            let live = state
                .get::<BaseDelegations>(&(*voter, *validator))
                .map_or(0, voting_shares);
            if live != *shares {
                v.push(format!(
                    "proposal {id}: {voter:#x} carries {shares} shares of {validator:#x}, its delegation has {live}"
                ));
            }
            if state.get::<Votes>(&(*id, *voter)).is_none() {
                v.push(format!(
                    "proposal {id}: {voter:#x} carries shares without a vote"
                ));
            }
            let c = carried.entry(*validator).or_default();
            *c = c.saturating_add(*shares);
        }
        let mut summed: BTreeMap<Address, u128> = BTreeMap::new();
        for ((_, validator, o), shares) in state
            .range::<OptionShares, _>((*id, Address::ZERO, 0u8)..)
            .take_while(|((p, _, _), _)| p == id)
        {
            if !VoteOption::ALL.iter().any(|x| x.index() == *o) {
                v.push(format!("proposal {id}: option index {o} is not an option"));
            }
            let s = summed.entry(*validator).or_default();
            *s = s.saturating_add(*shares);
        }
        if carried != summed {
            v.push(format!(
                "proposal {id}: overridden shares per validator {summed:?} differ from the voters' {carried:?}"
            ));
        }
    }
}
