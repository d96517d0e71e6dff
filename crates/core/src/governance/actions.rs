//! `submit_proposal`, `deposit_proposal`, `vote` and the guardian's `pause_deposits`.

use super::{Change, Proposal, Status, VoteOption, gov_state};
use crate::bank;
use crate::base::{BaseDelegations, Validators};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::governance::{
    GovStateTable, OptionShares, ProposalDeposits, Proposals, VoteShares, Votes, VotingProposals,
};
use crate::ids::{Address, AssetId, fmt_address, module};
use crate::num::{Amount, mul_div_ceil};
use crate::state::State;
use crate::state::meta::{Timer, schedule};
use crate::time::{Duration, Timestamp};

/// `submit_proposal {title, metadata_uri, changes, deposit}`: anyone, with at least
/// `gov_min_initial_deposit_bps` of the minimum deposit. Every change is checked against the
/// state now (and again when it applies).
pub fn submit_proposal(
    state: &mut State,
    ctx: &mut Ctx,
    title: String,
    metadata_uri: String,
    changes: Vec<Change>,
    deposit: Amount,
) -> Result<u64> {
    let params = state.params().clone();
    let max_len = usize::try_from(params.max_metadata_len).unwrap_or(usize::MAX);
    if title.trim().is_empty() || title.len() > max_len {
        return Err(Error::invalid(
            "title",
            format!("must be 1 to {max_len} bytes"),
        ));
    }
    if metadata_uri.len() > max_len {
        return Err(Error::invalid(
            "metadata_uri",
            format!("at most {max_len} bytes"),
        ));
    }
    if changes.is_empty() {
        return Err(Error::invalid("changes", "a proposal changes something"));
    }
    if changes.len() > usize::try_from(params.gov_max_changes).unwrap_or(usize::MAX) {
        return Err(Error::LimitExceeded {
            limit: "gov_max_changes",
            max: u64::from(params.gov_max_changes),
        });
    }
    for change in &changes {
        check_change(state, change)?;
    }
    let mut gs = gov_state(state);
    let initial = Amount::new(mul_div_ceil(
        params.gov_min_deposit.get(),
        u128::from(params.gov_min_initial_deposit_bps.get()),
        10_000,
    )?);
    if deposit < initial || deposit.is_zero() {
        return Err(Error::invalid(
            "deposit",
            format!(
                "at least {initial} (of a minimum deposit of {})",
                params.gov_min_deposit
            ),
        ));
    }
    bank::transfer(
        state,
        ctx.signer,
        module::governance_deposits(),
        AssetId::NATIVE,
        deposit,
    )?;
    let id = gs.next_proposal;
    gs.next_proposal = id.checked_add(1).ok_or(crate::num::MathError::Overflow)?;
    state.put::<GovStateTable>((), gs);
    let deposit_ends_at = ctx.now.checked_add(params.gov_max_deposit_period_s)?;
    let risk = super::risk::classify_all(&params, &changes);
    state.put::<Proposals>(
        id,
        Proposal {
            proposer: ctx.signer,
            title,
            metadata_uri,
            changes,
            status: Status::Deposit,
            deposit,
            submitted_at: ctx.now,
            deposit_ends_at,
            voting_ends_at: None,
            tally: None,
            risk,
            effect_at: None,
            failure: None,
        },
    );
    state.put::<ProposalDeposits>((id, ctx.signer), deposit);
    ctx.emit(Event::ProposalSubmitted {
        proposal: id,
        proposer: ctx.signer,
        deposit,
        risk,
    });
    if deposit >= params.gov_min_deposit {
        start_voting(state, ctx, id)?;
    } else {
        schedule(
            state,
            deposit_ends_at,
            Timer::GovDepositEnd { proposal: id },
        )?;
    }
    Ok(id)
}

/// `deposit_proposal {proposal, amount}`: adds to a proposal's deposit during its deposit or
/// voting period; reaching the minimum starts the vote.
pub fn deposit_proposal(state: &mut State, ctx: &mut Ctx, id: u64, amount: Amount) -> Result<()> {
    let mut p = proposal(state, id)?.clone();
    if !matches!(p.status, Status::Deposit | Status::Voting) {
        return Err(Error::ProposalClosed {
            proposal: id,
            action: "deposit_proposal",
            status: status_name(p.status),
        });
    }
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let params = state.params();
    let (min_deposit, max_depositors) = (params.gov_min_deposit, params.gov_max_depositors);
    let before = state.get::<ProposalDeposits>(&(id, ctx.signer)).copied();
    if before.is_none() {
        let depositors = state
            .range::<ProposalDeposits, _>((id, Address::ZERO)..)
            .take_while(|((p, _), _)| *p == id)
            .count();
        if depositors >= usize::try_from(max_depositors).unwrap_or(usize::MAX) {
            return Err(Error::LimitExceeded {
                limit: "gov_max_depositors",
                max: u64::from(max_depositors),
            });
        }
    }
    bank::transfer(
        state,
        ctx.signer,
        module::governance_deposits(),
        AssetId::NATIVE,
        amount,
    )?;
    state.put::<ProposalDeposits>(
        (id, ctx.signer),
        before.unwrap_or(Amount::ZERO).checked_add(amount)?,
    );
    p.deposit = p.deposit.checked_add(amount)?;
    let starts = p.status == Status::Deposit && p.deposit >= min_deposit;
    state.put::<Proposals>(id, p);
    ctx.emit(Event::ProposalDeposited {
        proposal: id,
        depositor: ctx.signer,
        amount,
    });
    if starts {
        start_voting(state, ctx, id)?;
    }
    Ok(())
}

