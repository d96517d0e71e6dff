//! Worst cascade after a ψ-shock (Durvasula & Roughgarden, R_ψ).
//!
//! `R_ψ = ψ + max_{D: σ_D ≤ ψσ_V} max_{(A,B) valid on G↓D} σ_B / σ_V`. By Corollary 1 a whole
//! cascade folds into one valid attack on G↓D, so no step-by-step simulation is needed. The
//! maximum is 0 when no shock enables a valid attack (then `R_ψ = ψ`).
//!
//! # Restaking model
//! Branch and bound over operators in decreasing stake, each put in the shock D, in the
//! attacking set B, or left out. With `α_s = a_s/b_s`, service s is corrupted when
//! `b_s·σ_{B∩N(s)} ≥ a_s·(σ_{N(s)} − σ_{D∩N(s)})`; B may include operators that serve no
//! attacked service (they add to the loss as long as `σ_B < π_A`). A node is cut when
//! `min(σ_B + σ_undecided, π_reachable − 1)` cannot beat the best loss, when no service can be
//! corrupted, or when no target can.
//!
//! # Elastic model
//! D is removed as above; for each D and set A of services the cheapest attack cost is found
//! exactly by the attack engine, and the largest stake an attack on A can destroy is
//! `Σ_v min(σ_v, Σ_{s∈A} w(v,s))`. Commitments are continuous, so the worst loss is the
//! supremum `min(π_A, that maximum)` over A whose cheapest attack is valid; it is attained
//! only when the maximum is below π_A (`supremum` says when it is not). This exhaustive
//! search is limited to [`ELASTIC_MAX_OPERATORS`] operators and [`ELASTIC_MAX_SERVICES`]
//! services; beyond that the answer is unknown.

use std::collections::BTreeSet;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use super::engine::Goal;
use super::int::{Int, i128_headroom};
use super::{Attack, Budget, Part, Scaled, checked_attack, elastic_commit, verify};
use crate::RiskError;
use crate::graph::{Graph, Model};
use crate::num::{Rational, common_denominator};

/// Largest number of staked operators for the exhaustive elastic cascade.
pub const ELASTIC_MAX_OPERATORS: usize = 16;
/// Largest number of services for the exhaustive elastic cascade.
pub const ELASTIC_MAX_SERVICES: usize = 10;

/// The worst cascade after a shock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cascade {
    /// ψ.
    pub psi: Rational,
    /// R_ψ = ψ + loss/σ_V; `None` when unknown within budget (or σ_V = 0).
    pub loss_fraction: Option<Rational>,
    /// Stake lost by the attack after the shock (0 when none is possible).
    pub loss: Option<Rational>,
    /// The shock D (operators), when known.
    pub shock: Option<Vec<usize>>,
    /// The attack on G↓D (the best found when not proved).
    pub attack: Option<Attack>,
    /// Elastic model: `loss` is a supremum that no single attack attains.
    pub supremum: bool,
    /// The maximum is proved.
    pub proved: bool,
    /// Search nodes visited.
    pub nodes: u64,
}

/// The worst cascade after a ψ-shock; with `required`, only attacks on one of those services.
///
/// # Errors
/// [`RiskError::Internal`] if a found attack fails its exact re-check (a bug).
pub fn worst_cascade(
    graph: &Graph,
    psi: &Rational,
    required: &[usize],
    budget: &mut Budget,
) -> Result<Cascade, RiskError> {
    let total = graph.total_stake();
    let mut found = match graph.model() {
        Model::Restaking => restaking_cascade(graph, psi, required, budget)?,
        Model::Elastic => elastic_cascade(graph, psi, required, budget)?,
    };
    found.loss_fraction = match &found.loss {
        Some(loss) if found.proved && total.is_positive() => Some(psi + loss / &total),
        _ => None,
    };
    Ok(found)
}

fn unknown(psi: &Rational, nodes: u64) -> Cascade {
    Cascade {
        psi: psi.clone(),
        loss_fraction: None,
        loss: None,
        shock: None,
        attack: None,
        supremum: false,
        proved: false,
        nodes,
    }
}

