//! What a change can do to a depositor, decided in code for every change kind and every
//! parameter (the table in `docs/governance.md` is this file's).
//!
//! A change that can raise a depositor's risk waits [`longest_exit_s`] plus
//! `gov_risk_margin_s`; anything else waits `gov_neutral_delay_s`.

use super::Change;
use crate::params::Params;
use crate::time::Duration;

pub use crate::kinds::Risk;

/// Which way a parameter's move raises a depositor's risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A larger value raises it.
    Up,
    /// A smaller value raises it.
    Down,
    /// Any change does (it changes the exit a depositor entered under).
    Any,
    /// No move does.
    Never,
}

/// Every ranged parameter and the direction that raises risk. A parameter missing here is
/// treated as [`Direction::Any`] (and a test requires every parameter to be listed).
pub const PARAM_RISK: &[(&str, Direction)] = &[
    ("block_time_s", Direction::Never),
    ("consensus_epoch_blocks", Direction::Any),
    ("epoch_length_s", Direction::Up),
    ("max_validators", Direction::Down),
    ("bonding_epochs", Direction::Up),
    ("unbonding_period_s", Direction::Any),
    ("inflation_bps", Direction::Never),
    ("double_sign_slash_bps", Direction::Up),
    ("downtime_slash_bps", Direction::Up),
    ("downtime_window_blocks", Direction::Down),
    ("downtime_max_missed_bps", Direction::Down),
    ("jail_period_s", Direction::Up),
    ("min_self_bond", Direction::Up),
    ("commission_max_change_bps", Direction::Up),
    ("commission_max_bps", Direction::Up),
    ("withdrawal_delay_s", Direction::Any),
    ("slash_execution_window_s", Direction::Up),
    ("deallocation_delay_s", Direction::Down),
    ("config_delay_s", Direction::Down),
    ("resolution_delay_s", Direction::Down),
    ("commission_delay_s", Direction::Down),
    ("default_commission_bps", Direction::Up),
    ("protocol_fee_bps", Direction::Up),
    ("lst_fee_bps", Direction::Up),
    ("virtual_shares", Direction::Down),
    ("max_sets_per_operator", Direction::Down),
    ("max_operators_per_set", Direction::Down),
    ("max_strategies_per_set", Direction::Down),
    ("max_positions_per_staker", Direction::Down),
    ("max_metadata_len", Direction::Never),
    ("max_withdrawals_per_staker", Direction::Down),
    ("max_redelegations_per_position", Direction::Down),
    ("max_unbondings_per_delegator", Direction::Down),
    ("yield_window_epochs", Direction::Never),
    ("max_programs_per_set", Direction::Never),
    ("max_sets_per_service", Direction::Never),
    ("max_allowed_services", Direction::Never),
    ("base_fee", Direction::Up),
    ("max_vaults", Direction::Never),
    ("vault_min_seed", Direction::Never),
    ("max_vault_operators", Direction::Down),
    ("max_vault_services", Direction::Down),
    ("max_vault_requests_per_owner", Direction::Down),
    ("vault_queue_batch", Direction::Down),
    ("evidence_reward_bps", Direction::Never),
    // Fewer accountable replaced keys can stop an operator rotating away from a stolen key.
    ("max_retired_signing_keys", Direction::Down),
    ("gov_min_deposit", Direction::Down),
    ("gov_min_initial_deposit_bps", Direction::Never),
    ("gov_max_deposit_period_s", Direction::Never),
    ("gov_voting_period_s", Direction::Down),
    ("gov_quorum_bps", Direction::Down),
    ("gov_threshold_bps", Direction::Down),
    ("gov_veto_threshold_bps", Direction::Up),
    ("gov_neutral_delay_s", Direction::Down),
    ("gov_risk_margin_s", Direction::Down),
    ("max_pause_s", Direction::Never),
    ("gov_max_active_proposals", Direction::Never),
    ("gov_max_changes", Direction::Never),
    ("gov_max_depositors", Direction::Never),
];

/// The direction listed for `name` ([`Direction::Any`] if it is not listed).
pub fn direction(name: &str) -> Direction {
    PARAM_RISK
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Direction::Any, |(_, d)| *d)
}

/// The parameters whose move from `old` to `new` raises risk.
pub fn raising_params(old: &Params, new: &Params) -> Vec<&'static str> {
    let mut out = Vec::new();
    for ((name, before, _, _), (_, after, _, _)) in old.ranges().into_iter().zip(new.ranges()) {
        let raises = match direction(name) {
            Direction::Up => after > before,
            Direction::Down => after < before,
            Direction::Any => after != before,
            Direction::Never => false,
        };
        if raises {
            out.push(name);
        }
    }
    // Per-action fees: a rise of any.
    let fee_rise = new
        .base_fees
        .iter()
        .any(|(action, fee)| *fee > old.base_fee_of(action))
        || old.base_fees.keys().any(|action| {
            !new.base_fees.contains_key(action) && new.base_fee > old.base_fee_of(action)
        });
    if fee_rise {
        out.push("base_fees");
    }
    if price_raises(old, &new.prices) {
        out.push("prices");
    }
    out
}

