//! The node's history (`/v1/history`): the 30 days of demo history fill every group, ranges and
//! resolutions select points, and the storage bound holds (recent snapshots, then one a day).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::temp_dir;
use rampart_api::history::{HistoryIndex, HistoryView};
use rampart_node::demo::{self, Driver};
use rampart_node::{NodeConfig, Shared};

const T0: u64 = 1_750_000_000;
const STEP_S: u64 = 4 * 3_600;

fn demo_node(name: &str, configure: impl FnOnce(&mut NodeConfig)) -> Shared {
    let mut config = NodeConfig::new(temp_dir(name));
    config.block_interval_ms = Some(0);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.http.rate_limit_per_s = 0;
    configure(&mut config);
    Shared::open(config, &demo::genesis(T0)).expect("opens")
}

fn series<'a>(view: &'a HistoryView, key: &str) -> &'a rampart_api::history::HistorySeries {
    view.series
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no series {key} in {:?}", keys(view)))
}

fn keys(view: &HistoryView) -> Vec<&str> {
    view.series.iter().map(|s| s.key.as_str()).collect()
}

#[test]
fn thirty_days_of_demo_history_fill_every_group_over_http() {
    let s = demo_node("history-30-days", |c| c.labels = demo::labels());
    let blocks = 30 * 86_400 / STEP_S;
    demo::run_history(&s, &mut Driver::default(), blocks, STEP_S, &mut |_| {}).unwrap();
    let (runtime, node) = common::serve(s);
    let client = rampart_node::client::Client::new(&format!("http://{}", node.addr));

    let index: HistoryIndex = client.get("/v1/history").unwrap();
    // Each block four hours apart crosses an epoch boundary (hourly epochs): one snapshot each.
    assert_eq!(index.snapshots, blocks, "{index:?}");
    assert_eq!(index.bound.recent, 2_160);
    assert_eq!(index.bound.daily, 1_825);
    let (first, last) = (index.first_time.unwrap(), index.last_time.unwrap());
    assert!(last - first >= 29 * 86_400, "{first} … {last}");

    let tvl: HistoryView = client.get("/v1/history/tvl").unwrap();
    let steth = series(&tvl, "tvl/strategy/stETH");
    assert_eq!(steth.unit, "stETH");
    assert_eq!(steth.decimals, 18);
    assert_eq!(steth.points.len() as u64, blocks);
    assert!(steth.points.windows(2).all(|w| w[0].time < w[1].time));
    let last_tvl: u128 = steth.points.last().unwrap().value.parse().unwrap();
    assert!(last_tvl > 0, "stETH is restaked by the end");
    series(&tvl, "tvl/vault/rstETH");
    series(&tvl, "tvl/vault/rstRAM");

    let stake: HistoryView = client.get("/v1/history/stake").unwrap();
    let bonded = series(&stake, "stake/bonded");
    assert_eq!(bonded.unit, "RAM");
    assert!(
        keys(&stake)
            .iter()
            .filter(|k| k.starts_with("stake/validator/"))
            .count()
            >= 4
    );
    assert!(
        keys(&stake)
            .iter()
            .any(|k| k.starts_with("stake/operator/"))
    );

    let rates: HistoryView = client.get("/v1/history/rates").unwrap();
    let lst = series(&rates, "rates/lst/stRAM");
    let first_rate: u128 = lst.points.first().unwrap().value.parse().unwrap();
    let last_rate: u128 = lst.points.last().unwrap().value.parse().unwrap();
    assert!(
        last_rate > first_rate,
        "the LST compounds: {first_rate} → {last_rate}"
    );
    series(&rates, "rates/vault/rstETH");

    let rewards: HistoryView = client.get("/v1/history/rewards").unwrap();
    let streamed = series(&rewards, "rewards/program/0");
    let end: u128 = streamed.points.last().unwrap().value.parse().unwrap();
    assert!(end > 0);

    let security: HistoryView = client.get("/v1/history/security").unwrap();
    assert!(keys(&security).iter().any(|k| k.ends_with("/cost")));
    assert!(keys(&security).iter().any(|k| k.ends_with("/profit")));

    // The named accounts' positions (the demo names its accounts): value and net earnings.
    let accounts: HistoryView = client.get("/v1/history/accounts").unwrap();
    let grace = format!("accounts/{}", common::addr("grace"));
    let value = series(&accounts, &format!("{grace}/value"));
    assert_eq!(value.unit, "RAM");
    let held: u128 = value.points.last().unwrap().value.parse().unwrap();
    assert!(held > 0, "grace holds positions");
    let earned = series(&accounts, &format!("{grace}/earned"));
    assert!(earned.points.len() > 1);
    let _: i128 = earned.points.last().unwrap().value.parse().unwrap();
    // Only named accounts are charted: an unnamed one has no series.
    let stranger = format!("{:#x}", alloy_primitives::Address::repeat_byte(0x77));
    assert!(keys(&accounts).iter().all(|k| !k.contains(&stranger)));
    assert!(
        keys(&accounts).len() <= 2 * rampart_node::history::MAX_TRACKED_ACCOUNTS,
        "{}",
        keys(&accounts).len()
    );

    // A day's resolution: at most one point per UTC day, the last of each.
    let daily: HistoryView = client.get("/v1/history/tvl?resolution=86400").unwrap();
    assert_eq!(daily.resolution_s, 86_400);
    let points = &series(&daily, "tvl/strategy/stETH").points;
    assert!(points.len() <= 31 && points.len() >= 29, "{}", points.len());
    assert!(
        points
            .windows(2)
            .all(|w| w[0].time / 86_400 < w[1].time / 86_400)
    );
    assert_eq!(points.last().unwrap(), steth.points.last().unwrap());

    // A time range.
    let week_from = last - 7 * 86_400;
    let week: HistoryView = client
        .get(&format!("/v1/history/rates?from={week_from}&to={last}"))
        .unwrap();
    let p = &series(&week, "rates/lst/stRAM").points;
    assert!(p.iter().all(|p| p.time >= week_from && p.time <= last));
    assert_eq!(p.len() as u64, 7 * 86_400 / STEP_S + 1);

    // Errors: an unknown group, a reversed range, an unknown parameter.
    for (path, code) in [
        ("/v1/history/nope", "not_found"),
        ("/v1/history/tvl?from=10&to=5", "invalid_input"),
        ("/v1/history/tvl?since=5", "invalid_input"),
        ("/v1/history/tvl?from=-1", "invalid_input"),
    ] {
        let err = client.get::<HistoryView>(path).unwrap_err();
        assert!(err.to_string().contains(code), "{path}: {err}");
    }
    runtime.block_on(node.shutdown());
}

