//! The public test vectors of anchors-papers.md §7 (TV-02, TV-04, TV-07, TV-11, TV-13, TV-36);
//! TV-35 (StableSwap) is in `stress.rs`.

mod common;

use common::{frac, graph, graph_json, opts, q};
use rampart_risk::certificate::{LoadTable, certificate, service_buffers};
use rampart_risk::{AnalyzeOptions, analyze, analyze_json};

fn tv02() -> rampart_risk::Graph {
    graph(
        &[("x", "100", "1")],
        &[("a", "1"), ("b", "99")],
        &[&["x", "a"], &["x", "b"]],
    )
}

#[test]
fn tv02_zero_slack_graph_is_secure_with_gamma_zero() {
    let a = analyze(&tv02(), &opts()).expect("analysis runs");
    assert_eq!(a.secure, Some(true));
    assert!(a.attack.attack.is_none());
    assert_eq!(a.certificate.max_load, q("1"));
    assert_eq!(a.certificate.gamma_star, Some(q("0")));
    assert!(a.certificate.certified);
    assert_eq!(a.slack.gamma, Some(q("0")));
    assert!(a.slack.proved);
}

#[test]
fn tv02_shock_of_one_percent_loses_everything() {
    let shocked = AnalyzeOptions {
        shock: Some("1/100".into()),
        ..opts()
    };
    let out = analyze(&tv02(), &shocked).expect("analysis runs");
    let cascade = out.cascade.expect("shock given").cascade;
    assert_eq!(cascade.loss_fraction, Some(q("1")));
    assert_eq!(cascade.shock, Some(vec![0]));
    assert_eq!(cascade.attack.map(|a| a.operators), Some(vec![1]));
}

#[test]
fn tv02_shock_of_half_a_percent_allows_nothing() {
    let shocked = AnalyzeOptions {
        shock: Some("1/200".into()),
        ..opts()
    };
    let out = analyze(&tv02(), &shocked).expect("analysis runs");
    let report = out.cascade.expect("shock given");
    assert_eq!(report.cascade.loss_fraction, Some(q("1/200")));
    assert!(report.cascade.attack.is_none());
    assert_eq!(report.bound, None, "γ = 0 gives no Theorem-1 bound");
}

fn tv04(services: usize) -> rampart_risk::Graph {
    let ids: Vec<String> = (1..=services).map(|i| format!("avs{i}")).collect();
    let svc: Vec<(&str, &str, &str)> = ids.iter().map(|id| (id.as_str(), "2", "1/2")).collect();
    let ops = [("o1", "2"), ("o2", "2"), ("o3", "2"), ("o4", "2")];
    let pairs: Vec<[&str; 2]> = ids
        .iter()
        .flat_map(|s| ops.iter().map(move |(o, _)| [s.as_str(), *o]))
        .collect();
    let edges: Vec<&[&str]> = pairs.iter().map(|p| p.as_slice()).collect();
    graph(&svc, &ops, &edges)
}

#[test]
fn tv04a_one_avs_is_secure_with_slack_one() {
    let a = analyze(&tv04(1), &opts()).expect("analysis runs");
    assert_eq!(a.secure, Some(true));
    assert_eq!(a.slack.gamma, Some(q("1")));
    assert_eq!(
        a.slack.witness.map(|w| w.cost),
        Some(q("4")),
        "two operators, $4M"
    );
    assert_eq!(a.certificate.max_load, q("1/2"));
    assert_eq!(a.certificate.gamma_star, Some(q("1")));
}

#[test]
fn tv04b_ten_avs_are_corrupted_by_any_two_operators() {
    let a = analyze(&tv04(10), &opts()).expect("analysis runs");
    assert_eq!(a.secure, Some(false));
    let attack = a.attack.attack.expect("insecure");
    assert_eq!(attack.services.len(), 10);
    assert_eq!(attack.operators.len(), 2);
    assert_eq!((attack.profit, attack.cost), (q("20"), q("4")));
    assert_eq!(a.slack.gamma, Some(q("-4/5")));
    assert_eq!(a.certificate.max_load, q("5"));
    assert!(!a.certificate.certified);
}

