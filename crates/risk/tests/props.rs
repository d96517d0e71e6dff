//! Property tests: the exact searches against the exhaustive oracle on random small graphs.

mod common;

use common::{opts, q};
use num_traits::{One, Signed};
use proptest::prelude::*;
use rampart_risk::certificate::certificate;
use rampart_risk::search::cascade::worst_cascade;
use rampart_risk::search::{Budget, gamma_slack, most_profitable_attack};
use rampart_risk::{AnalyzeOptions, Graph, Rational, analyze, oracle};
use serde_json::json;

const THRESHOLDS: [&str; 6] = ["1/3", "1/2", "2/3", "1", "3/4", "1/5"];

/// A random graph: up to `max_ops` operators, up to 6 services, integer stakes and profits
/// (some zero), thresholds from a fixed list; with `elastic`, some edges carry allocations.
fn graph_strategy(max_ops: usize, elastic: bool) -> impl Strategy<Value = String> {
    (1..=max_ops, 1..=6usize).prop_flat_map(move |(n_ops, n_svc)| {
        (
            prop::collection::vec(0u32..30, n_ops),
            prop::collection::vec((0u32..60, 0usize..THRESHOLDS.len()), n_svc),
            prop::collection::vec(prop::collection::vec(0u8..8, n_ops), n_svc),
        )
            .prop_map(move |(stakes, services, edges)| {
                let stakes: Vec<u32> = stakes.into_iter().enumerate().map(|(i, s)| if i == 0 { s + 1 } else { s }).collect();
                let ops: Vec<_> = stakes.iter().enumerate().map(|(i, s)| json!({"id": format!("v{i}"), "stake": s.to_string()})).collect();
                let svcs: Vec<_> = services
                    .iter()
                    .enumerate()
                    .map(|(i, (p, t))| json!({"id": format!("s{i}"), "profit": p.to_string(), "threshold": THRESHOLDS[*t]}))
                    .collect();
                let mut list = Vec::new();
                for (s, row) in edges.iter().enumerate() {
                    for (v, cell) in row.iter().enumerate() {
                        if *cell < 4 {
                            continue;
                        }
                        if elastic && *cell < 7 {
                            let alloc = Rational::from_integer(stakes[v].into()) * q(&format!("{}/4", cell - 3));
                            list.push(json!([format!("s{s}"), format!("v{v}"), alloc.to_string()]));
                        } else {
                            list.push(json!([format!("s{s}"), format!("v{v}")]));
                        }
                    }
                }
                let model = if elastic { "elastic" } else { "restaking" };
                json!({"model": model, "services": svcs, "operators": ops, "edges": list}).to_string()
            })
    })
}

fn exact_best_profit(graph: &Graph, required: &[usize]) -> Option<Rational> {
    let search =
        most_profitable_attack(graph, required, &mut Budget::unlimited()).expect("search runs");
    assert!(search.proved, "small graphs are always proved");
    search.attack.map(|a| {
        assert!(a.is_valid());
        &a.profit - &a.cost
    })
}

