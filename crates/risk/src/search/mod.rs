//! Exact attack search: the most profitable valid attack and the exact γ-slack.
//!
//! # Method
//! 1. Services with π = 0 never help an attacker and are dropped (unless they are local
//!    targets), as are operators without stake. The rest splits into connected components;
//!    attacks on different components are independent, so the most profitable attack is the
//!    union of each component's best, and the smallest cost/profit ratio is found inside one
//!    component (a union's ratio is a weighted mean of its parts' ratios).
//! 2. Each component becomes an integer instance: every amount is multiplied by the common
//!    denominator and divided by the common factor, so the comparisons are exact; the
//!    restaking requirement `σ_{B∩N(s)} ≥ α_s σ_{N(s)}` becomes `cov_s ≥ ⌈α_s K_s⌉`.
//! 3. [`engine::maximize`] runs branch and bound over operators with Lagrangian bounds.
//! 4. γ-slack by Dinkelbach's method: with λ the best known ratio cost/profit, search for an
//!    attacking coalition with `λ·π_A − cost > 0`; each one found gives a strictly smaller
//!    ratio (the search stops at the first one, usually found by the root heuristics); when
//!    a complete search finds none, λ is the minimum and γ = λ − 1.
//! 5. Every reported attack is rebuilt from the original rational graph and checked
//!    (coverage of every attacked service, profit > cost) before it is returned.
//!
//! A time budget and a deterministic work budget (nodes) stop the search; what was not proved
//! is reported as unknown, never guessed.

pub mod cascade;
pub(crate) mod engine;
pub(crate) mod int;
pub(crate) mod lp;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::RiskError;
use crate::graph::{Graph, Model};
use crate::num::{Rational, common_denominator};
use engine::{Goal, Instance, Mode, Outcome};
use int::{Int, big_dual_bits, i128_headroom};

/// Limits on the work a search may do.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Option<Instant>,
    work_left: Option<u64>,
    exhausted: bool,
    ticks: u64,
}

impl Budget {
    /// A budget of `ms` milliseconds of wall time (None: unlimited) and `work` search nodes
    /// (None: unlimited). The work budget makes results reproducible on any machine.
    #[must_use]
    pub fn new(ms: Option<u64>, work: Option<u64>) -> Self {
        Self {
            deadline: ms.map(|ms| Instant::now() + Duration::from_millis(ms)),
            work_left: work,
            exhausted: false,
            ticks: 0,
        }
    }

    /// No limit.
    #[must_use]
    pub fn unlimited() -> Self {
        Self::new(None, None)
    }

    /// Spends one unit of work; `false` once the budget is exhausted.
    pub(crate) fn spend(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        if let Some(left) = &mut self.work_left {
            if *left == 0 {
                self.exhausted = true;
                return false;
            }
            *left -= 1;
        }
        self.ticks += 1;
        if self.ticks.is_multiple_of(16)
            && let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            self.exhausted = true;
            return false;
        }
        true
    }

    /// `true` once the budget ran out.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }
}

/// A concrete attack: services A corrupted by operators B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// Attacked services, ascending indices.
    pub services: Vec<usize>,
    /// Operators taking part, ascending indices.
    pub operators: Vec<usize>,
    /// Stake each operator of `operators` loses (σ_v in the restaking model).
    pub losses: Vec<Rational>,
    /// π_A.
    pub profit: Rational,
    /// Total stake lost, σ_B in the restaking model.
    pub cost: Rational,
}

impl Attack {
    /// `π_A > cost`.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.profit > self.cost
    }
}

/// Result of the search for the most profitable attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackSearch {
    /// The most profitable valid attack (the best found when not proved), `None` if none.
    pub attack: Option<Attack>,
    /// The search finished: `attack` is optimal, and `None` means secure.
    pub proved: bool,
    /// Search nodes visited.
    pub nodes: u64,
}

/// Result of the exact γ-slack computation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackSearch {
    /// The smallest `cost/π_A − 1` found over attacking coalitions with π_A > 0.
    pub gamma: Option<Rational>,
    /// The coalition that attains it.
    pub witness: Option<Attack>,
    /// `gamma` is proved minimal (if `None` and proved: no coalition with π_A > 0 exists).
    pub proved: bool,
    /// Search nodes visited.
    pub nodes: u64,
}

