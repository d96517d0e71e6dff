//! Exhaustive reference answers (exponential time), the test oracle of the exact searches.
//!
//! These follow the definitions literally, in exact rationals, without components, scaling or
//! bounds, so that they can check the fast code. They refuse graphs above a size limit.
//!
//! - Restaking: every operator set B (in Gray-code order, one operator added or removed per
//!   step); B corrupts `C(B) = {s : σ_{B∩N(s)} ≥ α_s σ_{N(s)}}`, and for a fixed B the best
//!   services to attack are all of `C(B)` with π > 0 (both the profit π_A − σ_B and the ratio
//!   σ_B/π_A only improve with π_A).
//! - Elastic: for every service set A, `cost(A) = min_Z σ_Z + Σ_{s∈A} max(0, θ_s W_s − w_Z(s))`
//!   over every operator set Z (exact because the cost is concave in the commitments).
//! - Cascade (restaking): every split of the operators into shock D, attackers B and the rest.

use num_traits::{Signed, Zero};

use crate::RiskError;
use crate::graph::{Graph, Model};
use crate::num::Rational;

/// Most operators the oracle accepts.
pub const MAX_OPERATORS: usize = 24;
/// Most services the oracle accepts.
pub const MAX_SERVICES: usize = 16;
/// Most operators the cascade oracle accepts (3^n splits).
pub const MAX_CASCADE_OPERATORS: usize = 12;

/// Reference answer for a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Largest `π_A − cost` over valid attacks (`None`: secure).
    pub best_profit: Option<Rational>,
    /// Smallest `cost/π_A − 1` over attacking coalitions with π_A > 0.
    pub gamma: Option<Rational>,
}

fn check_size(graph: &Graph, max_ops: usize) -> Result<(), RiskError> {
    if graph.operators().len() > max_ops {
        return Err(RiskError::LimitExceeded {
            what: "oracle operators",
            count: graph.operators().len(),
            limit: max_ops,
        });
    }
    if graph.services().len() > MAX_SERVICES {
        return Err(RiskError::LimitExceeded {
            what: "oracle services",
            count: graph.services().len(),
            limit: MAX_SERVICES,
        });
    }
    Ok(())
}

/// Exhaustive answer in the graph's model; `required` restricts to attacks on those services.
///
/// # Errors
/// [`RiskError::LimitExceeded`] above [`MAX_OPERATORS`] or [`MAX_SERVICES`].
pub fn reference(graph: &Graph, required: &[usize]) -> Result<Reference, RiskError> {
    check_size(graph, MAX_OPERATORS)?;
    Ok(match graph.model() {
        Model::Restaking => restaking(graph, required),
        Model::Elastic => elastic(graph, required),
    })
}

fn keep_better(best: &mut Option<Rational>, candidate: Rational, larger: bool) {
    let better = best.as_ref().is_none_or(|b| {
        if larger {
            &candidate > b
        } else {
            &candidate < b
        }
    });
    if better {
        *best = Some(candidate);
    }
}

fn restaking(graph: &Graph, required: &[usize]) -> Reference {
    let n = graph.operators().len();
    let n_svc = graph.services().len();
    let totals: Vec<Rational> = (0..n_svc).map(|s| graph.service_stake(s)).collect();
    let mut held = vec![Rational::zero(); n_svc];
    let mut in_b = vec![false; n];
    let mut stake_b = Rational::zero();
    let (mut best_profit, mut gamma) = (None, None);
    for step in 0u64..(1u64 << n) {
        if step > 0 {
            let v = step.trailing_zeros() as usize;
            in_b[v] = !in_b[v];
            let sigma = &graph.operators()[v].stake;
            for l in graph.operator_links(v) {
                if in_b[v] {
                    held[l.service] += &l.weight
                } else {
                    held[l.service] -= &l.weight
                }
            }
            if in_b[v] {
                stake_b += sigma
            } else {
                stake_b -= sigma
            }
        }
        let mut profit = Rational::zero();
        let mut hit = required.is_empty();
        for s in 0..n_svc {
            if held[s] >= &graph.services()[s].threshold * &totals[s] {
                profit += &graph.services()[s].profit;
                hit |= required.contains(&s);
            }
        }
        if !hit {
            continue;
        }
        if profit > stake_b {
            keep_better(&mut best_profit, &profit - &stake_b, true);
        }
        if profit.is_positive() {
            keep_better(
                &mut gamma,
                &stake_b / &profit - Rational::from_integer(1.into()),
                false,
            );
        }
    }
    Reference { best_profit, gamma }
}

