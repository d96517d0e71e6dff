//! The full security analysis of a graph and its JSON output (RISK.md §5).

use num_traits::{One, Signed};
use serde_json::{Map, Value, json};

use crate::RiskError;
use crate::certificate::{
    Certificate, LoadTable, ServiceBuffer, certificate_with, service_buffers,
};
use crate::concentration::{
    Concentration, ConcentrationReport, Overlap, concentration, leverage, overlap,
};
use crate::graph::{Graph, Model};
use crate::num::{Rational, number_json, opt_number_json, parse_rational};
use crate::search::cascade::{Cascade, worst_cascade};
use crate::search::{
    Attack, AttackSearch, Budget, SlackSearch, gamma_slack, most_profitable_attack,
};

/// Default wall-time budget of an analysis, in milliseconds.
pub const DEFAULT_BUDGET_MS: u64 = 10_000;

/// Options of [`analyze`] and [`crate::analyze_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// Shock size ψ ∈ [0, 1] (`"p/q"` or decimal); adds `cascade` to the output.
    pub shock: Option<String>,
    /// Wall-time budget for the exact searches, shared by all of them, in milliseconds.
    pub budget_ms: u64,
    /// Deterministic budget in search nodes (for reproducible tests); `None`: unlimited.
    pub work_budget: Option<u64>,
    /// Target services for local security; adds `local` to the output.
    pub targets: Vec<String>,
    /// Services that turn Byzantine before the analysis (elastic-paper shock).
    pub byzantine: Vec<String>,
    /// Add the sparse service overlap matrix (`overlap`).
    pub overlap: bool,
    /// Add per-operator leverage (`leverage`).
    pub leverage: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            shock: None,
            budget_ms: DEFAULT_BUDGET_MS,
            work_budget: None,
            targets: Vec::new(),
            byzantine: Vec::new(),
            overlap: false,
            leverage: false,
        }
    }
}

/// The worst cascade with its Theorem-1 bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CascadeReport {
    /// The exact search result.
    pub cascade: Cascade,
    /// `(1 + 1/γ)ψ` when a proved γ > 0 is known (exact γ-slack, else the certificate's γ*).
    pub bound: Option<Rational>,
    /// Which γ the bound uses: `gamma_slack` or `gamma_star`.
    pub bound_from: Option<&'static str>,
}

/// Security restricted to attacks on a target set of services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAnalysis {
    /// Target services.
    pub targets: Vec<usize>,
    /// Most profitable valid attack corrupting a target.
    pub attack: AttackSearch,
    /// γ-slack over coalitions attacking a target.
    pub slack: SlackSearch,
    /// Worst cascade reaching a target, when a shock is given.
    pub cascade: Option<CascadeReport>,
}

/// Everything [`analyze`] computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The graph analysed (after Byzantine services, if any).
    pub graph: Graph,
    /// Services turned Byzantine (ids).
    pub byzantine: Vec<String>,
    /// `Some(true)` secure, `Some(false)` insecure, `None` unknown within budget.
    pub secure: Option<bool>,
    /// The attack search.
    pub attack: AttackSearch,
    /// The γ-slack search.
    pub slack: SlackSearch,
    /// The per-operator certificate.
    pub certificate: Certificate,
    /// γ* per service.
    pub service_buffers: Vec<ServiceBuffer>,
    /// Worst cascade, when a shock is given.
    pub cascade: Option<CascadeReport>,
    /// Local security, when targets are given.
    pub local: Option<LocalAnalysis>,
    /// Concentration.
    pub concentration: ConcentrationReport,
    /// Overlap matrix, when asked for.
    pub overlap: Option<Vec<Overlap>>,
    /// Leverage, when asked for.
    pub leverage: Option<Vec<Option<Rational>>>,
}

/// Runs the whole analysis of RISK.md §1–2 on a graph.
///
/// # Errors
/// A bad shock, unknown target or Byzantine ids, or an internal check failure.
pub fn analyze(graph: &Graph, opts: &AnalyzeOptions) -> Result<Analysis, RiskError> {
    let psi = opts.shock.as_deref().map(parse_shock).transpose()?;
    let byzantine = graph.resolve_services(&opts.byzantine, "byzantine")?;
    let byzantine_ids: Vec<String> = byzantine
        .iter()
        .map(|&s| graph.services()[s].id.clone())
        .collect();
    let graph = if byzantine.is_empty() {
        graph.clone()
    } else {
        graph.with_byzantine(&byzantine)
    };
    let targets = graph.resolve_services(&opts.targets, "targets")?;
    let mut budget = Budget::new(Some(opts.budget_ms), opts.work_budget);
    let mut table = LoadTable::new(&graph);
    let cert = certificate_with(&graph, &mut table);
    let service_buffers = service_buffers(&graph, &mut table);
    let attack = if cert.certified {
        AttackSearch {
            attack: None,
            proved: true,
            nodes: 0,
        }
    } else {
        most_profitable_attack(&graph, &[], &mut budget)?
    };
    let secure = verdict(&attack);
    let slack = gamma_slack(&graph, &[], &mut budget)?;
    let cascade = match &psi {
        Some(psi) => Some(cascade_report(
            &graph,
            psi,
            &[],
            &slack,
            Some(&cert),
            &mut budget,
        )?),
        None => None,
    };
    let local = if targets.is_empty() {
        None
    } else {
        let attack = most_profitable_attack(&graph, &targets, &mut budget)?;
        let slack = gamma_slack(&graph, &targets, &mut budget)?;
        let cascade = match &psi {
            Some(psi) => Some(cascade_report(
                &graph,
                psi,
                &targets,
                &slack,
                None,
                &mut budget,
            )?),
            None => None,
        };
        Some(LocalAnalysis {
            targets,
            attack,
            slack,
            cascade,
        })
    };
    Ok(Analysis {
        concentration: concentration(&graph),
        overlap: opts.overlap.then(|| overlap(&graph)),
        leverage: opts.leverage.then(|| leverage(&graph)),
        byzantine: byzantine_ids,
        graph,
        secure,
        attack,
        slack,
        certificate: cert,
        service_buffers,
        cascade,
        local,
    })
}

