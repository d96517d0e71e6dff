//! Governance in block hooks: the end of a deposit period, the end of a vote, a queued proposal
//! applying, and the tally kept current as voters' stake moves. All total: a user condition (a
//! change that no longer applies, a treasury that cannot pay) fails the proposal, never the block.

use super::actions::{move_option_shares, proposal, voting_shares};
use super::{Change, Proposal, Risk, Status, Tally, VoteOption, gov_state};
use crate::bank;
use crate::base::{ActiveSet, Validators};
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::governance::{
    GovStateTable, OptionShares, ProposalDeposits, Proposals, QueuedProposals, VoteShares, Votes,
    VotingProposals,
};
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, mul_div_floor};
use crate::state::meta::{Timer, schedule};
use crate::state::{ParamsTable, State};
use alloy_primitives::U256;

/// A governance timer.
pub(crate) fn run_timer(state: &mut State, ctx: &mut Ctx, timer: &Timer) -> HookResult {
    match *timer {
        Timer::GovDepositEnd { proposal } => deposit_end(state, ctx, proposal),
        Timer::GovVotingEnd { proposal } => voting_end(state, ctx, proposal),
        Timer::GovApply { proposal } => apply(state, ctx, proposal),
        _ => Ok(()),
    }
}

fn load(state: &State, id: u64) -> HookResult<Proposal> {
    proposal(state, id)
        .cloned()
        .or_broken("a scheduled proposal")
}

fn deactivate(state: &mut State) {
    let mut gs = gov_state(state);
    gs.active = gs.active.saturating_sub(1);
    state.put::<GovStateTable>((), gs);
}

fn deposit_end(state: &mut State, ctx: &mut Ctx, id: u64) -> HookResult {
    let mut p = load(state, id)?;
    if p.status != Status::Deposit {
        return Ok(());
    }
    p.status = Status::Expired;
    state.put::<Proposals>(id, p);
    // Burned, as Cosmos does with `burn_proposal_deposit_prevote`: a proposal nobody backs costs
    // its proposer, so deposit-period proposals cannot be spammed for free.
    settle_deposits(state, ctx, id, true)?;
    ctx.emit(Event::ProposalEnded {
        proposal: id,
        status: Status::Expired,
    });
    Ok(())
}

/// `part / whole > bps / 10_000`, exactly.
fn above(part: Amount, whole: Amount, bps: u32) -> bool {
    let lhs = U256::from(part.get()).saturating_mul(U256::from(10_000u32));
    let rhs = U256::from(whole.get()).saturating_mul(U256::from(bps));
    lhs > rhs
}

fn voting_end(state: &mut State, ctx: &mut Ctx, id: u64) -> HookResult {
    let mut p = load(state, id)?;
    if p.status != Status::Voting {
        return Ok(());
    }
    let tally = tally(state, id).or_broken("the tally")?;
    state.delete::<VotingProposals>(&id);
    deactivate(state);
    let params = state.params().clone();
    let voted = tally
        .yes
        .saturating_add(tally.no)
        .saturating_add(tally.abstain)
        .saturating_add(tally.veto);
    let decisive = tally
        .yes
        .saturating_add(tally.no)
        .saturating_add(tally.veto);
    // Quorum: voted / bonded ≥ quorum.
    let has_quorum = !tally.bonded.is_zero() && {
        let lhs = U256::from(voted.get()).saturating_mul(U256::from(10_000u32));
        let rhs =
            U256::from(tally.bonded.get()).saturating_mul(U256::from(params.gov_quorum_bps.get()));
        lhs >= rhs
    };
    let status = if !has_quorum {
        Status::NoQuorum
    } else if above(tally.veto, voted, params.gov_veto_threshold_bps.get()) {
        Status::Vetoed
    } else if !decisive.is_zero() && above(tally.yes, decisive, params.gov_threshold_bps.get()) {
        Status::Queued
    } else {
        Status::Rejected
    };
    p.tally = Some(tally);
    p.status = status;
    if status == Status::Queued {
        // Classified against the parameters in force now, when it passes.
        let risk = super::risk::classify_all(&params, &p.changes);
        let effect_at = ctx.now.checked_add(super::risk::timelock(&params, risk))?;
        p.risk = risk;
        p.effect_at = Some(effect_at);
        state.put::<Proposals>(id, p);
        state.put::<QueuedProposals>(id, ());
        schedule(state, effect_at, Timer::GovApply { proposal: id })?;
        settle_deposits(state, ctx, id, false)?;
        ctx.emit(Event::ProposalPassed {
            proposal: id,
            risk,
            effect_at,
        });
    } else {
        state.put::<Proposals>(id, p);
        settle_deposits(
            state,
            ctx,
            id,
            matches!(status, Status::NoQuorum | Status::Vetoed),
        )?;
        ctx.emit(Event::ProposalEnded {
            proposal: id,
            status,
        });
    }
    Ok(())
}

