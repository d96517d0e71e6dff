//! The JSON report of `analyze_json` (RISK.md §5), determinism, local security, concentration,
//! overlap, leverage and the elastic cascade.

mod common;

use common::{frac, graph, opts, q};
use rampart_risk::search::Budget;
use rampart_risk::search::cascade::worst_cascade;
use rampart_risk::{AnalyzeOptions, analyze_json};
use serde_json::Value;

fn example(path: &str) -> String {
    std::fs::read_to_string(format!("{}/examples/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("example exists")
}

#[test]
fn report_has_the_fields_of_risk_md_section_5() {
    let options = AnalyzeOptions {
        shock: Some("1/100".into()),
        ..opts()
    };
    let out = analyze_json(&example("graph-figure4.json"), &options).expect("analysis runs");
    for key in [
        "secure",
        "attack",
        "gamma_slack",
        "certificate",
        "cascade",
        "concentration",
    ] {
        assert!(out.get(key).is_some(), "missing {key}");
    }
    for key in [
        "certified",
        "gamma_star",
        "binding_operator",
        "uncovered_services",
    ] {
        assert!(
            out["certificate"].get(key).is_some(),
            "missing certificate.{key}"
        );
    }
    for key in ["psi", "loss_fraction", "shock", "attack", "bound"] {
        assert!(out["cascade"].get(key).is_some(), "missing cascade.{key}");
    }
    for key in ["hhi", "nakamoto_third", "nakamoto_half"] {
        assert!(
            out["concentration"]["overall"].get(key).is_some(),
            "missing concentration.overall.{key}"
        );
        assert!(
            out["concentration"]["services"]["blue"].get(key).is_some(),
            "missing per-service {key}"
        );
    }
    assert_eq!(out["gamma_slack"]["fraction"], "-1/101");
    assert_eq!(out["gamma_slack"]["decimal"], "-0.009900990099");
    assert!(
        out.get("local").is_none() && out.get("overlap").is_none(),
        "optional sections only on request"
    );
}

#[test]
fn report_is_byte_for_byte_deterministic() {
    let options = AnalyzeOptions {
        shock: Some("0.05".into()),
        overlap: true,
        leverage: true,
        ..opts()
    };
    let a = serde_json::to_string(
        &analyze_json(&example("graph-figure4.json"), &options).expect("runs"),
    )
    .expect("json");
    let b = serde_json::to_string(
        &analyze_json(&example("graph-figure4.json"), &options).expect("runs"),
    )
    .expect("json");
    assert_eq!(a, b);
}

#[test]
fn cascade_without_slack_has_no_theorem_one_bound() {
    let options = AnalyzeOptions {
        shock: Some("1/100".into()),
        ..opts()
    };
    let out = analyze_json(&example("graph-figure4.json"), &options).expect("runs");
    assert_eq!(out["cascade"]["bound"], Value::Null, "γ < 0");
    // Without any shock the valid attack ({blue}, {b1, b99}) already loses 100 of 200.
    assert_eq!(frac(&out["cascade"]["loss_fraction"]), Some("51/100"));
}

#[test]
fn local_security_of_green_alone_sees_the_blue_attack_only_through_a_subsidy() {
    let options = AnalyzeOptions {
        targets: vec!["green".into()],
        ..opts()
    };
    let out = analyze_json(&example("graph-figure4.json"), &options).expect("runs");
    // Green is corrupted only together with blue: ({green, blue}, {g, b1, b99}) costs 200 for
    // a profit of 102, so no valid attack touches green.
    assert_eq!(out["local"]["secure"], true);
    assert_eq!(out["local"]["targets"], serde_json::json!(["green"]));
    // Local γ-slack: ({green}, {g}) alone has 100/1 − 1 = 99, but the coalition that also takes
    // blue has 200/102 − 1 = 49/51, and it attacks green too.
    assert_eq!(frac(&out["local"]["gamma_slack"]), Some("49/51"));
    let blue = AnalyzeOptions {
        targets: vec!["blue".into()],
        ..opts()
    };
    let out = analyze_json(&example("graph-figure4.json"), &blue).expect("runs");
    assert_eq!(out["local"]["secure"], false);
}

#[test]
fn unknown_target_and_bad_shock_are_refused() {
    let code = |o: AnalyzeOptions| {
        analyze_json(&example("graph-figure4.json"), &o)
            .err()
            .map(|e| e.code())
    };
    assert_eq!(
        code(AnalyzeOptions {
            targets: vec!["nope".into()],
            ..opts()
        }),
        Some("unknown_service")
    );
    assert_eq!(
        code(AnalyzeOptions {
            byzantine: vec!["nope".into()],
            ..opts()
        }),
        Some("unknown_service")
    );
    assert_eq!(
        code(AnalyzeOptions {
            shock: Some("2".into()),
            ..opts()
        }),
        Some("out_of_range")
    );
    assert_eq!(
        code(AnalyzeOptions {
            shock: Some("x".into()),
            ..opts()
        }),
        Some("bad_number")
    );
}

#[test]
fn concentration_is_reported_per_service_overall_and_per_group() {
    let text = serde_json::json!({
        "services": [{"id": "s", "profit": "1", "threshold": "1/2"}],
        "operators": [
            {"id": "a", "stake": "30", "groups": {"vault": "v1"}},
            {"id": "b", "stake": "30", "groups": {"vault": "v1"}},
            {"id": "c", "stake": "20", "groups": {"vault": "v2"}},
            {"id": "d", "stake": "20", "groups": {"vault": "v2"}}
        ],
        "edges": [["s", "a"], ["s", "c"]]
    })
    .to_string();
    let out = analyze_json(&text, &opts()).expect("runs");
    let c = &out["concentration"];
    assert_eq!(frac(&c["overall"]["hhi"]), Some("13/50"));
    assert_eq!(c["overall"]["nakamoto_half"], 2);
    assert_eq!(frac(&c["services"]["s"]["hhi"]), Some("13/25"));
    assert_eq!(c["services"]["s"]["nakamoto_half"], 1);
    assert_eq!(frac(&c["groups"]["vault"]["v1"]["hhi"]), Some("1/2"));
    assert_eq!(c["groups"]["vault"]["v2"]["nakamoto_third"], 1);
}

#[test]
fn overlap_counts_shared_operators_and_stake_and_leverage_counts_allocations() {
    let text = serde_json::json!({
        "services": [{"id": "x", "profit": "1", "threshold": "1"}, {"id": "y", "profit": "1", "threshold": "1"}],
        "operators": [{"id": "a", "stake": "10"}, {"id": "b", "stake": "4"}],
        "edges": [["x", "a", "6"], ["y", "a", "8"], ["x", "b", "4"]]
    })
    .to_string();
    let options = AnalyzeOptions {
        overlap: true,
        leverage: true,
        ..opts()
    };
    let out = analyze_json(&text, &options).expect("runs");
    assert_eq!(out["overlap"][0]["services"], serde_json::json!(["x", "y"]));
    assert_eq!(out["overlap"][0]["shared_operators"], 1);
    assert_eq!(frac(&out["overlap"][0]["shared_stake"]), Some("6"));
    assert_eq!(frac(&out["leverage"]["a"]), Some("7/5"));
    assert_eq!(frac(&out["leverage"]["b"]), Some("1"));
}

#[test]
fn elastic_cascade_loss_is_a_supremum_below_the_profit() {
    // One operator allocates 10 of its 10 to x (π = 20, θ = 1): the cheapest attack costs 10,
    // and any commitment up to 10 is possible, so the worst loss is 10, attained.
    let g = graph(
        &[("x", "20", "1")],
        &[("v", "10"), ("w", "10")],
        &[&["x", "v", "10"]],
    );
    let c = worst_cascade(&g, &q("0"), &[], &mut Budget::unlimited()).expect("runs");
    assert!(c.proved);
    assert_eq!(c.loss, Some(q("10")));
    assert!(!c.supremum);
    assert_eq!(c.loss_fraction, Some(q("1/2")));
    // With π = 8 < 10 no attack is valid without a shock; a shock of w (half the stake)
    // changes nothing for x, so R = ψ.
    let g = graph(
        &[("x", "8", "1")],
        &[("v", "10"), ("w", "10")],
        &[&["x", "v", "10"]],
    );
    let c = worst_cascade(&g, &q("1/2"), &[], &mut Budget::unlimited()).expect("runs");
    assert_eq!(c.loss_fraction, Some(q("1/2")));
}

#[test]
fn elastic_supremum_is_flagged_when_profit_caps_the_loss() {
    // θ = 1/2: the cheapest attack commits 5 (cost 5 < π = 8); commitments can grow to 10, but
    // a valid attack must lose less than 8: the worst loss is the supremum 8, not attained.
    let g = graph(&[("x", "8", "1/2")], &[("v", "10")], &[&["x", "v", "10"]]);
    let c = worst_cascade(&g, &q("0"), &[], &mut Budget::unlimited()).expect("runs");
    assert_eq!(c.loss, Some(q("8")));
    assert!(c.supremum);
}
