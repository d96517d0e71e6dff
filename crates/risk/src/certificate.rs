//! The per-operator certificate (Durvasula & Roughgarden, Eq. 3 and Corollary 2).
//!
//! # Arithmetic
//! Restaking model: every service s with stake gets the weight `r_s = π_s / (α_s · σ_{N(s)})`
//! and every operator with σ_v > 0 the load `T_v = Σ_{s∈N(v)} r_s`.
//!
//! Elastic model: `r_s = π_s / (θ_s · W_s)` and
//! `T_v = max( Σ_s w(v,s)·r_s / σ_v , max_{s: w(v,s)>0} r_s )`. The first term bounds an attack
//! in which v is capped (loses σ_v), the second an attack in which v pays each unit it commits;
//! together they give `Σ_s x(v,s)·r_s ≤ min(σ_v, Σ_s x(v,s))` for every `0 ≤ x ≤ w`, which is
//! what the proof of Eq. 3 needs. With w = σ_v the second term never exceeds the first, so the
//! formula reduces to the restaking one.
//!
//! The graph is *certified* when every `T_v ≤ 1` and no service with π > 0 is left without
//! stake (such a service is corrupted for free by the empty coalition, which no load sees).
//! The certified buffer is `γ* = 1/max_v T_v − 1` (unbounded, reported as `None`, when every
//! load is zero). Failing the certificate means "not certified", never "insecure".
//!
//! # Speed
//! O(edges). Loads are first bounded with 64-bit fixed-point integers (floor and ceiling of
//! every weight, summed with saturation); only operators whose upper bound reaches the best
//! lower bound get their exact rational load. The maximum is therefore exact.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_traits::{One, Zero};

use crate::graph::{Graph, Model};
use crate::num::{Rational, common_denominator};

/// Result of the per-operator certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Every load ≤ 1 and no uncovered service.
    pub certified: bool,
    /// `1/max T_v − 1`; `None` when every load is zero (no finite bound).
    pub gamma_star: Option<Rational>,
    /// `max_v T_v` over operators with stake (zero when none carries load).
    pub max_load: Rational,
    /// The first operator (input order) whose load is the maximum; `None` when it is zero.
    pub binding_operator: Option<usize>,
    /// Services with π > 0 and no stake behind them, in input order.
    pub uncovered_services: Vec<usize>,
}

/// The certificate's view of one service: the smallest γ* among its operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBuffer {
    /// Service index.
    pub service: usize,
    /// `1/max_{v∈N(s)} T_v − 1`; `None` when unbounded or when no operator with stake secures it.
    pub gamma_star: Option<Rational>,
    /// The first operator of s with the largest load.
    pub binding_operator: Option<usize>,
}

/// Weights and bounded loads of every operator, with exact loads computed on demand.
#[derive(Debug)]
pub struct LoadTable<'g> {
    graph: &'g Graph,
    weights: Vec<Option<Rational>>,
    lo: Vec<u128>,
    hi: Vec<u128>,
    exact: BTreeMap<usize, Rational>,
}

const FIXED_ONE_BITS: u32 = 64;

impl<'g> LoadTable<'g> {
    /// Builds the table in O(edges).
    #[must_use]
    pub fn new(graph: &'g Graph) -> Self {
        let weights = service_weights(graph);
        let (lo, hi) = match graph.model() {
            Model::Restaking => fixed_point_loads(graph, &weights),
            Model::Elastic => (Vec::new(), Vec::new()),
        };
        Self {
            graph,
            weights,
            lo,
            hi,
            exact: BTreeMap::new(),
        }
    }

    /// The weight r_s of each service (`None` when it has no stake).
    #[must_use]
    pub fn weights(&self) -> &[Option<Rational>] {
        &self.weights
    }

    /// The exact load T_v of operator `v` (zero for an operator without stake).
    pub fn load(&mut self, v: usize) -> Rational {
        if let Some(t) = self.exact.get(&v) {
            return t.clone();
        }
        let t = exact_load(self.graph, &self.weights, v);
        self.exact.insert(v, t.clone());
        t
    }

    /// The first operator among `candidates` (in the given order) with the largest load, and
    /// that load. Uses the fixed-point bounds to skip operators that cannot be the maximum.
    pub fn max_load(&mut self, candidates: &[usize]) -> Option<(usize, Rational)> {
        let staked: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&v| self.graph.operators()[v].stake > Rational::zero())
            .collect();
        let floor = if self.lo.is_empty() {
            0
        } else {
            staked.iter().map(|&v| self.lo[v]).max().unwrap_or(0)
        };
        let mut best: Option<(usize, Rational)> = None;
        for v in staked {
            if !self.hi.is_empty() && self.hi[v] < floor {
                continue;
            }
            let t = self.load(v);
            if best.as_ref().is_none_or(|(_, b)| &t > b) {
                best = Some((v, t));
            }
        }
        best
    }
}

/// The certificate of a graph.
#[must_use]
pub fn certificate(graph: &Graph) -> Certificate {
    let mut table = LoadTable::new(graph);
    certificate_with(graph, &mut table)
}

/// [`certificate`] reusing a [`LoadTable`].
#[must_use]
pub fn certificate_with(graph: &Graph, table: &mut LoadTable<'_>) -> Certificate {
    let uncovered_services: Vec<usize> = (0..graph.services().len())
        .filter(|&s| table.weights[s].is_none() && graph.services()[s].profit > Rational::zero())
        .collect();
    let all: Vec<usize> = (0..graph.operators().len()).collect();
    let (binding, max_load) = match table.max_load(&all) {
        Some((v, t)) if t > Rational::zero() => (Some(v), t),
        _ => (None, Rational::zero()),
    };
    let gamma_star = buffer(&max_load);
    let certified = max_load <= Rational::one() && uncovered_services.is_empty();
    Certificate {
        certified,
        gamma_star,
        max_load,
        binding_operator: binding,
        uncovered_services,
    }
}