/// Whether setting `prices` over `old` raises some asset's weight (a new price, or a higher one).
fn price_raises(
    old: &Params,
    prices: &std::collections::BTreeMap<String, crate::num::Wad>,
) -> bool {
    prices
        .iter()
        .any(|(symbol, p)| old.prices.get(symbol).is_none_or(|before| p > before))
}

/// The class of one change against the parameters in force.
pub fn classify(params: &Params, change: &Change) -> Risk {
    let raising = match change {
        Change::Params(patch) => !raising_params(params, &patch.0.apply(params)).is_empty(),
        Change::RegisterAsset { restakable, .. } => *restakable,
        Change::Prices(prices) => price_raises(params, prices),
        Change::TreasurySpend { .. } | Change::SetGuardian { .. } | Change::RenewPause { .. } => {
            false
        }
    };
    if raising {
        Risk::Raising
    } else {
        Risk::Neutral
    }
}

/// The class of a list of changes: the highest of them.
pub fn classify_all(params: &Params, changes: &[Change]) -> Risk {
    changes
        .iter()
        .map(|c| classify(params, c))
        .max()
        .unwrap_or(Risk::Neutral)
}

/// An upper bound on how long any holding can take to exit in full under `params`, started at
/// once: a redelegated restaking tranche first waits out its source's window (one withdrawal
/// delay), then the withdrawal delay itself; native restaking and the LST then unbond at the
/// base layer, where a base redelegation lock may first run its own unbonding period; bonds
/// may still have to activate (`bonding_epochs`), and LST redemption batches and vault queues
/// each close at an epoch boundary; a pending slash request can hold a withdrawal until its
/// execution window closes. Every exit `exit_path` describes fits inside it.
pub fn longest_exit_s(params: &Params) -> Duration {
    let epoch = params.epoch_length_s.get();
    let epochs = u64::from(params.bonding_epochs).saturating_add(3);
    Duration::new(
        params
            .withdrawal_delay_s
            .get()
            .saturating_mul(2)
            .saturating_add(params.unbonding_period_s.get().saturating_mul(2))
            .saturating_add(epoch.saturating_mul(epochs))
            .saturating_add(params.slash_execution_window_s.get()),
    )
}

/// The timelock of a passed proposal of class `risk`, under `params`.
pub fn timelock(params: &Params, risk: Risk) -> Duration {
    match risk {
        Risk::Neutral => params.gov_neutral_delay_s,
        Risk::Raising => Duration::new(
            longest_exit_s(params)
                .get()
                .max(params.gov_neutral_delay_s.get())
                .saturating_add(params.gov_risk_margin_s.get()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{Amount, Bps};

    #[test]
    fn every_parameter_has_a_direction() {
        let listed: Vec<&str> = PARAM_RISK.iter().map(|(n, _)| *n).collect();
        for (name, ..) in Params::default().ranges() {
            assert!(listed.contains(&name), "{name} has no risk direction");
        }
        assert_eq!(listed.len(), Params::default().ranges().len());
    }

    #[test]
    fn directions_decide_the_class() {
        let p = Params::default();
        let shorter = Params {
            withdrawal_delay_s: Duration::days(1),
            ..p.clone()
        };
        assert_eq!(raising_params(&p, &shorter), vec!["withdrawal_delay_s"]);
        let lower_fee = Params {
            lst_fee_bps: Bps::new(500),
            ..p.clone()
        };
        assert!(raising_params(&p, &lower_fee).is_empty());
        let higher_fee = Params {
            lst_fee_bps: Bps::new(1_500),
            ..p.clone()
        };
        assert_eq!(raising_params(&p, &higher_fee), vec!["lst_fee_bps"]);
        let mut fees = p.clone();
        fees.base_fees.insert("deposit".into(), Amount::new(1));
        assert_eq!(raising_params(&p, &fees), vec!["base_fees"]);
        assert!(raising_params(&fees, &p).is_empty());
    }

    #[test]
    fn the_risk_timelock_outlasts_every_exit() {
        let p = Params::default();
        let t = timelock(&p, Risk::Raising).get();
        // 2 × 14 d + 2 × 21 d + 4 one-hour epochs + 1 d, plus the 1 d margin.
        assert_eq!(
            t,
            2 * 14 * 86_400 + 2 * 21 * 86_400 + 4 * 3_600 + 86_400 + 86_400
        );
        assert_eq!(timelock(&p, Risk::Neutral), Duration::days(1));
    }
}
