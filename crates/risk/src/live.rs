//! The live `security` query (RISK.md §1, §5): the restaking graph of the protocol's state, and
//! the same analysis as `rampart risk analyze` on it.
//!
//! # The mapping from state to graph
//!
//! - **Services** are operator sets, one node per set (`"<service>/<set_id>"`), in key order.
//!   π and α are the set's [`SecurityProfile`] (`set_security_profile`, signed by its service).
//!   A set without a profile gets π = 0 (nothing declared to gain: it never enters an attack,
//!   but its stake still counts in concentration) and α = 1/3, and is listed as undeclared.
//! - **Edges** join a set and each operator *registered* in it. The edge carries the operator's
//!   allocation w(v,s): for every strategy of the set, the tokens the set can slash now —
//!   `(delegated + queued) · slashable magnitude / max magnitude`, as in the `operator_set`
//!   query — valued as below. Graphs from state are therefore always in the elastic model
//!   (Bar-Zur & Eyal), which is how unique stake behaves: allocations are separate pieces of an
//!   operator's stake, slashable only by their set.
//! - **Operators** are the operators registered in at least one set, in address order. Their
//!   stake σ_v is the value of everything any set can slash from them now: the sum of their
//!   allocations over every set that can still slash them, including sets they left whose
//!   deallocation delay has not ended (those carry no edge: a departed operator no longer takes
//!   part in the service, but its stake there is still at stake). Unique stake makes
//!   `Σ_s w(v,s) ≤ σ_v`, so leverage is at most 1.
//! - Deregistered operators still slashable and pending allocation increases are therefore not
//!   edges; pending decreases still are (the set can slash them until they take effect).
//!
//! # Valuation
//!
//! σ and w are in **RAM base units**, valued as the protocol values assets (PROTOCOL.md §1):
//! RAM (and native restaking) 1:1, the LST at its exchange rate, an external asset at the
//! governance price table (`params.prices`: the RAM value of one whole unit, as a WAD), one RAM
//! per whole unit when governance set no price — read through `rampart_core::pricing`, the same
//! function every core caller uses. There is no oracle in the core, so the query accepts `prices` — per asset
//! symbol, RAM base units per base unit of the asset, exact (`"1.05"`, `"21/20"`) — which
//! replace the protocol's prices for this analysis only. The output lists each asset's price
//! and where it came from (`native`, `lst_rate`, `governance`, `default`, `query`).
//! With `asset`, only that strategy's stake counts, in that asset's own base units (price 1):
//! the security the asset alone provides, with no price at all.
//!
//! Everything is exact: amounts are integers, prices rationals.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_traits::Zero;
use rampart_core::State;
use rampart_core::ids::{Address, AssetId, SetRef, fmt_address};
use rampart_core::restaking::{self, FaultModel};
use rampart_core::schema::{Memberships, OperatorSets, SetMembers};
use serde_json::{Map, Value, json};

use crate::analyze::{Analysis, AnalyzeOptions, concentration_json};
use crate::concentration::concentration_of;
use crate::graph::{Edge, Graph, GraphLimits, ModelChoice, Operator, Service};
use crate::num::{Rational, fraction_text, number_json, parse_rational};
use crate::{RiskError, analyze};

/// Default wall-time budget of the live query, in milliseconds (shorter than the CLI's: the
/// query answers an HTTP request).
pub const DEFAULT_LIVE_BUDGET_MS: u64 = 2_000;

/// Longest wall-time budget the live query accepts, in milliseconds.
pub const MAX_LIVE_BUDGET_MS: u64 = 60_000;

/// How the live graph values stake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveOptions {
    /// Per asset symbol: RAM base units per base unit, replacing the protocol's price.
    pub prices: BTreeMap<String, Rational>,
    /// Only this strategy's stake, in its own base units.
    pub asset: Option<String>,
}

/// Where an asset's price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    /// RAM or native restaking: 1.
    Native,
    /// The LST's exchange rate.
    LstRate,
    /// The governance price table.
    Governance,
    /// No price set: one whole unit counts as one RAM.
    Default,
    /// Given with the query.
    Query,
    /// The analysis is of this asset alone, in its own units.
    Unit,
}

impl PriceSource {
    fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::LstRate => "lst_rate",
            Self::Governance => "governance",
            Self::Default => "default",
            Self::Query => "query",
            Self::Unit => "unit",
        }
    }
}

