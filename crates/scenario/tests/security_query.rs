//! The live `security` query builds the graph a person would write by hand for the same
//! network, and analyses it exactly as `rampart risk analyze` analyses that file.

use rampart_risk::{AnalyzeOptions, Graph, Rational};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).expect("file exists")
}

/// The result of the first `security` query of the scenario that found the bridge insecure.
fn live_result() -> Value {
    let report = rampart_scenario::run(
        &read("tests/scenarios/security-query-on-the-live-state.json"),
        &mut |_| {},
    )
    .expect("scenario runs");
    assert!(report.ok, "{:#?}", report.lines);
    report
        .lines
        .into_iter()
        .find(|l| l["query"] == "security" && l["ok"] == true && l["result"].is_object())
        .map(|l| l["result"].clone())
        .expect("a security query answered")
}

type Canonical = (
    Vec<(String, Rational, Rational)>,
    Vec<(String, Rational)>,
    Vec<(String, String, Rational)>,
);

/// Services, operators and edges in id order, with exact numbers.
fn canonical(g: &Graph) -> Canonical {
    let mut services: Vec<_> = g
        .services()
        .iter()
        .map(|s| (s.id.clone(), s.profit.clone(), s.threshold.clone()))
        .collect();
    let mut operators: Vec<_> = g
        .operators()
        .iter()
        .map(|o| (o.id.clone(), o.stake.clone()))
        .collect();
    let mut edges: Vec<_> = g
        .links()
        .iter()
        .map(|l| {
            (
                g.services()[l.service].id.clone(),
                g.operators()[l.operator].id.clone(),
                l.weight.clone(),
            )
        })
        .collect();
    services.sort();
    operators.sort();
    edges.sort();
    (services, operators, edges)
}

#[test]
fn the_live_graph_of_a_small_network_is_the_hand_built_graph_file() {
    let live = live_result();
    let from_state = Graph::from_value(&live["graph"]).expect("the live graph is a graph file");
    let by_hand = Graph::from_json(&read("tests/graphs/live-small-network.json")).unwrap();
    assert_eq!(from_state.model(), by_hand.model());
    assert_eq!(canonical(&from_state), canonical(&by_hand));
}

#[test]
fn the_live_analysis_is_the_offline_analysis_of_the_same_graph() {
    let live = live_result();
    // The hand-built file, listed in the live graph's order (ids follow input order in every
    // output), analysed offline.
    let mut file: Value =
        serde_json::from_str(&read("tests/graphs/live-small-network.json")).unwrap();
    for (kind, key) in [("services", "id"), ("operators", "id")] {
        let order: Vec<String> = live["graph"][kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap().to_owned())
            .collect();
        let items = file[kind].as_array_mut().unwrap();
        items.sort_by_key(|x| order.iter().position(|id| x[key] == id.as_str()));
    }
    let edge_order: Vec<(String, String)> = live["graph"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_owned(),
                e[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    file["edges"].as_array_mut().unwrap().sort_by_key(|e| {
        edge_order
            .iter()
            .position(|(s, o)| e[0] == s.as_str() && e[1] == o.as_str())
    });
    let opts = AnalyzeOptions {
        work_budget: Some(100_000),
        ..AnalyzeOptions::default()
    };
    let offline = rampart_risk::analyze_json(&file.to_string(), &opts).unwrap();
    let mut online = live["analysis"].clone();
    // The live query adds concentration per asset, which a graph file cannot know.
    online["concentration"]
        .as_object_mut()
        .unwrap()
        .remove("assets");
    assert_eq!(online, offline);
    assert_eq!(offline["secure"], false);
}