/// The most profitable valid attack; with `required` non-empty, only attacks that corrupt at
/// least one of those services count (local security).
///
/// # Errors
/// [`RiskError::Internal`] if a found attack fails its exact re-check (a bug).
pub fn most_profitable_attack(
    graph: &Graph,
    required: &[usize],
    budget: &mut Budget,
) -> Result<AttackSearch, RiskError> {
    let parts = parts(graph, required);
    let mut chosen = Vec::new();
    let (mut proved, mut nodes, mut found) = (true, 0, false);
    for part in &parts {
        let scaled = Scaled::new(graph, part, None);
        let outcome = scaled.maximize(&BigInt::zero(), Goal::Optimum, budget);
        nodes += outcome.nodes;
        proved &= outcome.complete;
        if let Some((_, ops)) = outcome.best {
            found = true;
            chosen.extend(ops.into_iter().map(|k| scaled.ops[k]));
        }
    }
    let attack = if found {
        let all = relevant_union(&parts);
        Some(checked_attack(
            graph,
            &chosen,
            &all,
            &parts_required(&parts),
            None,
        )?)
    } else {
        None
    };
    let attack = attack.filter(Attack::is_valid);
    Ok(AttackSearch {
        attack,
        proved,
        nodes,
    })
}

/// The exact γ-slack: `min cost/π_A − 1` over attacking coalitions with π_A > 0 (and, with
/// `required`, attacking one of those services).
///
/// # Errors
/// [`RiskError::Internal`] if a found coalition fails its exact re-check (a bug).
pub fn gamma_slack(
    graph: &Graph,
    required: &[usize],
    budget: &mut Budget,
) -> Result<SlackSearch, RiskError> {
    let parts = parts(graph, required);
    let mut best: Option<(Rational, Attack)> = None;
    for part in &parts {
        let ops: Vec<usize> = part.operators.clone();
        let attack = checked_attack(graph, &ops, &part.services, &part.required, None)?;
        consider_ratio(&mut best, attack);
    }
    let Some(_) = best else {
        return Ok(SlackSearch {
            gamma: None,
            witness: None,
            proved: true,
            nodes: 0,
        });
    };
    let (mut proved, mut nodes) = (true, 0);
    for part in &parts {
        while let Some((lambda, _)) = &best {
            let lambda = lambda.clone();
            let scaled = Scaled::new(graph, part, Some(&lambda));
            let outcome = scaled.maximize(&BigInt::zero(), Goal::AnyAbove, budget);
            nodes += outcome.nodes;
            let Some((_, ops)) = outcome.best else {
                proved &= outcome.complete;
                break;
            };
            let ops: Vec<usize> = ops.into_iter().map(|k| scaled.ops[k]).collect();
            let attack =
                checked_attack(graph, &ops, &part.services, &part.required, Some(&lambda))?;
            if !consider_ratio(&mut best, attack) {
                return Err(RiskError::Internal(
                    "Dinkelbach step did not lower the ratio".into(),
                ));
            }
        }
    }
    Ok(match best {
        Some((lambda, witness)) => SlackSearch {
            gamma: Some(lambda - Rational::one()),
            witness: Some(witness),
            proved,
            nodes,
        },
        None => SlackSearch {
            gamma: None,
            witness: None,
            proved,
            nodes,
        },
    })
}

/// Keeps the attack if its ratio cost/profit is smaller; `true` if it was kept.
fn consider_ratio(best: &mut Option<(Rational, Attack)>, attack: Attack) -> bool {
    if !attack.profit.is_positive() {
        return false;
    }
    let ratio = &attack.cost / &attack.profit;
    if best.as_ref().is_none_or(|(b, _)| &ratio < b) {
        *best = Some((ratio, attack));
        return true;
    }
    false
}

/// A group of services and operators searched together.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// Services (graph indices, ascending).
    pub services: Vec<usize>,
    /// Operators with stake linked to them (graph indices, ascending).
    pub operators: Vec<usize>,
    /// Required services of this part (graph indices).
    pub required: Vec<usize>,
}