/// No shock causes a loss (proved when the search was complete).
fn no_loss(psi: &Rational, proved: bool, nodes: u64) -> Cascade {
    Cascade {
        psi: psi.clone(),
        loss_fraction: None,
        loss: Some(Rational::zero()),
        shock: Some(Vec::new()),
        attack: None,
        supremum: false,
        proved,
        nodes,
    }
}

/// Integer form of the restaking cascade problem.
#[derive(Debug)]
struct Instance<T> {
    stake: Vec<T>,
    op_links: Vec<Vec<usize>>,
    profit: Vec<T>,
    alpha_num: Vec<T>,
    alpha_den: Vec<T>,
    service_total: Vec<T>,
    required: Vec<bool>,
    psi_num: T,
    psi_den: T,
    all_stake: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Attack,
    Shock,
    Out,
}

#[derive(Debug)]
struct Search<'a, T> {
    inst: &'a Instance<T>,
    depth: usize,
    role: Vec<Role>,
    cov_b: Vec<T>,
    cov_d: Vec<T>,
    rem: Vec<T>,
    stake_b: T,
    stake_d: T,
    stake_left: T,
    best: Option<(T, Vec<Role>)>,
    nodes: u64,
}

impl<'a, T: Int> Search<'a, T> {
    fn new(inst: &'a Instance<T>) -> Self {
        let n_svc = inst.profit.len();
        let mut rem = vec![T::zero(); n_svc];
        let mut left = T::zero();
        for (v, links) in inst.op_links.iter().enumerate() {
            left += &inst.stake[v];
            for &s in links {
                rem[s] += &inst.stake[v];
            }
        }
        Self {
            inst,
            depth: 0,
            role: vec![Role::Out; inst.stake.len()],
            cov_b: vec![T::zero(); n_svc],
            cov_d: vec![T::zero(); n_svc],
            rem,
            stake_b: T::zero(),
            stake_d: T::zero(),
            stake_left: left,
            best: None,
            nodes: 0,
        }
    }

    fn corrupted(&self, s: usize, extra: &T) -> bool {
        let i = self.inst;
        i.alpha_den[s].clone() * (self.cov_b[s].clone() + extra.clone())
            >= i.alpha_num[s].clone() * (i.service_total[s].clone() - self.cov_d[s].clone())
    }

    /// Records the current attack if valid and better; returns `false` if the node is cut.
    fn visit(&mut self) -> bool {
        let n_svc = self.inst.profit.len();
        let any_required = self.inst.required.iter().any(|&r| r);
        let (mut gain, mut reach) = (T::zero(), T::zero());
        let (mut hit, mut reach_required) = (!any_required, !any_required);
        for s in 0..n_svc {
            if self.corrupted(s, &T::zero()) {
                gain += &self.inst.profit[s];
                hit |= self.inst.required[s];
            }
            if self.corrupted(s, &self.rem[s]) {
                reach += &self.inst.profit[s];
                reach_required |= self.inst.required[s];
            }
        }
        if hit && gain > self.stake_b && self.best.as_ref().is_none_or(|(b, _)| &self.stake_b > b) {
            self.best = Some((self.stake_b.clone(), self.role.clone()));
        }
        if reach <= T::zero() || !reach_required {
            return false;
        }
        let by_stake = self.stake_b.clone() + self.stake_left.clone();
        let by_profit = reach - T::one();
        let upper = std::cmp::min(by_stake, by_profit);
        self.best.as_ref().is_none_or(|(b, _)| &upper > b)
    }

    fn shock_allowed(&self, v: usize) -> bool {
        let i = self.inst;
        let after = self.stake_d.clone() + i.stake[v].clone();
        if i.psi_den.clone() * after > i.psi_num.clone() * i.all_stake.clone() {
            return false;
        }
        i.op_links[v]
            .iter()
            .any(|&s| !self.corrupted(s, &T::zero()) && self.corrupted(s, &self.rem[s]))
    }

