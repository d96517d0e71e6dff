//! Runs a scenario step by step on an in-memory chain.

use crate::names::{Names, dev_address, dev_signing_key};
use rampart_api::{ApiError, TxLimits, UnsignedTx, Verifier};
use rampart_core::base::{Fault, proposer_for};
use rampart_core::commitment::{Commitment, DEFAULT_DEPTH};
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset, GenesisValidator};
use rampart_core::ids::module;
use rampart_core::params::ParamsPatch;
use rampart_core::schema::{Strategies, Vaults};
use rampart_core::{
    Amount, BlockHeader, Height, Query, State, Timestamp, begin_block, execute_tx, invariants,
    tx::next_nonce,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Fields whose string values name accounts.
const ACCOUNT_FIELDS: &[&str] = &[
    "from",
    "to",
    "operator",
    "slasher",
    "resolver",
    "recipient",
    "staker",
    "account",
    "service",
    "curator",
    "validator",
    "issuer",
    "signing_key",
    "from_operator",
    "to_operator",
    "owner",
    "governance",
    "redistribute",
    "proposer",
    "payer",
    "delegator",
    "from_validator",
    "to_validator",
];
/// Fields whose values are lists of account names.
const ACCOUNT_LIST_FIELDS: &[&str] = &["allowed_services", "allowed_operators", "operators"];

/// Fields whose values are lists of set names (the `security` query's targets).
const SET_LIST_FIELDS: &[&str] = &["targets", "byzantine"];

/// A scenario that could not run at all (as opposed to a step that failed).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON, or not the shape of a scenario.
    #[error("malformed scenario: {0}")]
    Malformed(String),
    /// Genesis was rejected by the protocol.
    #[error("invalid genesis: {0}")]
    Genesis(#[from] rampart_core::Error),
}

impl ScenarioError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed_scenario",
            Self::Genesis(e) => e.code(),
        }
    }
}

/// The result of a run: one JSON object per step, then the final summary.
#[derive(Debug)]
pub struct Report {
    /// Step outputs, then the final object.
    pub lines: Vec<Value>,
    /// False if a step failed unexpectedly or an invariant broke.
    pub ok: bool,
}

/// Runs `text` (a scenario file's contents), calling `emit` with each output line as it is
/// produced. Invariants are checked after every step.
pub fn run(text: &str, emit: &mut dyn FnMut(&Value)) -> Result<Report, ScenarioError> {
    let scenario: Value =
        serde_json::from_str(text).map_err(|e| ScenarioError::Malformed(e.to_string()))?;
    let obj = scenario
        .as_object()
        .ok_or_else(|| ScenarioError::Malformed("the top level must be an object".into()))?;
    for key in obj.keys() {
        if !["params", "genesis", "steps", "description", "name"].contains(&key.as_str()) {
            return Err(ScenarioError::Malformed(format!(
                "unknown top-level field `{key}`"
            )));
        }
    }
    let mut runner = Runner::new(obj)?;
    let steps = match obj.get("steps") {
        Some(Value::Array(steps)) => steps.clone(),
        None => Vec::new(),
        Some(_) => return Err(ScenarioError::Malformed("`steps` must be an array".into())),
    };
    let mut lines = Vec::with_capacity(steps.len() + 1);
    let mut failed = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let mut line = runner.step(n, step);
        let violations = invariants::check(&runner.state);
        if !violations.is_empty() {
            line["ok"] = Value::Bool(false);
            line["invariant_violations"] = json!(violations);
        }
        if line["ok"] != Value::Bool(true) {
            failed.push(n);
        }
        runner.names.label_json(&mut line);
        emit(&line);
        lines.push(line);
    }
    let final_line = runner.finish(&failed);
    emit(&final_line);
    let ok = final_line["ok"] == Value::Bool(true);
    lines.push(final_line);
    Ok(Report { lines, ok })
}

struct Runner {
    state: State,
    names: Names,
    bindings: BTreeMap<String, Value>,
    header: BlockHeader,
    /// The node's stateless checks (chain id, sizes, fields, signature) for this chain.
    verifier: Verifier,
    /// Dev keys of the names that signed so far.
    keys: BTreeMap<String, k256::ecdsa::SigningKey>,
}