fn tv07_json() -> String {
    graph_json(
        &[("green", "1", "1"), ("blue", "101", "1")],
        &[("g", "100"), ("b1", "1"), ("b99", "99")],
        &[&["green", "g"], &["blue", "b1"], &["blue", "b99"]],
    )
}

#[test]
fn tv07_overcollateralised_green_does_not_save_the_network() {
    let out = analyze_json(&tv07_json(), &opts()).expect("analysis runs");
    assert_eq!(out["secure"], false);
    assert_eq!(out["attack"]["services"], serde_json::json!(["blue"]));
    assert_eq!(out["attack"]["operators"], serde_json::json!(["b1", "b99"]));
    assert_eq!(frac(&out["attack"]["profit"]), Some("101"));
    assert_eq!(frac(&out["attack"]["cost"]), Some("100"));
    assert_eq!(frac(&out["certificate"]["gamma_star"]), Some("-1/101"));
    assert_eq!(out["certificate"]["binding_operator"], "b1");
    assert_eq!(frac(&out["certificate"]["max_load"]), Some("101/100"));
    assert_eq!(
        frac(&out["certificate"]["services"]["green"]["gamma_star"]),
        Some("99")
    );
}

#[test]
fn tv07_green_alone_has_gamma_star_99() {
    let g = graph(&[("green", "1", "1")], &[("g", "100")], &[&["green", "g"]]);
    assert_eq!(certificate(&g).gamma_star, Some(q("99")));
}

#[test]
fn tv11a_orphan_service_is_corrupted_by_the_empty_coalition() {
    let g = graph(
        &[("ok", "1", "1"), ("orphan", "50", "1/2")],
        &[("v", "100")],
        &[&["ok", "v"]],
    );
    let a = analyze(&g, &opts()).expect("analysis runs");
    assert_eq!(a.certificate.max_load, q("1/100"), "every load is fine");
    assert!(!a.certificate.certified);
    assert_eq!(a.certificate.uncovered_services, vec![1]);
    assert_eq!(a.secure, Some(false));
    let attack = a.attack.attack.expect("orphan attack");
    assert_eq!(
        (attack.services, attack.operators, attack.cost),
        (vec![1], vec![], q("0"))
    );
    assert_eq!(a.slack.gamma, Some(q("-1")));
}

#[test]
fn tv11a_orphan_service_without_profit_is_harmless() {
    let g = graph(
        &[("ok", "1", "1"), ("orphan", "0", "1/2")],
        &[("v", "100")],
        &[&["ok", "v"]],
    );
    let a = analyze(&g, &opts()).expect("analysis runs");
    assert!(a.certificate.certified);
    assert_eq!(a.secure, Some(true));
}

#[test]
fn tv11b_zero_stake_operator_does_not_change_gamma_star() {
    let base = graph(
        &[("x", "1", "1"), ("y", "1", "1")],
        &[("a", "100"), ("b", "100")],
        &[&["x", "a"], &["y", "b"]],
    );
    let with_zero = graph(
        &[("x", "1", "1"), ("y", "1", "1")],
        &[("a", "100"), ("b", "100"), ("z", "0")],
        &[&["x", "a"], &["y", "b"], &["x", "z"], &["y", "z"]],
    );
    assert_eq!(certificate(&base).gamma_star, Some(q("99")));
    assert_eq!(certificate(&with_zero).gamma_star, Some(q("99")));
    let a = analyze(&with_zero, &opts()).expect("analysis runs");
    assert_eq!(a.slack.gamma, Some(q("99")));
}

#[test]
fn tv11b_zero_total_stake_is_rejected() {
    let text = graph_json(&[("x", "1", "1")], &[("a", "0")], &[&["x", "a"]]);
    let err = analyze_json(&text, &opts()).err().map(|e| e.code());
    assert_eq!(err, Some("zero_total_stake"));
}

#[test]
fn tv11c_exact_boundary_at_one_third() {
    let at = graph(&[("s", "100", "1/3")], &[("v", "300")], &[&["s", "v"]]);
    let above = graph(&[("s", "100", "1/3")], &[("v", "330")], &[&["s", "v"]]);
    assert_eq!(certificate(&at).max_load, q("1"));
    assert_eq!(certificate(&at).gamma_star, Some(q("0")));
    assert!(certificate(&at).certified);
    assert_eq!(certificate(&above).max_load, q("10/11"));
    assert_eq!(certificate(&above).gamma_star, Some(q("1/10")));
}