/// One asset's valuation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valuation {
    /// The strategy's name.
    pub asset: String,
    /// Value of one base unit, in the analysis unit.
    pub price: Rational,
    /// Where the price came from.
    pub source: PriceSource,
}

/// A set as the graph sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSummary {
    /// `"<service>/<set_id>"`.
    pub set: String,
    /// Whether its service declared a profile.
    pub declared: bool,
    /// The declared fault model.
    pub fault: Option<FaultModel>,
    /// Registered operators.
    pub operators: usize,
}

/// The restaking graph of the live state, with what the analysis needs to explain it.
#[derive(Debug, Clone)]
pub struct LiveGraph {
    /// The graph (service ids: set names; operator ids: addresses).
    pub graph: Graph,
    /// Height of the state.
    pub height: u64,
    /// Time of the state.
    pub time: u64,
    /// The unit of every stake and profit.
    pub unit: String,
    /// Per asset that carries stake: its price.
    pub valuation: Vec<Valuation>,
    /// Per set, in graph order.
    pub sets: Vec<SetSummary>,
    /// Per asset: each operator's slashable stake in it (graph order), valued.
    pub by_asset: Vec<(String, Vec<Rational>)>,
    /// What breaking consensus costs with the active set as the committee (one vote per seat).
    pub consensus: crate::seats::SeatSecurity,
}

