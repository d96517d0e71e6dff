//! The HTTP API (axum). Every error is JSON `{code, message}`; `/openapi.json` is generated from
//! the handlers' annotations and the `rampart-api` types.
//!
//! Bodies are read as bytes and parsed here, so malformed JSON (`malformed_json`), well-formed
//! JSON of the wrong shape (`invalid_input`) and oversized bodies (`payload_too_large`) get
//! distinct codes. Handlers that take a lock or verify signatures run on the blocking pool, so
//! a block being committed never stalls the async workers. A per-IP token bucket limits request
//! rates (`rate_limited`).

use crate::node::Shared;
use alloy_primitives::{Address, B256};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query as UrlQuery, Request, State,
};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use rampart_api::consensus::ConsensusStatusView;
use rampart_api::types::{
    BatchItem, BlockBody, BlockView, HealthView, NetworkView, NonceView, ProofView, StatusView,
    StreamEvent, StressExample, SubmitResponse, TxStatus,
};
use rampart_api::{ApiError, SignedTx, codes};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use utoipa::OpenApi;

/// An API error with its HTTP status.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

/// The HTTP status of an error code.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        codes::NOT_FOUND => StatusCode::NOT_FOUND,
        codes::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        codes::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        codes::MEMPOOL_FULL | codes::ACCOUNT_QUEUE_FULL | codes::UNAVAILABLE => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        codes::BAD_NONCE | codes::ALREADY_KNOWN => StatusCode::CONFLICT,
        codes::INTERNAL => StatusCode::INTERNAL_SERVER_ERROR,
        codes::REQUEST_TIMEOUT => StatusCode::REQUEST_TIMEOUT,
        codes::URI_TOO_LONG => StatusCode::URI_TOO_LONG,
        codes::HEADERS_TOO_LARGE => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        codes::TOO_MANY_CONNECTIONS => StatusCode::SERVICE_UNAVAILABLE,
        codes::METHOD_NOT_ALLOWED => StatusCode::METHOD_NOT_ALLOWED,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (status_of(&self.0.code), Json(self.0)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, HttpError>;

/// Path parameters, with a JSON `invalid_input` error (not axum's text) when they do not parse
/// (invalid UTF-8 or percent-encoding, a wrong type).
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Self(t))
            .map_err(|e| HttpError(ApiError::new(codes::INVALID_INPUT, e.body_text())))
    }
}

/// URL query parameters, with a JSON `invalid_input` error when they do not parse.
#[derive(Debug)]
pub struct UrlParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for UrlParams<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        UrlQuery::<T>::from_request_parts(parts, state)
            .await
            .map(|UrlQuery(t)| Self(t))
            .map_err(|e| HttpError(ApiError::new(codes::INVALID_INPUT, e.body_text())))
    }
}

/// Parses a JSON body, telling malformed JSON from the wrong shape and oversized bodies.
fn parse_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, HttpError> {
    let bytes = body.map_err(|e| {
        let too_large = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
        let code = if too_large {
            codes::PAYLOAD_TOO_LARGE
        } else {
            codes::INVALID_INPUT
        };
        ApiError::new(code, e.body_text())
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let code = match e.classify() {
            serde_json::error::Category::Data => {
                if e.to_string().contains("does not fit in 128 bits") {
                    codes::AMOUNT_OVERFLOW
                } else {
                    codes::INVALID_INPUT
                }
            }
            _ => codes::MALFORMED_JSON,
        };
        HttpError(ApiError::new(code, format!("request body: {e}")))
    })
}

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(codes::INTERNAL, format!("worker failed: {e}")))?
        .map_err(HttpError)
}

fn parse_hash(text: &str) -> Result<B256, HttpError> {
    text.parse().map_err(|_| {
        HttpError(ApiError::new(
            codes::INVALID_INPUT,
            format!("`{text}` is not a 32-byte hex hash"),
        ))
    })
}