impl Runner {
    fn new(obj: &Map<String, Value>) -> Result<Self, ScenarioError> {
        let mut names = Names::with_modules();
        let params: ParamsPatch = match obj.get("params") {
            Some(p) => serde_json::from_value(p.clone())
                .map_err(|e| ScenarioError::Malformed(format!("params: {e}")))?,
            None => ParamsPatch::default(),
        };
        let genesis = build_genesis(obj.get("genesis"), params, &mut names)?;
        let mut state = genesis.build()?;
        // The runner checks and reports invariants itself after every step.
        state.set_invariant_checks(false);
        for (id, _) in state.iter::<Strategies>() {
            let label = format!(
                "module:strategy/{}",
                rampart_core::restaking::strategy_name(&state, *id)
            );
            names.label(module::strategy(*id), label);
        }
        let header = BlockHeader::new(
            Height::new(1),
            genesis.time,
            proposer_for(&state, Height::new(1)),
        );
        begin_block(&mut state, &header).map_err(rampart_core::Error::from)?;
        state.discard_journal();
        let verifier = Verifier::new(genesis.chain_id, TxLimits::default());
        Ok(Self {
            state,
            names,
            bindings: BTreeMap::new(),
            header,
            verifier,
            keys: BTreeMap::new(),
        })
    }

    fn step(&mut self, n: usize, step: &Value) -> Value {
        let Some(obj) = step.as_object() else {
            return step_error(n, "malformed_step", "a step must be an object".into());
        };
        let expected = obj
            .get("expect_error")
            .map(|v| v.as_str().unwrap_or("*").to_owned());
        let outcome = if obj.contains_key("tx") {
            self.tx(obj)
        } else if obj.contains_key("query") {
            self.query(obj)
        } else if let Some(a) = obj.get("advance") {
            self.advance(a)
        } else if obj.contains_key("fault") {
            self.fault(obj)
        } else {
            Err((
                "unknown_step".to_owned(),
                "a step needs one of tx, query, advance, fault".to_owned(),
            ))
        };
        let mut line = Map::new();
        line.insert("step".into(), json!(n));
        for key in ["tx", "query"] {
            if let Some(kind) = obj.get(key) {
                line.insert(key.into(), kind.clone());
            }
        }
        if obj.contains_key("advance") {
            line.insert("advance".into(), obj["advance"].clone());
        }
        let (ok, body) = match (outcome, expected) {
            (Ok(result), None) => match obj.get("expect").map(|want| self.matches(want, &result)) {
                Some(Err(mismatch)) => (
                    false,
                    json!({"result": result,
                    "error": {"code": "expectation_failed", "message": mismatch}}),
                ),
                _ => (true, json!({"result": result})),
            },
            (Ok(result), Some(code)) => (
                false,
                json!({"result": result,
                "error": {"code": "expected_error_missing", "message": format!("expected error `{code}`, but the step succeeded")}}),
            ),
            (Err((code, message)), Some(want)) if code_matches(&want, &code) => (
                true,
                json!({"expected_error": want, "error": {"code": code, "message": message}}),
            ),
            (Err((code, message)), _) => {
                (false, json!({"error": {"code": code, "message": message}}))
            }
        };
        line.insert("ok".into(), Value::Bool(ok));
        if let Value::Object(body) = body {
            line.extend(body);
        }
        Value::Object(line)
    }

    /// Checks a step's `expect`: every field given must equal the result's (recursively; arrays
    /// element by element), with names and `$bindings` in `want` resolved first.
    fn matches(&mut self, want: &Value, got: &Value) -> Result<(), String> {
        let mut got = got.clone();
        self.names.label_json(&mut got);
        let mut want = want.clone();
        self.bind_vars(&mut want).map_err(|(_, m)| m)?;
        partial_match(&want, &got, "result")
    }

