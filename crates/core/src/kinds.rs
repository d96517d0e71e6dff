//! Small protocol enums that events name as well as the components that own them: where a slash
//! goes ([`Destination`], restaking), a change's risk class ([`Risk`]), a vote ([`VoteOption`])
//! and a proposal's status ([`Status`], governance). They sit with the primitives so that
//! `events` (kernel) names them without using a component (docs/architecture.md, "Layers"); the
//! components re-export them (`restaking::Destination`, `governance::Risk`, …), so those paths
//! keep working. Their JSON and Borsh encodings are wire and state formats: unchanged by the move.

use crate::ids::Address;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Where executed slashes go after the resolution delay.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// Destroyed.
    Burn,
    /// Paid to this account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    Redistribute(Address),
}

/// The class of a change.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Cannot raise a depositor's risk: the short timelock.
    Neutral,
    /// Can raise a depositor's risk: waits until every position open at passing could exit.
    Raising,
}

/// A vote.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoteOption {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts for quorum only.
    Abstain,
    /// Against, and if vetoes pass `gov_veto_threshold_bps` the deposits are burned.
    Veto,
}

impl VoteOption {
    /// Every option, in index order.
    pub const ALL: [Self; 4] = [Self::Yes, Self::No, Self::Abstain, Self::Veto];

    /// Its index in `option_shares` keys.
    pub const fn index(self) -> u8 {
        match self {
            Self::Yes => 0,
            Self::No => 1,
            Self::Abstain => 2,
            Self::Veto => 3,
        }
    }
}

/// Where a proposal is in its life.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Collecting deposits.
    Deposit,
    /// Being voted on.
    Voting,
    /// Passed; waits for its effect time.
    Queued,
    /// Its changes applied.
    Applied,
    /// Voted down (deposits refunded).
    Rejected,
    /// Vetoed (deposits burned).
    Vetoed,
    /// Too little stake voted (deposits burned).
    NoQuorum,
    /// Did not reach the minimum deposit in time (deposits burned).
    Expired,
    /// Passed, but a change could not apply at its effect time (nothing applied).
    Failed,
}