fn parse_address(text: &str) -> Result<Address, HttpError> {
    rampart_api::strict::parse_address(text).map_err(HttpError)
}

/// Submit one signed transaction.
#[utoipa::path(post, path = "/v1/tx", request_body = SignedTx, tag = "transactions",
    responses((status = 202, body = SubmitResponse), (status = 400, body = ApiError),
        (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 503, body = ApiError)))]
async fn submit(
    State(s): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmitResponse>), HttpError> {
    let signed: SignedTx = parse_body(body)?;
    let hash = blocking(move || s.submit(signed)).await?;
    Ok((StatusCode::ACCEPTED, Json(SubmitResponse { hash })))
}

/// Submit many signed transactions; each gets a hash or an error, in order.
#[utoipa::path(post, path = "/v1/txs", request_body = Vec<SignedTx>, tag = "transactions",
    responses((status = 200, body = Vec<BatchItem>), (status = 400, body = ApiError), (status = 413, body = ApiError)))]
async fn submit_batch(
    State(s): State<Arc<Shared>>,
    charge: Option<axum::Extension<Charge>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Vec<BatchItem>> {
    let txs: Vec<SignedTx> = parse_body(body)?;
    let max = s.config.http.max_batch_txs;
    if txs.len() > max {
        return Err(HttpError(ApiError::new(
            codes::PAYLOAD_TOO_LARGE,
            format!("{} transactions in one batch, at most {max}", txs.len()),
        )));
    }
    // The request paid one token; every further signature to check pays one more.
    if let Some(axum::Extension(Charge { limiter, ip })) = charge {
        let extra = u32::try_from(txs.len().saturating_sub(1)).unwrap_or(u32::MAX);
        limiter.charge(ip, extra);
    }
    blocking(move || Ok(s.submit_batch(txs))).await.map(Json)
}

/// Tokens of the per-IP bucket a simulation costs: it runs the next block's start and the
/// action under the chain's lock, like a transaction without the signature check.
const SIMULATE_COST: u32 = 10;

/// What an action would do as the signer's next transaction on the next block, without a
/// signature: outcome or error, and events. Nothing changes; a preview, not a promise (other
/// accounts' pending transactions are not run first).
#[utoipa::path(post, path = "/v1/simulate", request_body = rampart_api::types::SimulateRequest, tag = "transactions",
    responses((status = 200, body = rampart_api::types::SimulationView), (status = 400, body = ApiError)))]
async fn simulate(
    State(s): State<Arc<Shared>>,
    charge: Option<axum::Extension<Charge>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<rampart_api::types::SimulationView> {
    let req: rampart_api::types::SimulateRequest = parse_body(body)?;
    if let Some(axum::Extension(Charge { limiter, ip })) = charge {
        limiter.charge(ip, SIMULATE_COST - 1);
    }
    blocking(move || s.simulate(req)).await.map(Json)
}

/// A transaction's status: pending, or committed with its receipt.
#[utoipa::path(get, path = "/v1/tx/{hash}", tag = "transactions",
    params(("hash" = String, Path, description = "transaction hash")),
    responses((status = 200, body = TxStatus), (status = 404, body = ApiError)))]
async fn tx_status(
    State(s): State<Arc<Shared>>,
    PathParams(hash): PathParams<String>,
) -> ApiResult<TxStatus> {
    let hash = parse_hash(&hash)?;
    blocking(move || s.tx_status(hash)).await.map(Json)
}

/// Run a query (PROTOCOL.md §11): a JSON object `{"query": name, ...fields}`.
#[utoipa::path(post, path = "/v1/query", tag = "queries",
    request_body(content = Object, description = "e.g. {\"query\": \"position\", \"staker\": \"0x…\"}; every query of the vocabulary, `state_root`, and `security` (RISK.md on the live state: budget_ms, work_budget, shock, targets, byzantine, overlap, leverage, prices, asset)"),
    responses((status = 200, body = Object), (status = 400, body = ApiError)))]
