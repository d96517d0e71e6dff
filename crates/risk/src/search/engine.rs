//! Exact branch and bound over services, then operators, for the most profitable attack.
//!
//! # Problem
//! Services `s` with profit `p_s ≥ 0` and requirement `t_s`, operators `v` with cost `c_v`,
//! edges with weights `w(v,s) > 0`, all integers. Choosing a set Z of operators gives each
//! service the coverage `cov_s = Σ_{v∈Z} w(v,s)` and the value
//! - [`Mode::Atomic`] (restaking): `Σ_{s: cov_s ≥ t_s} p_s − Σ_{v∈Z} c_v`;
//! - [`Mode::Fill`] (elastic): `Σ_s max(0, p_s − max(0, t_s − cov_s)) − Σ_{v∈Z} c_v`, where a
//!   missing amount is bought at unit cost from operators outside Z.
//!
//! With `required` services, only sets that attack at least one of them count. [`maximize`]
//! returns a set of largest value above a floor, and says whether it proved that value.
//!
//! # Branching
//! The search space is the pairs (A, Z) with A covered by Z; the best pair for a given Z is
//! A = every service Z covers, so the optimum is the best value of a set Z. The tree first
//! decides, service by service, whether s is attacked (`In`: Z must cover it) or not (`Out`:
//! its profit is not counted), largest profit first; once no service is free it decides
//! operators one by one in a fixed order (stake descending). Services are branched on first
//! because the relaxation is loose mostly in *which* services are attacked; once they are
//! fixed, the covering relaxation is nearly tight and the operator tree closes quickly.
//!
//! # Bound
//! At a node, for every dual vector `y ≥ 0` (`y ≤ 1` in fill mode) the Lagrangian relaxation
//!
//! `U(y) = Σ_{s free} max(0, p_s − y_s d_s) + Σ_{s in} (p_s − y_s d_s)
//!        + Σ_{v undecided} max(0, Σ_{s open} y_s ŵ(v,s) − c_v)`
//!
//! bounds the value any completion can add, where `d_s = t_s − cov_s` is the deficit of an
//! open service and `ŵ = min(w, d_s)` (an operator never usefully covers more than the
//! deficit, which is valid for 0/1 choices and tightens the relaxation). Any `y` gives a valid
//! bound, so the duals are fixed-point integers improved by exact coordinate descent (each
//! coordinate is minimised over the breakpoints of a convex piecewise-linear function).
//! Values are integers, so a node is pruned as soon as `⌊bound⌋` does not beat the
//! incumbent; a node where an `In` service can no longer be covered is infeasible.
//!
//! # Determinism
//! Operators are visited in a fixed order, ties are broken by index, and the first strictly
//! better solution is kept, so the answer depends only on the instance (and, when the budget
//! runs out, on how much of it was spent).

use super::Budget;
use super::int::{Int, pos};
use super::lp::{self, Column};

/// How coverage turns into value; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// All-or-nothing coverage (restaking model).
    Atomic,
    /// Missing coverage bought at unit cost (elastic model).
    Fill,
}

/// An integer instance; operators are listed in branching order.
#[derive(Debug, Clone)]
pub(crate) struct Instance<T> {
    pub mode: Mode,
    pub profit: Vec<T>,
    pub target: Vec<T>,
    pub cost: Vec<T>,
    pub op_links: Vec<Vec<(usize, T)>>,
    pub svc_links: Vec<Vec<(usize, T)>>,
    pub required: Vec<bool>,
    pub dual_bits: u32,
}

impl<T: Int> Instance<T> {
    fn any_required(&self) -> bool {
        self.required.iter().any(|&r| r)
    }

    /// Value of the set whose coverage is `cov` and cost `cost`; `None` if it attacks no
    /// required service.
    pub(crate) fn value_of(&self, cov: &[T], cost: &T) -> Option<T> {
        let any_required = self.any_required();
        let mut gain = T::zero();
        let mut required_hit = !any_required;
        let mut best_required: Option<T> = None;
        for (s, covered) in cov.iter().enumerate().take(self.profit.len()) {
            match self.mode {
                Mode::Atomic => {
                    if covered >= &self.target[s] {
                        gain += &self.profit[s];
                        required_hit |= self.required[s];
                    }
                }
                Mode::Fill => {
                    let fill = pos(self.target[s].clone() - covered.clone());
                    let net = self.profit[s].clone() - fill;
                    if self.required[s] && best_required.as_ref().is_none_or(|b| &net > b) {
                        best_required = Some(net.clone());
                    }
                    gain += &pos(net);
                }
            }
        }
        if let Some(net) = best_required {
            required_hit = true;
            if net < T::zero() {
                gain += &net;
            }
        }
        required_hit.then(|| gain - cost.clone())
    }
}

