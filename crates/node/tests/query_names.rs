//! One name for the account across queries (`account=`, older names kept as aliases), over
//! POST and GET; an unknown query lists every query, the node's own included.

mod common;

use common::{TestNode, addr};
use serde_json::{Value, json};

#[test]
fn account_is_accepted_by_every_query_about_one_account_and_old_names_still_work() {
    let t = TestNode::start("query-account", 100, |_| {});
    t.setup_demo();
    for (query, old) in [
        ("position", "staker"),
        ("withdrawals", "staker"),
        ("base_delegation", "delegator"),
    ] {
        let who = if query == "base_delegation" {
            "grace"
        } else {
            "alice"
        };
        let by_account = t
            .client
            .query(&json!({"query": query, "account": addr(who)}))
            .unwrap_or_else(|e| panic!("{query} account=: {e}"));
        let by_old = t
            .client
            .query(&json!({"query": query, old: addr(who)}))
            .unwrap();
        assert_eq!(by_account, by_old, "{query}");
        let by_url: Value = t
            .client
            .get(&format!("/v1/query/{query}?account={}", addr(who)))
            .unwrap();
        assert_eq!(by_url, by_old, "{query} over GET");
        let both = t
            .client
            .query(&json!({"query": query, "account": addr(who), old: addr(who)}))
            .unwrap_err();
        assert_eq!(both.code(), Some("invalid_input"));
    }
    for query in ["yield", "exit_path", "lst"] {
        t.client
            .query(&json!({"query": query, "account": addr("grace")}))
            .unwrap_or_else(|e| panic!("{query}: {e}"));
    }
}

#[test]
fn an_unknown_query_lists_every_query_including_the_nodes_own() {
    let t = TestNode::start("query-unknown", 100, |_| {});
    let e = t.client.query(&json!({"query": "positon"})).unwrap_err();
    assert_eq!(e.code(), Some("unknown_query"));
    let text = e.to_string();
    for name in ["position", "balance", "vault", "security", "state_root"] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
}