async fn query_post(
    State(s): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<serde_json::Value> {
    let q: serde_json::Value = parse_body(body)?;
    blocking(move || s.query(q)).await.map(Json)
}

/// Run a query named in the path with its fields as URL parameters
/// (`/v1/query/balance?account=0x…&asset=RAM`).
#[utoipa::path(get, path = "/v1/query/{name}", tag = "queries",
    params(("name" = String, Path, description = "query name")),
    responses((status = 200, body = Object), (status = 400, body = ApiError)))]
async fn query_get(
    State(s): State<Arc<Shared>>,
    PathParams(name): PathParams<String>,
    UrlParams(params): UrlParams<BTreeMap<String, String>>,
) -> ApiResult<serde_json::Value> {
    blocking(move || {
        let as_strings = query_json(&name, &params, false);
        match s.query(as_strings) {
            Err(e) if e.is(codes::INVALID_INPUT) => {
                s.query(query_json(&name, &params, true)).map_err(|_| e)
            }
            other => other,
        }
    })
    .await
    .map(Json)
}

/// A query object from URL parameters; with `numbers`, integer-looking values become numbers.
fn query_json(name: &str, params: &BTreeMap<String, String>, numbers: bool) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (k, v) in params {
        let value = match v.parse::<u64>() {
            Ok(n) if numbers => serde_json::Value::from(n),
            _ => serde_json::Value::String(v.clone()),
        };
        map.insert(k.clone(), value);
    }
    map.insert("query".into(), name.into());
    serde_json::Value::Object(map)
}

/// The chain's position.
#[utoipa::path(get, path = "/v1/status", tag = "chain", responses((status = 200, body = StatusView)))]
async fn status(State(s): State<Arc<Shared>>) -> ApiResult<StatusView> {
    blocking(move || s.status()).await.map(Json)
}

/// Health: `200 {ok: true}` while blocks are produced; `503 {ok: false, failure}` once the
/// node has failed (its producer stopped; every other request is refused with `unavailable`).
#[utoipa::path(get, path = "/health", tag = "chain", responses(
    (status = 200, description = "the node is healthy", body = HealthView),
    (status = 503, description = "the node has failed", body = HealthView)))]
async fn health(State(s): State<Arc<Shared>>) -> Response {
    let result = blocking(move || {
        Ok(match s.failure() {
            None => HealthView {
                ok: true,
                height: s.height()?,
                failure: None,
            },
            Some(reason) => HealthView {
                ok: false,
                height: s.metrics.height(),
                failure: Some(reason),
            },
        })
    })
    .await;
    match result {
        Ok(view) if view.ok => Json(view).into_response(),
        Ok(view) => (StatusCode::SERVICE_UNAVAILABLE, Json(view)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The last committed block.
#[utoipa::path(get, path = "/v1/blocks/latest", tag = "chain",
    responses((status = 200, body = BlockView), (status = 404, body = ApiError)))]
async fn block_latest(State(s): State<Arc<Shared>>) -> ApiResult<BlockView> {
    blocking(move || s.block(None)).await.map(Json)
}

/// A committed block.
#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "chain",
    params(("height" = u64, Path, description = "block height")),
    responses((status = 200, body = BlockView), (status = 404, body = ApiError)))]
async fn block_at(
    State(s): State<Arc<Shared>>,
    PathParams(height): PathParams<String>,
) -> ApiResult<BlockView> {
    let height = parse_height(&height)?;
    blocking(move || s.block(Some(height))).await.map(Json)
}

/// A committed block with its signed transactions (for followers and replays).
#[utoipa::path(get, path = "/v1/blocks/{height}/body", tag = "chain",
    params(("height" = u64, Path, description = "block height")),
    responses((status = 200, body = BlockBody), (status = 404, body = ApiError)))]