    /// A `tx` step goes through the node's path: the action JSON is signed as EIP-712 typed data
    /// with the dev key of `from`, verified like any submitted transaction (chain id, sizes,
    /// fields, signature), and executed as the *recovered* signer, so every authority check sees
    /// exactly what a node would.
    fn tx(&mut self, obj: &Map<String, Value>) -> Result<Value, (String, String)> {
        let mut body = obj.clone();
        let from = body
            .remove("from")
            .and_then(|v| v.as_str().map(str::to_owned));
        let bind = body
            .remove("as")
            .and_then(|v| v.as_str().map(str::to_owned));
        body.remove("expect_error");
        body.remove("expect");
        // Envelope fields: the fee (default: the action's base fee) and the priority tip.
        let fee_field = body
            .remove("fee")
            .map(|v| envelope_amount("fee", &v))
            .transpose()?;
        let tip = body
            .remove("priority_tip")
            .map(|v| envelope_amount("priority_tip", &v))
            .transpose()?
            .unwrap_or(0);
        let Some(from) = from else {
            return Err(("invalid_input".into(), "a tx step needs `from`".into()));
        };
        let signer = self
            .names
            .resolve(&from)
            .map_err(|m| ("invalid_input".to_owned(), m))?;
        let mut body = Value::Object(body);
        self.substitute(&mut body)?;
        self.sign_attestations(&mut body)?;
        let name = body.get("tx").and_then(Value::as_str).unwrap_or_default();
        let fee = fee_field.unwrap_or_else(|| self.state.params().base_fee_of(name).get());
        let nonce = next_nonce(&self.state, signer);
        let chain_id = self.verifier.chain_id();
        let key = self.signing_key(&from, signer)?;
        let signed = UnsignedTx::from_action_json(&body, nonce, fee, tip)
            .and_then(|unsigned| unsigned.sign(key, chain_id))
            .map_err(api_error)?;
        let verified = self.verifier.verify(signed).map_err(api_error)?;
        let receipt = execute_tx(&mut self.state, &self.header, verified.tx).map_err(core_error)?;
        self.state.discard_journal();
        let outcome = receipt.result.map_err(core_error)?;
        if let Some(name) = bind {
            let id = outcome.created_id().ok_or_else(|| {
                (
                    "invalid_input".to_owned(),
                    format!("`as: {name}`: this transaction creates no id"),
                )
            })?;
            self.bindings.insert(name, id);
        }
        self.label_strategies();
        Ok(
            json!({"outcome": outcome, "events": rampart_core::events::render(&self.state, &receipt.events)}),
        )
    }

    /// The dev key of the account named `from` (resolved to `signer`). Only named accounts have
    /// keys: a raw address or a module account cannot sign.
    fn signing_key(
        &mut self,
        from: &str,
        signer: rampart_core::Address,
    ) -> Result<&k256::ecdsa::SigningKey, (String, String)> {
        if !self.keys.contains_key(from) {
            if dev_address(from) != signer {
                return Err((
                    "invalid_input".to_owned(),
                    format!("`from: {from}` has no dev key: only named accounts sign in scenarios"),
                ));
            }
            self.keys.insert(from.to_owned(), dev_signing_key(from));
        }
        self.keys.get(from).ok_or_else(|| bad("dev key cache"))
    }