/// Builds the graph of `state` (see the module documentation for the mapping).
///
/// # Errors
/// An unknown `asset`, a price for an asset that does not exist, arithmetic the protocol
/// refuses, or [`RiskError::ZeroTotalStake`] when nothing is slashable.
pub fn live_graph(state: &State, opts: &LiveOptions) -> Result<LiveGraph, RiskError> {
    let only = opts
        .asset
        .as_deref()
        .map(|a| restaking::strategy_id(state, a))
        .transpose()
        .map_err(protocol)?;
    if opts.asset.is_some() && !opts.prices.is_empty() {
        return Err(RiskError::InvalidOption {
            option: "prices".into(),
            reason: "cannot be given with `asset`: that analysis is in the asset's own units"
                .into(),
        });
    }
    for symbol in opts.prices.keys() {
        restaking::strategy_id(state, symbol).map_err(protocol)?;
    }
    let now = state.now();
    let mut pricer = Pricer::new(state, opts, only);
    let mut sets = Vec::new();
    let mut services = Vec::new();
    let mut edges = Vec::new();
    let mut operators: BTreeMap<Address, OperatorStake> = BTreeMap::new();
    for (set, os) in state.iter::<OperatorSets>() {
        let profile = restaking::security_profile(state, *set);
        let members: Vec<Address> = state
            .range::<SetMembers, _>((*set, Address::ZERO)..)
            .take_while(|((s, _), _)| s == set)
            .map(|((_, op), ())| *op)
            .collect();
        for op in &members {
            let w = set_allocation(state, &mut pricer, *op, *set, &os.strategies, now)?;
            edges.push(Edge {
                service: set.to_string(),
                operator: fmt_address(op),
                allocation: Some(w),
            });
            operators.entry(*op).or_default();
        }
        let (profit, threshold) = match profile {
            Some(p) => (
                Rational::from_integer(BigInt::from(p.profit.get())),
                Rational::new(BigInt::from(p.threshold.num), BigInt::from(p.threshold.den)),
            ),
            None => (
                Rational::zero(),
                Rational::new(BigInt::from(1u8), BigInt::from(3u8)),
            ),
        };
        services.push(Service {
            id: set.to_string(),
            profit,
            threshold,
        });
        sets.push(SetSummary {
            set: set.to_string(),
            declared: profile.is_some(),
            fault: profile.map(|p| p.fault),
            operators: members.len(),
        });
    }
    // σ_v and the per-asset split: every set that can still slash the operator.
    for (op, stake) in &mut operators {
        for ((_, set), membership) in state
            .range::<Memberships, _>((*op, set_floor())..)
            .take_while(|((o, _), _)| o == op)
        {
            if !membership.slashable_at(now) {
                continue;
            }
            let Ok(os) = restaking::operator_set(state, *set) else {
                continue;
            };
            for strategy in &os.strategies {
                let v = strategy_allocation(state, &mut pricer, *op, *set, *strategy, now)?;
                *stake
                    .per_asset
                    .entry(*strategy)
                    .or_insert_with(Rational::zero) += v;
            }
        }
    }
    let strategies: Vec<AssetId> = {
        let mut all: Vec<AssetId> = operators
            .values()
            .flat_map(|s| s.per_asset.keys().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    let by_asset = strategies
        .iter()
        .map(|id| {
            let weights = operators
                .values()
                .map(|s| s.per_asset.get(id).cloned().unwrap_or_else(Rational::zero))
                .collect();
            (restaking::strategy_name(state, *id), weights)
        })
        .collect();
    let graph_operators = operators
        .iter()
        .map(|(op, s)| Operator {
            id: fmt_address(op),
            stake: s.per_asset.values().sum(),
            groups: BTreeMap::new(),
        })
        .collect();
    let graph = Graph::new(
        services,
        graph_operators,
        edges,
        ModelChoice::Elastic,
        GraphLimits::default(),
    )?;
    let unit = match &opts.asset {
        Some(a) => format!("{a} base units"),
        None => "RAM base units".to_owned(),
    };
    Ok(LiveGraph {
        graph,
        height: state.meta().height.get(),
        time: now.get(),
        unit,
        valuation: pricer.used.into_values().collect(),
        sets,
        by_asset,
        consensus: crate::seats::seat_security(state),
    })
}

#[derive(Debug, Default)]
struct OperatorStake {
    per_asset: BTreeMap<AssetId, Rational>,
}

fn set_floor() -> SetRef {
    SetRef {
        service: Address::ZERO,
        id: 0,
    }
}

/// w(v,s): the valued stake set `set` can slash from `op` now, over the set's strategies.
fn set_allocation(
    state: &State,
    pricer: &mut Pricer<'_>,
    op: Address,
    set: SetRef,
    strategies: &[AssetId],
    now: rampart_core::Timestamp,
) -> Result<Rational, RiskError> {
    let mut w = Rational::zero();
    for strategy in strategies {
        w += strategy_allocation(state, pricer, op, set, *strategy, now)?;
    }
    Ok(w)
}

/// The valued tokens of one strategy that `set` can slash from `op` now (zero for a strategy
/// excluded by `asset`).
fn strategy_allocation(
    state: &State,
    pricer: &mut Pricer<'_>,
    op: Address,
    set: SetRef,
    strategy: AssetId,
    now: rampart_core::Timestamp,
) -> Result<Rational, RiskError> {
    if pricer.only.is_some_and(|only| only != strategy) {
        return Ok(Rational::zero());
    }
    let magnitude = restaking::slashable_magnitude(state, op, set, strategy, now);
    let max = restaking::max_magnitude(state, op, strategy);
    if magnitude.is_zero() || max.is_zero() {
        return Ok(Rational::zero());
    }
    let (delegated, queued, _) =
        rampart_core::query::operator_stake(state, op, strategy).map_err(protocol)?;
    let exposed = delegated
        .checked_add(queued)
        .map_err(|e| protocol(e.into()))?;
    let tokens = rampart_core::num::mul_div_floor(exposed.get(), magnitude.get(), max.get())
        .map_err(|e| protocol(e.into()))?;
    let price = pricer.price(strategy)?;
    Ok(Rational::from_integer(BigInt::from(tokens)) * price)
}

/// Prices strategies once each and remembers which were used.
struct Pricer<'a> {
    state: &'a State,
    opts: &'a LiveOptions,
    only: Option<AssetId>,
    used: BTreeMap<AssetId, Valuation>,
}

impl<'a> Pricer<'a> {
    fn new(state: &'a State, opts: &'a LiveOptions, only: Option<AssetId>) -> Self {
        Self {
            state,
            opts,
            only,
            used: BTreeMap::new(),
        }
    }

    fn price(&mut self, strategy: AssetId) -> Result<Rational, RiskError> {
        if let Some(v) = self.used.get(&strategy) {
            return Ok(v.price.clone());
        }
        let name = restaking::strategy_name(self.state, strategy);
        let (price, source) = self.value_of(strategy, &name)?;
        self.used.insert(
            strategy,
            Valuation {
                asset: name,
                price: price.clone(),
                source,
            },
        );
        Ok(price)
    }

    fn value_of(
        &self,
        strategy: AssetId,
        name: &str,
    ) -> Result<(Rational, PriceSource), RiskError> {
        if self.only.is_some() {
            return Ok((Rational::from_integer(BigInt::from(1u8)), PriceSource::Unit));
        }
        if let Some(p) = self.opts.prices.get(name) {
            return Ok((p.clone(), PriceSource::Query));
        }
        // The protocol's own price, exactly as the core reads it (one pricing module).
        let p = rampart_core::pricing::base_unit_price(self.state, strategy).map_err(protocol)?;
        let source = match p.source {
            rampart_core::pricing::PriceSource::Native => PriceSource::Native,
            rampart_core::pricing::PriceSource::LstRate => PriceSource::LstRate,
            rampart_core::pricing::PriceSource::Governance => PriceSource::Governance,
            rampart_core::pricing::PriceSource::Default => PriceSource::Default,
        };
        Ok((
            Rational::new(BigInt::from(p.num), BigInt::from(p.den.max(1))),
            source,
        ))
    }
}

fn protocol(e: rampart_core::Error) -> RiskError {
    RiskError::Protocol {
        code: e.code(),
        message: e.to_string(),
    }
}

impl LiveGraph {
    /// The graph as a graph file (RISK.md §5): `rampart risk analyze --graph` gives the same
    /// analysis offline.
    #[must_use]
    pub fn graph_json(&self) -> Value {
        let g = &self.graph;
        let services: Vec<Value> = g
            .services()
            .iter()
            .map(|s| json!({"id": s.id, "profit": fraction_text(&s.profit), "threshold": fraction_text(&s.threshold)}))
            .collect();
        let operators: Vec<Value> = g
            .operators()
            .iter()
            .map(|o| json!({"id": o.id, "stake": fraction_text(&o.stake)}))
            .collect();
        let edges: Vec<Value> = g
            .links()
            .iter()
            .map(|l| {
                json!([
                    g.services()[l.service].id,
                    g.operators()[l.operator].id,
                    fraction_text(&l.weight)
                ])
            })
            .collect();
        json!({"model": "elastic", "services": services, "operators": operators, "edges": edges})
    }

    /// The query's answer: where and in which unit, the sets and valuation, the analysis, and
    /// the graph file.
    #[must_use]
    pub fn report(&self, analysis: &Analysis) -> Value {
        let g = &self.graph;
        let sets: Vec<Value> = self
            .sets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let svc = &g.services()[i];
                json!({
                    "set": s.set,
                    "declared": s.declared,
                    "fault": s.fault.map(|f| match f {
                        FaultModel::Liveness => "liveness",
                        FaultModel::Safety => "safety",
                    }),
                    "profit": number_json(&svc.profit),
                    "threshold": fraction_text(&svc.threshold),
                    "stake": number_json(&g.service_stake(i)),
                    "operators": s.operators,
                })
            })
            .collect();
        let operators: Vec<Value> = g
            .operators()
            .iter()
            .enumerate()
            .map(|(v, o)| {
                json!({
                    "operator": o.id,
                    "stake": number_json(&o.stake),
                    "sets": g.operator_links(v).count(),
                })
            })
            .collect();
        let valuation: Vec<Value> = self
            .valuation
            .iter()
            .map(|v| json!({"asset": v.asset, "price": number_json(&v.price), "source": v.source.name()}))
            .collect();
        let by_asset: Map<String, Value> = self
            .by_asset
            .iter()
            .map(|(asset, w)| {
                (
                    asset.clone(),
                    concentration_json(&concentration_of(w.clone())),
                )
            })
            .collect();
        let mut out = Map::new();
        out.insert("height".into(), json!(self.height));
        out.insert("time".into(), json!(self.time));
        out.insert("unit".into(), json!(self.unit));
        out.insert("valuation".into(), Value::Array(valuation));
        out.insert("sets".into(), Value::Array(sets));
        out.insert("operators".into(), Value::Array(operators));
        out.insert(
            "consensus".into(),
            serde_json::to_value(&self.consensus).unwrap_or(Value::Null),
        );
        let mut analysis = analysis.to_json();
        if let Some(c) = analysis
            .get_mut("concentration")
            .and_then(Value::as_object_mut)
        {
            c.insert("assets".into(), Value::Object(by_asset));
        }
        out.insert("analysis".into(), analysis);
        out.insert("graph".into(), self.graph_json());
        Value::Object(out)
    }
}