/// Connected components of the relevant subgraph, or a single part when services are required.
pub(crate) fn parts(graph: &Graph, required: &[usize]) -> Vec<Part> {
    let required_set: BTreeSet<usize> = required.iter().copied().collect();
    let relevant: Vec<bool> = graph
        .services()
        .iter()
        .enumerate()
        .map(|(s, svc)| svc.profit.is_positive() || required_set.contains(&s))
        .collect();
    let n_svc = graph.services().len();
    let mut uf = UnionFind::new(n_svc + graph.operators().len());
    let mut op_used = vec![false; graph.operators().len()];
    for link in graph.links() {
        if relevant[link.service] && link.weight.is_positive() {
            uf.union(link.service, n_svc + link.operator);
            op_used[link.operator] = true;
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Part> = std::collections::BTreeMap::new();
    let single = !required.is_empty();
    for s in (0..n_svc).filter(|&s| relevant[s]) {
        let root = if single { 0 } else { uf.find(s) };
        let part = groups.entry(root).or_insert_with(|| Part {
            services: vec![],
            operators: vec![],
            required: vec![],
        });
        part.services.push(s);
        if required_set.contains(&s) {
            part.required.push(s);
        }
    }
    for v in (0..graph.operators().len()).filter(|&v| op_used[v]) {
        let root = if single { 0 } else { uf.find(n_svc + v) };
        if let Some(part) = groups.get_mut(&root) {
            part.operators.push(v);
        }
    }
    groups.into_values().collect()
}

fn relevant_union(parts: &[Part]) -> Vec<usize> {
    let mut all: Vec<usize> = parts
        .iter()
        .flat_map(|p| p.services.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

fn parts_required(parts: &[Part]) -> Vec<usize> {
    let mut all: Vec<usize> = parts
        .iter()
        .flat_map(|p| p.required.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// Rebuilds the attack of operator set `ops` from the rational graph and checks it. In the
/// elastic model, the services attacked are those with `λ·π_s` above what Z leaves missing
/// (λ = 1 unless given), matching the value the search maximised.
///
/// # Errors
/// [`RiskError::Internal`] if an attacked service is not actually covered.
pub(crate) fn checked_attack(
    graph: &Graph,
    ops: &[usize],
    services: &[usize],
    required: &[usize],
    lambda: Option<&Rational>,
) -> Result<Attack, RiskError> {
    let attack = match graph.model() {
        Model::Restaking => restaking_attack(graph, ops, services, required),
        Model::Elastic => elastic_attack(graph, ops, services, required, lambda),
    };
    verify(graph, &attack)?;
    Ok(attack)
}

fn restaking_attack(
    graph: &Graph,
    ops: &[usize],
    services: &[usize],
    required: &[usize],
) -> Attack {
    let mut b: Vec<usize> = ops.to_vec();
    b.sort_unstable();
    b.dedup();
    let in_b: BTreeSet<usize> = b.iter().copied().collect();
    let a: Vec<usize> = services
        .iter()
        .copied()
        .filter(|&s| graph.services()[s].profit.is_positive() || required.contains(&s))
        .filter(|&s| restaking_covered(graph, s, &in_b))
        .collect();
    let losses: Vec<Rational> = b
        .iter()
        .map(|&v| graph.operators()[v].stake.clone())
        .collect();
    let profit = a.iter().map(|&s| &graph.services()[s].profit).sum();
    let cost = losses.iter().sum();
    Attack {
        services: a,
        operators: b,
        losses,
        profit,
        cost,
    }
}

/// `σ_{B∩N(s)} ≥ α_s σ_{N(s)}`.
pub(crate) fn restaking_covered(graph: &Graph, s: usize, b: &BTreeSet<usize>) -> bool {
    let total: Rational = graph.service_links(s).map(|l| &l.weight).sum();
    let held: Rational = graph
        .service_links(s)
        .filter(|l| b.contains(&l.operator))
        .map(|l| &l.weight)
        .sum();
    held >= &graph.services()[s].threshold * total
}

/// Elastic attack for the capped set Z = `ops`: attacked services are those whose profit beats
/// the amount still missing after Z commits everything (with `required`, the best required
/// service is added if none made it).
fn elastic_attack(
    graph: &Graph,
    ops: &[usize],
    services: &[usize],
    required: &[usize],
    lambda: Option<&Rational>,
) -> Attack {
    let z: BTreeSet<usize> = ops.iter().copied().collect();
    let one = Rational::one();
    let lambda = lambda.unwrap_or(&one);
    let net = |s: usize| lambda * &graph.services()[s].profit - elastic_missing(graph, s, &z);
    let mut a: Vec<usize> = services
        .iter()
        .copied()
        .filter(|&s| net(s).is_positive())
        .collect();
    if !required.is_empty() && !a.iter().any(|s| required.contains(s)) {
        let pick = required
            .iter()
            .copied()
            .max_by(|&x, &y| net(x).cmp(&net(y)).then(y.cmp(&x)));
        a.extend(pick);
        a.sort_unstable();
    }
    elastic_commit(graph, &a, &z)
}

/// `max(0, θ_s W_s − Σ_{v∈Z} w(v,s))`: what Z leaves missing on service s.
pub(crate) fn elastic_missing(graph: &Graph, s: usize, z: &BTreeSet<usize>) -> Rational {
    let need = &graph.services()[s].threshold * graph.service_stake(s);
    let have: Rational = graph
        .service_links(s)
        .filter(|l| z.contains(&l.operator))
        .map(|l| &l.weight)
        .sum();
    let gap = need - have;
    if gap.is_positive() {
        gap
    } else {
        Rational::zero()
    }
}

/// The elastic attack on services `a` with capped set Z: Z commits all its allocations to `a`,
/// the missing amounts are taken from the other operators in input order, and every operator
/// loses `min(σ_v, Σ_s x(v,s))`.
pub(crate) fn elastic_commit(graph: &Graph, a: &[usize], z: &BTreeSet<usize>) -> Attack {
    let mut committed = vec![Rational::zero(); graph.operators().len()];
    for &s in a {
        let mut gap = elastic_missing(graph, s, z);
        for l in graph.service_links(s) {
            if z.contains(&l.operator) {
                committed[l.operator] += &l.weight;
            } else if gap.is_positive() {
                let x = std::cmp::min(&gap, &l.weight).clone();
                gap -= &x;
                committed[l.operator] += x;
            }
        }
    }
    let mut operators = Vec::new();
    let mut losses = Vec::new();
    for (v, x) in committed.into_iter().enumerate() {
        if x.is_positive() {
            losses.push(std::cmp::min(&x, &graph.operators()[v].stake).clone());
            operators.push(v);
        }
    }
    let profit = a.iter().map(|&s| &graph.services()[s].profit).sum();
    let cost = losses.iter().sum();
    Attack {
        services: a.to_vec(),
        operators,
        losses,
        profit,
        cost,
    }
}

/// Exact re-check of an attack against the graph.
pub(crate) fn verify(graph: &Graph, attack: &Attack) -> Result<(), RiskError> {
    let b: BTreeSet<usize> = attack.operators.iter().copied().collect();
    for &s in &attack.services {
        let ok = match graph.model() {
            Model::Restaking => restaking_covered(graph, s, &b),
            Model::Elastic => {
                let need = &graph.services()[s].threshold * graph.service_stake(s);
                let avail: Rational = graph
                    .service_links(s)
                    .filter(|l| b.contains(&l.operator))
                    .map(|l| &l.weight)
                    .sum();
                avail >= need
            }
        };
        if !ok {
            return Err(RiskError::Internal(format!(
                "attack does not cover service #{s}"
            )));
        }
    }
    let profit: Rational = attack
        .services
        .iter()
        .map(|&s| &graph.services()[s].profit)
        .sum();
    if profit != attack.profit {
        return Err(RiskError::Internal("attack profit mismatch".into()));
    }
    Ok(())
}

/// A part scaled to integers (before choosing the machine integer type).
#[derive(Debug)]
pub(crate) struct Scaled {
    mode: Mode,
    /// Instance service → graph service.
    pub services: Vec<usize>,
    /// Instance operator → graph operator, in branching order (cost descending).
    pub ops: Vec<usize>,
    profit: Vec<BigInt>,
    target: Vec<BigInt>,
    cost: Vec<BigInt>,
    op_links: Vec<Vec<(usize, BigInt)>>,
    required: Vec<bool>,
}

impl Scaled {
    /// Scales a part; with `lambda = P/Q`, profits are multiplied by P and stakes by Q so that
    /// the value of a set is `P·π_A − Q·cost` in the common unit.
    pub(crate) fn new(graph: &Graph, part: &Part, lambda: Option<&Rational>) -> Self {
        let mode = match graph.model() {
            Model::Restaking => Mode::Atomic,
            Model::Elastic => Mode::Fill,
        };
        let svc_pos: std::collections::BTreeMap<usize, usize> = part
            .services
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        let mut ops = part.operators.clone();
        ops.sort_by(|&a, &b| {
            graph.operators()[b]
                .stake
                .cmp(&graph.operators()[a].stake)
                .then(a.cmp(&b))
        });
        let links: Vec<Vec<(usize, &Rational)>> = ops
            .iter()
            .map(|&v| {
                graph
                    .operator_links(v)
                    .filter_map(|l| svc_pos.get(&l.service).map(|&i| (i, &l.weight)))
                    .filter(|(_, w)| w.is_positive())
                    .collect()
            })
            .collect();
        let profits: Vec<&Rational> = part
            .services
            .iter()
            .map(|&s| &graph.services()[s].profit)
            .collect();
        let stakes: Vec<&Rational> = ops.iter().map(|&v| &graph.operators()[v].stake).collect();
        let all = profits
            .iter()
            .copied()
            .chain(stakes.iter().copied())
            .chain(links.iter().flatten().map(|(_, w)| *w));
        let den = common_denominator(all.clone());
        let to_int = |q: &Rational| -> BigInt { q.numer() * (&den / q.denom()) };
        let common = all.fold(BigInt::zero(), |g, q| g.gcd(&to_int(q)));
        let common = if common.is_zero() {
            BigInt::one()
        } else {
            common
        };
        let extra = match mode {
            Mode::Atomic => BigInt::one(),
            Mode::Fill => common_denominator(
                part.services
                    .iter()
                    .map(|&s| &graph.services()[s].threshold),
            ),
        };
        let (p_mul, q_mul) = match lambda {
            Some(l) => (l.numer().clone(), l.denom().clone()),
            None => (BigInt::one(), BigInt::one()),
        };
        let unit = |q: &Rational| to_int(q) / &common * &extra;
        let profit: Vec<BigInt> = profits.iter().map(|q| unit(q) * &p_mul).collect();
        let cost: Vec<BigInt> = stakes.iter().map(|q| unit(q) * &q_mul).collect();
        let op_links: Vec<Vec<(usize, BigInt)>> = links
            .iter()
            .map(|ls| ls.iter().map(|(s, w)| (*s, unit(w) * &q_mul)).collect())
            .collect();
        let mut weight_sum = vec![BigInt::zero(); part.services.len()];
        for ls in &op_links {
            for (s, w) in ls {
                weight_sum[*s] += w;
            }
        }
        let target = part
            .services
            .iter()
            .zip(&weight_sum)
            .map(|(&s, total)| {
                let alpha = &graph.services()[s].threshold;
                let scaled = Rational::new(alpha.numer() * total, alpha.denom().clone());
                scaled.ceil().to_integer()
            })
            .collect();
        let required = part
            .services
            .iter()
            .map(|s| part.required.contains(s))
            .collect();
        Self {
            mode,
            services: part.services.clone(),
            ops,
            profit,
            target,
            cost,
            op_links,
            required,
        }
    }

    /// Makes every service's profit larger than any possible cost, so the best set attacks all
    /// of them at the least cost (used to price a fixed set of services).
    pub(crate) fn force_all(&mut self) {
        let mut big = BigInt::one();
        for x in self.cost.iter().chain(&self.target) {
            big += x;
        }
        for p in &mut self.profit {
            *p = big.clone();
        }
    }

    fn magnitude(&self) -> (BigInt, usize) {
        let mut total = BigInt::zero();
        for x in self.profit.iter().chain(&self.target).chain(&self.cost) {
            total += x.abs();
        }
        let mut links = 0;
        for ls in &self.op_links {
            links += ls.len();
            for (_, w) in ls {
                total += w.abs();
            }
        }
        (total, links)
    }

    fn instance<T: Int>(&self, dual_bits: u32) -> Option<Instance<T>> {
        let conv = |xs: &[BigInt]| xs.iter().map(T::from_big).collect::<Option<Vec<T>>>();
        let op_links: Vec<Vec<(usize, T)>> = self
            .op_links
            .iter()
            .map(|ls| {
                ls.iter()
                    .map(|(s, w)| T::from_big(w).map(|w| (*s, w)))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        let mut svc_links = vec![Vec::new(); self.services.len()];
        for (v, ls) in op_links.iter().enumerate() {
            for (s, w) in ls {
                svc_links[*s].push((v, w.clone()));
            }
        }
        Some(Instance {
            mode: self.mode,
            profit: conv(&self.profit)?,
            target: conv(&self.target)?,
            cost: conv(&self.cost)?,
            op_links,
            svc_links,
            required: self.required.clone(),
            dual_bits,
        })
    }

    /// Runs the engine on `i128` when the magnitudes allow it, on `BigInt` otherwise.
    pub(crate) fn maximize(
        &self,
        floor: &BigInt,
        goal: Goal,
        budget: &mut Budget,
    ) -> Outcome<BigInt> {
        let (total, links) = self.magnitude();
        if let Some(bits) = i128_headroom(&total, links, 0)
            && let (Some(inst), Some(floor)) = (self.instance::<i128>(bits), i128::from_big(floor))
        {
            let out = engine::maximize(&inst, &floor, goal, budget);
            return Outcome {
                best: out.best.map(|(v, ops)| (BigInt::from(v), ops)),
                complete: out.complete,
                nodes: out.nodes,
            };
        }
        match self.instance::<BigInt>(big_dual_bits(&total)) {
            Some(inst) => engine::maximize(&inst, floor, goal, budget),
            None => Outcome {
                best: None,
                complete: false,
                nodes: 0,
            },
        }
    }
}

/// Union-find with path halving, for components.
#[derive(Debug)]
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}