/// Refunds (or burns) every deposit of `id`: at most `gov_max_depositors` entries.
fn settle_deposits(state: &mut State, ctx: &mut Ctx, id: u64, burn: bool) -> HookResult {
    let deposits: Vec<(Address, Amount)> = state
        .range::<ProposalDeposits, _>((id, Address::ZERO)..)
        .take_while(|((p, _), _)| *p == id)
        .map(|((_, who), a)| (*who, *a))
        .collect();
    let from = module::governance_deposits();
    let mut total = Amount::ZERO;
    for (who, amount) in deposits {
        state.delete::<ProposalDeposits>(&(id, who));
        total = total.checked_add(amount)?;
        if !burn {
            bank::transfer(state, from, who, AssetId::NATIVE, amount).or_broken("a refund")?;
        }
    }
    if burn && !total.is_zero() {
        bank::burn(state, &mut ctx.events, from, AssetId::NATIVE, total)
            .or_broken("burning deposits")?;
    }
    Ok(())
}

/// The tally of `id` as it stands: for each validator of the active set, its overridden shares
/// per option go to that option, and the rest of its shares to its own vote (if it voted).
/// O(active set), whatever the number of voters.
pub fn tally(state: &State, id: u64) -> Result<Tally> {
    let mut t = Tally::default();
    for (v, ()) in state.iter::<ActiveSet>() {
        let Some(val) = state.get::<Validators>(v) else {
            continue;
        };
        if val.shares == 0 {
            continue;
        }
        t.bonded = t.bonded.checked_add(val.bonded)?;
        let mut overridden = 0u128;
        for o in VoteOption::ALL {
            let s = state
                .get::<OptionShares>(&(id, *v, o.index()))
                .copied()
                .unwrap_or(0)
                .min(val.shares);
            overridden = overridden.saturating_add(s);
            add(
                &mut t,
                o,
                Amount::new(mul_div_floor(s, val.bonded.get(), val.shares)?),
            )?;
        }
        if let Some(o) = state.get::<Votes>(&(id, *v)) {
            let own = val.shares.saturating_sub(overridden);
            add(
                &mut t,
                *o,
                Amount::new(mul_div_floor(own, val.bonded.get(), val.shares)?),
            )?;
        }
    }
    Ok(t)
}

fn add(t: &mut Tally, o: VoteOption, amount: Amount) -> Result<()> {
    let slot = match o {
        VoteOption::Yes => &mut t.yes,
        VoteOption::No => &mut t.no,
        VoteOption::Abstain => &mut t.abstain,
        VoteOption::Veto => &mut t.veto,
    };
    *slot = slot.checked_add(amount)?;
    Ok(())
}

fn apply(state: &mut State, ctx: &mut Ctx, id: u64) -> HookResult {
    let mut p = load(state, id)?;
    if p.status != Status::Queued {
        return Ok(());
    }
    // Other proposals may have applied since this one passed: classified against the parameters
    // now, a change that has become risk-raising (a fee back up after another proposal lowered
    // it) waits the risk timelock from its passing, whatever it was classified as then.
    let params = state.params().clone();
    let now_risk = super::risk::classify_all(&params, &p.changes);
    if now_risk == Risk::Raising && p.risk == Risk::Neutral {
        let passed_at = p.voting_ends_at.unwrap_or(ctx.now);
        let effect_at = passed_at
            .checked_add(super::risk::timelock(&params, Risk::Raising))?
            .max(ctx.now);
        if effect_at > ctx.now {
            p.risk = Risk::Raising;
            p.effect_at = Some(effect_at);
            state.put::<Proposals>(id, p);
            schedule(state, effect_at, Timer::GovApply { proposal: id })?;
            ctx.emit(Event::ProposalPassed {
                proposal: id,
                risk: Risk::Raising,
                effect_at,
            });
            return Ok(());
        }
    }
    let mark = state.mark();
    let mut events = Vec::new();
    let applied = p
        .changes
        .iter()
        .try_for_each(|c| apply_change(state, ctx, &mut events, c));
    state.delete::<QueuedProposals>(&id);
    match applied {
        Ok(()) => {
            p.status = Status::Applied;
            ctx.events.append(&mut events);
            ctx.emit(Event::ProposalApplied { proposal: id });
        }
        Err(Error::Broken(b)) => return Err(b),
        Err(e) => {
            state.rollback_to(mark);
            state.delete::<QueuedProposals>(&id);
            p.status = Status::Failed;
            p.failure = Some(format!("{}: {e}", e.code()));
            ctx.emit(Event::ProposalFailed {
                proposal: id,
                code: e.code(),
                reason: e.to_string(),
            });
        }
    }
    state.put::<Proposals>(id, p);
    Ok(())
}