/// Starts the vote of `id`: at most `gov_max_active_proposals` are in voting at once (each stake
/// move of a voter visits them); when all are taken, the deposit that would start another is
/// refused and can be made again once a vote ends.
fn start_voting(state: &mut State, ctx: &mut Ctx, id: u64) -> Result<()> {
    let max = state.params().gov_max_active_proposals;
    let mut gs = gov_state(state);
    if gs.active >= max {
        return Err(Error::LimitExceeded {
            limit: "gov_max_active_proposals",
            max: u64::from(max),
        });
    }
    gs.active = gs.active.saturating_add(1);
    state.put::<GovStateTable>((), gs);
    let mut p = proposal(state, id)?.clone();
    let ends_at = ctx.now.checked_add(state.params().gov_voting_period_s)?;
    p.status = Status::Voting;
    p.voting_ends_at = Some(ends_at);
    state.put::<Proposals>(id, p);
    state.put::<VotingProposals>(id, ());
    schedule(state, ends_at, Timer::GovVotingEnd { proposal: id })?;
    ctx.emit(Event::VotingStarted {
        proposal: id,
        ends_at,
    });
    Ok(())
}

/// The validator shares a delegation votes with: free and redelegated-in (locked) shares.
/// Pending bonds are not bonded yet and carry no vote.
pub(super) fn voting_shares(d: &crate::base::BaseDelegation) -> u128 {
    d.locked
        .iter()
        .fold(d.shares, |acc, l| acc.saturating_add(l.shares))
}

/// `vote {proposal, option}` during the voting period. A validator's vote carries the shares of
/// every delegator that does not vote itself; a delegator's vote moves its own shares (at every
/// validator it delegates to) out of its validators' votes. Voting again changes the option.
pub fn vote(state: &mut State, ctx: &mut Ctx, id: u64, option: VoteOption) -> Result<()> {
    let p = proposal(state, id)?;
    if p.status != Status::Voting {
        return Err(Error::ProposalClosed {
            proposal: id,
            action: "vote",
            status: status_name(p.status),
        });
    }
    let voter = ctx.signer;
    let is_validator = state.get::<Validators>(&voter).is_some();
    let previous = state.get::<Votes>(&(id, voter)).copied();
    match previous {
        Some(old) => {
            // Move what this voter already carries to the new option.
            let carried: Vec<(Address, u128)> = state
                .range::<VoteShares, _>((id, voter, Address::ZERO)..)
                .take_while(|((p, d, _), _)| *p == id && *d == voter)
                .map(|((_, _, v), s)| (*v, *s))
                .collect();
            for (v, s) in carried {
                move_option_shares(state, id, v, Some(old), None, s);
                move_option_shares(state, id, v, None, Some(option), s);
            }
        }
        None => {
            // Settle first: bonds that activated since the delegation was last written vote too.
            let validators: Vec<Address> = state
                .range::<BaseDelegations, _>((voter, Address::ZERO)..)
                .take_while(|((d, _), _)| *d == voter)
                .filter(|((_, v), d)| *v != voter && !d.pending.is_empty())
                .map(|((_, v), _)| *v)
                .collect();
            for v in validators {
                crate::base::settle_stored(state, voter, v)?;
            }
            let delegations: Vec<(Address, u128)> = state
                .range::<BaseDelegations, _>((voter, Address::ZERO)..)
                .take_while(|((d, _), _)| *d == voter)
                .filter(|((_, v), _)| *v != voter)
                .map(|((_, v), d)| (*v, voting_shares(d)))
                .filter(|(_, s)| *s > 0)
                .collect();
            if delegations.is_empty() && !is_validator {
                return Err(Error::NoVotingPower(fmt_address(&voter)));
            }
            for (v, s) in delegations {
                state.put::<VoteShares>((id, voter, v), s);
                move_option_shares(state, id, v, None, Some(option), s);
            }
        }
    }
    state.put::<Votes>((id, voter), option);
    ctx.emit(Event::Voted {
        proposal: id,
        voter,
        option,
    });
    Ok(())
}

