//! Concentration and overlap (RISK.md §2).
//!
//! # Arithmetic
//! For weights `x_i ≥ 0` with total `X > 0`:
//! - HHI `= Σ (x_i / X)²`, an exact fraction in `[1/n, 1]` (multiply by 10,000 for the
//!   percent-squared convention);
//! - Nakamoto coefficient for a threshold `θ` = the smallest k such that the k largest weights
//!   sum to **more than** `θ·X` (θ = 1/3 and 1/2).
//!
//! Both are undefined (`None`) when the total is zero. Per service the weights are the stake
//! behind the service (σ_v, or the allocation w(v,s) in the elastic model), network-wide the
//! operators' stakes, per group (any operator key such as `asset` or `vault`) the stakes of the
//! operators carrying that label.
//!
//! Overlap between two services: the operators they share and the stake slashable in both
//! (`Σ σ_v` over shared operators; `Σ min(w(v,s), w(v,s'))` in the elastic model).
//! Leverage of an operator: `Σ_s w(v,s) / σ_v` (its degree in the restaking model).

use std::collections::BTreeMap;

use num_traits::{Signed, Zero};

use crate::graph::{Graph, Model};
use crate::num::{Rational, ratio};

/// Concentration of one population of weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concentration {
    /// Σ share², `None` when the total is zero.
    pub hhi: Option<Rational>,
    /// Smallest number of members holding more than 1/3.
    pub nakamoto_third: Option<usize>,
    /// Smallest number of members holding more than 1/2.
    pub nakamoto_half: Option<usize>,
    /// Members with positive weight.
    pub members: usize,
    /// Total weight.
    pub total: Rational,
}

/// HHI and Nakamoto coefficients of a list of weights (zeros are ignored).
#[must_use]
pub fn concentration_of(weights: impl IntoIterator<Item = Rational>) -> Concentration {
    let mut w: Vec<Rational> = weights.into_iter().filter(Signed::is_positive).collect();
    w.sort_by(|a, b| b.cmp(a));
    let total: Rational = w.iter().sum();
    if total.is_zero() {
        return Concentration {
            hhi: None,
            nakamoto_third: None,
            nakamoto_half: None,
            members: 0,
            total,
        };
    }
    let hhi = w.iter().map(|x| (x / &total) * (x / &total)).sum();
    Concentration {
        hhi: Some(hhi),
        nakamoto_third: nakamoto(&w, &total, &ratio(1, 3)),
        nakamoto_half: nakamoto(&w, &total, &ratio(1, 2)),
        members: w.len(),
        total,
    }
}

/// Smallest k whose k largest weights (sorted descending) exceed `threshold · total`.
fn nakamoto(sorted_desc: &[Rational], total: &Rational, threshold: &Rational) -> Option<usize> {
    let bar = threshold * total;
    let mut sum = Rational::zero();
    for (k, x) in sorted_desc.iter().enumerate() {
        sum += x;
        if sum > bar {
            return Some(k + 1);
        }
    }
    None
}

/// Concentration network-wide, per service, and per label of every operator group key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcentrationReport {
    /// Over all operators' stakes.
    pub overall: Concentration,
    /// Per service (input order), over the stake behind it.
    pub services: Vec<Concentration>,
    /// Group key → label → concentration over the operators carrying that label.
    pub groups: BTreeMap<String, BTreeMap<String, Concentration>>,
}

/// Concentration of a graph.
#[must_use]
pub fn concentration(graph: &Graph) -> ConcentrationReport {
    let overall = concentration_of(graph.operators().iter().map(|o| o.stake.clone()));
    let services = (0..graph.services().len())
        .map(|s| concentration_of(graph.service_links(s).map(|l| l.weight.clone())))
        .collect();
    let mut members: BTreeMap<String, BTreeMap<String, Vec<Rational>>> = BTreeMap::new();
    for op in graph.operators() {
        for (key, label) in &op.groups {
            members
                .entry(key.clone())
                .or_default()
                .entry(label.clone())
                .or_default()
                .push(op.stake.clone());
        }
    }
    let groups = members
        .into_iter()
        .map(|(key, labels)| {
            (
                key,
                labels
                    .into_iter()
                    .map(|(l, w)| (l, concentration_of(w)))
                    .collect(),
            )
        })
        .collect();
    ConcentrationReport {
        overall,
        services,
        groups,
    }
}

/// What two services share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// First service (smaller index).
    pub first: usize,
    /// Second service.
    pub second: usize,
    /// Operators securing both.
    pub shared_operators: usize,
    /// Stake slashable in both.
    pub shared_stake: Rational,
}

/// The overlap matrix, sparse: every pair of services sharing at least one operator, ordered
/// by (first, second).
#[must_use]
pub fn overlap(graph: &Graph) -> Vec<Overlap> {
    let mut pairs: BTreeMap<(usize, usize), (usize, Rational)> = BTreeMap::new();
    for v in 0..graph.operators().len() {
        let links: Vec<_> = graph.operator_links(v).collect();
        for (i, a) in links.iter().enumerate() {
            for b in &links[i + 1..] {
                let key = (a.service.min(b.service), a.service.max(b.service));
                let shared = match graph.model() {
                    Model::Restaking => graph.operators()[v].stake.clone(),
                    Model::Elastic => std::cmp::min(&a.weight, &b.weight).clone(),
                };
                let entry = pairs.entry(key).or_insert_with(|| (0, Rational::zero()));
                entry.0 += 1;
                entry.1 += shared;
            }
        }
    }
    pairs
        .into_iter()
        .map(|((first, second), (n, stake))| Overlap {
            first,
            second,
            shared_operators: n,
            shared_stake: stake,
        })
        .collect()
}

/// Leverage `Σ_s w(v,s) / σ_v` of every operator (input order); `None` without stake.
#[must_use]
pub fn leverage(graph: &Graph) -> Vec<Option<Rational>> {
    (0..graph.operators().len())
        .map(|v| {
            let stake = &graph.operators()[v].stake;
            if stake.is_zero() {
                return None;
            }
            let allocated: Rational = graph.operator_links(v).map(|l| &l.weight).sum();
            Some(allocated / stake)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::int;

    #[test]
    fn hhi_of_30_30_20_20_is_0_26() {
        let c = concentration_of([int(30), int(30), int(20), int(20)]);
        assert_eq!(c.hhi, Some(ratio(26, 100)));
        assert_eq!(c.nakamoto_third, Some(2));
        assert_eq!(c.nakamoto_half, Some(2));
    }

    #[test]
    fn nakamoto_needs_strictly_more_than_the_threshold() {
        // 50/50: one holder has exactly 1/2, not more.
        let c = concentration_of([int(1), int(1)]);
        assert_eq!(c.nakamoto_half, Some(2));
        assert_eq!(c.nakamoto_third, Some(1));
    }

    #[test]
    fn empty_population_has_no_concentration() {
        let c = concentration_of([int(0)]);
        assert_eq!((c.hhi, c.nakamoto_half, c.members), (None, None, 0));
    }
}