/// Result of a search.
#[derive(Debug, Clone)]
pub(crate) struct Outcome<T> {
    /// Best set found above the floor, with its value (operator indices, ascending).
    pub best: Option<(T, Vec<usize>)>,
    /// The whole tree was explored: `best` is optimal (or nothing beats the floor).
    pub complete: bool,
    /// Nodes visited.
    pub nodes: u64,
}

const ROOT_PASSES: usize = 60;
const SERVICE_NODE_PASSES: usize = 12;
const OPERATOR_NODE_PASSES: usize = 2;
const LOCAL_SEARCH_PASSES: usize = 4;
const SERVICE_SEARCH_SWEEPS: usize = 3;

/// How far a search goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    /// Find the best set and prove it.
    Optimum,
    /// Stop at the first set above the floor (proving only when there is none).
    AnyAbove,
}

/// Finds a set of largest value strictly above `floor` ([`Goal::Optimum`]), or any set above
/// it ([`Goal::AnyAbove`]; `complete` is then meaningful only when none is found).
pub(crate) fn maximize<T: Int>(
    inst: &Instance<T>,
    floor: &T,
    goal: Goal,
    budget: &mut Budget,
) -> Outcome<T> {
    let mut solver = Solver::new(inst, floor.clone());
    let complete = solver.run(goal, budget);
    Outcome {
        best: solver.best_ops.map(|ops| (solver.best_value, ops)),
        complete,
        nodes: solver.nodes,
    }
}

/// Decision about a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Free,
    In,
    Out,
}

/// A service at a node.
#[derive(Debug, Clone)]
enum Open<T> {
    /// Covered, excluded, unreachable or irrelevant.
    Closed,
    /// Not decided; deficit.
    Free(T),
    /// Must be covered; deficit.
    Forced(T),
}

impl<T> Open<T> {
    fn deficit(&self) -> Option<&T> {
        match self {
            Self::Closed => None,
            Self::Free(d) | Self::Forced(d) => Some(d),
        }
    }
}

/// A branching decision, with the log positions needed to undo it: `mark` before the node's
/// own fixings, `fixed` after them.
#[derive(Debug)]
struct Frame {
    target: Target,
    first: bool,
    second: bool,
    mark: usize,
    fixed: usize,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Service(usize),
    Operator(usize),
}

#[derive(Debug)]
struct Solver<'a, T> {
    inst: &'a Instance<T>,
    one: T,
    profit_total: T,
    choice: Vec<Choice>,
    decided: Vec<Option<bool>>,
    log: Vec<(usize, bool)>,
    cov: Vec<T>,
    rem: Vec<T>,
    cost_fixed: T,
    y: Vec<T>,
    r: Vec<T>,
    best_value: T,
    best_ops: Option<Vec<usize>>,
    nodes: u64,
    lp_service: Vec<Option<f64>>,
    lp_operator: Vec<Option<f64>>,
}

impl<'a, T: Int> Solver<'a, T> {
    fn new(inst: &'a Instance<T>, floor: T) -> Self {
        let n_svc = inst.profit.len();
        let mut rem = vec![T::zero(); n_svc];
        for links in &inst.op_links {
            for (s, w) in links {
                rem[*s] += w;
            }
        }
        let one = T::one().shifted(inst.dual_bits);
        let y = (0..n_svc)
            .map(|s| free_cap(inst, &one, s, &inst.target[s]))
            .collect();
        let mut profit_total = T::one();
        for p in &inst.profit {
            profit_total += p;
        }
        Self {
            inst,
            one,
            profit_total,
            choice: vec![Choice::Free; n_svc],
            decided: vec![None; inst.cost.len()],
            log: Vec::new(),
            cov: vec![T::zero(); n_svc],
            rem,
            cost_fixed: T::zero(),
            y,
            r: vec![T::zero(); inst.cost.len()],
            best_value: floor,
            best_ops: None,
            nodes: 0,
            lp_service: vec![None; n_svc],
            lp_operator: vec![None; inst.cost.len()],
        }
    }