/// Parses ψ and checks `0 ≤ ψ ≤ 1`.
fn parse_shock(text: &str) -> Result<Rational, RiskError> {
    let psi = parse_rational("shock", text)?;
    if psi > Rational::one() {
        return Err(RiskError::OutOfRange {
            field: "shock".into(),
            value: psi.to_string(),
            range: "[0, 1]",
        });
    }
    Ok(psi)
}

fn verdict(search: &AttackSearch) -> Option<bool> {
    match (&search.attack, search.proved) {
        (Some(_), _) => Some(false),
        (None, true) => Some(true),
        (None, false) => None,
    }
}

fn cascade_report(
    graph: &Graph,
    psi: &Rational,
    targets: &[usize],
    slack: &SlackSearch,
    cert: Option<&Certificate>,
    budget: &mut Budget,
) -> Result<CascadeReport, RiskError> {
    let cascade = worst_cascade(graph, psi, targets, budget)?;
    let exact = slack
        .proved
        .then_some(slack.gamma.as_ref())
        .flatten()
        .filter(|g| g.is_positive());
    let star = cert
        .filter(|c| c.uncovered_services.is_empty())
        .and_then(|c| c.gamma_star.as_ref())
        .filter(|g| g.is_positive());
    let (gamma, from) = match (exact, star) {
        (Some(g), _) => (Some(g), Some("gamma_slack")),
        (None, Some(g)) => (Some(g), Some("gamma_star")),
        (None, None) => (None, None),
    };
    let bound = gamma.map(|g| (Rational::one() + g.recip()) * psi);
    Ok(CascadeReport {
        cascade,
        bound,
        bound_from: from,
    })
}

impl Analysis {
    /// The JSON output of RISK.md §5 (ratios and amounts as `{"fraction", "decimal"}`).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let g = &self.graph;
        let mut out = Map::new();
        out.insert("model".into(), json!(g.model().name()));
        if !self.byzantine.is_empty() {
            out.insert("byzantine".into(), json!(self.byzantine));
        }
        out.insert("secure".into(), json!(self.secure));
        out.insert(
            "attack".into(),
            self.attack
                .attack
                .as_ref()
                .map_or(Value::Null, |a| attack_json(g, a)),
        );
        out.insert("gamma_slack".into(), slack_value(&self.slack));
        out.insert("certificate".into(), self.certificate_json());
        if let Some(c) = &self.cascade {
            out.insert("cascade".into(), cascade_json(g, c));
        }
        if let Some(local) = &self.local {
            out.insert("local".into(), self.local_json(local));
        }
        out.insert("concentration".into(), self.concentration_json());
        if let Some(ov) = &self.overlap {
            out.insert("overlap".into(), overlap_json(g, ov));
        }
        if let Some(lev) = &self.leverage {
            let map: Map<String, Value> = g
                .operators()
                .iter()
                .zip(lev)
                .map(|(o, l)| (o.id.clone(), opt_number_json(l.as_ref())))
                .collect();
            out.insert("leverage".into(), Value::Object(map));
        }
        out.insert("search".into(), self.search_json());
        Value::Object(out)
    }

    fn certificate_json(&self) -> Value {
        let g = &self.graph;
        let c = &self.certificate;
        let services: Map<String, Value> = self
            .service_buffers
            .iter()
            .map(|b| {
                (
                    g.services()[b.service].id.clone(),
                    json!({
                        "gamma_star": opt_number_json(b.gamma_star.as_ref()),
                        "binding_operator": b.binding_operator.map(|v| g.operators()[v].id.clone()),
                    }),
                )
            })
            .collect();
        json!({
            "certified": c.certified,
            "gamma_star": opt_number_json(c.gamma_star.as_ref()),
            "binding_operator": c.binding_operator.map(|v| g.operators()[v].id.clone()),
            "uncovered_services": ids(g, &c.uncovered_services, true),
            "max_load": number_json(&c.max_load),
            "services": services,
        })
    }

    fn local_json(&self, local: &LocalAnalysis) -> Value {
        let g = &self.graph;
        let mut out = Map::new();
        out.insert("targets".into(), json!(ids(g, &local.targets, true)));
        out.insert("secure".into(), json!(verdict(&local.attack)));
        out.insert(
            "attack".into(),
            local
                .attack
                .attack
                .as_ref()
                .map_or(Value::Null, |a| attack_json(g, a)),
        );
        out.insert("gamma_slack".into(), slack_value(&local.slack));
        if let Some(c) = &local.cascade {
            out.insert("cascade".into(), cascade_json(g, c));
        }
        out.insert(
            "search".into(),
            json!({
                "attack": status(local.attack.proved),
                "gamma_slack": status(local.slack.proved),
                "nodes": local.attack.nodes + local.slack.nodes,
            }),
        );
        Value::Object(out)
    }

    fn concentration_json(&self) -> Value {
        let g = &self.graph;
        let services: Map<String, Value> = g
            .services()
            .iter()
            .zip(&self.concentration.services)
            .map(|(s, c)| (s.id.clone(), concentration_json(c)))
            .collect();
        let groups: Map<String, Value> = self
            .concentration
            .groups
            .iter()
            .map(|(key, labels)| {
                let inner: Map<String, Value> = labels
                    .iter()
                    .map(|(label, c)| (label.clone(), concentration_json(c)))
                    .collect();
                (key.clone(), Value::Object(inner))
            })
            .collect();
        json!({ "overall": concentration_json(&self.concentration.overall), "services": services, "groups": groups })
    }

    fn search_json(&self) -> Value {
        let lower = self
            .certificate
            .gamma_star
            .as_ref()
            .filter(|_| self.certificate.uncovered_services.is_empty());
        let upper = self.slack.gamma.as_ref();
        json!({
            "attack": status(self.attack.proved),
            "gamma_slack": status(self.slack.proved),
            "nodes": self.attack.nodes + self.slack.nodes,
            "gamma_slack_bounds": {
                "lower": if self.slack.proved { opt_number_json(upper) } else { opt_number_json(lower) },
                "upper": opt_number_json(upper),
            },
        })
    }
}

