//! Delegator lists (`/v1/operators/{a}/delegators`, `/v1/validators/{a}/delegators`): over 30
//! days of demo history the node's reverse index stays exactly what the state gives, and every
//! page, walked one account at a time, lists exactly the accounts the state holds positions for,
//! each valued as the `position` / `base_delegation` queries value it.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::temp_dir;
use rampart_core::schema::{BaseDelegations, Positions};
use rampart_node::client::Client;
use rampart_node::demo::{self, Driver};
use rampart_node::{NodeConfig, Shared};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const T0: u64 = 1_750_000_000;
const STEP_S: u64 = 4 * 3_600;

/// Every page of `path` with one account per page; returns the rows and checks the count.
fn walk(client: &Client, path: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => format!("{path}?limit=1&after={a}"),
            None => format!("{path}?limit=1"),
        };
        let page: Value = client.get(&url).unwrap();
        let list = page["delegators"].as_array().unwrap();
        assert!(list.len() <= 1, "{page}");
        rows.extend(list.iter().cloned());
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => {
                assert_eq!(
                    page["count"].as_u64().unwrap() as usize,
                    rows.len(),
                    "{path}"
                );
                return rows;
            }
        }
    }
}

#[test]
fn delegator_lists_follow_the_state_over_thirty_days_of_demo() {
    let mut config = NodeConfig::new(temp_dir("delegators"));
    config.block_interval_ms = Some(0);
    config.http.rate_limit_per_s = 0;
    let s = Shared::open(config, &demo::genesis(T0)).expect("opens");
    let mut checks = 0;
    demo::run_history(
        &s,
        &mut Driver::default(),
        30 * 86_400 / STEP_S,
        STEP_S,
        &mut |i| {
            if i % 15 == 0 {
                s.check_delegator_index().unwrap();
                checks += 1;
            }
        },
    )
    .unwrap();
    assert!(checks >= 10);
    s.check_delegator_index().unwrap();

    // What the state holds, by scanning it (the index never scans).
    let (positions, base) = s
        .with_state(|st| {
            let p: BTreeSet<_> = st
                .iter::<Positions>()
                .map(|(&(s, o, _), _)| (o, s))
                .collect();
            let b: BTreeSet<_> = st
                .iter::<BaseDelegations>()
                .map(|(&(d, v), _)| (v, d))
                .collect();
            (p, b)
        })
        .unwrap();
    let operators: BTreeSet<_> = positions.iter().map(|(o, _)| *o).collect();
    let validators: BTreeSet<_> = base.iter().map(|(v, _)| *v).collect();
    assert!(
        operators.len() >= 3 && validators.len() >= 3,
        "{operators:?} {validators:?}"
    );

    let (runtime, node) = common::serve(s);
    let client = Client::new(&format!("http://{}", node.addr));
    let mut rows_seen = 0;
    for op in &operators {
        let rows = walk(&client, &format!("/v1/operators/{op:#x}/delegators"));
        let listed: BTreeSet<_> = rows
            .iter()
            .map(|r| r["staker"].as_str().unwrap().parse().unwrap())
            .collect();
        let held: BTreeSet<_> = positions
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(listed, held, "operator {op:#x}");
        for r in &rows {
            let staker = r["staker"].as_str().unwrap();
            let view = client
                .query(&json!({"query": "position", "staker": staker}))
                .unwrap();
            let mine: Vec<&Value> = view["positions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| {
                    p["operator"]
                        .as_str()
                        .unwrap()
                        .eq_ignore_ascii_case(&format!("{op:#x}"))
                })
                .collect();
            let listed: Vec<&Value> = r["positions"].as_array().unwrap().iter().collect();
            assert_eq!(listed, mine, "{staker} with {op:#x}");
            rows_seen += 1;
        }
    }
    for v in &validators {
        let rows = walk(&client, &format!("/v1/validators/{v:#x}/delegators"));
        let held: BTreeSet<_> = base
            .iter()
            .filter(|(x, _)| x == v)
            .map(|(_, d)| *d)
            .collect();
        assert_eq!(rows.len(), held.len(), "validator {v:#x}");
        for r in &rows {
            let d = r["delegator"].as_str().unwrap();
            assert!(held.contains(&d.parse::<alloy_primitives::Address>().unwrap()));
            let view = client
                .query(&json!({"query": "base_delegation", "delegator": d}))
                .unwrap();
            let entry = view["delegations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| {
                    e["validator"]
                        .as_str()
                        .unwrap()
                        .eq_ignore_ascii_case(&format!("{v:#x}"))
                })
                .unwrap();
            assert_eq!(&r["delegation"], entry, "{d} with {v:#x}");
            rows_seen += 1;
        }
    }
    assert!(rows_seen >= 10, "{rows_seen}");

    // After a month of programs, operators show the commission they earned per service.
    let earned: usize = operators
        .iter()
        .map(|op| {
            let o = client
                .query(&json!({"query": "operator", "operator": format!("{op:#x}")}))
                .unwrap();
            o["service_commissions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| !c["earned"].as_array().unwrap().is_empty())
                .count()
        })
        .sum();
    assert!(
        earned >= 1,
        "no operator earned a commission in 30 days of demo"
    );

    // A full page of the default size, the bounds on `limit`, unknown roles.
    let op = operators.iter().next().unwrap();
    let page: Value = client
        .get(&format!("/v1/operators/{op:#x}/delegators"))
        .unwrap();
    assert!(page["delegators"].as_array().unwrap().len() <= 50);
    for (path, code) in [
        (
            format!("/v1/operators/{op:#x}/delegators?limit=0"),
            "invalid_input",
        ),
        (
            format!("/v1/operators/{op:#x}/delegators?limit=201"),
            "invalid_input",
        ),
        (
            format!("/v1/operators/{op:#x}/delegators?after=0x12"),
            "invalid_input",
        ),
        (
            format!(
                "/v1/operators/{:#x}/delegators",
                alloy_primitives::Address::repeat_byte(7)
            ),
            "not_found",
        ),
        (format!("/v1/validators/{op:#x}/delegators"), "not_found"),
    ] {
        let err = client.get::<Value>(&path).unwrap_err();
        assert!(err.to_string().contains(code), "{path}: {err}");
    }
    runtime.block_on(node.shutdown());
}
