//! Correlated slashing of chosen services and operators, on a copy of the graph.
//!
//! # Arithmetic
//! Events apply in order, each to the stakes left by the previous ones:
//! - service s slashed by f: every operator v of s loses `f·w(v,s)` (its stake behind s: σ_v in
//!   the restaking model, its allocation in the elastic model); the allocation to s shrinks by
//!   the same amount and its other allocations are capped at the stake left (unique stake: a
//!   slash in one service does not reduce another's allocation unless the stake runs out);
//! - operator v slashed by f (e.g. a base-layer slash): v loses `f·σ_v` and every allocation
//!   shrinks by the factor `1 − f`.
//!
//! A vault that delegated amount `a` to operator v bears `a/σ_v` of v's losses (σ_v before the
//! scenario); its rate drop is loss / assets. A holder (staker, LST, LRT) holding a fraction of a
//! vault bears that fraction of the vault's loss.

use serde_json::{Map, Value, json};

use super::{Fields, check_fraction};
use crate::RiskError;
use crate::graph::{Graph, Model};
use crate::num::{Rational, number_json, parse_json_number};
use num_traits::{One, Signed, Zero};

#[derive(Debug, Clone)]
enum Target {
    Service(usize),
    Operator(usize),
}

#[derive(Debug, Clone)]
struct Event {
    target: Target,
    fraction: Rational,
}

#[derive(Debug, Clone)]
struct Vault {
    id: String,
    delegations: Vec<(usize, Rational)>,
}

#[derive(Debug, Clone)]
struct Holder {
    id: String,
    kind: String,
    shares: Vec<(usize, Rational)>,
}

/// The `slashing` section.
#[derive(Debug, Clone)]
pub struct Slashing {
    graph: Graph,
    events: Vec<Event>,
    vaults: Vec<Vault>,
    holders: Vec<Holder>,
}

impl Slashing {
    pub(crate) fn parse(f: &Fields<'_>) -> Result<Self, RiskError> {
        f.only(&["graph", "events", "vaults", "holders"])?;
        let graph = Graph::from_value(
            f.get("graph")
                .ok_or_else(|| RiskError::scenario(f.path("graph"), "missing"))?,
        )?;
        let events = f
            .array("events")?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                parse_event(
                    &graph,
                    &Fields::new(v, &format!("{}[{i}]", f.path("events")))?,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vaults = f
            .opt_array("vaults")?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                parse_vault(
                    &graph,
                    &Fields::new(v, &format!("{}[{i}]", f.path("vaults")))?,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_delegations(&graph, &vaults)?;
        let holders = f
            .opt_array("holders")?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                parse_holder(
                    &vaults,
                    &Fields::new(v, &format!("{}[{i}]", f.path("holders")))?,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            graph,
            events,
            vaults,
            holders,
        })
    }

    pub(crate) fn steps(&self) -> u64 {
        self.events.len() as u64
    }

    pub(crate) fn run(&self, progress: &mut dyn FnMut(u64)) -> Result<Value, RiskError> {
        let g = &self.graph;
        let before: Vec<Rational> = g.operators().iter().map(|o| o.stake.clone()).collect();
        let mut stake = before.clone();
        let mut weight: Vec<Rational> = g.links().iter().map(|l| l.weight.clone()).collect();
        for (k, event) in self.events.iter().enumerate() {
            apply(g, event, &mut stake, &mut weight);
            progress(k as u64 + 1);
        }
        let loss: Vec<Rational> = before.iter().zip(&stake).map(|(b, a)| b - a).collect();
        Ok(self.report(&before, &stake, &loss, &weight))
    }

    fn report(
        &self,
        before: &[Rational],
        after: &[Rational],
        loss: &[Rational],
        weight: &[Rational],
    ) -> Value {
        let g = &self.graph;
        let mut operators = Map::new();
        for (v, op) in g.operators().iter().enumerate() {
            if loss[v].is_positive() {
                operators.insert(
                    op.id.clone(),
                    json!({
                        "stake_before": number_json(&before[v]),
                        "loss": number_json(&loss[v]),
                        "stake_after": number_json(&after[v]),
                        "loss_fraction": number_json(&(&loss[v] / &before[v])),
                    }),
                );
            }
        }
        let mut services = Map::new();
        for (s, svc) in g.services().iter().enumerate() {
            let was: Rational = g.service_links(s).map(|l| &l.weight).sum();
            let now: Rational = g
                .links()
                .iter()
                .zip(weight)
                .filter(|(l, _)| l.service == s)
                .map(|(_, w)| w)
                .sum();
            services.insert(
                svc.id.clone(),
                json!({ "stake_before": number_json(&was), "stake_after": number_json(&now), "loss": number_json(&(&was - &now)) }),
            );
        }
        let vault_losses: Vec<Rational> = self
            .vaults
            .iter()
            .map(|vault| {
                vault
                    .delegations
                    .iter()
                    .map(|(v, a)| a * &loss[*v] / &before[*v])
                    .sum()
            })
            .collect();
        let mut vaults = Map::new();
        for (vault, vl) in self.vaults.iter().zip(&vault_losses) {
            let assets: Rational = vault.delegations.iter().map(|(_, a)| a).sum();
            let drop = if assets.is_zero() {
                Rational::zero()
            } else {
                vl / &assets
            };
            vaults.insert(
                vault.id.clone(),
                json!({
                    "assets_before": number_json(&assets),
                    "loss": number_json(vl),
                    "assets_after": number_json(&(&assets - vl)),
                    "rate_drop": number_json(&drop),
                }),
            );
        }
        let mut holders = Map::new();
        for h in &self.holders {
            let l: Rational = h
                .shares
                .iter()
                .map(|(k, share)| share * &vault_losses[*k])
                .sum();
            holders.insert(
                h.id.clone(),
                json!({ "kind": h.kind, "loss": number_json(&l) }),
            );
        }
        let total: Rational = loss.iter().sum();
        let all: Rational = before.iter().sum();
        let fraction = if all.is_zero() {
            Rational::zero()
        } else {
            &total / &all
        };
        json!({
            "model": g.model().name(),
            "events": self.events.len(),
            "total_loss": number_json(&total),
            "total_loss_fraction": number_json(&fraction),
            "operators": operators,
            "services": services,
            "vaults": vaults,
            "holders": holders,
        })
    }
}

fn apply(g: &Graph, event: &Event, stake: &mut [Rational], weight: &mut [Rational]) {
    match event.target {
        Target::Service(s) => {
            for (i, link) in g.links().iter().enumerate().filter(|(_, l)| l.service == s) {
                let cut = &event.fraction * &weight[i];
                weight[i] -= &cut;
                stake[link.operator] -= cut;
            }
            let hit: Vec<usize> = g.service_links(s).map(|l| l.operator).collect();
            for v in hit {
                cap_links(g, v, stake, weight);
            }
        }
        Target::Operator(v) => {
            let keep = Rational::one() - &event.fraction;
            stake[v] = &stake[v] * &keep;
            for (i, _) in g
                .links()
                .iter()
                .enumerate()
                .filter(|(_, l)| l.operator == v)
            {
                weight[i] = &weight[i] * &keep;
            }
            cap_links(g, v, stake, weight);
        }
    }
}

/// Restaking: every edge carries the whole stake left; elastic: allocations capped by it.
fn cap_links(g: &Graph, v: usize, stake: &[Rational], weight: &mut [Rational]) {
    for (i, _) in g
        .links()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.operator == v)
    {
        weight[i] = match g.model() {
            Model::Restaking => stake[v].clone(),
            Model::Elastic => std::cmp::min(&weight[i], &stake[v]).clone(),
        };
    }
}