fn status(proved: bool) -> &'static str {
    if proved { "proved" } else { "unknown" }
}

fn slack_value(slack: &SlackSearch) -> Value {
    if slack.proved {
        opt_number_json(slack.gamma.as_ref())
    } else {
        Value::Null
    }
}

fn ids(g: &Graph, idx: &[usize], services: bool) -> Vec<String> {
    idx.iter()
        .map(|&i| {
            if services {
                g.services()[i].id.clone()
            } else {
                g.operators()[i].id.clone()
            }
        })
        .collect()
}

fn attack_json(g: &Graph, a: &Attack) -> Value {
    let mut out = Map::new();
    out.insert("services".into(), json!(ids(g, &a.services, true)));
    out.insert("operators".into(), json!(ids(g, &a.operators, false)));
    out.insert("profit".into(), number_json(&a.profit));
    out.insert("cost".into(), number_json(&a.cost));
    if g.model() == Model::Elastic {
        let losses: Map<String, Value> = a
            .operators
            .iter()
            .zip(&a.losses)
            .map(|(&v, l)| (g.operators()[v].id.clone(), number_json(l)))
            .collect();
        out.insert("losses".into(), Value::Object(losses));
    }
    Value::Object(out)
}

fn cascade_json(g: &Graph, r: &CascadeReport) -> Value {
    let c = &r.cascade;
    json!({
        "psi": number_json(&c.psi),
        "loss_fraction": opt_number_json(c.loss_fraction.as_ref()),
        "shock": c.shock.as_ref().map(|d| ids(g, d, false)),
        "attack": c.attack.as_ref().map_or(Value::Null, |a| attack_json(g, a)),
        "bound": opt_number_json(r.bound.as_ref()),
        "bound_from": r.bound_from,
        "supremum": c.supremum,
        "search": status(c.proved),
        "nodes": c.nodes,
    })
}

pub(crate) fn concentration_json(c: &Concentration) -> Value {
    json!({
        "hhi": opt_number_json(c.hhi.as_ref()),
        "nakamoto_third": c.nakamoto_third,
        "nakamoto_half": c.nakamoto_half,
        "members": c.members,
        "stake": number_json(&c.total),
    })
}

fn overlap_json(g: &Graph, ov: &[Overlap]) -> Value {
    Value::Array(
        ov.iter()
            .map(|o| {
                json!({
                    "services": [g.services()[o.first].id, g.services()[o.second].id],
                    "shared_operators": o.shared_operators,
                    "shared_stake": number_json(&o.shared_stake),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shock_above_one_is_refused() {
        assert_eq!(
            parse_shock("3/2").err().map(|e| e.code()),
            Some("out_of_range")
        );
        assert_eq!(
            parse_shock("-1").err().map(|e| e.code()),
            Some("bad_number")
        );
        assert!(parse_shock("0").is_ok());
    }
}
