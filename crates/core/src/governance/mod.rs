//! Governance (PROTOCOL.md §10; `docs/governance.md`): stake-weighted proposals whose changes
//! wait, once passed, for a timelock chosen by what they can do to a depositor, and a guardian
//! that can only pause new deposits and allocations for a bounded time.
//!
//! A proposal carries a list of [`Change`]s. It collects deposits until `gov_min_deposit`, then
//! is voted on for `gov_voting_period_s` by base-layer bonded stake: a validator's vote carries
//! every share delegated to it except those whose delegator voted itself (an override). At the
//! end of the vote it passes, fails, misses quorum or is vetoed (Cosmos `x/gov` rules); a passed
//! proposal is queued until its effect time, then its changes apply atomically (all or none).
//!
//! # The rule
//!
//! No change that can raise a depositor's risk (classified per change in [`risk`], the table is
//! in the docs) takes effect before every position that existed when it passed could have
//! exited in full: its timelock is [`longest_exit_s`] under the parameters in force at passing,
//! plus `gov_risk_margin_s`. Other changes wait `gov_neutral_delay_s`.
//!
//! # Tally cost
//!
//! Nothing loops over delegators. A vote records, per validator the voter delegates to, the
//! validator shares it carries (`vote_shares`) and adds them to that validator's overridden
//! shares for the voter's option (`option_shares`): O(the voter's own delegations). Every later
//! change of a voter's delegation moves the difference (O(proposals in voting), at most
//! `gov_max_active_proposals`). The end of the vote reads, for each validator of the active set,
//! its shares, its own vote and four overridden sums: O(`max_validators`), whatever the number of
//! voters or of delegators who did not vote.
//!
//! # Invariants
//!
//! - For every proposal in voting and validator `v`: Σ over options of `option_shares(p, v, o)`
//!   equals Σ over voters `d ≠ v` of `vote_shares(p, d, v)`, and each `vote_shares(p, d, v)`
//!   equals `d`'s current voting shares at `v` (free plus locked).
//! - The governance deposit account holds exactly the deposits of proposals in their deposit or
//!   voting period; `active` counts the proposals in voting.
//!
//! # Arithmetic
//!
//! Shares are summed with saturating operations whose bounds are the validator's own share count
//! (the invariant above); values are `shares · bonded / total_shares` floored; thresholds compare
//! products in 256 bits.

mod actions;
pub mod check;
mod hooks;
pub mod risk;
pub mod tables;
mod view;

pub use crate::kinds::{Status, VoteOption};
pub use actions::{deposit_proposal, pause_deposits, require_unpaused, submit_proposal, vote};
pub use hooks::tally;
pub(crate) use hooks::{on_delegation_change, run_timer};
pub use risk::{Risk, longest_exit_s};
pub use tables::*;
pub use view::{
    GovernanceFlag, GovernanceView, ProposalView, QueuedChange, flags, governance_view,
    queued_changes,
};

use crate::ids::Address;
use crate::num::{Amount, Wad};
use crate::params::ParamsPatch;
use crate::state::State;
use crate::time::{Duration, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A parameter patch, stored as its canonical JSON so that a queued proposal survives parameters
/// added to the protocol later (an omitted name keeps its value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct StoredPatch(pub Box<ParamsPatch>);

impl BorshSerialize for StoredPatch {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        let json = serde_json::to_string(&self.0).map_err(std::io::Error::other)?;
        BorshSerialize::serialize(&json, writer)
    }
}

impl BorshDeserialize for StoredPatch {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let json = String::deserialize_reader(reader)?;
        serde_json::from_str(&json)
            .map(Self)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// One change a proposal makes when it applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// Replace the parameters named in the patch.
    Params(StoredPatch),
    /// Register an external asset (and its strategy unless `restakable` is false).
    RegisterAsset {
        /// Unique symbol.
        symbol: String,
        /// Display decimals.
        #[serde(default = "eighteen")]
        decimals: u8,
        /// The account that may mint and burn it.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        issuer: Option<Address>,
        /// Whether it gets a restaking strategy.
        #[serde(default = "yes")]
        restakable: bool,
    },
    /// Set prices in the price table (WAD of RAM per whole unit), leaving other symbols alone.
    Prices(BTreeMap<String, Wad>),
    /// Pay from the treasury (which receives protocol fees).
    TreasurySpend {
        /// Recipient.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        /// Asset symbol.
        asset: String,
        /// Amount in base units.
        amount: Amount,
    },
    /// Replace the guardian (or remove it with `null`); the new guardian may pause once.
    SetGuardian {
        /// The new guardian.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        guardian: Option<Address>,
    },
    /// Extend the pause of new deposits and allocations by up to `max_pause_s` from when the
    /// proposal applies (the only way to renew a guardian's pause).
    RenewPause {
        /// How long, capped at `max_pause_s`.
        duration_s: Duration,
    },
}

fn eighteen() -> u8 {
    18
}
fn yes() -> bool {
    true
}

/// Stake behind each option, in RAM, and the bonded stake it is measured against.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    /// For.
    pub yes: Amount,
    /// Against.
    pub no: Amount,
    /// Abstained.
    pub abstain: Amount,
    /// Vetoed.
    pub veto: Amount,
    /// Bonded stake of the active set.
    pub bonded: Amount,
}

/// A proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// Who submitted it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub proposer: Address,
    /// Title.
    pub title: String,
    /// Where the text and rationale live.
    pub metadata_uri: String,
    /// What it changes, in order.
    pub changes: Vec<Change>,
    /// Where it is.
    pub status: Status,
    /// Deposits so far (RAM).
    pub deposit: Amount,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// When its deposit period ends (if it has not reached the minimum by then, it expires).
    pub deposit_ends_at: Timestamp,
    /// When voting ends (set when voting starts).
    pub voting_ends_at: Option<Timestamp>,
    /// The tally at the end of voting.
    pub tally: Option<Tally>,
    /// What its changes can do to a depositor (fixed at submission from the changes).
    pub risk: Risk,
    /// When its changes apply (set when it passes).
    pub effect_at: Option<Timestamp>,
    /// Why a passed proposal could not apply.
    pub failure: Option<String>,
}

/// Governance bookkeeping: the proposal counter, the guardian and the pause.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovState {
    /// Next proposal id.
    pub next_proposal: u64,
    /// Proposals in their voting period (at most `gov_max_active_proposals`).
    pub active: u32,
    /// The guardian (may pause new deposits and allocations).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub guardian: Option<Address>,
    /// Whether the guardian may still pause (once per appointment; renewals need a proposal).
    pub guardian_can_pause: bool,
    /// New deposits and allocations are refused until then.
    pub paused_until: Timestamp,
}

/// The governance bookkeeping (defaults before any write).
pub fn gov_state(state: &State) -> GovState {
    state.get::<GovStateTable>(&()).cloned().unwrap_or_default()
}

/// Sets the guardian at genesis.
pub fn init(state: &mut State, guardian: Option<Address>) {
    state.put::<GovStateTable>(
        (),
        GovState {
            guardian,
            guardian_can_pause: guardian.is_some(),
            ..GovState::default()
        },
    );
}
