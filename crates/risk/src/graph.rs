//! The restaking graph (RISK.md §1) and its offline JSON file (RISK.md §5).
//!
//! A bipartite graph between services (profit from corruption π_s, corruption threshold α_s)
//! and operators (slashable stake σ_v). An edge says the operator's stake secures the service.
//!
//! # Models
//! - [`Model::Restaking`] (Durvasula & Roughgarden): an edge puts the operator's *whole* stake
//!   behind the service, and an operator joins an attack atomically, losing all of σ_v.
//! - [`Model::Elastic`] (Bar-Zur & Eyal): every edge carries an allocation w(v,s) ≤ σ_v (the
//!   allocations of one operator may sum to more or less than σ_v); an attacker may commit any
//!   0 ≤ x(v,s) ≤ w(v,s) and operator v loses `min(σ_v, Σ_s x(v,s))`.
//!
//! A graph is elastic when its file says `"model": "elastic"` or when any edge carries an
//! allocation (`"auto"`, the default). In the elastic model an edge without an allocation
//! allocates the whole stake (w = σ_v). Atomic and fractional participation are never mixed in
//! one graph, because an operator with both kinds of edges would have no single attack cost.
//!
//! # Invariants
//! - ids are non-empty and unique per kind; every edge names known ids, at most once;
//! - numbers are exact and non-negative; α_s ∈ (0, 1]; allocations ≤ stake;
//! - [`Graph::new`] refuses a graph whose total stake is zero.
//! - Index order is the input order; every output that lists ids follows it.

use std::collections::{BTreeMap, BTreeSet};

use num_traits::{One, Zero};
use serde_json::Value;

use crate::RiskError;
use crate::num::{Rational, parse_json_number};

/// Size limits applied when a graph is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphLimits {
    /// Most services.
    pub max_services: usize,
    /// Most operators.
    pub max_operators: usize,
    /// Most edges.
    pub max_edges: usize,
}

impl Default for GraphLimits {
    fn default() -> Self {
        Self {
            max_services: 100_000,
            max_operators: 1_000_000,
            max_edges: 10_000_000,
        }
    }
}

/// How operators take part in attacks; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Model {
    /// Durvasula & Roughgarden: whole stake per edge, atomic participation.
    Restaking,
    /// Bar-Zur & Eyal: per-edge allocations, fractional participation.
    Elastic,
}

impl Model {
    /// Name used in files and output.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Restaking => "restaking",
            Self::Elastic => "elastic",
        }
    }
}

/// Which model a graph asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelChoice {
    /// Elastic if any edge carries an allocation, restaking otherwise.
    #[default]
    Auto,
    /// Restaking; allocations are refused.
    Restaking,
    /// Elastic even without allocations.
    Elastic,
}

/// A service (an operator set in EigenLayer terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Unique id.
    pub id: String,
    /// Profit from corruption π_s ≥ 0.
    pub profit: Rational,
    /// Corruption threshold α_s ∈ (0, 1]: the share of the stake securing s that corrupts it.
    pub threshold: Rational,
}

/// An operator (a validator in the papers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Unique id.
    pub id: String,
    /// Slashable stake σ_v ≥ 0.
    pub stake: Rational,
    /// Grouping keys (e.g. `asset`, `vault`) for concentration per group.
    pub groups: BTreeMap<String, String>,
}

/// An edge as given by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Service id.
    pub service: String,
    /// Operator id.
    pub operator: String,
    /// Allocation w(v,s); `None` means the whole stake.
    pub allocation: Option<Rational>,
}

/// A resolved edge: indices plus the stake it puts behind the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Service index.
    pub service: usize,
    /// Operator index.
    pub operator: usize,
    /// Stake behind the service: σ_v (restaking) or w(v,s) (elastic).
    pub weight: Rational,
}