#[test]
fn history_storage_keeps_recent_epochs_then_one_snapshot_a_day_within_its_bound() {
    let s = demo_node("history-bound", |c| {
        c.history.recent = 12;
        c.history.daily = 3;
    });
    // Ten days of hourly epochs, one block per epoch, no transactions.
    let mut time = T0;
    for _ in 0..10 * 24 {
        time += 3_600;
        s.produce_block_at(time).unwrap();
        let index = s.history_index().unwrap();
        assert!(index.snapshots <= 12 + 3, "{index:?}");
    }
    let index = s.history_index().unwrap();
    assert_eq!(index.snapshots, 15);
    let view = s
        .history("stake", rampart_node::history::Range::default())
        .unwrap();
    let times: Vec<u64> = series(&view, "stake/bonded")
        .points
        .iter()
        .map(|p| p.time)
        .collect();
    assert_eq!(times.len(), 15);
    // The newest twelve are every epoch.
    assert!(
        times[3..].windows(2).all(|w| w[1] - w[0] == 3_600),
        "{times:?}"
    );
    assert_eq!(*times.last().unwrap(), time);
    // Before them, three downsampled snapshots on three different days, consecutive days.
    let days: Vec<u64> = times[..3].iter().map(|t| t / 86_400).collect();
    assert!(days.windows(2).all(|w| w[1] == w[0] + 1), "{days:?}");
    assert!(days[2] <= times[3] / 86_400);
}