fn exact_gamma(graph: &Graph, required: &[usize]) -> Option<Rational> {
    let slack = gamma_slack(graph, required, &mut Budget::unlimited()).expect("search runs");
    assert!(slack.proved, "small graphs are always proved");
    if let (Some(g), Some(w)) = (&slack.gamma, &slack.witness) {
        assert_eq!(
            &(&w.cost / &w.profit - Rational::one()),
            g,
            "witness attains γ"
        );
    }
    slack.gamma
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn exact_search_agrees_with_brute_force_on_restaking_graphs(text in graph_strategy(10, false)) {
        let g = Graph::from_json(&text).expect("valid graph");
        let reference = oracle::reference(&g, &[]).expect("small enough");
        prop_assert_eq!(exact_best_profit(&g, &[]), reference.best_profit);
        prop_assert_eq!(exact_gamma(&g, &[]), reference.gamma);
    }

    #[test]
    fn exact_search_agrees_with_brute_force_on_elastic_graphs(text in graph_strategy(7, true)) {
        let g = Graph::from_json(&text).expect("valid graph");
        let reference = oracle::reference(&g, &[]).expect("small enough");
        prop_assert_eq!(exact_best_profit(&g, &[]), reference.best_profit);
        prop_assert_eq!(exact_gamma(&g, &[]), reference.gamma);
    }

    #[test]
    fn local_search_agrees_with_brute_force_for_one_target(text in graph_strategy(9, false), pick in 0usize..6) {
        let g = Graph::from_json(&text).expect("valid graph");
        let target = [pick % g.services().len()];
        let reference = oracle::reference(&g, &target).expect("small enough");
        prop_assert_eq!(exact_best_profit(&g, &target), reference.best_profit);
        prop_assert_eq!(exact_gamma(&g, &target), reference.gamma);
    }

    #[test]
    fn certified_graph_never_has_a_valid_attack(text in graph_strategy(10, false)) {
        let g = Graph::from_json(&text).expect("valid graph");
        if certificate(&g).certified {
            prop_assert_eq!(oracle::reference(&g, &[]).expect("small enough").best_profit, None);
            let a = analyze(&g, &opts()).expect("analysis runs");
            prop_assert_eq!(a.secure, Some(true));
        }
    }

    #[test]
    fn certified_elastic_graph_never_has_a_valid_attack(text in graph_strategy(7, true)) {
        let g = Graph::from_json(&text).expect("valid graph");
        if certificate(&g).certified {
            prop_assert_eq!(oracle::reference(&g, &[]).expect("small enough").best_profit, None);
        }
    }

    #[test]
    fn gamma_star_never_exceeds_exact_gamma_slack(text in graph_strategy(10, false)) {
        let g = Graph::from_json(&text).expect("valid graph");
        let cert = certificate(&g);
        if let (Some(star), Some(gamma), true) = (cert.gamma_star, exact_gamma(&g, &[]), cert.uncovered_services.is_empty()) {
            prop_assert!(star <= gamma, "γ* = {} > γ = {}", star, gamma);
        }
    }

    #[test]
    fn cascade_agrees_with_brute_force(text in graph_strategy(7, false), psi_num in 0u32..=10) {
        let g = Graph::from_json(&text).expect("valid graph");
        let psi = Rational::new(psi_num.into(), 10.into());
        let exact = worst_cascade(&g, &psi, &[], &mut Budget::unlimited()).expect("search runs");
        prop_assert!(exact.proved);
        prop_assert_eq!(exact.loss_fraction, Some(oracle::restaking_cascade(&g, &psi, &[]).expect("small enough")));
    }

    #[test]
    fn cascade_loss_respects_theorem_one_bound(text in graph_strategy(8, false), psi_num in 1u32..=20) {
        let g = Graph::from_json(&text).expect("valid graph");
        let psi = Rational::new(psi_num.into(), 40.into());
        let options = AnalyzeOptions { shock: Some(psi.to_string()), ..opts() };
        let a = analyze(&g, &options).expect("analysis runs");
        let report = a.cascade.expect("shock given");
        let r = report.cascade.loss_fraction.expect("small graphs are proved");
        if let Some(gamma) = a.slack.gamma.filter(Signed::is_positive) {
            let bound = (Rational::one() + gamma.recip()) * &psi;
            prop_assert!(r < bound, "R = {} ≥ bound {}", r, bound);
            prop_assert_eq!(report.bound, Some(bound));
        }
        prop_assert!(r >= psi && r <= Rational::one() + &psi);
    }

    #[test]
    fn search_on_huge_numbers_agrees_with_small_numbers(text in graph_strategy(8, false)) {
        let small = Graph::from_json(&text).expect("valid graph");
        let factor = q("1000000000000000000000000000000");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let mut big = doc.clone();
        for (key, field) in [("operators", "stake"), ("services", "profit")] {
            for item in big[key].as_array_mut().expect("array") {
                let x = q(item[field].as_str().expect("string")) * &factor;
                item[field] = json!(x.to_string());
            }
        }
        let big = Graph::from_json(&big.to_string()).expect("valid graph");
        let scaled = exact_best_profit(&small, &[]).map(|p| p * &factor);
        prop_assert_eq!(exact_best_profit(&big, &[]), scaled);
        prop_assert_eq!(exact_gamma(&big, &[]), exact_gamma(&small, &[]));
    }
}

#[test]
fn work_budget_of_one_node_gives_an_honest_unknown() {
    let text = json!({
        "services": [{"id": "a", "profit": "5", "threshold": "1/2"}, {"id": "b", "profit": "5", "threshold": "1/2"}],
        "operators": [{"id": "x", "stake": "3"}, {"id": "y", "stake": "3"}, {"id": "z", "stake": "3"}],
        "edges": [["a", "x"], ["a", "y"], ["b", "y"], ["b", "z"]]
    })
    .to_string();
    let options = AnalyzeOptions {
        work_budget: Some(1),
        ..AnalyzeOptions::default()
    };
    let out = rampart_risk::analyze_json(&text, &options).expect("analysis runs");
    assert_eq!(out["search"]["gamma_slack"], "unknown");
    assert_eq!(out["gamma_slack"], serde_json::Value::Null);
    let full = rampart_risk::analyze_json(&text, &opts()).expect("analysis runs");
    assert_eq!(full["search"]["gamma_slack"], "proved");
    assert!(!full["gamma_slack"].is_null());
}