/// Moves `shares` of validator `v`'s overridden shares out of option `from` and into `to`.
pub(super) fn move_option_shares(
    state: &mut State,
    id: u64,
    v: Address,
    from: Option<VoteOption>,
    to: Option<VoteOption>,
    shares: u128,
) {
    if let Some(o) = from {
        let key = (id, v, o.index());
        let left = state
            .get::<OptionShares>(&key)
            .copied()
            .unwrap_or(0)
            .saturating_sub(shares);
        if left == 0 {
            state.delete::<OptionShares>(&key);
        } else {
            state.put::<OptionShares>(key, left);
        }
    }
    if let Some(o) = to {
        let key = (id, v, o.index());
        let sum = state
            .get::<OptionShares>(&key)
            .copied()
            .unwrap_or(0)
            .saturating_add(shares);
        if sum > 0 {
            state.put::<OptionShares>(key, sum);
        }
    }
}

/// `pause_deposits {duration_s}`, the guardian only: refuses new deposits and allocations for up
/// to `max_pause_s` (never withdrawals, claims or slashing). A guardian pauses once; only a
/// proposal renews a pause or re-arms a guardian. `duration_s: 0` ends the pause early.
pub fn pause_deposits(state: &mut State, ctx: &mut Ctx, duration_s: Duration) -> Result<Timestamp> {
    let mut gs = gov_state(state);
    if gs.guardian != Some(ctx.signer) {
        let required = gs.guardian.map_or_else(
            || "the guardian (none is set)".to_owned(),
            |g| format!("the guardian ({})", fmt_address(&g)),
        );
        return Err(Error::unauthorized("pause_deposits", &ctx.signer, required));
    }
    let max = state.params().max_pause_s;
    if duration_s.get() == 0 {
        gs.paused_until = gs.paused_until.min(ctx.now);
    } else {
        if !gs.guardian_can_pause {
            return Err(Error::GuardianPauseUsed);
        }
        if duration_s > max {
            return Err(Error::invalid(
                "duration_s",
                format!("at most max_pause_s ({max} s)"),
            ));
        }
        gs.paused_until = gs.paused_until.max(ctx.now.checked_add(duration_s)?);
        gs.guardian_can_pause = false;
    }
    let until = gs.paused_until;
    state.put::<GovStateTable>((), gs);
    ctx.emit(Event::DepositsPaused { until });
    Ok(until)
}

/// Refuses `action` (a new deposit) while deposits are paused. Raising an allocation is checked by
/// `restaking::allocate`, which the action dispatch hands the pause.
pub fn require_unpaused(state: &State, now: Timestamp, action: &'static str) -> Result<()> {
    let until = gov_state(state).paused_until;
    if now < until {
        return Err(Error::DepositsPaused { action, until });
    }
    Ok(())
}

/// Checks a change against the state now (it is checked again when it applies).
fn check_change(state: &State, change: &Change) -> Result<()> {
    let mut scratch = state.params().clone();
    match change {
        Change::Params(patch) => {
            scratch = patch.0.apply(&scratch);
            scratch.validate_change(state.params())
        }
        Change::RegisterAsset { symbol, .. } => {
            if bank::asset_id(state, symbol).is_ok() {
                return Err(Error::AssetExists(symbol.clone()));
            }
            Ok(())
        }
        Change::Prices(prices) => {
            if prices.is_empty() {
                return Err(Error::invalid("prices", "names at least one symbol"));
            }
            scratch.prices.extend(prices.clone());
            scratch.validate()
        }
        Change::TreasurySpend { asset, amount, .. } => {
            bank::asset_id(state, asset)?;
            if amount.is_zero() {
                return Err(Error::invalid("amount", "must be positive"));
            }
            Ok(())
        }
        Change::SetGuardian { guardian } => match guardian {
            Some(g) if module::is_module(g) || *g == Address::ZERO => Err(Error::invalid(
                "guardian",
                "must be an account someone can sign for",
            )),
            _ => Ok(()),
        },
        Change::RenewPause { duration_s } => {
            if duration_s.get() == 0 || *duration_s > scratch.max_pause_s {
                return Err(Error::invalid(
                    "duration_s",
                    format!("in [1, max_pause_s = {}]", scratch.max_pause_s),
                ));
            }
            Ok(())
        }
    }
}

pub(super) fn proposal(state: &State, id: u64) -> Result<&Proposal> {
    state
        .get::<Proposals>(&id)
        .ok_or(Error::UnknownProposal(id))
}

/// The status's name as the API writes it.
pub fn status_name(s: Status) -> &'static str {
    match s {
        Status::Deposit => "deposit",
        Status::Voting => "voting",
        Status::Queued => "queued",
        Status::Applied => "applied",
        Status::Rejected => "rejected",
        Status::Vetoed => "vetoed",
        Status::NoQuorum => "no_quorum",
        Status::Expired => "expired",
        Status::Failed => "failed",
    }
}