fn elastic(graph: &Graph, required: &[usize]) -> Reference {
    let n = graph.operators().len();
    let n_svc = graph.services().len();
    let need: Vec<Rational> = (0..n_svc)
        .map(|s| &graph.services()[s].threshold * graph.service_stake(s))
        .collect();
    let (mut best_profit, mut gamma) = (None, None);
    for a_mask in 1u64..(1u64 << n_svc) {
        let a: Vec<usize> = (0..n_svc).filter(|s| a_mask >> s & 1 == 1).collect();
        if !required.is_empty() && !a.iter().any(|s| required.contains(s)) {
            continue;
        }
        let profit: Rational = a.iter().map(|&s| &graph.services()[s].profit).sum();
        let mut cost: Option<Rational> = None;
        for z_mask in 0u64..(1u64 << n) {
            let mut c: Rational = (0..n)
                .filter(|v| z_mask >> v & 1 == 1)
                .map(|v| &graph.operators()[v].stake)
                .sum();
            for &s in &a {
                let have: Rational = graph
                    .service_links(s)
                    .filter(|l| z_mask >> l.operator & 1 == 1)
                    .map(|l| &l.weight)
                    .sum();
                let gap = &need[s] - have;
                if gap.is_positive() {
                    c += gap;
                }
            }
            keep_better(&mut cost, c, false);
        }
        let cost = cost.unwrap_or_default();
        if profit > cost {
            keep_better(&mut best_profit, &profit - &cost, true);
        }
        if profit.is_positive() {
            keep_better(
                &mut gamma,
                &cost / &profit - Rational::from_integer(1.into()),
                false,
            );
        }
    }
    Reference { best_profit, gamma }
}

/// `R_ψ` by enumerating every shock D (σ_D ≤ ψσ_V) and attacker set B (restaking model).
///
/// # Errors
/// [`RiskError::LimitExceeded`] above [`MAX_CASCADE_OPERATORS`]; [`RiskError::OutOfRange`]
/// for an elastic graph (not covered by this oracle).
pub fn restaking_cascade(
    graph: &Graph,
    psi: &Rational,
    required: &[usize],
) -> Result<Rational, RiskError> {
    check_size(graph, MAX_CASCADE_OPERATORS)?;
    if graph.model() != Model::Restaking {
        return Err(RiskError::OutOfRange {
            field: "model".into(),
            value: "elastic".into(),
            range: "restaking",
        });
    }
    let n = graph.operators().len();
    let total = graph.total_stake();
    let limit = psi * &total;
    let mut best = Rational::zero();
    let mut roles = vec![0u8; n];
    loop {
        evaluate_split(graph, &roles, &limit, required, &mut best);
        if !next_split(&mut roles) {
            break;
        }
    }
    Ok(psi + best / total)
}

/// Base-3 counter over roles (0 out, 1 shock, 2 attacker); `false` after the last one.
fn next_split(roles: &mut [u8]) -> bool {
    for r in roles.iter_mut() {
        if *r < 2 {
            *r += 1;
            return true;
        }
        *r = 0;
    }
    false
}

fn evaluate_split(
    graph: &Graph,
    roles: &[u8],
    limit: &Rational,
    required: &[usize],
    best: &mut Rational,
) {
    let stake = |role: u8| -> Rational {
        roles
            .iter()
            .enumerate()
            .filter(|(_, r)| **r == role)
            .map(|(v, _)| &graph.operators()[v].stake)
            .sum()
    };
    if &stake(1) > limit {
        return;
    }
    let stake_b = stake(2);
    let mut profit = Rational::zero();
    let mut hit = required.is_empty();
    for (s, svc) in graph.services().iter().enumerate() {
        let remaining: Rational = graph
            .service_links(s)
            .filter(|l| roles[l.operator] != 1)
            .map(|l| &l.weight)
            .sum();
        let held: Rational = graph
            .service_links(s)
            .filter(|l| roles[l.operator] == 2)
            .map(|l| &l.weight)
            .sum();
        if held >= &svc.threshold * remaining {
            profit += &svc.profit;
            hit |= required.contains(&s);
        }
    }
    if hit && profit > stake_b && stake_b > *best {
        *best = stake_b;
    }
}
