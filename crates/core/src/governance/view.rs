//! `governance {proposal?}`: parameters, the guardian, proposals with tallies, queued changes.

use super::actions::status_name;
use super::hooks::tally;
use super::risk::{self, Risk, raising_params};
use super::{Change, Proposal, Status, Tally, VoteOption, gov_state};
use crate::error::{Error, Result};
use crate::governance::{Proposals, QueuedProposals, Votes};
use crate::ids::Address;
use crate::num::{Amount, Bps};
use crate::state::State;
use crate::time::{Duration, Timestamp};
use serde::Serialize;

/// Proposals listed, newest first, when no single proposal is asked for.
const LISTED: usize = 50;
/// Votes listed for one proposal.
const VOTES_LISTED: usize = 1_000;

/// The answer of `governance`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovernanceView {
    /// The rules proposals follow now.
    pub rules: Rules,
    /// The guardian and the pause.
    pub guardian: GuardianView,
    /// Proposals (one if asked for, else the newest 50).
    pub proposals: Vec<ProposalView>,
    /// Passed proposals waiting for their effect time, soonest first.
    pub queued: Vec<QueuedChange>,
}

/// The governance parameters in force, and the timelocks they give.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rules {
    /// Minimum deposit for a vote.
    pub min_deposit: Amount,
    /// Deposit period.
    pub max_deposit_period_s: Duration,
    /// Voting period.
    pub voting_period_s: Duration,
    /// Quorum.
    pub quorum_bps: Bps,
    /// Pass threshold.
    pub threshold_bps: Bps,
    /// Veto threshold.
    pub veto_threshold_bps: Bps,
    /// The longest exit path now (see `governance::longest_exit_s`).
    pub longest_exit_s: Duration,
    /// Timelock of a change that can raise a depositor's risk, if it passed now.
    pub risk_timelock_s: Duration,
    /// Timelock of any other change.
    pub neutral_timelock_s: Duration,
}

/// The guardian.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuardianView {
    /// Its account, if any.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub address: Option<Address>,
    /// Whether it may still pause.
    pub can_pause: bool,
    /// New deposits and allocations are refused until then (if later than now).
    pub paused_until: Timestamp,
    /// Whether they are refused now.
    pub paused: bool,
    /// The longest pause it may impose.
    pub max_pause_s: Duration,
}

/// One proposal.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalView {
    /// Its id.
    pub id: u64,
    /// Who submitted it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub proposer: Address,
    /// Title.
    pub title: String,
    /// Text and rationale.
    pub metadata_uri: String,
    /// `deposit`, `voting`, `queued`, `applied`, `rejected`, `vetoed`, `no_quorum`, `expired` or
    /// `failed`.
    pub status: &'static str,
    /// Deposits.
    pub deposit: Amount,
    /// Submitted at.
    pub submitted_at: Timestamp,
    /// End of the deposit period.
    pub deposit_ends_at: Timestamp,
    /// End of voting.
    pub voting_ends_at: Option<Timestamp>,
    /// The tally: live while voting, final after.
    pub tally: Option<Tally>,
    /// The class of its changes.
    pub risk: Risk,
    /// When it applies (queued) or applied.
    pub effect_at: Option<Timestamp>,
    /// Why it could not apply.
    pub failure: Option<String>,
    /// Its changes, each with its class and the parameters that make it risk-raising.
    pub changes: Vec<ChangeView>,
    /// Votes (only when one proposal is asked for; at most 1,000).
    pub votes: Vec<VoteView>,
}

/// A change and its class.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeView {
    /// The change.
    pub change: Change,
    /// Its class against the parameters in force now.
    pub risk: Risk,
    /// For a parameter patch: the parameters whose move raises risk.
    pub raising: Vec<&'static str>,
}

/// One vote.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoteView {
    /// The voter.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub voter: Address,
    /// Its option.
    pub option: VoteOption,
}

/// A passed proposal waiting for its effect time.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedChange {
    /// The proposal.
    pub proposal: u64,
    /// Its title.
    pub title: String,
    /// The class of its changes.
    pub risk: Risk,
    /// When it applies.
    pub effect_at: Timestamp,
}

