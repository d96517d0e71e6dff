//! The event stream as a client uses it: every event has an SSE `id:` (and carries its
//! transaction's hash and its asset), a new client first gets the last events, and a client
//! reconnecting with `Last-Event-ID` resumes right after that event.

mod common;

use common::TestNode;
use serde_json::Value;
use std::io::{BufRead, BufReader};

/// The first `n` protocol events of `/v1/events` as (SSE id, data), or those that arrive
/// within two seconds.
fn read_events(base: &str, last_event_id: Option<&str>, n: usize) -> Vec<(String, Value)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(2)))
        .build()
        .into();
    let mut request = agent.get(&format!("{base}/v1/events"));
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.call().expect("stream opens");
    let reader = BufReader::new(response.into_body().into_reader());
    let mut out = Vec::new();
    let mut id = None;
    for line in reader.lines() {
        let Ok(line) = line else {
            break; // the time is up
        };
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(data) = line.strip_prefix("data:") {
            let value: Value = serde_json::from_str(data.trim()).expect("JSON data");
            out.push((id.take().expect("an id: before each data:"), value));
            if out.len() == n {
                break;
            }
        }
    }
    out
}

#[test]
fn events_have_ids_backfill_and_resume_after_last_event_id() {
    let t = TestNode::start("events", 100, |_| {});
    t.setup_demo();
    let base = t.client.base().to_owned();
    // A new client gets kept events at once (the setup's), each with its id.
    let first = read_events(&base, None, 20);
    assert_eq!(first.len(), 20);
    for (id, data) in &first {
        assert_eq!(data["id"], id.as_str());
        assert!(id.contains(':'), "{id}");
    }
    let ids: Vec<(u64, u64)> = first
        .iter()
        .map(|(id, _)| rampart_node::node::event_position(id).unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    assert!(
        first.iter().any(|(_, d)| d["tx"].is_string()),
        "transaction events carry their hash"
    );
    // A deposit's events name their asset.
    let deposit = t.run(
        "alice",
        &serde_json::json!({"tx": "deposit", "asset": "stETH", "amount": "1000"}),
    );
    assert!(deposit.ok, "{deposit:?}");
    let resume_from = &first[9].0;
    let resumed = read_events(&base, Some(resume_from), 10);
    assert_eq!(
        resumed[0].0, first[10].0,
        "resumes right after {resume_from}"
    );
    assert_eq!(resumed[..], first[10..20]);
    let mut seen_deposit = None;
    let mut after = first.last().unwrap().0.clone();
    for _ in 0..50 {
        let batch = read_events(&base, Some(&after), 50);
        if let Some((_, d)) = batch
            .iter()
            .find(|(_, d)| d["tx"] == Value::String(format!("{:#x}", deposit.hash)))
        {
            seen_deposit = Some(d.clone());
            break;
        }
        match batch.last() {
            Some((id, _)) => after = id.clone(),
            None => break,
        }
    }
    let event = seen_deposit.expect("the deposit's events are on the stream");
    assert_eq!(event["asset"], "stETH", "{event}");
}
