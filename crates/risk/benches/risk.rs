//! Risk-engine benchmarks; prints a table (plain std timing, `harness = false`).
//!
//! Run with `cargo bench -p rampart-risk`. Arguments: `quick` runs a reduced set.
//!
//! # Graph generator (seeded, deterministic)
//! SplitMix64 from a fixed seed. Operator stakes are whole ETH from a discrete Pareto-like
//! law `⌊4,000,000 / r⌋` with `r` uniform in `[1, 40,000]` (a few operators near 10⁵ ETH, a
//! median near 100 ETH, like EigenLayer's long tail). An operator of stake σ registers with
//! `⌊(log₂(σ+1))² / 10⌋ + (0..2)` services (capped at the number of services): the largest
//! operators serve most services, small ones one or none. Services are picked without
//! replacement with Zipf weights `1/(rank+1)` (one service, like EigenDA, is on most
//! operators). Thresholds cycle through 1/3, 1/2, 2/3. Each service's profit from corruption is
//! a seeded fraction ρ of the stake needed to corrupt it alone, `π_s = ρ·α_s·σ_{N(s)}`, with ρ
//! uniform in a band that sets how attackable the network is.

use std::time::{Duration, Instant};

use rampart_risk::certificate::certificate;
use rampart_risk::graph::{Edge, Graph, GraphLimits, ModelChoice, Operator, Service};
use rampart_risk::num::{Rational, int, ratio};
use rampart_risk::oracle;
use rampart_risk::search::{Budget, gamma_slack, most_profitable_attack};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Profit bands ρ in thousandths: (low, high).
#[derive(Clone, Copy)]
struct Band {
    name: &'static str,
    lo: u64,
    hi: u64,
}

const BANDS: [Band; 3] = [
    Band {
        name: "low ρ∈[0.005,0.02]",
        lo: 5,
        hi: 20,
    },
    Band {
        name: "middle ρ∈[0.02,0.05]",
        lo: 20,
        hi: 50,
    },
    Band {
        name: "high ρ∈[0.05,0.30]",
        lo: 50,
        hi: 300,
    },
];

fn log2_floor(x: u64) -> u64 {
    u64::from(63 - x.max(1).leading_zeros())
}