async fn block_body(
    State(s): State<Arc<Shared>>,
    PathParams(height): PathParams<String>,
) -> ApiResult<BlockBody> {
    let height = parse_height(&height)?;
    blocking(move || s.block_body(height)).await.map(Json)
}

fn parse_height(text: &str) -> Result<u64, HttpError> {
    text.parse().map_err(|_| {
        HttpError(ApiError::new(
            codes::INVALID_INPUT,
            format!("`{text}` is not a height"),
        ))
    })
}

/// An account's committed and next nonce.
#[utoipa::path(get, path = "/v1/accounts/{address}/nonce", tag = "transactions",
    params(("address" = String, Path, description = "account address")),
    responses((status = 200, body = NonceView), (status = 400, body = ApiError)))]
async fn nonce(
    State(s): State<Arc<Shared>>,
    PathParams(address): PathParams<String>,
) -> ApiResult<NonceView> {
    let address = parse_address(&address)?;
    blocking(move || s.nonce(address)).await.map(Json)
}

fn page_at(page: crate::delegators::Page) -> Result<crate::delegators::PageAt, HttpError> {
    Ok(crate::delegators::PageAt {
        after: page.after.as_deref().map(parse_address).transpose()?,
        limit: page.limit,
    })
}

/// Every account with a position delegated to an operator, in address order, each valued as
/// `position` values it (paged: `after` the previous page's `next`).
#[utoipa::path(get, path = "/v1/operators/{address}/delegators", tag = "queries",
    params(("address" = String, Path, description = "operator address"), crate::delegators::Page),
    responses((status = 200, body = crate::delegators::OperatorDelegatorsView),
        (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn operator_delegators(
    State(s): State<Arc<Shared>>,
    PathParams(address): PathParams<String>,
    UrlParams(page): UrlParams<crate::delegators::Page>,
) -> ApiResult<crate::delegators::OperatorDelegatorsView> {
    let operator = parse_address(&address)?;
    let page = page_at(page)?;
    blocking(move || s.operator_delegators(operator, page))
        .await
        .map(Json)
}

/// Every account delegating to a validator, in address order, each valued as
/// `base_delegation` values it (paged: `after` the previous page's `next`).
#[utoipa::path(get, path = "/v1/validators/{address}/delegators", tag = "queries",
    params(("address" = String, Path, description = "validator address"), crate::delegators::Page),
    responses((status = 200, body = crate::delegators::ValidatorDelegatorsView),
        (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn validator_delegators(
    State(s): State<Arc<Shared>>,
    PathParams(address): PathParams<String>,
    UrlParams(page): UrlParams<crate::delegators::Page>,
) -> ApiResult<crate::delegators::ValidatorDelegatorsView> {
    let validator = parse_address(&address)?;
    let page = page_at(page)?;
    blocking(move || s.validator_delegators(validator, page))
        .await
        .map(Json)
}

/// A proof of any encoded state key (hex) against the head's state root.
#[utoipa::path(get, path = "/v1/proof/{key}", tag = "proofs",
    params(("key" = String, Path, description = "encoded key, hex (table id first)")),
    responses((status = 200, body = ProofView), (status = 400, body = ApiError)))]
async fn proof_key(
    State(s): State<Arc<Shared>>,
    PathParams(key): PathParams<String>,
) -> ApiResult<ProofView> {
    let key = rampart_api::tx::hex_decode(key.strip_prefix("0x").unwrap_or(&key))
        .ok_or_else(|| HttpError(ApiError::new(codes::INVALID_INPUT, "the key is not hex")))?;
    blocking(move || s.proof(&key)).await.map(Json)
}

/// A proof of an account's balance of an asset.
#[utoipa::path(get, path = "/v1/proof/balance/{account}/{asset}", tag = "proofs",
    params(("account" = String, Path, description = "account address"), ("asset" = String, Path, description = "asset symbol")),
    responses((status = 200, body = ProofView), (status = 400, body = ApiError)))]
