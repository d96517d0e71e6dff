//! The node's history: at every epoch boundary one compact snapshot of the figures people chart,
//! stored in the node's redb (`history` table, bounded: [`crate::config::HistoryLimits`]) and
//! served as time series (`GET /v1/history/{group}`).
//!
//! History is the node's record, not protocol state: nothing in the core reads it, it is not in
//! the state root, and a node that starts from a copied state has none before its start.
//!
//! | group | series | unit |
//! |---|---|---|
//! | `tvl` | `tvl/strategy/<strategy>` tokens in each restaking strategy; `tvl/vault/<LRT>` each vault's value | the asset |
//! | `stake` | `stake/bonded` base-layer stake bonded; `stake/validator/<address>`; `stake/operator/<address>/<strategy>` delegated to the operator | RAM, the strategy's asset |
//! | `rates` | `rates/lst/<LST>` RAM per LST; `rates/vault/<LRT>` asset per LRT | WAD |
//! | `rewards` | `rewards/program/<id>` streamed so far | the program's asset |
//! | `security` | `security/set/<service>/<id>/cost` the cost of corruption α · Σ slashable stake; `…/profit` the declared profit π | RAM (the protocol's valuation, `rampart_risk::live`) |
//! | `accounts` | `accounts/<address>/value` what the account holds in positions (base delegations, the LST, restaking, vaults); `…/earned` their net earnings, each holding since it opened (slashes count as losses) | RAM (the `yield` query's valuation) |
//!
//! The `accounts` group covers the accounts the node names (`labels` in its configuration, at
//! most [`MAX_TRACKED_ACCOUNTS`], by address), so what a snapshot costs is set by the node's
//! operator, never by how many accounts anyone opens.

use crate::config::HistoryLimits;
use alloy_primitives::Address;
use rampart_api::history::{
    GROUPS, HistoryBound, HistoryIndex, HistoryPoint, HistorySeries, HistorySnapshot, HistoryUnit,
    HistoryView, MAX_POINTS,
};
use rampart_api::{ApiError, codes};
use rampart_core::schema::{RewardPrograms, Strategies, Validators, Vaults};
use rampart_core::{Query, State, bank};
use serde_json::Value;
use std::collections::BTreeMap;

/// Most accounts whose positions the node charts.
pub const MAX_TRACKED_ACCOUNTS: usize = 256;

/// Decimal places of WAD rates.
const WAD_DECIMALS: u8 = 18;

/// Runs a core query as JSON (the views' field names are API).
fn view(state: &State, query: Value) -> Option<Value> {
    let query: Query = serde_json::from_value(query).ok()?;
    query.run(state).ok()
}

fn text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Collects one snapshot's values and units.
#[derive(Default)]
struct Collect {
    values: BTreeMap<String, String>,
    units: BTreeMap<String, HistoryUnit>,
}

impl Collect {
    fn put(&mut self, key: String, value: Option<String>, unit: &str, decimals: u8) {
        let Some(value) = value else { return };
        self.units.insert(
            key.clone(),
            HistoryUnit {
                unit: unit.to_owned(),
                decimals,
            },
        );
        self.values.insert(key, value);
    }
}

fn decimals_of(state: &State, symbol: &str) -> u8 {
    bank::asset_id(state, symbol)
        .ok()
        .and_then(|id| bank::asset(state, id).ok().map(|a| a.decimals))
        .unwrap_or(18)
}