    fn run(&mut self, goal: Goal, budget: &mut Budget) -> bool {
        self.root_heuristics(budget);
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            if goal == Goal::AnyAbove && self.best_ops.is_some() {
                return false;
            }
            if !budget.spend() {
                return false;
            }
            self.nodes += 1;
            if let Some(frame) = self.visit() {
                self.set_target(frame.target, frame.first);
                stack.push(frame);
                continue;
            }
            if !self.backtrack(&mut stack) {
                return true;
            }
        }
    }

    fn set_target(&mut self, target: Target, first: bool) {
        match target {
            Target::Service(s) => self.choice[s] = if first { Choice::In } else { Choice::Out },
            Target::Operator(v) => self.apply(v, first),
        }
    }

    /// Undoes decisions up to the next unexplored branch; `false` when the tree is exhausted.
    fn backtrack(&mut self, stack: &mut Vec<Frame>) -> bool {
        while let Some(frame) = stack.last_mut() {
            if let Target::Service(s) = frame.target {
                self.choice[s] = Choice::Free;
            }
            let (fixed, mark) = (frame.fixed, frame.mark);
            self.rewind(fixed);
            if !frame.second {
                frame.second = true;
                let (target, next) = (frame.target, !frame.first);
                self.set_target(target, next);
                return true;
            }
            self.rewind(mark);
            stack.pop();
        }
        false
    }

    fn rewind(&mut self, mark: usize) {
        while self.log.len() > mark {
            if let Some((v, include)) = self.log.pop() {
                self.undo(v, include);
            }
        }
    }

    fn apply(&mut self, op: usize, include: bool) {
        for (s, w) in &self.inst.op_links[op] {
            self.rem[*s] -= w;
            if include {
                self.cov[*s] += w;
            }
        }
        if include {
            self.cost_fixed += &self.inst.cost[op];
        }
        self.decided[op] = Some(include);
        self.log.push((op, include));
    }

    fn undo(&mut self, op: usize, include: bool) {
        for (s, w) in &self.inst.op_links[op] {
            self.rem[*s] += w;
            if include {
                self.cov[*s] -= w;
            }
        }
        if include {
            self.cost_fixed -= &self.inst.cost[op];
        }
        self.decided[op] = None;
    }

    /// Records the current set if it is better, fixes what the bound allows, then returns the
    /// branching decision, or `None` (after undoing its fixings) for a leaf, an infeasible or a
    /// pruned node.
    fn visit(&mut self) -> Option<Frame> {
        let mark = self.log.len();
        let frame = self.evaluate(mark);
        if frame.is_none() {
            self.rewind(mark);
        }
        frame
    }

    fn evaluate(&mut self, mark: usize) -> Option<Frame> {
        loop {
            self.record();
            let (open, gain) = self.classify()?;
            let free = self.pick_free(&open);
            let passes = if free.is_some() {
                SERVICE_NODE_PASSES
            } else {
                OPERATOR_NODE_PASSES
            };
            let (prune, bound) = self.prunable(&open, &gain, passes);
            if prune {
                return None;
            }
            if self.lp_operator.iter().any(Option::is_some) {
                let _ = self.lagrangian_dive();
            }
            if self.fix_by_reduced_cost(&open, &bound) > 0 {
                continue;
            }
            let fixed = self.log.len();
            if free.is_some() {
                let s = self.pick_free_lp(&open)?;
                let first = match self.lp_service[s] {
                    Some(x) => x >= 0.5,
                    None => {
                        self.inst.profit[s].clone() * self.one.clone()
                            > self.y[s].clone() * open[s].deficit().cloned().unwrap_or_else(T::zero)
                    }
                };
                return Some(Frame {
                    target: Target::Service(s),
                    first,
                    second: false,
                    mark,
                    fixed,
                });
            }
            let op = self.pick_operator(&open)?;
            let first = match self.lp_operator[op] {
                Some(x) => x >= 0.5,
                None => self.r[op] > self.inst.cost[op].clone() * self.one.clone(),
            };
            return Some(Frame {
                target: Target::Operator(op),
                first,
                second: false,
                mark,
                fixed,
            });
        }
    }

    /// Fixes undecided operators that no open service needs (out), and those whose other
    /// choice would lose more than the bound's margin over the incumbent (reduced-cost
    /// fixing: flipping operator v against its Lagrangian choice lowers the bound at the same
    /// duals by `|Σ y ŵ − c_v|`). Returns how many were fixed.
    fn fix_by_reduced_cost(&mut self, open: &[Open<T>], bound: &T) -> usize {
        let threshold = (self.best_value.clone() + T::one()) * self.one.clone();
        let margin = bound.clone() - threshold;
        let mut fixes = Vec::new();
        for v in 0..self.inst.cost.len() {
            if self.decided[v].is_some() {
                continue;
            }
            let useful = self.inst.op_links[v]
                .iter()
                .any(|(s, _)| open[*s].deficit().is_some());
            if !useful {
                fixes.push((v, false));
                continue;
            }
            let rc = self.r[v].clone() - self.inst.cost[v].clone() * self.one.clone();
            if rc > T::zero() && rc > margin {
                fixes.push((v, true));
            } else if rc <= T::zero() && T::zero() - rc.clone() > margin {
                fixes.push((v, false));
            }
        }
        for (v, include) in &fixes {
            self.apply(*v, *include);
        }
        fixes.len()
    }

    /// The undecided operator to branch on: among those an open service needs, the largest
    /// stake with a fractional LP value if any, else the largest stake (smallest index on ties).
    fn pick_operator(&self, open: &[Open<T>]) -> Option<usize> {
        let mut best: Option<(usize, bool)> = None;
        for v in 0..self.inst.cost.len() {
            if self.decided[v].is_some()
                || !self.inst.op_links[v]
                    .iter()
                    .any(|(s, _)| open[*s].deficit().is_some())
            {
                continue;
            }
            let frac = self.lp_operator[v].is_some_and(|x| fractionality(x) > 0);
            let better = match best {
                None => true,
                Some((b, bf)) => {
                    (frac && !bf) || (frac == bf && self.inst.cost[v] > self.inst.cost[b])
                }
            };
            if better {
                best = Some((v, frac));
            }
        }
        best.map(|(v, _)| v)
    }

    /// Incumbent from the relaxation: decided-in operators plus every undecided one the LP
    /// uses at all (or, without an LP value, with a positive reduced profit), refined by
    /// single flips.
    fn lagrangian_dive(&mut self) -> Option<T> {
        let mut set: Vec<bool> = (0..self.inst.cost.len())
            .map(|v| match (self.decided[v], self.lp_operator[v]) {
                (Some(include), _) => include,
                (None, Some(x)) => x > 1e-9,
                (None, None) => self.r[v] > self.inst.cost[v].clone() * self.one.clone(),
            })
            .collect();
        self.local_search(&mut set);
        self.consider(&set)
    }

    /// Primal heuristic over services: starting from the root LP's choice of services, flips
    /// one service at a time (attacked or not), prices each choice by the LP of its cover and
    /// a rounded, locally improved cover, and keeps improvements. Leaves all choices free.
    fn service_local_search(&mut self, budget: &mut Budget) {
        let n_svc = self.inst.profit.len();
        let mut attack: Vec<bool> = (0..n_svc)
            .map(|s| self.lp_service[s].is_some_and(|x| x >= 0.5))
            .collect();
        let mut best = self.price_services(&attack);
        for _ in 0..SERVICE_SEARCH_SWEEPS {
            let mut improved = false;
            for s in 0..n_svc {
                if !budget.spend() {
                    break;
                }
                attack[s] = !attack[s];
                let value = self.price_services(&attack);
                if value > best {
                    best = value;
                    improved = true;
                } else {
                    attack[s] = !attack[s];
                }
            }
            if !improved {
                break;
            }
        }
        self.choice.iter_mut().for_each(|c| *c = Choice::Free);
    }

    fn price_services(&mut self, attack: &[bool]) -> Option<T> {
        for (c, &a) in self.choice.iter_mut().zip(attack) {
            *c = if a { Choice::In } else { Choice::Out };
        }
        let (open, gain) = self.classify()?;
        self.bound(&open, &gain);
        if !self.lp_duals(&open) {
            return None;
        }
        self.lagrangian_dive()
    }

    fn record(&mut self) {
        if let Some(value) = self.inst.value_of(&self.cov, &self.cost_fixed)
            && value > self.best_value
        {
            self.best_value = value;
            self.best_ops = Some(
                (0..self.decided.len())
                    .filter(|&k| self.decided[k] == Some(true))
                    .collect(),
            );
        }
    }

    /// Every service's state and the profit already secured (covered, not excluded); `None`
    /// when the node is infeasible (a forced service out of reach, or no target left).
    fn classify(&self) -> Option<(Vec<Open<T>>, T)> {
        let inst = self.inst;
        let mut required_alive = !inst.any_required();
        let mut gain = T::zero();
        let mut open = Vec::with_capacity(inst.profit.len());
        for s in 0..inst.profit.len() {
            let covered = self.cov[s] >= inst.target[s];
            let reachable = match inst.mode {
                Mode::Atomic => self.cov[s].clone() + self.rem[s].clone() >= inst.target[s],
                Mode::Fill => true,
            };
            let relevant = inst.profit[s] > T::zero() || inst.required[s];
            let state = match self.choice[s] {
                Choice::Out => Open::Closed,
                _ if covered => {
                    gain += &inst.profit[s];
                    Open::Closed
                }
                Choice::In if !reachable => return None,
                Choice::In => Open::Forced(inst.target[s].clone() - self.cov[s].clone()),
                Choice::Free if reachable && relevant => {
                    Open::Free(inst.target[s].clone() - self.cov[s].clone())
                }
                Choice::Free => Open::Closed,
            };
            required_alive |=
                inst.required[s] && (covered || reachable) && self.choice[s] != Choice::Out;
            open.push(state);
        }
        required_alive.then_some((open, gain))
    }

    /// The free open service with the largest profit (smallest index on ties).
    fn pick_free(&self, open: &[Open<T>]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (s, o) in open.iter().enumerate() {
            if matches!(o, Open::Free(_))
                && best.is_none_or(|b| self.inst.profit[s] > self.inst.profit[b])
            {
                best = Some(s);
            }
        }
        best
    }

    /// Among free open services, the one whose LP value is most fractional (largest profit on
    /// ties, then smallest index); without LP values, [`Self::pick_free`].
    fn pick_free_lp(&self, open: &[Open<T>]) -> Option<usize> {
        let mut best: Option<(usize, u64)> = None;
        for (s, o) in open.iter().enumerate() {
            if !matches!(o, Open::Free(_)) {
                continue;
            }
            let Some(x) = self.lp_service[s] else {
                return self.pick_free(open);
            };
            let frac = fractionality(x);
            let better = match best {
                None => true,
                Some((b, bf)) => {
                    frac > bf || (frac == bf && self.inst.profit[s] > self.inst.profit[b])
                }
            };
            if better {
                best = Some((s, frac));
            }
        }
        best.map(|(s, _)| s)
    }

    /// Whether the node can be cut, and the bound it was judged on.
    fn prunable(&mut self, open: &[Open<T>], gain: &T, passes: usize) -> (bool, T) {
        let threshold = (self.best_value.clone() + T::one()) * self.one.clone();
        let bound = self.bound(open, gain);
        if bound < threshold {
            return (true, bound);
        }
        if self.lp_duals(open) {
            let bound = self.bound(open, gain);
            if bound < threshold {
                return (true, bound);
            }
        }
        for _ in 0..passes {
            if !self.improve(open) {
                break;
            }
        }
        let bound = self.bound(open, gain);
        (bound < threshold, bound)
    }

    /// Replaces the duals by those of the node's linear relaxation (solved in floating point,
    /// see [`lp`]); keeps the LP's primal values to guide branching. `false` if the LP failed.
    fn lp_duals(&mut self, open: &[Open<T>]) -> bool {
        let inst = self.inst;
        self.lp_service.iter_mut().for_each(|x| *x = None);
        self.lp_operator.iter_mut().for_each(|x| *x = None);
        let rows: Vec<usize> = (0..open.len())
            .filter(|&s| open[s].deficit().is_some())
            .collect();
        if rows.is_empty() {
            return false;
        }
        let mut row_of = vec![usize::MAX; open.len()];
        for (i, &s) in rows.iter().enumerate() {
            row_of[s] = i;
        }
        let ops: Vec<usize> = (0..inst.cost.len())
            .filter(|&v| {
                self.decided[v].is_none()
                    && inst.op_links[v]
                        .iter()
                        .any(|(s, _)| row_of[*s] != usize::MAX)
            })
            .collect();
        let mut scale = 1.0f64;
        for &s in &rows {
            scale = scale.max(inst.profit[s].to_f64());
        }
        for &v in &ops {
            scale = scale.max(inst.cost[v].to_f64());
        }
        let forced_bonus = self.profit_total.to_f64() / scale * 4.0 + 1.0;
        let mut columns = Vec::with_capacity(rows.len() + ops.len());
        for (i, &s) in rows.iter().enumerate() {
            let bonus = if matches!(open[s], Open::Forced(_)) {
                forced_bonus
            } else {
                0.0
            };
            columns.push(Column {
                obj: inst.profit[s].to_f64() / scale + bonus,
                upper: 1.0,
                entries: vec![(i, 1.0)],
            });
        }
        for &v in &ops {
            let entries = inst.op_links[v]
                .iter()
                .filter_map(|(s, w)| {
                    let d = open[*s].deficit()?;
                    Some((row_of[*s], -std::cmp::min(w, d).to_f64() / d.to_f64()))
                })
                .collect();
            columns.push(Column {
                obj: -inst.cost[v].to_f64() / scale,
                upper: 1.0,
                entries,
            });
        }
        let Some(sol) = lp::solve(rows.len(), &columns) else {
            return false;
        };
        let one = self.one.to_f64();
        for (i, &s) in rows.iter().enumerate() {
            let Some(d) = open[s].deficit() else { continue };
            let cap = match &open[s] {
                Open::Forced(_) => forced_cap(inst, &self.one, &self.profit_total, d),
                _ => free_cap(inst, &self.one, s, d),
            };
            let y = (sol.duals[i].max(0.0) * scale / d.to_f64()) * one;
            let y = T::from_f64_floor(y).unwrap_or_else(|| cap.clone());
            self.y[s] = std::cmp::min(y, cap);
            self.lp_service[s] = Some(sol.values[i]);
        }
        for (k, &v) in ops.iter().enumerate() {
            self.lp_operator[v] = Some(sol.values[rows.len() + k]);
        }
        true
    }

    /// Upper bound on the value of any completion, scaled by `2^b`; refreshes `r`.
    fn bound(&mut self, open: &[Open<T>], gain: &T) -> T {
        let inst = self.inst;
        let mut total = (gain.clone() - self.cost_fixed.clone()) * self.one.clone();
        for (s, o) in open.iter().enumerate() {
            match o {
                Open::Closed => {}
                Open::Free(d) => {
                    total +=
                        &pos(inst.profit[s].clone() * self.one.clone()
                            - self.y[s].clone() * d.clone());
                }
                Open::Forced(d) => {
                    total += &(inst.profit[s].clone() * self.one.clone()
                        - self.y[s].clone() * d.clone());
                }
            }
        }
        for v in 0..inst.cost.len() {
            if self.decided[v].is_some() {
                continue;
            }
            let mut r = T::zero();
            for (s, w) in &inst.op_links[v] {
                if let Some(d) = open[*s].deficit() {
                    r += &(self.y[*s].clone() * std::cmp::min(w, d).clone());
                }
            }
            total += &pos(r.clone() - inst.cost[v].clone() * self.one.clone());
            self.r[v] = r;
        }
        total
    }

    /// One pass of exact coordinate descent over the open services' duals (needs fresh `r`);
    /// `true` if some dual changed.
    fn improve(&mut self, open: &[Open<T>]) -> bool {
        let inst = self.inst;
        let mut changed = false;
        for (s, o) in open.iter().enumerate() {
            let (d, cap) = match o {
                Open::Closed => continue,
                Open::Free(d) => (d, Some(free_cap(inst, &self.one, s, d))),
                Open::Forced(d) => (d, Some(forced_cap(inst, &self.one, &self.profit_total, d))),
            };
            let mut points: Vec<(T, usize, T)> = Vec::new();
            for (v, w) in &inst.svc_links[s] {
                if self.decided[*v].is_some() {
                    continue;
                }
                let w_hat = std::cmp::min(w, d).clone();
                let others = self.r[*v].clone() - self.y[s].clone() * w_hat.clone();
                let room = inst.cost[*v].clone() * self.one.clone() - others;
                let bp = if room <= T::zero() {
                    T::zero()
                } else {
                    room / w_hat.clone()
                };
                points.push((bp, *v, w_hat));
            }
            points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut best = cap.clone();
            let mut cum = T::zero();
            for (bp, _, w_hat) in &points {
                if cap.as_ref().is_some_and(|c| bp >= c) {
                    break;
                }
                cum += w_hat;
                if &cum >= d {
                    best = Some(bp.clone());
                    break;
                }
            }
            let Some(best) = best else { continue };
            let delta = best.clone() - self.y[s].clone();
            if delta != T::zero() {
                changed = true;
                for (_, v, w_hat) in &points {
                    self.r[*v] += &(delta.clone() * w_hat.clone());
                }
            }
            self.y[s] = best;
        }
        changed
    }

    /// Improves the duals at the root and seeds the incumbent with a greedy set refined by
    /// single-operator flips.
    fn root_heuristics(&mut self, budget: &mut Budget) {
        let Some((open, gain)) = self.classify() else {
            return;
        };
        self.bound(&open, &gain);
        for _ in 0..ROOT_PASSES {
            if !self.improve(&open) {
                break;
            }
        }
        self.bound(&open, &gain);
        let n = self.inst.cost.len();
        self.lp_duals(&open);
        self.bound(&open, &gain);
        let _ = self.lagrangian_dive();
        self.service_local_search(budget);
        let mut everyone = vec![true; n];
        self.local_search(&mut everyone);
        let _ = self.consider(&everyone);
    }

    fn coverage(&self, set: &[bool]) -> (Vec<T>, T) {
        let mut cov = vec![T::zero(); self.inst.profit.len()];
        let mut cost = T::zero();
        for (v, _) in set.iter().enumerate().filter(|(_, in_set)| **in_set) {
            cost += &self.inst.cost[v];
            for (s, w) in &self.inst.op_links[v] {
                cov[*s] += w;
            }
        }
        (cov, cost)
    }

    fn local_search(&self, set: &mut [bool]) {
        let (mut cov, mut cost) = self.coverage(set);
        let mut value = self.inst.value_of(&cov, &cost);
        for _ in 0..LOCAL_SEARCH_PASSES {
            let mut improved = false;
            for v in 0..set.len() {
                self.flip(v, set, &mut cov, &mut cost);
                let candidate = self.inst.value_of(&cov, &cost);
                if candidate > value {
                    value = candidate;
                    improved = true;
                } else {
                    self.flip(v, set, &mut cov, &mut cost);
                }
            }
            if !improved {
                break;
            }
        }
    }

    fn flip(&self, v: usize, set: &mut [bool], cov: &mut [T], cost: &mut T) {
        set[v] = !set[v];
        for (s, w) in &self.inst.op_links[v] {
            if set[v] {
                cov[*s] += w;
            } else {
                cov[*s] -= w;
            }
        }
        if set[v] {
            *cost += &self.inst.cost[v];
        } else {
            *cost -= &self.inst.cost[v];
        }
    }

    fn consider(&mut self, set: &[bool]) -> Option<T> {
        let (cov, cost) = self.coverage(set);
        let found = self.inst.value_of(&cov, &cost);
        if let Some(value) = found.clone()
            && value > self.best_value
        {
            self.best_value = value;
            self.best_ops = Some((0..set.len()).filter(|&v| set[v]).collect());
        }
        found
    }
}