async fn proof_balance(
    State(s): State<Arc<Shared>>,
    PathParams((account, asset)): PathParams<(String, String)>,
) -> ApiResult<ProofView> {
    let account = parse_address(&account)?;
    blocking(move || {
        let key = s.balance_key(account, &asset)?;
        s.proof(&key)
    })
    .await
    .map(Json)
}

/// Server-sent events: every protocol event of every committed block, as `StreamEvent` JSON,
/// each with an `id:`. A new client first gets the last events (up to `BACKFILL`); a client
/// reconnecting with `Last-Event-ID` gets every kept event after that one, then the live ones.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "resume after this event id (`<height>:<index>`)")),
    responses((status = 200, description = "text/event-stream of StreamEvent", body = StreamEvent)))]
async fn events(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    use futures_util::StreamExt;
    /// Events a new client gets before the live ones.
    const BACKFILL: usize = 100;
    let rx = s.subscribe();
    let stopped = s.stopped_signal();
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(crate::node::event_position);
    let backfill = s.recent_events(after, BACKFILL);
    let last_sent = backfill
        .last()
        .and_then(|e| crate::node::event_position(&e.id))
        .or(after);
    let first = stream::iter(
        backfill
            .iter()
            .filter_map(sse_event)
            .map(Ok)
            .collect::<Vec<_>>(),
    );
    let live = stream::unfold(rx, move |mut rx| async move {
        let items: Vec<Result<SseEvent, Infallible>> = match rx.recv().await {
            Ok(batch) => batch
                .iter()
                // Already sent as backfill (committed between subscribing and reading it).
                .filter(|e| {
                    last_sent.is_none_or(|last| {
                        crate::node::event_position(&e.id).is_none_or(|p| p > last)
                    })
                })
                .filter_map(sse_event)
                .map(Ok)
                .collect(),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                vec![Ok(SseEvent::default()
                    .event("lagged")
                    .data(format!("{n} blocks skipped")))]
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((stream::iter(items), rx))
    });
    // The stream ends when the node stops, so a shutdown never waits for a client to leave.
    Sse::new(first.chain(live.flatten()).take_until(stopped)).keep_alive(KeepAlive::default())
}

fn sse_event(e: &StreamEvent) -> Option<SseEvent> {
    SseEvent::default()
        .event("protocol")
        .id(e.id.clone())
        .json_data(e)
        .ok()
}

/// Everything that exists on the chain (ids for the per-entity queries) and display names.
#[utoipa::path(get, path = "/v1/network", tag = "chain", responses((status = 200, body = NetworkView)))]
async fn network(State(s): State<Arc<Shared>>) -> ApiResult<NetworkView> {
    blocking(move || s.network()).await.map(Json)
}

/// How this node reaches agreement: the committee with each seat's uptime (from the chain's
/// state), the rounds and finalizations this node saw, and the engine's counters.
#[utoipa::path(get, path = "/v1/consensus", tag = "chain", responses((status = 200, body = ConsensusStatusView)))]
async fn consensus(State(s): State<Arc<Shared>>) -> ApiResult<ConsensusStatusView> {
    blocking(move || s.consensus_status()).await.map(Json)
}

/// The built-in stress scenarios (RISK.md §4).
#[utoipa::path(get, path = "/v1/risk/stress", tag = "risk", responses((status = 200, body = Vec<StressExample>)))]
async fn stress_list(State(s): State<Arc<Shared>>) -> ApiResult<Vec<StressExample>> {
    Ok(Json(s.stress_examples()))
}

/// The result of a built-in stress scenario (de-peg price path, liquidations, losses).
#[utoipa::path(get, path = "/v1/risk/stress/{name}", tag = "risk",
    params(("name" = String, Path, description = "scenario name, from /v1/risk/stress")),
    responses((status = 200, body = Object), (status = 404, body = ApiError)))]