/// The snapshot of `state` at the start of `epoch` (block `height` at `time`), with the
/// positions of `accounts` (the first [`MAX_TRACKED_ACCOUNTS`]).
pub fn snapshot(
    state: &State,
    epoch: u64,
    time: u64,
    height: u64,
    accounts: &[Address],
) -> HistorySnapshot {
    let mut c = Collect::default();
    let native = bank::symbol(state, rampart_core::ids::AssetId::NATIVE);
    let native_decimals = decimals_of(state, &native);
    // Strategy name → its asset's symbol and decimals.
    let mut units: BTreeMap<String, (String, u8)> = BTreeMap::new();
    for (id, _) in state.iter::<Strategies>() {
        let name = rampart_core::restaking::strategy_name(state, *id);
        let symbol = bank::symbol(state, *id);
        let decimals = decimals_of(state, &symbol);
        units.insert(name.clone(), (symbol.clone(), decimals));
        let v = view(
            state,
            serde_json::json!({"query": "strategy", "strategy": name}),
        );
        c.put(
            format!("tvl/strategy/{name}"),
            v.as_ref().and_then(|v| text(v, "tokens")),
            &symbol,
            decimals,
        );
    }
    for (_, cfg) in state.iter::<Vaults>() {
        let lrt = bank::symbol(state, cfg.lrt);
        let asset = bank::symbol(state, cfg.asset);
        let decimals = decimals_of(state, &asset);
        let Some(v) = view(state, serde_json::json!({"query": "vault", "vault": lrt})) else {
            continue;
        };
        c.put(
            format!("tvl/vault/{lrt}"),
            text(&v, "total_value"),
            &asset,
            decimals,
        );
        c.put(
            format!("rates/vault/{lrt}"),
            text(&v, "rate_wad"),
            &format!("{asset} per {lrt}"),
            WAD_DECIMALS,
        );
    }
    let mut bonded: u128 = 0;
    for (address, _) in state.iter::<Validators>() {
        let address = *address;
        let v = view(
            state,
            serde_json::json!({"query": "validator", "validator": address}),
        );
        let stake = v.as_ref().and_then(|v| text(v, "bonded"));
        bonded = bonded.saturating_add(stake.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0));
        c.put(
            format!("stake/validator/{address:#x}"),
            stake,
            &native,
            native_decimals,
        );
    }
    c.put(
        "stake/bonded".into(),
        Some(bonded.to_string()),
        &native,
        native_decimals,
    );
    for (address, _) in state.iter::<rampart_core::schema::Operators>() {
        let address = *address;
        let Some(v) = view(
            state,
            serde_json::json!({"query": "operator", "operator": address}),
        ) else {
            continue;
        };
        for s in v
            .get("strategies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(strategy) = s.get("strategy").and_then(Value::as_str) else {
                continue;
            };
            let (unit, decimals) = units
                .get(strategy)
                .cloned()
                .unwrap_or_else(|| (strategy.to_owned(), 18));
            c.put(
                format!("stake/operator/{address:#x}/{strategy}"),
                text(s, "delegated"),
                &unit,
                decimals,
            );
        }
    }
    if let Some(v) = view(state, serde_json::json!({"query": "lst"})) {
        let symbol = v
            .get("symbol")
            .and_then(Value::as_str)
            .unwrap_or("LST")
            .to_owned();
        c.put(
            format!("rates/lst/{symbol}"),
            text(&v, "rate_wad"),
            &format!("{native} per {symbol}"),
            WAD_DECIMALS,
        );
    }
    for (id, _) in state.iter::<RewardPrograms>() {
        let Some(v) = view(
            state,
            serde_json::json!({"query": "reward_program", "id": id}),
        ) else {
            continue;
        };
        let symbol = v
            .get("asset_symbol")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let decimals = decimals_of(state, &symbol);
        c.put(
            format!("rewards/program/{id}"),
            text(&v, "streamed"),
            &symbol,
            decimals,
        );
    }
    security(state, &mut c, &native, native_decimals);
    for account in accounts.iter().take(MAX_TRACKED_ACCOUNTS) {
        positions(state, &mut c, *account, &native, native_decimals);
    }
    HistorySnapshot {
        epoch,
        time,
        height,
        values: c.values,
        units: c.units,
    }
}

/// What `account` holds in positions and their net earnings (nothing for an account that
/// holds none).
fn positions(state: &State, c: &mut Collect, account: Address, native: &str, decimals: u8) {
    let Some(y) = view(
        state,
        serde_json::json!({"query": "yield", "account": account}),
    ) else {
        return;
    };
    let sources = y.get("sources").and_then(Value::as_array);
    let value = text(&y, "value");
    if value.as_deref() == Some("0") && sources.is_none_or(|s| s.is_empty()) {
        return;
    }
    let earned = sources
        .into_iter()
        .flatten()
        .filter_map(|s| text(s, "net")?.parse::<i128>().ok())
        .fold(0i128, i128::saturating_add);
    c.put(
        format!("accounts/{account:#x}/value"),
        value,
        native,
        decimals,
    );
    c.put(
        format!("accounts/{account:#x}/earned"),
        Some(earned.to_string()),
        native,
        decimals,
    );
}