    fn set(&mut self, v: usize, role: Role, forward: bool) {
        let stake = self.inst.stake[v].clone();
        for &s in &self.inst.op_links[v] {
            let target = match role {
                Role::Attack => Some(&mut self.cov_b[s]),
                Role::Shock => Some(&mut self.cov_d[s]),
                Role::Out => None,
            };
            if forward {
                self.rem[s] -= &stake;
                if let Some(t) = target {
                    *t += &stake;
                }
            } else {
                self.rem[s] += &stake;
                if let Some(t) = target {
                    *t -= &stake;
                }
            }
        }
        let total = match role {
            Role::Attack => Some(&mut self.stake_b),
            Role::Shock => Some(&mut self.stake_d),
            Role::Out => None,
        };
        if forward {
            self.stake_left -= &stake;
            if let Some(t) = total {
                *t += &stake;
            }
            self.role[v] = role;
            self.depth = v + 1;
        } else {
            self.stake_left += &stake;
            if let Some(t) = total {
                *t -= &stake;
            }
            self.role[v] = Role::Out;
            self.depth = v;
        }
    }

    fn next_role(&self, v: usize, after: Option<Role>) -> Option<Role> {
        let order = [Role::Attack, Role::Shock, Role::Out];
        let start = match after {
            None => 0,
            Some(r) => order
                .iter()
                .position(|&o| o == r)
                .map_or(order.len(), |p| p + 1),
        };
        order[start..]
            .iter()
            .copied()
            .find(|&r| r != Role::Shock || self.shock_allowed(v))
    }

    fn run(&mut self, budget: &mut Budget) -> bool {
        let n = self.inst.stake.len();
        let mut stack: Vec<(usize, Role)> = Vec::new();
        loop {
            if !budget.spend() {
                return false;
            }
            self.nodes += 1;
            if self.visit() && self.depth < n {
                let v = self.depth;
                if let Some(role) = self.next_role(v, None) {
                    self.set(v, role, true);
                    stack.push((v, role));
                    continue;
                }
            }
            loop {
                let Some((v, role)) = stack.pop() else {
                    return true;
                };
                self.set(v, role, false);
                if let Some(next) = self.next_role(v, Some(role)) {
                    self.set(v, next, true);
                    stack.push((v, next));
                    break;
                }
            }
        }
    }
}

fn restaking_cascade(
    graph: &Graph,
    psi: &Rational,
    required: &[usize],
    budget: &mut Budget,
) -> Result<Cascade, RiskError> {
    let required_set: BTreeSet<usize> = required.iter().copied().collect();
    let services: Vec<usize> = (0..graph.services().len())
        .filter(|&s| graph.services()[s].profit.is_positive() || required_set.contains(&s))
        .collect();
    let mut ops: Vec<usize> = (0..graph.operators().len())
        .filter(|&v| graph.operators()[v].stake.is_positive())
        .collect();
    ops.sort_by(|&a, &b| {
        graph.operators()[b]
            .stake
            .cmp(&graph.operators()[a].stake)
            .then(a.cmp(&b))
    });
    let big = scale_restaking(graph, &services, &ops, psi, &required_set);
    let small = if big.fits_i128() {
        big.convert::<i128>()
    } else {
        None
    };
    let (complete, best, nodes) = match &small {
        Some(inst) => run_search(inst, budget),
        None => run_search(&big, budget),
    };
    let Some(roles) = best else {
        if !complete {
            return Ok(unknown(psi, nodes));
        }
        return Ok(no_loss(psi, true, nodes));
    };
    let pick = |want: Role| -> Vec<usize> {
        let mut v: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(k, _)| roles[*k] == want)
            .map(|(_, &g)| g)
            .collect();
        v.sort_unstable();
        v
    };
    let (shock, attackers) = (pick(Role::Shock), pick(Role::Attack));
    let after = graph.without_operators(&shock);
    let attack = checked_attack(&after, &attackers, &services, required, None)?;
    if !attack.is_valid() {
        return Err(RiskError::Internal(
            "cascade attack is not valid on G↓D".into(),
        ));
    }
    Ok(Cascade {
        psi: psi.clone(),
        loss_fraction: None,
        loss: Some(attack.cost.clone()),
        shock: Some(shock),
        attack: Some(attack),
        supremum: false,
        proved: complete,
        nodes,
    })
}