async fn stress_run(
    State(s): State<Arc<Shared>>,
    PathParams(name): PathParams<String>,
) -> ApiResult<serde_json::Value> {
    blocking(move || s.stress(&name)).await.map(Json)
}

/// What history the node keeps (one snapshot per epoch boundary) and its storage bound.
#[utoipa::path(get, path = "/v1/history", tag = "history",
    responses((status = 200, body = rampart_api::history::HistoryIndex)))]
async fn history_index(
    State(s): State<Arc<Shared>>,
) -> ApiResult<rampart_api::history::HistoryIndex> {
    blocking(move || s.history_index()).await.map(Json)
}

/// A history group's time series (`tvl`, `stake`, `rates`, `rewards`, `security`) in a time
/// range, at most one point per `resolution` seconds.
#[utoipa::path(get, path = "/v1/history/{group}", tag = "history",
    params(("group" = String, Path, description = "tvl, stake, rates, rewards or security"),
        crate::history::Range),
    responses((status = 200, body = rampart_api::history::HistoryView),
        (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn history_group(
    State(s): State<Arc<Shared>>,
    PathParams(group): PathParams<String>,
    UrlParams(range): UrlParams<crate::history::Range>,
) -> ApiResult<rampart_api::history::HistoryView> {
    blocking(move || s.history(&group, range)).await.map(Json)
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "chain", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(s): State<Arc<Shared>>) -> Result<Response, HttpError> {
    let text = blocking(move || Ok(s.metrics.render(s.mempool_len()?))).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "chain", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi() -> Response {
    match serde_json::to_string(&openapi_document()) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => HttpError(ApiError::new(codes::INTERNAL, e.to_string())).into_response(),
    }
}

/// The OpenAPI document: utoipa's from the handlers and the `rampart-api` types, with every
/// response described (OpenAPI requires it; the status's reason phrase where the handler gave
/// none) and one `GET /v1/query/<name>` path per protocol query, its parameters read from the
/// core's `Query` deserializer ([`rampart_api::vocabulary::query_fields`]).
pub fn openapi_document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let (answers, components) = rampart_core::query::response_schemas();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for (name, schema) in components {
            let schema = serde_json::to_value(schema).unwrap_or_default();
            schemas.entry(name).or_insert(schema);
        }
    }
    if let Some(paths) = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        for name in rampart_api::vocabulary::query_names() {
            let answer = answers
                .get(name.as_str())
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or_else(|| serde_json::json!({"type": "object"}));
            paths.insert(format!("/v1/query/{name}"), query_path(&name, answer));
        }
        for item in paths.values_mut() {
            let operations = item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut());
            for operation in operations {
                let responses = operation
                    .get_mut("responses")
                    .and_then(serde_json::Value::as_object_mut);
                for (status, response) in responses.into_iter().flatten() {
                    describe(status, response);
                }
            }
        }
    }
    doc
}

fn describe(status: &str, response: &mut serde_json::Value) {
    let Some(fields) = response.as_object_mut() else {
        return;
    };
    if fields
        .get("description")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|d| !d.is_empty())
    {
        return;
    }
    let reason = status
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .and_then(|c| c.canonical_reason())
        .unwrap_or("Response");
    let text = if status.starts_with('2') {
        reason.to_owned()
    } else {
        format!("{reason}: JSON `{{code, message}}` with a stable code")
    };
    fields.insert("description".into(), serde_json::Value::String(text));
}