/// The parsed fields of a `security` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityQuery {
    /// Valuation.
    pub live: LiveOptions,
    /// Analysis options (`budget_ms` defaults to [`DEFAULT_LIVE_BUDGET_MS`]).
    pub analyze: AnalyzeOptions,
}

impl SecurityQuery {
    /// Parses a query object: `{"query": "security", budget_ms?, work_budget?, shock?,
    /// targets?, byzantine?, overlap?, leverage?, prices?, asset?}`. Numbers may be JSON
    /// numbers or strings (URL parameters); lists may be arrays or comma-separated strings;
    /// `prices` an object or `"stETH=1.01,rETH=21/20"`.
    ///
    /// # Errors
    /// [`RiskError::InvalidOption`] for an unknown field or a malformed value.
    pub fn from_json(body: &Value) -> Result<Self, RiskError> {
        let obj = body.as_object().ok_or_else(|| RiskError::InvalidOption {
            option: "query".into(),
            reason: "must be a JSON object".into(),
        })?;
        let mut q = Self {
            live: LiveOptions::default(),
            analyze: AnalyzeOptions {
                budget_ms: DEFAULT_LIVE_BUDGET_MS,
                ..AnalyzeOptions::default()
            },
        };
        for (key, value) in obj {
            match key.as_str() {
                "query" => {}
                "budget_ms" => {
                    q.analyze.budget_ms = uint(key, value)?.min(MAX_LIVE_BUDGET_MS);
                }
                "work_budget" => q.analyze.work_budget = Some(uint(key, value)?),
                "shock" => q.analyze.shock = Some(text(key, value)?),
                "targets" => q.analyze.targets = list(key, value)?,
                "byzantine" => q.analyze.byzantine = list(key, value)?,
                "overlap" => q.analyze.overlap = flag(key, value)?,
                "leverage" => q.analyze.leverage = flag(key, value)?,
                "asset" => q.live.asset = Some(text(key, value)?),
                "prices" => q.live.prices = prices(value)?,
                other => {
                    return Err(RiskError::InvalidOption {
                        option: other.to_owned(),
                        reason: "unknown field of `security` (budget_ms, work_budget, shock, targets, byzantine, overlap, leverage, prices, asset)".into(),
                    });
                }
            }
        }
        Ok(q)
    }
}