fn run_search<T: Int>(inst: &Instance<T>, budget: &mut Budget) -> (bool, Option<Vec<Role>>, u64) {
    let mut search = Search::new(inst);
    let complete = search.run(budget);
    (complete, search.best.map(|(_, roles)| roles), search.nodes)
}

impl Instance<BigInt> {
    fn fits_i128(&self) -> bool {
        let mut total = self.all_stake.clone();
        let mut factor_bits = self.psi_num.bits().max(self.psi_den.bits());
        for s in 0..self.profit.len() {
            total += &self.profit[s];
            total += &self.service_total[s];
            factor_bits = factor_bits
                .max(self.alpha_num[s].bits())
                .max(self.alpha_den[s].bits());
        }
        i128_headroom(&total, 0, factor_bits).is_some()
    }

    fn convert<T: Int>(&self) -> Option<Instance<T>> {
        let conv = |xs: &[BigInt]| xs.iter().map(T::from_big).collect::<Option<Vec<T>>>();
        Some(Instance {
            stake: conv(&self.stake)?,
            op_links: self.op_links.clone(),
            profit: conv(&self.profit)?,
            alpha_num: conv(&self.alpha_num)?,
            alpha_den: conv(&self.alpha_den)?,
            service_total: conv(&self.service_total)?,
            required: self.required.clone(),
            psi_num: T::from_big(&self.psi_num)?,
            psi_den: T::from_big(&self.psi_den)?,
            all_stake: T::from_big(&self.all_stake)?,
        })
    }
}

fn scale_restaking(
    graph: &Graph,
    services: &[usize],
    ops: &[usize],
    psi: &Rational,
    required: &BTreeSet<usize>,
) -> Instance<BigInt> {
    let values = services
        .iter()
        .map(|&s| &graph.services()[s].profit)
        .chain(ops.iter().map(|&v| &graph.operators()[v].stake));
    let den = common_denominator(values.clone());
    let to_int = |q: &Rational| -> BigInt { q.numer() * (&den / q.denom()) };
    let common = values.fold(BigInt::zero(), |g, q| g.gcd(&to_int(q)));
    let common = if common.is_zero() {
        BigInt::one()
    } else {
        common
    };
    let unit = |q: &Rational| to_int(q) / &common;
    let svc_pos: std::collections::BTreeMap<usize, usize> =
        services.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let stake: Vec<BigInt> = ops
        .iter()
        .map(|&v| unit(&graph.operators()[v].stake))
        .collect();
    let op_links: Vec<Vec<usize>> = ops
        .iter()
        .map(|&v| {
            graph
                .operator_links(v)
                .filter_map(|l| svc_pos.get(&l.service).copied())
                .collect()
        })
        .collect();
    let mut service_total = vec![BigInt::zero(); services.len()];
    for (k, links) in op_links.iter().enumerate() {
        for &s in links {
            service_total[s] += &stake[k];
        }
    }
    Instance {
        all_stake: stake.iter().sum(),
        stake,
        op_links,
        profit: services
            .iter()
            .map(|&s| unit(&graph.services()[s].profit))
            .collect(),
        alpha_num: services
            .iter()
            .map(|&s| graph.services()[s].threshold.numer().clone())
            .collect(),
        alpha_den: services
            .iter()
            .map(|&s| graph.services()[s].threshold.denom().clone())
            .collect(),
        service_total,
        required: services.iter().map(|s| required.contains(s)).collect(),
        psi_num: psi.numer().clone(),
        psi_den: psi.denom().clone(),
    }
}