/// A validated restaking graph. Build it with [`Graph::new`] or [`Graph::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    services: Vec<Service>,
    operators: Vec<Operator>,
    model: Model,
    links: Vec<Link>,
    /// Per service: indices into `links`, in input order.
    by_service: Vec<Vec<usize>>,
    /// Per operator: indices into `links`, in input order.
    by_operator: Vec<Vec<usize>>,
    service_index: BTreeMap<String, usize>,
    operator_index: BTreeMap<String, usize>,
}

impl Graph {
    /// Validates and builds a graph.
    ///
    /// # Errors
    /// Empty or duplicate ids, unknown ids in edges, duplicate edges, α outside (0, 1],
    /// allocations above the stake, a size limit, or a zero total stake.
    pub fn new(
        services: Vec<Service>,
        operators: Vec<Operator>,
        edges: Vec<Edge>,
        choice: ModelChoice,
        limits: GraphLimits,
    ) -> Result<Self, RiskError> {
        let graph = Self::build(services, operators, edges, choice, limits)?;
        if graph.total_stake().is_zero() {
            return Err(RiskError::ZeroTotalStake);
        }
        Ok(graph)
    }

    fn build(
        services: Vec<Service>,
        operators: Vec<Operator>,
        edges: Vec<Edge>,
        choice: ModelChoice,
        limits: GraphLimits,
    ) -> Result<Self, RiskError> {
        check_limit("services", services.len(), limits.max_services)?;
        check_limit("operators", operators.len(), limits.max_operators)?;
        check_limit("edges", edges.len(), limits.max_edges)?;
        let service_index = index_services(&services)?;
        let operator_index = index_operators(&operators)?;
        let has_allocations = edges.iter().any(|e| e.allocation.is_some());
        let model = match choice {
            ModelChoice::Auto if has_allocations => Model::Elastic,
            ModelChoice::Auto | ModelChoice::Restaking => Model::Restaking,
            ModelChoice::Elastic => Model::Elastic,
        };
        if choice == ModelChoice::Restaking && has_allocations {
            return Err(RiskError::ModelConflict);
        }
        let mut seen = BTreeSet::new();
        let mut links = Vec::with_capacity(edges.len());
        for edge in edges {
            let s =
                lookup(&service_index, &edge.service).ok_or_else(|| RiskError::UnknownService {
                    id: edge.service.clone(),
                    context: "edges".into(),
                })?;
            let v = lookup(&operator_index, &edge.operator).ok_or_else(|| {
                RiskError::UnknownOperator {
                    id: edge.operator.clone(),
                    context: "edges".into(),
                }
            })?;
            if !seen.insert((s, v)) {
                return Err(RiskError::DuplicateEdge {
                    service: edge.service,
                    operator: edge.operator,
                });
            }
            let stake = &operators[v].stake;
            let weight = match edge.allocation {
                Some(a) if &a > stake => {
                    return Err(RiskError::AllocationExceedsStake {
                        service: edge.service,
                        operator: edge.operator,
                        allocation: a.to_string(),
                        stake: stake.to_string(),
                    });
                }
                Some(a) => a,
                None => stake.clone(),
            };
            links.push(Link {
                service: s,
                operator: v,
                weight,
            });
        }
        Ok(Self::assemble(
            services,
            operators,
            model,
            links,
            service_index,
            operator_index,
        ))
    }

    fn assemble(
        services: Vec<Service>,
        operators: Vec<Operator>,
        model: Model,
        links: Vec<Link>,
        service_index: BTreeMap<String, usize>,
        operator_index: BTreeMap<String, usize>,
    ) -> Self {
        let mut by_service = vec![Vec::new(); services.len()];
        let mut by_operator = vec![Vec::new(); operators.len()];
        for (i, link) in links.iter().enumerate() {
            by_service[link.service].push(i);
            by_operator[link.operator].push(i);
        }
        Self {
            services,
            operators,
            model,
            links,
            by_service,
            by_operator,
            service_index,
            operator_index,
        }
    }