/// TV-13: n = 3 validators and services, π = 1, θ = 1/3, allocation d·σ/3 to every service.
fn tv13(sigma: &str, degree: &str) -> String {
    let alloc = (q(sigma) * q(degree) / q("3")).to_string();
    let services = [("s1", "1", "1/3"), ("s2", "1", "1/3"), ("s3", "1", "1/3")];
    let operators = [("v1", sigma), ("v2", sigma), ("v3", sigma)];
    let edges: Vec<[String; 3]> = ["s1", "s2", "s3"]
        .iter()
        .flat_map(|s| {
            ["v1", "v2", "v3"]
                .iter()
                .map(|v| [s.to_string(), v.to_string(), alloc.clone()])
        })
        .collect();
    let edges: Vec<Vec<&str>> = edges
        .iter()
        .map(|e| e.iter().map(String::as_str).collect())
        .collect();
    let edges: Vec<&[&str]> = edges.iter().map(Vec::as_slice).collect();
    graph_json(&services, &operators, &edges)
}

fn tv13_secure(sigma: &str, degree: &str, byzantine: bool) -> Option<bool> {
    let byz = if byzantine {
        vec!["s1".to_string()]
    } else {
        vec![]
    };
    let options = AnalyzeOptions {
        byzantine: byz,
        ..opts()
    };
    let out = analyze_json(&tv13(sigma, degree), &options).expect("analysis runs");
    assert_eq!(out["model"], "elastic");
    out["secure"].as_bool()
}

#[test]
fn tv13_minimum_stake_is_three_without_byzantine_services() {
    for d in ["1", "3/2", "2", "3"] {
        assert_eq!(tv13_secure("3", d, false), Some(true), "σ = 3, d = {d}");
        assert_eq!(
            tv13_secure("299/100", d, false),
            Some(false),
            "σ = 2.99, d = {d}"
        );
    }
}

#[test]
fn tv13_minimum_stake_with_one_byzantine_service_is_3_4_6_infinity() {
    for (d, star) in [("1", "3"), ("3/2", "4"), ("2", "6")] {
        let below = (q(star) - q("1/100")).to_string();
        assert_eq!(
            tv13_secure(star, d, true),
            Some(true),
            "σ = {star}, d = {d}"
        );
        assert_eq!(
            tv13_secure(&below, d, true),
            Some(false),
            "σ = {below}, d = {d}"
        );
    }
    for sigma in ["6", "100", "1000000"] {
        assert_eq!(
            tv13_secure(sigma, "3", true),
            Some(false),
            "d = 3 is never secure (σ = {sigma})"
        );
    }
}

fn tv36(halved: bool) -> rampart_risk::Graph {
    let (p1, p2, p3) = if halved {
        ("10", "5", "50")
    } else {
        ("20", "10", "100")
    };
    graph(
        &[("s1", p1, "1/2"), ("s2", p2, "1/3"), ("s3", p3, "2/3")],
        &[("op", "10"), ("f1", "90"), ("f2", "40"), ("f3", "390")],
        &[
            &["s1", "op"],
            &["s2", "op"],
            &["s3", "op"],
            &["s1", "f1"],
            &["s2", "f2"],
            &["s3", "f3"],
        ],
    )
}

#[test]
fn tv36_appendix_b_operator_load_is_11_over_8() {
    let g = tv36(false);
    let c = certificate(&g);
    assert_eq!(c.max_load, q("11/8"));
    assert_eq!(c.binding_operator, Some(0));
    assert_eq!(c.gamma_star, Some(q("-3/11")));
    assert!(!c.certified);
    let mut table = LoadTable::new(&g);
    assert_eq!(table.load(1), q("2/5"));
    assert_eq!(table.load(2), q("3/5"));
    assert_eq!(table.load(3), q("3/8"));
    assert_eq!(
        service_buffers(&g, &mut table)[0].gamma_star,
        Some(q("-3/11"))
    );
}

#[test]
fn tv36_halving_every_profit_gives_gamma_star_5_over_11() {
    let c = certificate(&tv36(true));
    assert_eq!(c.max_load, q("11/16"));
    assert_eq!(c.gamma_star, Some(q("5/11")));
    assert!(c.certified);
}
