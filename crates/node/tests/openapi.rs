//! `/openapi.json` is a valid OpenAPI document, checked by a real validator (the
//! `openapi-spec-validator` PyPI package, which `scripts/test.sh` installs), and types the
//! main surface: every response is described, every protocol query has its own path with its
//! parameters.
//!
//! Without the validator (no `python3`, or the package missing) the validation is skipped with a
//! message, unless `RAMPART_REQUIRE_OPENAPI_VALIDATOR` is set (then it fails).

mod common;

use common::TestNode;
use serde_json::Value;
use std::process::Command;

const VALIDATE: &str = "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')";

fn validator_available() -> bool {
    Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_openapi_document_validates_and_types_every_query() {
    let t = TestNode::start("openapi", 100, |_| {});
    let doc: Value = t.client.get("/openapi.json").expect("served");

    let mut undescribed = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                if response["description"].as_str().is_none_or(str::is_empty) {
                    undescribed.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(
        undescribed.is_empty(),
        "responses without a description: {undescribed:?}"
    );
    for name in rampart_api::vocabulary::query_names() {
        let op = &doc["paths"][format!("/v1/query/{name}")]["get"];
        assert!(op.is_object(), "no path for the {name} query");
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for field in rampart_api::vocabulary::query_fields(&name) {
            assert!(params.contains(&field.name.as_str()), "{name}: {params:?}");
        }
    }
    let balance = &doc["paths"]["/v1/query/balance"]["get"]["parameters"];
    assert_eq!(balance[0]["name"], "account");
    assert_eq!(balance[0]["required"], true);

    if !validator_available() {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_OPENAPI_VALIDATOR").is_none(),
            "RAMPART_REQUIRE_OPENAPI_VALIDATOR is set but python3 -c 'import openapi_spec_validator' fails"
        );
        eprintln!(
            "skipped: openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        return;
    }
    let file = common::temp_dir("openapi-doc").join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks each answer against its query's response schema in the document (Python's
/// `openapi-schema-validator`, OpenAPI 3.1 dialect); prints one line per mismatch.
const CHECK_ANSWERS: &str = r#"import json, sys
from openapi_schema_validator import OAS31Validator
d = json.load(open(sys.argv[1]))
doc, bad = d["doc"], []
for path, answer in d["answers"]:
    s = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    root = dict(s, components=doc["components"])
    for e in sorted(OAS31Validator(root).iter_errors(answer), key=str)[:3]:
        bad.append(f"{path}: {e.message[:300]} at {list(e.absolute_path)}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;

/// Every query's answer on the demo chain (two simulated weeks: vaults, slashes, governance,
/// redemptions) matches the response schema the document gives for it, so the typed schemas are
/// the wire form, not a guess. The schemas are generated from the core's view types.
#[test]
fn every_query_answer_on_the_demo_chain_matches_its_schema() {
    use common::{addr, temp_dir};
    use rampart_node::demo::{self, Driver};
    use rampart_node::{NodeConfig, Shared};
    use serde_json::json;

    let doc = rampart_node::http::openapi_document();
    // Each typed query answers with a reference to a generated component (or an array of one).
    let mut untyped = Vec::new();
    for name in rampart_api::vocabulary::query_names() {
        let schema = &doc["paths"][format!("/v1/query/{name}")]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        let reference = schema["$ref"]
            .as_str()
            .or_else(|| schema["items"]["$ref"].as_str());
        match reference.and_then(|r| r.strip_prefix("#/components/schemas/")) {
            Some(component) => assert!(
                doc["components"]["schemas"][component].is_object(),
                "{name}: {component} is not in the components"
            ),
            None => untyped.push(name),
        }
    }
    assert!(untyped.is_empty(), "untyped answers: {untyped:?}");

    let mut config = NodeConfig::new(temp_dir("openapi-answers"));
    config.block_interval_ms = Some(0);
    let s = Shared::open(config, &demo::genesis(1_750_000_000)).expect("opens");
    demo::run_history(&s, &mut Driver::default(), 84, 4 * 3_600, &mut |_| {}).expect("history");
    let queries = [
        json!({"query": "balance", "account": addr("alice"), "asset": "RAM"}),
        json!({"query": "asset", "asset": "stETH"}),
        json!({"query": "strategy", "strategy": "stETH"}),
        json!({"query": "operator", "operator": addr("op1")}),
        json!({"query": "service", "service": addr("oracle")}),
        json!({"query": "operator_set", "set": format!("{}/0", addr("oracle"))}),
        json!({"query": "position", "staker": addr("alice")}),
        json!({"query": "position", "staker": addr("heidi")}),
        json!({"query": "withdrawals", "staker": addr("alice")}),
        json!({"query": "slash_requests", "service": addr("bridge")}),
        json!({"query": "params"}),
        json!({"query": "validator", "validator": addr("val1")}),
        json!({"query": "base_delegation", "delegator": addr("grace")}),
        json!({"query": "lst", "account": addr("grace")}),
        json!({"query": "lst"}),
        json!({"query": "reward_program", "id": 0}),
        json!({"query": "yield", "account": addr("grace")}),
        json!({"query": "yield", "account": addr("alice")}),
        json!({"query": "exit_path", "account": addr("heidi")}),
        json!({"query": "vault", "vault": "rstETH"}),
        json!({"query": "vault", "vault": "rstRAM"}),
        json!({"query": "governance"}),
        json!({"query": "governance", "proposal": 0}),
        json!({"query": "invariants"}),
        json!({"query": "consensus"}),
    ];
    let mut answers: Vec<(String, Value)> = queries
        .iter()
        .map(|q| {
            let answer = s.query(q.clone()).unwrap_or_else(|e| panic!("{q}: {e}"));
            (
                format!("/v1/query/{}", q["query"].as_str().unwrap()),
                answer,
            )
        })
        .collect();
    let covered: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(p, _)| p.trim_start_matches("/v1/query/").to_owned())
        .collect();
    // The chain's own routes beside the queries.
    answers.push(("/v1/status".into(), json!(s.status().unwrap())));
    answers.push(("/v1/network".into(), json!(s.network().unwrap())));
    answers.push(("/v1/consensus".into(), json!(s.consensus_status().unwrap())));
    let page = rampart_node::delegators::PageAt::default();
    let op1 = addr("op1").parse().unwrap();
    let val1 = addr("val1").parse().unwrap();
    answers.push((
        "/v1/operators/{address}/delegators".into(),
        json!(s.operator_delegators(op1, page).unwrap()),
    ));
    answers.push((
        "/v1/validators/{address}/delegators".into(),
        json!(s.validator_delegators(val1, page).unwrap()),
    ));
    for name in rampart_api::vocabulary::query_names() {
        assert!(
            covered.contains(&name) || untyped.contains(&name),
            "no answer checked for {name}"
        );
    }

    if !validator_available() {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_OPENAPI_VALIDATOR").is_none(),
            "RAMPART_REQUIRE_OPENAPI_VALIDATOR is set but openapi_spec_validator is missing"
        );
        eprintln!("skipped: openapi-schema-validator is not installed");
        return;
    }
    let file = common::temp_dir("openapi-answers-doc").join("answers.json");
    let body = json!({"doc": doc, "answers": answers});
    std::fs::write(&file, serde_json::to_vec(&body).unwrap()).unwrap();
    let out = Command::new("python3")
        .args(["-c", CHECK_ANSWERS])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "answers that do not match their schema:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