    /// Reads the offline graph file of RISK.md §5.
    ///
    /// ```json
    /// { "model": "auto",
    ///   "services":  [ { "id": "s1", "profit": "30", "threshold": "1/2" } ],
    ///   "operators": [ { "id": "v1", "stake": "40", "groups": { "vault": "a" } } ],
    ///   "edges":     [ ["s1", "v1"], ["s1", "v2", "25"] ] }
    /// ```
    ///
    /// # Errors
    /// [`RiskError::Json`] for a malformed document, then the errors of [`Graph::new`].
    pub fn from_json(text: &str) -> Result<Self, RiskError> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| RiskError::json("document", e.to_string()))?;
        Self::from_value(&doc)
    }

    /// [`Graph::from_json`] over an already parsed document.
    ///
    /// # Errors
    /// As [`Graph::from_json`].
    pub fn from_value(doc: &Value) -> Result<Self, RiskError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| RiskError::json("document", "expected an object"))?;
        let choice = match obj.get("model") {
            None => ModelChoice::Auto,
            Some(Value::String(m)) if m == "auto" => ModelChoice::Auto,
            Some(Value::String(m)) if m == "restaking" => ModelChoice::Restaking,
            Some(Value::String(m)) if m == "elastic" => ModelChoice::Elastic,
            Some(other) => {
                return Err(RiskError::json(
                    "model",
                    format!("expected auto|restaking|elastic, got {other}"),
                ));
            }
        };
        let services = array(obj.get("services"), "services")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_service(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let operators = array(obj.get("operators"), "operators")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_operator(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let edges = array(obj.get("edges"), "edges")?
            .iter()
            .enumerate()
            .map(|(i, v)| parse_edge(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(services, operators, edges, choice, GraphLimits::default())
    }

    /// The model the graph is analysed in.
    #[must_use]
    pub fn model(&self) -> Model {
        self.model
    }

    /// Services in input order.
    #[must_use]
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Operators in input order.
    #[must_use]
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// All resolved edges in input order.
    #[must_use]
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Edges of service `s`, in input order.
    pub fn service_links(&self, s: usize) -> impl Iterator<Item = &Link> {
        self.by_service[s].iter().map(|&i| &self.links[i])
    }

    /// Edges of operator `v`, in input order.
    pub fn operator_links(&self, v: usize) -> impl Iterator<Item = &Link> {
        self.by_operator[v].iter().map(|&i| &self.links[i])
    }

    /// Index of a service id.
    #[must_use]
    pub fn service_position(&self, id: &str) -> Option<usize> {
        lookup(&self.service_index, id)
    }

    /// Index of an operator id.
    #[must_use]
    pub fn operator_position(&self, id: &str) -> Option<usize> {
        lookup(&self.operator_index, id)
    }

    /// σ_V, the total stake.
    #[must_use]
    pub fn total_stake(&self) -> Rational {
        self.operators.iter().map(|o| &o.stake).sum()
    }

    /// Stake securing service `s`: σ_{N(s)} (restaking) or W_s = Σ_v w(v,s) (elastic).
    #[must_use]
    pub fn service_stake(&self, s: usize) -> Rational {
        self.service_links(s).map(|l| &l.weight).sum()
    }

    /// Resolves service ids to indices (sorted, deduplicated).
    ///
    /// # Errors
    /// [`RiskError::UnknownService`].
    pub fn resolve_services(&self, ids: &[String], context: &str) -> Result<Vec<usize>, RiskError> {
        let set = ids
            .iter()
            .map(|id| {
                self.service_position(id)
                    .ok_or_else(|| RiskError::UnknownService {
                        id: id.clone(),
                        context: context.to_owned(),
                    })
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(set.into_iter().collect())
    }

    /// The graph after the given services turn Byzantine (Bar-Zur & Eyal): each slashes every
    /// allocation to it, so operator v keeps `σ'_v = max(0, σ_v − Σ_{s∈Bz} w(v,s))`, every other
    /// allocation stretches to `min(w(v,s), σ'_v)`, and the Byzantine services leave the graph.
    /// In the restaking model w(v,s) = σ_v, so every operator of a Byzantine service drops to 0.
    ///
    /// The result may have zero total stake (everything slashed); the analyses accept that.
    #[must_use]
    pub fn with_byzantine(&self, byzantine: &[usize]) -> Self {
        let bz: BTreeSet<usize> = byzantine.iter().copied().collect();
        let mut operators = self.operators.clone();
        for (v, op) in operators.iter_mut().enumerate() {
            let slashed: Rational = self
                .operator_links(v)
                .filter(|l| bz.contains(&l.service))
                .map(|l| &l.weight)
                .sum();
            let left = &op.stake - slashed;
            op.stake = if left > Rational::zero() {
                left
            } else {
                Rational::zero()
            };
        }
        let mut keep = Vec::new();
        let mut new_index = vec![usize::MAX; self.services.len()];
        for (s, service) in self.services.iter().enumerate() {
            if !bz.contains(&s) {
                new_index[s] = keep.len();
                keep.push(service.clone());
            }
        }
        let links = self
            .links
            .iter()
            .filter(|l| !bz.contains(&l.service))
            .map(|l| {
                let stake = &operators[l.operator].stake;
                let weight = match self.model {
                    Model::Restaking => stake.clone(),
                    Model::Elastic => std::cmp::min(&l.weight, stake).clone(),
                };
                Link {
                    service: new_index[l.service],
                    operator: l.operator,
                    weight,
                }
            })
            .collect();
        let service_index = keep
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Self::assemble(
            keep,
            operators,
            self.model,
            links,
            service_index,
            self.operator_index.clone(),
        )
    }
}

impl Graph {
    /// G↓D: the graph after the operators `removed` are slashed out. They stay in the list (so
    /// indices do not move) with zero stake and no edges; thresholds are then computed over the
    /// remaining stake.
    #[must_use]
    pub fn without_operators(&self, removed: &[usize]) -> Self {
        let gone: BTreeSet<usize> = removed.iter().copied().collect();
        let mut operators = self.operators.clone();
        for &v in &gone {
            if let Some(op) = operators.get_mut(v) {
                op.stake = Rational::zero();
            }
        }
        let links = self
            .links
            .iter()
            .filter(|l| !gone.contains(&l.operator))
            .cloned()
            .collect();
        Self::assemble(
            self.services.clone(),
            operators,
            self.model,
            links,
            self.service_index.clone(),
            self.operator_index.clone(),
        )
    }
}

fn check_limit(what: &'static str, count: usize, limit: usize) -> Result<(), RiskError> {
    if count > limit {
        return Err(RiskError::LimitExceeded { what, count, limit });
    }
    Ok(())
}

fn lookup(index: &BTreeMap<String, usize>, id: &str) -> Option<usize> {
    index.get(id).copied()
}

/// Each id's position in its list; ids must be non-empty and unique.
fn index_ids<'a>(
    kind: &'static str,
    ids: impl Iterator<Item = &'a String>,
    duplicate: fn(String) -> RiskError,
) -> Result<BTreeMap<String, usize>, RiskError> {
    let mut index = BTreeMap::new();
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            return Err(RiskError::EmptyId { kind });
        }
        if index.insert(id.clone(), i).is_some() {
            return Err(duplicate(id.clone()));
        }
    }
    Ok(index)
}

fn index_services(services: &[Service]) -> Result<BTreeMap<String, usize>, RiskError> {
    let index = index_ids("service", services.iter().map(|s| &s.id), |id| {
        RiskError::DuplicateService { id }
    })?;
    for s in services {
        check_non_negative(&format!("services[{}].profit", s.id), &s.profit)?;
        if s.threshold <= Rational::zero() || s.threshold > Rational::one() {
            return Err(RiskError::OutOfRange {
                field: format!("services[{}].threshold", s.id),
                value: s.threshold.to_string(),
                range: "(0, 1]",
            });
        }
    }
    Ok(index)
}

fn index_operators(operators: &[Operator]) -> Result<BTreeMap<String, usize>, RiskError> {
    let index = index_ids("operator", operators.iter().map(|o| &o.id), |id| {
        RiskError::DuplicateOperator { id }
    })?;
    for o in operators {
        check_non_negative(&format!("operators[{}].stake", o.id), &o.stake)?;
    }
    Ok(index)
}

fn check_non_negative(field: &str, q: &Rational) -> Result<(), RiskError> {
    if q < &Rational::zero() {
        return Err(RiskError::OutOfRange {
            field: field.to_owned(),
            value: q.to_string(),
            range: "[0, ∞)",
        });
    }
    Ok(())
}

fn array<'a>(value: Option<&'a Value>, field: &str) -> Result<&'a Vec<Value>, RiskError> {
    match value {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(RiskError::json(field, "expected an array")),
        None => Err(RiskError::json(field, "missing")),
    }
}