/// γ* of every service: the buffer of its most loaded operator.
#[must_use]
pub fn service_buffers(graph: &Graph, table: &mut LoadTable<'_>) -> Vec<ServiceBuffer> {
    (0..graph.services().len())
        .map(|s| {
            let ops: Vec<usize> = graph.service_links(s).map(|l| l.operator).collect();
            match table.max_load(&ops) {
                Some((v, t)) if t > Rational::zero() => ServiceBuffer {
                    service: s,
                    gamma_star: buffer(&t),
                    binding_operator: Some(v),
                },
                _ => ServiceBuffer {
                    service: s,
                    gamma_star: None,
                    binding_operator: None,
                },
            }
        })
        .collect()
}

/// `1/t − 1`, `None` for `t = 0`.
fn buffer(t: &Rational) -> Option<Rational> {
    if t.is_zero() {
        None
    } else {
        Some(t.recip() - Rational::one())
    }
}

/// `r_s = π_s / (α_s · stake_s)`, `None` when the service has no stake.
#[must_use]
pub fn service_weights(graph: &Graph) -> Vec<Option<Rational>> {
    let stakes = service_stakes(graph);
    graph
        .services()
        .iter()
        .zip(stakes)
        .map(|(s, k)| {
            if k.is_zero() {
                None
            } else {
                Some(&s.profit / (&s.threshold * k))
            }
        })
        .collect()
}

/// Stake behind every service, summed over integers scaled by the common denominator.
fn service_stakes(graph: &Graph) -> Vec<Rational> {
    let den = match graph.model() {
        Model::Restaking => common_denominator(graph.operators().iter().map(|o| &o.stake)),
        Model::Elastic => common_denominator(graph.links().iter().map(|l| &l.weight)),
    };
    let scaled = |q: &Rational| q.numer() * (&den / q.denom());
    let per_operator: Vec<BigInt> = match graph.model() {
        Model::Restaking => graph.operators().iter().map(|o| scaled(&o.stake)).collect(),
        Model::Elastic => Vec::new(),
    };
    let mut sums = vec![BigInt::zero(); graph.services().len()];
    for link in graph.links() {
        match graph.model() {
            Model::Restaking => sums[link.service] += &per_operator[link.operator],
            Model::Elastic => sums[link.service] += scaled(&link.weight),
        }
    }
    sums.into_iter()
        .map(|n| Rational::new(n, den.clone()))
        .collect()
}

fn exact_load(graph: &Graph, weights: &[Option<Rational>], v: usize) -> Rational {
    let stake = &graph.operators()[v].stake;
    if stake.is_zero() {
        return Rational::zero();
    }
    match graph.model() {
        Model::Restaking => graph
            .operator_links(v)
            .filter_map(|l| weights[l.service].as_ref())
            .sum(),
        Model::Elastic => {
            let mut capped = Rational::zero();
            let mut unit = Rational::zero();
            for l in graph.operator_links(v) {
                if let Some(r) = &weights[l.service] {
                    capped += &l.weight * r;
                    if l.weight > Rational::zero() && r > &unit {
                        unit = r.clone();
                    }
                }
            }
            std::cmp::max(capped / stake, unit)
        }
    }
}

/// Fixed-point lower and upper bounds of every restaking load (saturating at `u128::MAX`).
fn fixed_point_loads(graph: &Graph, weights: &[Option<Rational>]) -> (Vec<u128>, Vec<u128>) {
    let scale = Rational::from_integer(BigInt::one() << FIXED_ONE_BITS);
    let bounds: Vec<(u128, u128)> = weights
        .iter()
        .map(|w| match w {
            None => (0, 0),
            Some(r) => {
                let x = r * &scale;
                (
                    to_u128_saturating(&x.floor().to_integer()),
                    to_u128_saturating(&x.ceil().to_integer()),
                )
            }
        })
        .collect();
    let n = graph.operators().len();
    let (mut lo, mut hi) = (vec![0u128; n], vec![0u128; n]);
    for link in graph.links() {
        let (l, h) = bounds[link.service];
        lo[link.operator] = lo[link.operator].saturating_add(l);
        hi[link.operator] = hi[link.operator].saturating_add(h);
    }
    (lo, hi)
}

fn to_u128_saturating(b: &BigInt) -> u128 {
    u128::try_from(b).unwrap_or(u128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::{int, ratio};

    #[test]
    fn zero_stake_operators_carry_no_load() {
        let g = Graph::from_json(
            r#"{"services":[{"id":"x","profit":"1","threshold":"1"},{"id":"y","profit":"1","threshold":"1"}],
                "operators":[{"id":"a","stake":"100"},{"id":"b","stake":"100"},{"id":"z","stake":"0"}],
                "edges":[["x","a"],["y","b"],["x","z"],["y","z"]]}"#,
        );
        let cert = g.map(|g| certificate(&g)).ok();
        assert_eq!(cert.and_then(|c| c.gamma_star), Some(int(99)));
    }

    #[test]
    fn elastic_load_includes_the_per_unit_term() {
        // One unit allocated to a service with profit 10: capped term 10/100, unit term 10.
        let g = Graph::from_json(
            r#"{"services":[{"id":"s","profit":"10","threshold":"1"}],
                "operators":[{"id":"v","stake":"100"}],"edges":[["s","v","1"]]}"#,
        );
        let cert = g.map(|g| certificate(&g)).ok();
        assert_eq!(cert.as_ref().map(|c| c.max_load.clone()), Some(int(10)));
        assert_eq!(cert.and_then(|c| c.gamma_star), Some(ratio(-9, 10)));
    }
}
