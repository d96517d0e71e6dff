//! Governance's tables: its bookkeeping (guardian, pause), proposals, deposits, votes and the
//! shares they carry, and the voting and timelock queues.

use super::{GovState, Proposal, VoteOption};
use crate::ids::Address;
use crate::num::Amount;

crate::state::tables! {
    /// Governance bookkeeping: proposal counter, active count, guardian, pause.
    100 gov_state: GovStateTable(() => GovState),
    /// Proposals.
    101 proposals: Proposals(u64 => Proposal),
    /// Deposits per (proposal, depositor), while the proposal is in its deposit or voting period.
    102 proposal_deposits: ProposalDeposits((u64, Address) => Amount),
    /// Votes per (proposal, voter).
    103 votes: Votes((u64, Address) => VoteOption),
    /// Per (proposal, voter, validator): the validator shares the voter's own vote carries
    /// (kept equal to its delegation's voting shares while the proposal is in voting).
    104 vote_shares: VoteShares((u64, Address, Address) => u128),
    /// Per (proposal, validator, option index): shares of the validator's delegators who voted
    /// that option themselves (taken out of the validator's own vote).
    105 option_shares: OptionShares((u64, Address, u8) => u128),
    /// Index: proposals in their voting period.
    106 voting_proposals: VotingProposals(u64 => ()),
    /// Index: passed proposals waiting for their effect time.
    107 queued_proposals: QueuedProposals(u64 => ()),
}