fn string_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<String, RiskError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(RiskError::json(
            format!("{path}.{key}"),
            "expected a string",
        )),
        None => Err(RiskError::json(format!("{path}.{key}"), "missing")),
    }
}

fn number_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Rational, RiskError> {
    let value = obj
        .get(key)
        .ok_or_else(|| RiskError::json(format!("{path}.{key}"), "missing"))?;
    parse_json_number(&format!("{path}.{key}"), value)
}

fn parse_service(i: usize, value: &Value) -> Result<Service, RiskError> {
    let path = format!("services[{i}]");
    let obj = value
        .as_object()
        .ok_or_else(|| RiskError::json(&path, "expected an object"))?;
    Ok(Service {
        id: string_field(obj, "id", &path)?,
        profit: number_field(obj, "profit", &path)?,
        threshold: number_field(obj, "threshold", &path)?,
    })
}

fn parse_operator(i: usize, value: &Value) -> Result<Operator, RiskError> {
    let path = format!("operators[{i}]");
    let obj = value
        .as_object()
        .ok_or_else(|| RiskError::json(&path, "expected an object"))?;
    let mut groups = BTreeMap::new();
    match obj.get("groups") {
        None => {}
        Some(Value::Object(map)) => {
            for (key, label) in map {
                let label = label.as_str().ok_or_else(|| {
                    RiskError::json(format!("{path}.groups.{key}"), "expected a string")
                })?;
                groups.insert(key.clone(), label.to_owned());
            }
        }
        Some(_) => {
            return Err(RiskError::json(
                format!("{path}.groups"),
                "expected an object",
            ));
        }
    }
    Ok(Operator {
        id: string_field(obj, "id", &path)?,
        stake: number_field(obj, "stake", &path)?,
        groups,
    })
}