fn query_path(name: &str, answer: serde_json::Value) -> serde_json::Value {
    let parameters: Vec<serde_json::Value> = rampart_api::vocabulary::query_fields(name)
        .into_iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name, "in": "query", "required": f.required,
                "description": f.kind, "schema": {"type": "string"},
            })
        })
        .collect();
    let mut parameters = parameters;
    if ["position", "withdrawals", "base_delegation"].contains(&name) {
        parameters.push(serde_json::json!({
            "name": "account", "in": "query", "required": false,
            "description": "the account (the same as the older name above)", "schema": {"type": "string"},
        }));
    }
    serde_json::json!({"get": {
        "tags": ["queries"],
        "operationId": format!("query_{name}"),
        "summary": format!("The `{name}` query (PROTOCOL.md §11) from URL parameters"),
        "parameters": parameters,
        "responses": {
            "200": {"description": format!("the `{name}` answer"), "content": {"application/json": {"schema": answer}}},
            "400": {"description": "Bad Request: JSON `{code, message}`", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}},
        },
    }})
}

async fn not_found() -> HttpError {
    HttpError(ApiError::new(
        codes::NOT_FOUND,
        "no such route; see /openapi.json",
    ))
}

async fn method_not_allowed() -> Response {
    let e = ApiError::new(
        codes::METHOD_NOT_ALLOWED,
        "this route does not take that method; see /openapi.json",
    );
    (StatusCode::METHOD_NOT_ALLOWED, Json(e)).into_response()
}

/// The OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Rampart node API",
        description = "Signed transactions (EIP-712), queries, blocks, receipts, state proofs, events and metrics of a Rampart node."
    ),
    paths(
        submit,
        submit_batch,
        simulate,
        tx_status,
        query_post,
        query_get,
        status,
        health,
        block_latest,
        block_at,
        block_body,
        nonce,
        proof_key,
        proof_balance,
        events,
        network,
        consensus,
        operator_delegators,
        validator_delegators,
        stress_list,
        stress_run,
        history_index,
        history_group,
        metrics,
        openapi
    ),
    components(schemas(
        SignedTx,
        ApiError,
        SubmitResponse,
        BatchItem,
        TxStatus,
        StatusView,
        HealthView,
        BlockView,
        BlockBody,
        NonceView,
        ProofView,
        StreamEvent,
        NetworkView,
        rampart_api::consensus::ConsensusStatusView,
        rampart_api::consensus::SeatView,
        rampart_api::consensus::FinalizedBlockView,
        crate::delegators::OperatorDelegatorsView,
        crate::delegators::ValidatorDelegatorsView,
        rampart_api::types::VaultListing,
        StressExample,
        rampart_api::history::HistoryIndex,
        rampart_api::history::HistoryBound,
        rampart_api::history::HistoryView,
        rampart_api::history::HistorySeries,
        rampart_api::history::HistoryPoint,
        rampart_api::types::ReceiptView,
        rampart_api::types::SimulateRequest,
        rampart_api::types::SimulationView,
        rampart_api::types::BlockHeaderView,
        rampart_api::types::TxSummary,
        rampart_api::types::ProofJson,
        rampart_api::types::ProofEntry
    ))
)]
pub struct ApiDoc;

/// The per-IP request limit (see [`crate::limit`]): each request costs a token; a batch costs
/// one per transaction, since each is a signature to check.
type RateLimiter = crate::limit::TokenBuckets<IpAddr>;

/// The client's address and its bucket, for handlers that charge more than one token.
#[derive(Clone, Debug)]
struct Charge {
    limiter: Arc<RateLimiter>,
    ip: IpAddr,
}

async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = peer.ip();
    if limiter.take(ip, 1) {
        request.extensions_mut().insert(Charge { limiter, ip });
        next.run(request).await
    } else {
        HttpError(ApiError::new(
            codes::RATE_LIMITED,
            format!(
                "too many requests or signatures from {ip}; retry in {:.1} s",
                limiter.wait_s(ip)
            ),
        ))
        .into_response()
    }
}