fn elastic_cascade(
    graph: &Graph,
    psi: &Rational,
    required: &[usize],
    budget: &mut Budget,
) -> Result<Cascade, RiskError> {
    let staked: Vec<usize> = (0..graph.operators().len())
        .filter(|&v| graph.operators()[v].stake.is_positive())
        .collect();
    let n_svc = graph.services().len();
    if staked.len() > ELASTIC_MAX_OPERATORS || n_svc > ELASTIC_MAX_SERVICES {
        return Ok(unknown(psi, 0));
    }
    let limit = psi * graph.total_stake();
    let mut best: Option<(Rational, bool, Vec<usize>, Attack)> = None;
    let mut nodes = 0u64;
    for mask in 0u64..(1u64 << staked.len()) {
        let shock: Vec<usize> = staked
            .iter()
            .enumerate()
            .filter(|(k, _)| mask >> k & 1 == 1)
            .map(|(_, &v)| v)
            .collect();
        let shock_stake: Rational = shock.iter().map(|&v| &graph.operators()[v].stake).sum();
        if shock_stake > limit {
            continue;
        }
        let after = graph.without_operators(&shock);
        for set in 1u64..(1u64 << n_svc) {
            if !budget.spend() {
                return Ok(unknown(psi, nodes));
            }
            nodes += 1;
            let a: Vec<usize> = (0..n_svc).filter(|s| set >> s & 1 == 1).collect();
            if !required.is_empty() && !a.iter().any(|s| required.contains(s)) {
                continue;
            }
            let Some(attack) = cheapest_elastic(&after, &a, budget, &mut nodes)? else {
                return Ok(unknown(psi, nodes));
            };
            if !attack.is_valid() {
                continue;
            }
            let most = max_commitment(&after, &a);
            let (loss, supremum) = if most < attack.profit {
                (most, false)
            } else {
                (attack.profit.clone(), true)
            };
            if best.as_ref().is_none_or(|(b, _, _, _)| &loss > b) {
                best = Some((loss, supremum, shock.clone(), attack));
            }
        }
    }
    Ok(match best {
        Some((loss, supremum, shock, attack)) => Cascade {
            psi: psi.clone(),
            loss_fraction: None,
            loss: Some(loss),
            shock: Some(shock),
            attack: Some(attack),
            supremum,
            proved: true,
            nodes,
        },
        None => no_loss(psi, true, nodes),
    })
}

/// `Σ_v min(σ_v, Σ_{s∈A} w(v,s))`: the most stake an attack on A can commit.
fn max_commitment(graph: &Graph, a: &[usize]) -> Rational {
    let mut committed = vec![Rational::zero(); graph.operators().len()];
    for &s in a {
        for l in graph.service_links(s) {
            committed[l.operator] += &l.weight;
        }
    }
    committed
        .iter()
        .enumerate()
        .map(|(v, x)| std::cmp::min(x, &graph.operators()[v].stake).clone())
        .sum()
}

/// The cheapest elastic attack on exactly the services `a`; `None` if the budget ran out.
fn cheapest_elastic(
    graph: &Graph,
    a: &[usize],
    budget: &mut Budget,
    nodes: &mut u64,
) -> Result<Option<Attack>, RiskError> {
    let a_set: BTreeSet<usize> = a.iter().copied().collect();
    let mut ops: Vec<usize> = graph
        .links()
        .iter()
        .filter(|l| a_set.contains(&l.service) && l.weight.is_positive())
        .map(|l| l.operator)
        .collect();
    ops.sort_unstable();
    ops.dedup();
    let part = Part {
        services: a.to_vec(),
        operators: ops,
        required: Vec::new(),
    };
    let mut scaled = Scaled::new(graph, &part, None);
    scaled.force_all();
    let outcome = scaled.maximize(&BigInt::zero(), Goal::Optimum, budget);
    *nodes += outcome.nodes;
    if !outcome.complete {
        return Ok(None);
    }
    let z: BTreeSet<usize> = outcome
        .best
        .map(|(_, k)| k.into_iter().map(|k| scaled.ops[k]).collect())
        .unwrap_or_default();
    let attack = elastic_commit(graph, a, &z);
    verify(graph, &attack)?;
    Ok(Some(attack))
}