/// `governance {proposal?}`.
pub fn governance_view(state: &State, proposal: Option<u64>) -> Result<GovernanceView> {
    let params = state.params();
    let gs = gov_state(state);
    let now = state.now();
    let proposals = match proposal {
        Some(id) => {
            let p = state
                .get::<Proposals>(&id)
                .ok_or(Error::UnknownProposal(id))?;
            vec![proposal_view(state, id, p, true)?]
        }
        None => state
            .iter::<Proposals>()
            .rev()
            .take(LISTED)
            .map(|(id, p)| proposal_view(state, *id, p, false))
            .collect::<Result<_>>()?,
    };
    Ok(GovernanceView {
        rules: Rules {
            min_deposit: params.gov_min_deposit,
            max_deposit_period_s: params.gov_max_deposit_period_s,
            voting_period_s: params.gov_voting_period_s,
            quorum_bps: params.gov_quorum_bps,
            threshold_bps: params.gov_threshold_bps,
            veto_threshold_bps: params.gov_veto_threshold_bps,
            longest_exit_s: risk::longest_exit_s(params),
            risk_timelock_s: risk::timelock(params, Risk::Raising),
            neutral_timelock_s: risk::timelock(params, Risk::Neutral),
        },
        guardian: GuardianView {
            address: gs.guardian,
            can_pause: gs.guardian_can_pause,
            paused_until: gs.paused_until,
            paused: now < gs.paused_until,
            max_pause_s: params.max_pause_s,
        },
        proposals,
        queued: queued_changes(state),
    })
}

fn proposal_view(state: &State, id: u64, p: &Proposal, votes: bool) -> Result<ProposalView> {
    let params = state.params();
    let live = match p.status {
        Status::Voting => Some(tally(state, id)?),
        _ => p.tally.clone(),
    };
    let changes = p
        .changes
        .iter()
        .map(|c| ChangeView {
            change: c.clone(),
            risk: risk::classify(params, c),
            raising: match c {
                Change::Params(patch) => raising_params(params, &patch.0.apply(params)),
                _ => Vec::new(),
            },
        })
        .collect();
    let votes = if votes {
        state
            .range::<Votes, _>((id, Address::ZERO)..)
            .take_while(|((p, _), _)| *p == id)
            .take(VOTES_LISTED)
            .map(|((_, voter), option)| VoteView {
                voter: *voter,
                option: *option,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ProposalView {
        id,
        proposer: p.proposer,
        title: p.title.clone(),
        metadata_uri: p.metadata_uri.clone(),
        status: status_name(p.status),
        deposit: p.deposit,
        submitted_at: p.submitted_at,
        deposit_ends_at: p.deposit_ends_at,
        voting_ends_at: p.voting_ends_at,
        tally: live,
        risk: p.risk,
        effect_at: p.effect_at,
        failure: p.failure.clone(),
        changes,
        votes,
    })
}

/// Passed proposals waiting for their effect time, soonest first.
pub fn queued_changes(state: &State) -> Vec<QueuedChange> {
    let mut out: Vec<QueuedChange> = state
        .iter::<QueuedProposals>()
        .filter_map(|(id, ())| {
            let p = state.get::<Proposals>(id)?;
            Some(QueuedChange {
                proposal: *id,
                title: p.title.clone(),
                risk: p.risk,
                effect_at: p.effect_at?,
            })
        })
        .collect();
    out.sort_by_key(|q| (q.effect_at, q.proposal));
    out
}

/// A queued change as one account sees it: whether its slowest exit, started now, completes
/// before the change applies.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GovernanceFlag {
    /// The proposal.
    pub proposal: u64,
    /// Its title.
    pub title: String,
    /// The class of its changes (`raising` touches every holding).
    pub risk: Risk,
    /// When it applies.
    pub effect_at: Timestamp,
    /// Whether everything the account holds could be liquid before then.
    pub exit_completes_before: bool,
}

/// The queued changes, flagged against an exit that completes at `exit_completes_at`.
pub fn flags(state: &State, exit_completes_at: Timestamp) -> Vec<GovernanceFlag> {
    queued_changes(state)
        .into_iter()
        .map(|q| GovernanceFlag {
            proposal: q.proposal,
            title: q.title,
            risk: q.risk,
            effect_at: q.effect_at,
            exit_completes_before: exit_completes_at < q.effect_at,
        })
        .collect()
}