fn parse_event(g: &Graph, f: &Fields<'_>) -> Result<Event, RiskError> {
    f.only(&["service", "operator", "fraction"])?;
    let fraction = f.fraction("fraction")?;
    let target =
        match (f.opt_str("service")?, f.opt_str("operator")?) {
            (Some(s), None) => Target::Service(g.service_position(&s).ok_or_else(|| {
                RiskError::UnknownService {
                    id: s,
                    context: f.path("service"),
                }
            })?),
            (None, Some(v)) => Target::Operator(g.operator_position(&v).ok_or_else(|| {
                RiskError::UnknownOperator {
                    id: v,
                    context: f.path("operator"),
                }
            })?),
            _ => {
                return Err(RiskError::scenario(
                    f.path("service"),
                    "give exactly one of service or operator",
                ));
            }
        };
    Ok(Event { target, fraction })
}

fn pairs(f: &Fields<'_>, key: &str) -> Result<Vec<(String, Rational)>, RiskError> {
    f.array(key)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{}[{i}]", f.path(key));
            match item.as_array().map(Vec::as_slice) {
                Some([Value::String(id), amount]) => {
                    Ok((id.clone(), parse_json_number(&path, amount)?))
                }
                _ => Err(RiskError::scenario(path, "expected [id, amount]")),
            }
        })
        .collect()
}

fn parse_vault(g: &Graph, f: &Fields<'_>) -> Result<Vault, RiskError> {
    f.only(&["id", "delegations"])?;
    let delegations = pairs(f, "delegations")?
        .into_iter()
        .map(|(id, amount)| {
            g.operator_position(&id)
                .map(|v| (v, amount))
                .ok_or_else(|| RiskError::UnknownOperator {
                    id,
                    context: f.path("delegations"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Vault {
        id: f.string("id")?,
        delegations,
    })
}

fn check_delegations(g: &Graph, vaults: &[Vault]) -> Result<(), RiskError> {
    let mut delegated = vec![Rational::zero(); g.operators().len()];
    for vault in vaults {
        for (v, a) in &vault.delegations {
            delegated[*v] += a;
        }
    }
    for (v, d) in delegated.iter().enumerate() {
        if d > &g.operators()[v].stake {
            return Err(RiskError::scenario(
                "slashing.vaults",
                format!(
                    "vaults delegate {d} to operator `{}` whose stake is {}",
                    g.operators()[v].id,
                    g.operators()[v].stake
                ),
            ));
        }
    }
    Ok(())
}

fn parse_holder(vaults: &[Vault], f: &Fields<'_>) -> Result<Holder, RiskError> {
    f.only(&["id", "kind", "shares"])?;
    let shares = pairs(f, "shares")?
        .into_iter()
        .map(|(id, share)| {
            check_fraction(&f.path("shares"), &share)?;
            vaults
                .iter()
                .position(|v| v.id == id)
                .map(|k| (k, share))
                .ok_or_else(|| {
                    RiskError::scenario(f.path("shares"), format!("unknown vault `{id}`"))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Holder {
        id: f.string("id")?,
        kind: f.opt_str("kind")?.unwrap_or_else(|| "staker".into()),
        shares,
    })
}