/// Cost of corruption (α · the stake the set can slash, valued as the protocol values assets)
/// and declared profit π per operator set, from the live security graph.
fn security(state: &State, c: &mut Collect, native: &str, decimals: u8) {
    let Ok(live) = rampart_risk::live::live_graph(state, &Default::default()) else {
        return;
    };
    let graph = &live.graph;
    for (i, service) in graph.services().iter().enumerate() {
        let cost = (&service.threshold * graph.service_stake(i)).floor();
        let profit = service.profit.floor();
        c.put(
            format!("security/set/{}/cost", service.id),
            Some(cost.to_integer().to_string()),
            native,
            decimals,
        );
        c.put(
            format!("security/set/{}/profit", service.id),
            Some(profit.to_integer().to_string()),
            native,
            decimals,
        );
    }
}

/// The storage bound of `limits`.
pub fn bound(limits: HistoryLimits) -> rampart_storage::HistoryBound {
    rampart_storage::HistoryBound {
        recent: limits.recent.max(1),
        daily: limits.daily,
    }
}

/// `GET /v1/history`.
pub fn index(
    store: &rampart_storage::Store,
    limits: HistoryLimits,
) -> Result<HistoryIndex, ApiError> {
    let (snapshots, first_time, last_time) = store.history_extent().map_err(internal)?;
    Ok(HistoryIndex {
        groups: GROUPS.iter().map(|g| (*g).to_owned()).collect(),
        snapshots,
        first_time,
        last_time,
        bound: HistoryBound {
            recent: limits.recent.max(1),
            daily: limits.daily,
        },
    })
}

/// The parameters of `GET /v1/history/{group}`.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// Start, unix seconds (default: the oldest snapshot).
    pub from: Option<u64>,
    /// End, unix seconds (default: the newest snapshot).
    pub to: Option<u64>,
    /// At most one point per this many seconds (the last snapshot of each bucket); default 0,
    /// every stored snapshot (raised when that would give more than 2,000 points).
    pub resolution: Option<u64>,
}

/// `GET /v1/history/{group}`: every series of `group` in the range, bucketed.
pub fn series(
    store: &rampart_storage::Store,
    group: &str,
    range: Range,
) -> Result<HistoryView, ApiError> {
    if !GROUPS.contains(&group) {
        return Err(ApiError::new(
            codes::NOT_FOUND,
            format!(
                "no history group `{group}`; the groups are {}",
                GROUPS.join(", ")
            ),
        ));
    }
    let from = range.from.unwrap_or(0);
    let to = range.to.unwrap_or(u64::MAX);
    if from > to {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!("`from` ({from}) is after `to` ({to})"),
        ));
    }
    let rows = store.history(from, to).map_err(internal)?;
    let span = match (rows.first(), rows.last()) {
        (Some((a, _)), Some((b, _))) => b - a,
        _ => 0,
    };
    let mut resolution = range.resolution.unwrap_or(0);
    if rows.len() as u64 > MAX_POINTS {
        resolution = resolution.max(span.div_ceil(MAX_POINTS - 1).max(1));
    }
    // The last snapshot of each bucket.
    let mut chosen: Vec<HistorySnapshot> = Vec::new();
    let mut last_bucket = None;
    for (time, bytes) in rows {
        let bucket = time.checked_div(resolution).unwrap_or(time);
        let snap: HistorySnapshot = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::new(codes::INTERNAL, format!("history row {time}: {e}")))?;
        if last_bucket == Some(bucket) {
            chosen.pop();
        }
        last_bucket = Some(bucket);
        chosen.push(snap);
    }
    let prefix = format!("{group}/");
    let mut out: BTreeMap<String, HistorySeries> = BTreeMap::new();
    for snap in &chosen {
        for (key, value) in snap.values.range(prefix.clone()..) {
            if !key.starts_with(&prefix) {
                break;
            }
            let unit = snap.units.get(key);
            let entry = out.entry(key.clone()).or_insert_with(|| HistorySeries {
                key: key.clone(),
                unit: unit.map(|u| u.unit.clone()).unwrap_or_default(),
                decimals: unit.map_or(18, |u| u.decimals),
                points: Vec::new(),
            });
            entry.points.push(HistoryPoint {
                time: snap.time,
                epoch: snap.epoch,
                value: value.clone(),
            });
        }
    }
    Ok(HistoryView {
        group: group.to_owned(),
        from: chosen.first().map_or(from, |s| s.time),
        to: chosen.last().map_or(to.min(from), |s| s.time),
        resolution_s: resolution,
        series: out.into_values().collect(),
    })
}

fn internal(e: rampart_storage::StorageError) -> ApiError {
    ApiError::new(codes::INTERNAL, e.to_string())
}