fn invalid(option: &str, reason: &str) -> RiskError {
    RiskError::InvalidOption {
        option: option.to_owned(),
        reason: reason.to_owned(),
    }
}

fn uint(key: &str, v: &Value) -> Result<u64, RiskError> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(key, "must be a non-negative integer"))
}

fn text(key: &str, v: &Value) -> Result<String, RiskError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(invalid(key, "must be a string")),
    }
}

fn flag(key: &str, v: &Value) -> Result<bool, RiskError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(invalid(key, "must be true or false")),
    }
}

fn list(key: &str, v: &Value) -> Result<Vec<String>, RiskError> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(key, "must be a list of strings"))
            })
            .collect(),
        Value::String(s) => Ok(s
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()),
        _ => Err(invalid(key, "must be a list of strings")),
    }
}

fn prices(v: &Value) -> Result<BTreeMap<String, Rational>, RiskError> {
    let pairs: Vec<(String, String)> = match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, p)| text("prices", p).map(|p| (k.clone(), p)))
            .collect::<Result<_, _>>()?,
        Value::String(s) => s
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, p)| (k.to_owned(), p.to_owned()))
                    .ok_or_else(|| invalid("prices", "write SYMBOL=PRICE,… or a JSON object"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(invalid("prices", "must be an object of symbol → price")),
    };
    pairs
        .into_iter()
        .map(|(k, p)| Ok((k.clone(), parse_rational(&format!("prices.{k}"), &p)?)))
        .collect()
}

/// The whole `security` query on `state`: builds the graph and analyses it. The node builds
/// the graph under its state lock and analyses it after releasing the lock
/// ([`live_graph`], then [`analyze`] and [`LiveGraph::report`]).
///
/// # Errors
/// Any error of [`live_graph`] or of the analysis options.
pub fn security(state: &State, query: &SecurityQuery) -> Result<Value, RiskError> {
    let live = live_graph(state, &query.live)?;
    let analysis = analyze(&live.graph, &query.analyze)?;
    Ok(live.report(&analysis))
}
