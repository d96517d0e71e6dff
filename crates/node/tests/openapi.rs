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