    /// Replaces `signature_a` / `signature_b` given as `{"signed_by": NAME, chain_id?, set?,
    /// height?, digest?}` by `NAME`'s dev-key attestation of the step's chain, set, height and
    /// matching digest (or of the values given in the object). Literal hex is left as it is.
    fn sign_attestations(&mut self, body: &mut Value) -> Result<(), (String, String)> {
        for (field, digest_field) in [("signature_a", "digest_a"), ("signature_b", "digest_b")] {
            let Some(Value::Object(spec)) = body.get(field).cloned() else {
                continue;
            };
            if let Some(k) = spec.keys().find(|k| {
                !["signed_by", "chain_id", "set", "height", "digest"].contains(&k.as_str())
            }) {
                return Err(bad(&format!("{field}: unknown field `{k}`")));
            }
            let name = spec
                .get("signed_by")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(&format!("{field} needs `signed_by`: a named account")))?
                .to_owned();
            let pick = |key: &str, default: Option<&Value>| {
                spec.get(key)
                    .or(default)
                    .cloned()
                    .ok_or_else(|| bad(&format!("{field}: no `{key}` to sign")))
            };
            let mut set = pick("set", body.get("set"))?;
            self.set_name(&mut set)?;
            let set: rampart_core::ids::SetRef =
                serde_json::from_value(set).map_err(|e| bad(&format!("{field}: set: {e}")))?;
            let height = pick("height", body.get("height"))?
                .as_u64()
                .ok_or_else(|| bad(&format!("{field}: height must be an integer")))?;
            let digest: alloy_primitives::B256 =
                serde_json::from_value(pick("digest", body.get(digest_field))?)
                    .map_err(|e| bad(&format!("{field}: digest: {e}")))?;
            let chain_id = match spec.get("chain_id") {
                Some(v) => v
                    .as_u64()
                    .ok_or_else(|| bad(&format!("{field}: chain_id must be an integer")))?,
                None => self.verifier.chain_id(),
            };
            let address = self
                .names
                .resolve(&name)
                .map_err(|m| ("invalid_input".to_owned(), m))?;
            if dev_address(&name) != address {
                return Err(bad(&format!(
                    "{field}: `signed_by: {name}` has no dev key: only named accounts sign"
                )));
            }
            let key = self.signing_key(&name, address)?;
            let signature = crate::attest::attest_hex(key, chain_id, set, height, digest)
                .map_err(|e| bad(&e.to_string()))?;
            body[field] = Value::String(signature);
        }
        Ok(())
    }

    fn query(&mut self, obj: &Map<String, Value>) -> Result<Value, (String, String)> {
        let mut body = obj.clone();
        body.remove("expect_error");
        body.remove("expect");
        let name = body
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if name == "state_root" {
            return Ok(
                json!({"state_root": state_root(&self.state), "height": self.header.height, "time": self.header.time}),
            );
        }
        let mut body = Value::Object(body);
        self.substitute(&mut body)?;
        if name == "security" {
            // RISK.md §5 on the live state. Give `work_budget` for a reproducible run: a wall-time
            // budget can turn a proved answer into "unknown" on a slow machine.
            let query = rampart_risk::live::SecurityQuery::from_json(&body)
                .map_err(|e| (e.code().to_owned(), e.to_string()))?;
            return rampart_risk::live::security(&self.state, &query)
                .map_err(|e| (e.code().to_owned(), e.to_string()));
        }
        let query: Query = serde_json::from_value(body).map_err(|e| {
            let code = if e.to_string().contains("unknown variant") {
                "unknown_query"
            } else {
                "invalid_input"
            };
            (code.to_owned(), format!("query `{name}`: {e}"))
        })?;
        query.run(&self.state).map_err(core_error)
    }

    /// A fault as consensus would report it, applied in the current block.
    fn fault(&mut self, obj: &Map<String, Value>) -> Result<Value, (String, String)> {
        let mut body = obj.clone();
        body.remove("expect_error");
        body.remove("expect");
        let mut body = Value::Object(body);
        self.substitute(&mut body)?;
        let fault: Fault = serde_json::from_value(body).map_err(|e| {
            let code = if e.to_string().contains("unknown variant") {
                "unknown_fault"
            } else {
                "invalid_input"
            };
            (code.to_owned(), format!("fault: {e}"))
        })?;
        let mut events = Vec::new();
        rampart_core::block::apply_fault(
            &mut self.state,
            &mut events,
            &fault,
            self.header.height,
            self.header.time,
        )
        .map_err(core_error)?;
        self.state.discard_journal();
        Ok(json!({"events": rampart_core::events::render(&self.state, &events)}))
    }

    fn advance(&mut self, spec: &Value) -> Result<Value, (String, String)> {
        let now = self.header.time.get();
        let target = match (
            spec.get("seconds").and_then(Value::as_u64),
            spec.get("to").and_then(Value::as_u64),
        ) {
            (Some(s), None) => now
                .checked_add(s)
                .ok_or_else(|| bad("advance: time overflows"))?,
            (None, Some(t)) if t >= now => t,
            (None, Some(t)) => {
                return Err(bad(&format!(
                    "advance: {t} is before the current time {now}"
                )));
            }
            _ => {
                return Err(bad(
                    "advance needs exactly one of `seconds` or `to` (a non-negative integer)",
                ));
            }
        };
        let block_time = self.state.params().block_time_s.get().max(1);
        let blocks = ((target - now) / block_time).max(1);
        let height = Height::new(self.header.height.get().saturating_add(blocks));
        let header = BlockHeader::new(
            height,
            Timestamp::new(target),
            proposer_for(&self.state, height),
        );
        let events = begin_block(&mut self.state, &header).map_err(|e| core_error(e.into()))?;
        self.state.discard_journal();
        self.header = header;
        let events = rampart_core::events::render(&self.state, &events);
        Ok(json!({"height": self.header.height, "time": self.header.time, "events": events}))
    }

    /// Replaces `$name` bindings and account names by their values and addresses.
    fn substitute(&mut self, v: &mut Value) -> Result<(), (String, String)> {
        let Value::Object(map) = v else { return Ok(()) };
        for (key, value) in map.iter_mut() {
            self.bind_vars(value)?;
            if ACCOUNT_FIELDS.contains(&key.as_str()) {
                self.account(value)?;
            } else if ACCOUNT_LIST_FIELDS.contains(&key.as_str()) {
                if let Value::Array(items) = value {
                    for item in items {
                        self.account(item)?;
                    }
                }
            } else if key == "set" {
                self.set_name(value)?;
            } else if SET_LIST_FIELDS.contains(&key.as_str()) {
                if let Value::Array(items) = value {
                    for item in items {
                        self.set_name(item)?;
                    }
                }
            } else if key == "destination" || key == "policy" {
                self.substitute(value)?;
            }
        }
        Ok(())
    }

    fn bind_vars(&self, v: &mut Value) -> Result<(), (String, String)> {
        match v {
            Value::String(s) if s.starts_with('$') => {
                let bound = self
                    .bindings
                    .get(&s[1..])
                    .ok_or_else(|| bad(&format!("`{s}` is not bound by an earlier `as`")))?;
                *v = bound.clone();
            }
            Value::Array(items) => {
                for item in items {
                    self.bind_vars(item)?;
                }
            }
            Value::Object(map) => {
                for item in map.values_mut() {
                    self.bind_vars(item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn account(&mut self, v: &mut Value) -> Result<(), (String, String)> {
        if let Value::String(s) = v {
            let a = self
                .names
                .resolve(s)
                .map_err(|m| ("invalid_input".to_owned(), m))?;
            *s = Names::text(&a);
        }
        Ok(())
    }

    fn set_name(&mut self, v: &mut Value) -> Result<(), (String, String)> {
        if let Value::String(s) = v {
            let (service, id) = s
                .rsplit_once('/')
                .ok_or_else(|| bad(&format!("`{s}` is not a set name <service>/<set_id>")))?;
            let a = self
                .names
                .resolve(service)
                .map_err(|m| ("invalid_input".to_owned(), m))?;
            *s = format!("{}/{id}", Names::text(&a));
        }
        Ok(())
    }

    fn label_strategies(&mut self) {
        for (id, _) in self.state.iter::<Strategies>() {
            let label = format!(
                "module:strategy/{}",
                rampart_core::restaking::strategy_name(&self.state, *id)
            );
            self.names.label(module::strategy(*id), label);
        }
        for (index, cfg) in self.state.iter::<Vaults>() {
            let label = format!(
                "module:vault/{}",
                rampart_core::bank::symbol(&self.state, cfg.lrt)
            );
            self.names.label(module::vault(*index), label);
        }
    }

    fn finish(&mut self, failed: &[usize]) -> Value {
        let violations = invariants::check(&self.state);
        let ok = failed.is_empty() && violations.is_empty();
        let mut line = json!({
            "final": true,
            "ok": ok,
            "state_root": state_root(&self.state),
            "height": self.header.height,
            "time": self.header.time,
            "invariants": {"ok": violations.is_empty(), "violations": violations},
            "failed_steps": failed,
        });
        self.names.label_json(&mut line["invariants"]);
        line
    }
}

/// The state root of `state`, as `0x`-prefixed hex.
pub fn state_root(state: &State) -> String {
    let entries = state.encoded_entries();
    let mut c = Commitment::from_entries(
        DEFAULT_DEPTH,
        entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
    );
    format!("{:#x}", c.root())
}

fn partial_match(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{path}.{k} is missing"))?;
                partial_match(wv, gv, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!(
                    "{path} has {} items, expected {}",
                    g.len(),
                    w.len()
                ));
            }
            w.iter()
                .zip(g)
                .enumerate()
                .try_for_each(|(i, (wv, gv))| partial_match(wv, gv, &format!("{path}[{i}]")))
        }
        // Numbers may be written as strings or integers.
        (Value::String(w), Value::Number(g)) | (Value::Number(g), Value::String(w))
            if *w == g.to_string() =>
        {
            Ok(())
        }
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{path} is {g}, expected {w}")),
    }
}

/// Codes that refine a more general code: the node tells an amount above 128 bits
/// (`amount_overflow`) from other bad input, which older scenarios expect as `invalid_input`.
const REFINEMENTS: &[(&str, &str)] = &[("amount_overflow", "invalid_input")];

/// Whether an error with code `got` satisfies `expect_error: want` (`"*"`, the code itself, or a
/// code it refines; the output always shows the exact code).
fn code_matches(want: &str, got: &str) -> bool {
    want == "*" || want == got || REFINEMENTS.contains(&(got, want))
}

fn core_error(e: rampart_core::Error) -> (String, String) {
    (e.code().to_owned(), e.to_string())
}

fn api_error(e: ApiError) -> (String, String) {
    (e.code.into_owned(), e.message)
}

fn bad(msg: &str) -> (String, String) {
    ("invalid_input".to_owned(), msg.to_owned())
}

fn step_error(n: usize, code: &str, message: String) -> Value {
    json!({"step": n, "ok": false, "error": {"code": code, "message": message}})
}

fn build_genesis(
    spec: Option<&Value>,
    params: ParamsPatch,
    names: &mut Names,
) -> Result<Genesis, ScenarioError> {
    let malformed = |m: String| ScenarioError::Malformed(m);
    let empty = Map::new();
    let spec = match spec {
        Some(Value::Object(o)) => o,
        None => &empty,
        Some(_) => return Err(malformed("`genesis` must be an object".into())),
    };
    for key in spec.keys() {
        if ![
            "time",
            "assets",
            "accounts",
            "governance",
            "guardian",
            "chain_id",
            "validators",
        ]
        .contains(&key.as_str())
        {
            return Err(malformed(format!("unknown genesis field `{key}`")));
        }
    }
    let time = match spec.get("time") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| malformed("genesis.time must be a non-negative integer".into()))?,
    };
    let governance_name = spec
        .get("governance")
        .and_then(Value::as_str)
        .unwrap_or("governance");
    let governance = names.resolve(governance_name).map_err(malformed)?;
    let mut assets = Vec::new();
    for a in spec
        .get("assets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let symbol = a
            .get("symbol")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("asset needs a symbol".into()))?;
        let issuer = match a.get("issuer").and_then(Value::as_str) {
            Some(n) => Some(names.resolve(n).map_err(malformed)?),
            None => None,
        };
        let decimals = a
            .get("decimals")
            .map_or(Some(18), |d| d.as_u64().and_then(|d| u8::try_from(d).ok()));
        assets.push(GenesisAsset {
            symbol: symbol.to_owned(),
            decimals: decimals.ok_or_else(|| malformed(format!("asset {symbol}: bad decimals")))?,
            issuer,
            restakable: a.get("restakable").and_then(Value::as_bool).unwrap_or(true),
        });
    }
    let mut accounts = Vec::new();
    for a in spec
        .get("accounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("account needs a name".into()))?;
        let address = names.resolve(name).map_err(malformed)?;
        let balances: BTreeMap<String, Amount> = match a.get("balances") {
            Some(b) => serde_json::from_value(b.clone())
                .map_err(|e| malformed(format!("account {name}: {e}")))?,
            None => BTreeMap::new(),
        };
        accounts.push(GenesisAccount { address, balances });
    }
    let mut validators = Vec::new();
    for v in spec
        .get("validators")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("validator needs a name".into()))?;
        let address = names.resolve(name).map_err(malformed)?;
        let self_bond: Amount =
            serde_json::from_value(v.get("self_bond").cloned().unwrap_or(Value::Null))
                .map_err(|e| malformed(format!("validator {name}: self_bond: {e}")))?;
        let commission_bps = match v.get("commission_bps") {
            Some(c) => serde_json::from_value(c.clone())
                .map_err(|e| malformed(format!("validator {name}: {e}")))?,
            None => rampart_core::Bps::ZERO,
        };
        validators.push(GenesisValidator {
            address,
            self_bond,
            commission_bps,
            consensus_key: None,
            p2p_address: None,
        });
    }
    let chain_id = spec
        .get("chain_id")
        .and_then(Value::as_u64)
        .unwrap_or(31_337);
    // `"guardian": "name"` names the account that may pause new deposits.
    let guardian = match spec.get("guardian") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(names.resolve(name).map_err(malformed)?),
        Some(other) => return Err(malformed(format!("guardian must be a name, not {other}"))),
    };
    Ok(Genesis {
        chain_id,
        time: Timestamp::new(time),
        governance: Some(governance),
        guardian,
        params,
        assets,
        accounts,
        validators,
    })
}

/// A fee or tip of a `tx` step: a decimal string (or a JSON integer) of RAM base units.
fn envelope_amount(field: &str, v: &Value) -> Result<u128, (String, String)> {
    let text = match v {
        Value::String(t) => t.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => {
            return Err(bad(&format!(
                "`{field}` must be a decimal string of base units"
            )));
        }
    };
    text.parse::<u128>().map_err(|_| {
        bad(&format!(
            "`{field}`: `{text}` is not an amount of base units"
        ))
    })
}