fn generate(seed: u64, n_ops: usize, n_svc: usize, band: Band) -> Graph {
    let mut rng = Rng(seed);
    let stakes: Vec<u64> = (0..n_ops)
        .map(|_| (4_000_000 / (1 + rng.below(40_000))).max(1))
        .collect();
    let weights: Vec<u64> = (0..n_svc).map(|r| 1_000_000 / (r as u64 + 1)).collect();
    let mut edges = Vec::new();
    let mut service_stake = vec![0u64; n_svc];
    for (v, &stake) in stakes.iter().enumerate() {
        let l = log2_floor(stake + 1);
        let degree = ((l * l) / 10 + rng.below(2)).min(n_svc as u64) as usize;
        let mut taken = vec![false; n_svc];
        for _ in 0..degree {
            let total: u64 = (0..n_svc).filter(|&s| !taken[s]).map(|s| weights[s]).sum();
            let mut pick = rng.below(total.max(1));
            let s = (0..n_svc)
                .filter(|&s| !taken[s])
                .find(|&s| {
                    if pick < weights[s] {
                        true
                    } else {
                        pick -= weights[s];
                        false
                    }
                })
                .unwrap_or(0);
            taken[s] = true;
            service_stake[s] += stake;
            edges.push(Edge {
                service: format!("s{s}"),
                operator: format!("v{v}"),
                allocation: None,
            });
        }
    }
    let thresholds = [ratio(1, 3), ratio(1, 2), ratio(2, 3)];
    let services = (0..n_svc)
        .map(|s| {
            let alpha = thresholds[s % 3].clone();
            let rho = band.lo + rng.below(band.hi - band.lo + 1);
            let profit = Rational::from_integer((service_stake[s] as i64).into())
                * &alpha
                * ratio(rho as i64, 1000);
            Service {
                id: format!("s{s}"),
                profit: profit.floor(),
                threshold: alpha,
            }
        })
        .collect();
    let operators = stakes
        .iter()
        .enumerate()
        .map(|(v, &s)| Operator {
            id: format!("v{v}"),
            stake: int(s as i64),
            groups: Default::default(),
        })
        .collect();
    Graph::new(
        services,
        operators,
        edges,
        ModelChoice::Auto,
        GraphLimits::default(),
    )
    .expect("generated graphs are valid")
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn bench_certificate(quick: bool) {
    println!("\n## Certificate (T_v, γ*), 10,000 operators × 1,000 services\n");
    println!("| seed | edges | best of 5 | certified | γ* |");
    println!("|---|---|---|---|---|");
    for seed in if quick { vec![1] } else { vec![1, 2, 3] } {
        let g = generate(seed, 10_000, 1_000, BANDS[0]);
        let mut best = Duration::MAX;
        let mut cert = None;
        for _ in 0..5 {
            let t = Instant::now();
            let c = certificate(&g);
            best = best.min(t.elapsed());
            cert = Some(c);
        }
        let cert = cert.expect("ran");
        let gamma = cert.gamma_star.map_or("∞".to_string(), |g| {
            rampart_risk::num::decimal_text(&g, 4)
        });
        println!(
            "| {seed} | {} | {} | {} | {gamma} |",
            g.links().len(),
            ms(best),
            cert.certified
        );
    }
}

fn bench_mainnet(quick: bool) {
    println!(
        "\n## Exact search at mainnet scale: 2,000 operators × 40 services, budget 10 s per search\n"
    );
    println!(
        "| profit band | seed | edges | attack | attack time | proved | γ-slack | γ time | proved | nodes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let seeds: &[u64] = if quick { &[1] } else { &[1, 2, 3] };
    for band in BANDS {
        for &seed in seeds {
            let g = generate(seed, 2_000, 40, band);
            let t = Instant::now();
            let mut budget = Budget::new(Some(10_000), None);
            let attack = most_profitable_attack(&g, &[], &mut budget).expect("search runs");
            let t_attack = t.elapsed();
            let t = Instant::now();
            let mut budget = Budget::new(Some(10_000), None);
            let slack = gamma_slack(&g, &[], &mut budget).expect("search runs");
            let t_slack = t.elapsed();
            let net = attack.attack.as_ref().map_or("none".to_string(), |a| {
                format!(
                    "{} svc, net {}",
                    a.services.len(),
                    rampart_risk::num::decimal_text(&(&a.profit - &a.cost), 0)
                )
            });
            let gamma = slack
                .gamma
                .as_ref()
                .map_or("-".to_string(), |g| rampart_risk::num::decimal_text(g, 4));
            println!(
                "| {} | {seed} | {} | {net} | {} | {} | {gamma} | {} | {} | {} |",
                band.name,
                g.links().len(),
                ms(t_attack),
                attack.proved,
                ms(t_slack),
                slack.proved,
                attack.nodes + slack.nodes
            );
        }
    }
}

fn bench_brute_force(quick: bool) {
    println!("\n## Brute force against the exact search (8 services, attack + γ-slack)\n");
    println!("| operators | brute force | exact search | speed-up | same answer |");
    println!("|---|---|---|---|---|");
    let sizes: Vec<usize> = if quick {
        vec![12, 16]
    } else {
        vec![12, 16, 18, 20, 22]
    };
    for n in sizes {
        let g = generate(7, n, 8, BANDS[1]);
        let t = Instant::now();
        let reference = oracle::reference(&g, &[]).expect("small enough");
        let t_brute = t.elapsed();
        let t = Instant::now();
        let attack =
            most_profitable_attack(&g, &[], &mut Budget::unlimited()).expect("search runs");
        let slack = gamma_slack(&g, &[], &mut Budget::unlimited()).expect("search runs");
        let t_exact = t.elapsed();
        let same = attack.attack.map(|a| &a.profit - &a.cost) == reference.best_profit
            && slack.gamma == reference.gamma;
        let ratio = t_brute.as_secs_f64() / t_exact.as_secs_f64().max(1e-9);
        println!(
            "| {n} | {} | {} | {:.0}× | {same} |",
            ms(t_brute),
            ms(t_exact),
            ratio
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    println!(
        "# rampart-risk benchmarks{}",
        if quick { " (quick)" } else { "" }
    );
    bench_certificate(quick);
    bench_mainnet(quick);
    bench_brute_force(quick);
}