fn parse_edge(index: usize, value: &Value) -> Result<Edge, RiskError> {
    let bad = |reason: &str| RiskError::BadEdge {
        index,
        reason: reason.to_owned(),
    };
    let items = value
        .as_array()
        .ok_or_else(|| bad("expected [service, operator] or [service, operator, allocation]"))?;
    if items.len() != 2 && items.len() != 3 {
        return Err(bad("expected 2 or 3 items"));
    }
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| bad("ids must be strings"))
    };
    let allocation = match items.get(2) {
        Some(v) => Some(parse_json_number(&format!("edges[{index}].allocation"), v)?),
        None => None,
    };
    Ok(Edge {
        service: text(&items[0])?,
        operator: text(&items[1])?,
        allocation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<&'static str> {
        Graph::from_json(text).err().map(|e| e.code())
    }

    #[test]
    fn parses_the_spec_example_in_the_restaking_model() {
        let g = Graph::from_json(
            r#"{"services":[{"id":"s1","profit":"30","threshold":"1/2"}],
                "operators":[{"id":"v1","stake":"40"}],"edges":[["s1","v1"]]}"#,
        );
        let g = g.ok();
        assert_eq!(g.as_ref().map(Graph::model), Some(Model::Restaking));
        assert_eq!(g.map(|g| g.service_stake(0)), Some(crate::num::int(40)));
    }

    #[test]
    fn an_allocation_switches_the_graph_to_the_elastic_model() {
        let g = Graph::from_json(
            r#"{"services":[{"id":"s1","profit":"30","threshold":"1/2"},{"id":"s2","profit":"1","threshold":"1"}],
                "operators":[{"id":"v1","stake":"40"}],"edges":[["s1","v1","25"],["s2","v1"]]}"#,
        )
        .ok();
        assert_eq!(g.as_ref().map(Graph::model), Some(Model::Elastic));
        assert_eq!(
            g.as_ref().map(|g| g.service_stake(0)),
            Some(crate::num::int(25))
        );
        assert_eq!(g.map(|g| g.service_stake(1)), Some(crate::num::int(40)));
    }

    #[test]
    fn bad_graphs_are_refused_with_stable_codes() {
        let svc = r#"{"id":"s1","profit":"1","threshold":"1/2"}"#;
        let op = r#"{"id":"v1","stake":"1"}"#;
        let doc = |s: &str, o: &str, e: &str| {
            format!(r#"{{"services":[{s}],"operators":[{o}],"edges":[{e}]}}"#)
        };
        assert_eq!(code("{"), Some("bad_json"));
        assert_eq!(
            code(&doc(&format!("{svc},{svc}"), op, "")),
            Some("duplicate_service")
        );
        assert_eq!(
            code(&doc(svc, &format!("{op},{op}"), "")),
            Some("duplicate_operator")
        );
        assert_eq!(
            code(&doc(svc, op, r#"["s9","v1"]"#)),
            Some("unknown_service")
        );
        assert_eq!(
            code(&doc(svc, op, r#"["s1","v9"]"#)),
            Some("unknown_operator")
        );
        assert_eq!(
            code(&doc(svc, op, r#"["s1","v1"],["s1","v1"]"#)),
            Some("duplicate_edge")
        );
        assert_eq!(code(&doc(svc, op, r#"["s1"]"#)), Some("bad_edge"));
        assert_eq!(
            code(&doc(svc, op, r#"["s1","v1","2"]"#)),
            Some("allocation_exceeds_stake")
        );
        assert_eq!(
            code(&doc(svc, r#"{"id":"v1","stake":"0"}"#, "")),
            Some("zero_total_stake")
        );
        assert_eq!(
            code(&doc(svc, r#"{"id":"v1","stake":"-1"}"#, "")),
            Some("bad_number")
        );
        assert_eq!(
            code(&doc(svc, r#"{"id":"v1","stake":"x"}"#, "")),
            Some("bad_number")
        );
        assert_eq!(
            code(&doc(r#"{"id":"s1","profit":"1","threshold":"0"}"#, op, "")),
            Some("out_of_range")
        );
        assert_eq!(
            code(&doc(
                r#"{"id":"s1","profit":"1","threshold":"3/2"}"#,
                op,
                ""
            )),
            Some("out_of_range")
        );
        assert_eq!(
            code(&doc(r#"{"id":"","profit":"1","threshold":"1"}"#, op, "")),
            Some("empty_id")
        );
        let conflict = r#"{"model":"restaking","services":[{"id":"s1","profit":"1","threshold":"1"}],
            "operators":[{"id":"v1","stake":"1"}],"edges":[["s1","v1","1"]]}"#;
        assert_eq!(code(conflict), Some("model_conflict"));
    }

    #[test]
    fn byzantine_services_slash_allocations_and_stretch_the_rest() {
        let g = Graph::from_json(
            r#"{"services":[{"id":"a","profit":"1","threshold":"1/3"},{"id":"b","profit":"1","threshold":"1/3"}],
                "operators":[{"id":"v","stake":"9"}],"edges":[["a","v","6"],["b","v","6"]]}"#,
        )
        .ok();
        let after = g.map(|g| g.with_byzantine(&[0]));
        assert_eq!(after.as_ref().map(|g| g.services().len()), Some(1));
        assert_eq!(
            after.as_ref().map(|g| g.operators()[0].stake.clone()),
            Some(crate::num::int(3))
        );
        assert_eq!(after.map(|g| g.service_stake(0)), Some(crate::num::int(3)));
    }
}