/// Applies one change; a user-level failure (`Err` but not `Broken`) fails the whole proposal.
fn apply_change(
    state: &mut State,
    ctx: &Ctx,
    events: &mut Vec<Event>,
    change: &Change,
) -> Result<()> {
    match change {
        Change::Params(patch) => {
            let params = patch.0.apply(state.params());
            params.validate_change(state.params())?;
            state.put::<ParamsTable>((), params);
            events.push(Event::ParamsChanged);
        }
        Change::RegisterAsset {
            symbol,
            decimals,
            issuer,
            restakable,
        } => {
            crate::restaking::register_external_asset(
                state,
                events,
                symbol,
                *decimals,
                *issuer,
                *restakable,
            )?;
        }
        Change::Prices(prices) => {
            let mut params = state.params().clone();
            params.prices.extend(prices.clone());
            params.validate()?;
            state.put::<ParamsTable>((), params);
            events.push(Event::ParamsChanged);
        }
        Change::TreasurySpend { to, asset, amount } => {
            let id = bank::asset_id(state, asset)?;
            let from = module::treasury();
            bank::transfer(state, from, *to, id, *amount)?;
            events.push(Event::Transferred {
                from,
                to: *to,
                asset: id,
                amount: *amount,
            });
        }
        Change::SetGuardian { guardian } => {
            let mut gs = gov_state(state);
            gs.guardian = *guardian;
            gs.guardian_can_pause = guardian.is_some();
            state.put::<GovStateTable>((), gs);
        }
        Change::RenewPause { duration_s } => {
            let mut gs = gov_state(state);
            let d = (*duration_s).min(state.params().max_pause_s);
            gs.paused_until = gs.paused_until.max(ctx.now.checked_add(d)?);
            let until = gs.paused_until;
            state.put::<GovStateTable>((), gs);
            events.push(Event::DepositsPaused { until });
        }
    }
    Ok(())
}

/// A delegation of `delegator` at `validator` now votes with `shares`: every proposal in voting
/// where the delegator voted itself moves the difference (O(proposals in voting)).
///
/// Called just before every write of a base delegation (`d` is the value written, `None` for a
/// delete), as the observer of `BaseDelegations` the app layer registers
/// (`crate::schema::OBSERVERS`): base does not call governance.
pub(crate) fn on_delegation_change(
    state: &mut State,
    delegator: Address,
    validator: Address,
    d: Option<&crate::base::BaseDelegation>,
) {
    if delegator == validator || state.iter::<VotingProposals>().next().is_none() {
        return;
    }
    let shares = d.map_or(0, voting_shares);
    let voting: Vec<u64> = state
        .iter::<VotingProposals>()
        .map(|(id, ())| *id)
        .collect();
    for id in voting {
        let Some(option) = state.get::<Votes>(&(id, delegator)).copied() else {
            continue;
        };
        let key = (id, delegator, validator);
        let before = state.get::<VoteShares>(&key).copied().unwrap_or(0);
        if before == shares {
            continue;
        }
        if shares == 0 {
            state.delete::<VoteShares>(&key);
        } else {
            state.put::<VoteShares>(key, shares);
        }
        move_option_shares(state, id, validator, Some(option), None, before);
        move_option_shares(state, id, validator, None, Some(option), shares);
    }
}