/// Request limits before routing: URI length (`414`), header size (`431`), the body read under
/// `body_timeout_ms` (`408`), and the whole request under `request_timeout_ms` (event streams
/// excepted).
async fn request_limits(
    State(limits): State<crate::config::HttpLimits>,
    request: Request,
    next: Next,
) -> Response {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_bytes > limits.max_uri_bytes {
        return HttpError(ApiError::new(
            codes::URI_TOO_LONG,
            format!(
                "the URI has {uri_bytes} bytes, at most {}",
                limits.max_uri_bytes
            ),
        ))
        .into_response();
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return HttpError(ApiError::new(
            codes::HEADERS_TOO_LARGE,
            format!(
                "the headers have {header_bytes} bytes, at most {}",
                limits.max_header_bytes
            ),
        ))
        .into_response();
    }
    let streaming = request.uri().path() == "/v1/events";
    let request = match read_body(request, &limits).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if streaming {
        return next.run(request).await;
    }
    let budget = std::time::Duration::from_millis(limits.request_timeout_ms);
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => HttpError(ApiError::new(
            codes::UNAVAILABLE,
            format!(
                "the request took longer than {} ms",
                limits.request_timeout_ms
            ),
        ))
        .into_response(),
    }
}

/// Reads a request's body within the body timeout (and the largest body any route takes).
async fn read_body(
    request: Request,
    limits: &crate::config::HttpLimits,
) -> Result<Request, HttpError> {
    use axum::body::{Body, HttpBody};
    if request.body().size_hint().upper() == Some(0) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let max = limits.max_batch_bytes.max(limits.max_body_bytes);
    let budget = std::time::Duration::from_millis(limits.body_timeout_ms);
    match tokio::time::timeout(budget, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.to_string().contains("length limit exceeded"));
            Err(HttpError(if too_large {
                ApiError::new(
                    codes::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {max} bytes"),
                )
            } else {
                ApiError::new(
                    codes::INVALID_INPUT,
                    format!("the body could not be read: {e}"),
                )
            }))
        }
        Err(_) => Err(HttpError(ApiError::new(
            codes::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {} ms",
                limits.body_timeout_ms
            ),
        ))),
    }
}

/// The node's routes. Serve with [`crate::serve::serve`] (or anything that puts a
/// `ConnectInfo<SocketAddr>` in each request: the rate limiter reads the peer's address).
pub fn router(shared: Arc<Shared>) -> Router {
    let limits = shared.config.http;
    let batch = Router::new()
        .route("/v1/txs", post(submit_batch))
        .layer(DefaultBodyLimit::max(limits.max_batch_bytes));
    let mut app = Router::new()
        .route("/v1/tx", post(submit))
        .route("/v1/tx/{hash}", get(tx_status))
        .route("/v1/simulate", post(simulate))
        .route("/v1/query", post(query_post))
        .route("/v1/query/{name}", get(query_get))
        .route("/v1/status", get(status))
        .route("/health", get(health))
        .route("/v1/blocks/latest", get(block_latest))
        .route("/v1/blocks/{height}", get(block_at))
        .route("/v1/blocks/{height}/body", get(block_body))
        .route("/v1/accounts/{address}/nonce", get(nonce))
        .route("/v1/proof/balance/{account}/{asset}", get(proof_balance))
        .route("/v1/proof/{key}", get(proof_key))
        .route("/v1/events", get(events))
        .route("/v1/network", get(network))
        .route("/v1/consensus", get(consensus))
        .route(
            "/v1/operators/{address}/delegators",
            get(operator_delegators),
        )
        .route(
            "/v1/validators/{address}/delegators",
            get(validator_delegators),
        )
        .route("/v1/risk/stress", get(stress_list))
        .route("/v1/risk/stress/{name}", get(stress_run))
        .route("/v1/history", get(history_index))
        .route("/v1/history/{group}", get(history_group))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .merge(crate::ui::routes())
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .merge(batch)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared);
    if limits.rate_limit_per_s > 0 {
        let limiter = Arc::new(RateLimiter::new(limits.rate_limit_per_s, limits.rate_burst));
        app = app.layer(middleware::from_fn_with_state(limiter, rate_limit));
    }
    app.layer(middleware::from_fn_with_state(limits, request_limits))
}