/// How far an LP value is from integral, in millionths (0 = integral, 500,000 = one half).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn fractionality(x: f64) -> u64 {
    let f = x.clamp(0.0, 1.0);
    let d = f.min(1.0 - f);
    if d < 1e-6 {
        0
    } else {
        (d * 1_000_000.0) as u64
    }
}

/// Largest useful dual of a free service at deficit `d`: `p·2^b / d` (at most `2^b` in fill
/// mode): beyond it the service's own term is zero and the operators' terms only grow.
fn free_cap<T: Int>(inst: &Instance<T>, one: &T, s: usize, d: &T) -> T {
    if d <= &T::zero() {
        return T::zero();
    }
    let cap = inst.profit[s].clone() * one.clone() / d.clone();
    match inst.mode {
        Mode::Atomic => cap,
        Mode::Fill => std::cmp::min(cap, one.clone()),
    }
}

/// Cap of a forced service's dual. Any cap keeps the bound valid; this one keeps every product
/// `y_s·d_s` below `(Σ_s p_s + 1)·2^b`, the magnitude the integer type was sized for (atomic
/// model), and is `2^b` in fill mode (missing stake costs one unit a unit).
fn forced_cap<T: Int>(inst: &Instance<T>, one: &T, profit_total: &T, d: &T) -> T {
    match inst.mode {
        Mode::Atomic if d > &T::zero() => profit_total.clone() * one.clone() / d.clone(),
        Mode::Atomic => T::zero(),
        Mode::Fill => one.clone(),
    }
}
