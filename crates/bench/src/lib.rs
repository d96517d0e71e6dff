//! Shared setup for Rampart's benchmarks: a chain with many stakers and operators built through
//! the same transaction path a node uses, and a small table printer.

use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset};
use rampart_core::restaking::{Admission, Destination, RegisterService};
use rampart_core::{
    Action, Address, Amount, BlockHeader, Duration, Height, Outcome, SetRef, State, Timestamp, Tx,
    Wad, begin_block, execute_tx,
};

/// The strategy used everywhere.
pub const ASSET: &str = "stETH";

/// A deterministic account address for index `i` of a kind (no key derivation: cheap at 1M).
pub fn account(kind: u8, i: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xbe;
    bytes[1] = kind;
    bytes[12..].copy_from_slice(&i.to_be_bytes());
    Address::from(bytes)
}

/// A staker.
pub fn staker(i: u64) -> Address {
    account(1, i)
}

/// An operator.
pub fn operator(i: u64) -> Address {
    account(2, i)
}

/// The service.
pub fn service() -> Address {
    account(3, 0)
}

/// The set every operator joins.
pub fn set() -> SetRef {
    SetRef {
        service: service(),
        id: 0,
    }
}

/// A chain being driven by a benchmark.
#[allow(missing_debug_implementations)]
pub struct Chain {
    /// The state.
    pub state: State,
    /// The current block.
    pub header: BlockHeader,
    nonces: std::collections::BTreeMap<Address, u64>,
}

impl Chain {
    /// Genesis with `stakers` funded accounts.
    /// Its one operator set admits up to 1,024 operators (the top of `max_operators_per_set`'s
    /// range; the default is 256), so the throughput benchmark keeps its 1k operators in one set.
    pub fn new(stakers: u64) -> Self {
        Self::with_params(
            stakers,
            rampart_core::params::ParamsPatch {
                max_operators_per_set: Some(1_024),
                ..Default::default()
            },
        )
    }

    /// Genesis with `stakers` funded accounts and parameters that differ from the defaults.
    pub fn with_params(stakers: u64, params: rampart_core::params::ParamsPatch) -> Self {
        let genesis = Genesis {
            chain_id: 1,
            time: Timestamp::new(1_700_000_000),
            governance: None,
            guardian: None,
            params,
            assets: vec![GenesisAsset {
                symbol: ASSET.into(),
                decimals: 18,
                issuer: Some(account(9, 0)),
                restakable: true,
            }],
            accounts: (0..stakers)
                .map(|i| GenesisAccount {
                    address: staker(i),
                    balances: [(ASSET.to_owned(), Amount::new(1_000_000 * 10u128.pow(18)))].into(),
                })
                .collect(),
            validators: Vec::new(),
        };
        Self::from_genesis(&genesis)
    }

    /// A chain from any genesis (invariant checks off: benchmarks measure the work itself).
    pub fn from_genesis(genesis: &Genesis) -> Self {
        let mut state = genesis.build().expect("genesis");
        state.set_invariant_checks(false);
        let header = BlockHeader::new(Height::new(1), genesis.time, None);
        begin_block(&mut state, &header).expect("block");
        state.discard_journal();
        Self {
            state,
            header,
            nonces: Default::default(),
        }
    }

    /// Opens the next block at unix time `t` (one block; every epoch boundary crossed is
    /// processed); returns its events.
    pub fn advance_to(&mut self, t: u64) -> Vec<rampart_core::Event> {
        let block_time = self.state.params().block_time_s.get().max(1);
        let blocks = (t.saturating_sub(self.header.time.get()) / block_time).max(1);
        let header = BlockHeader::new(
            Height::new(self.header.height.get() + blocks),
            Timestamp::new(t),
            None,
        );
        let events = begin_block(&mut self.state, &header).expect("begin_block");
        self.state.discard_journal();
        self.header = header;
        events
    }

    /// Executes one transaction; panics if it is rejected or fails (benchmarks only run valid
    /// work).
    pub fn send(&mut self, signer: Address, action: Action) -> Outcome {
        let tx = self.tx(signer, action);
        self.execute(tx)
    }

    /// `action` as `signer`'s next transaction (no fee), not yet executed: throughput benchmarks
    /// build a block's worth first and time only the execution, as a node does.
    pub fn tx(&mut self, signer: Address, action: Action) -> Tx {
        let nonce = self.nonces.entry(signer).or_insert(0);
        let tx = Tx::unpaid(signer, *nonce, action);
        *nonce += 1;
        tx
    }

    /// Executes `work` in blocks of 10,000 transactions, each built first (nonces assigned, not
    /// timed), then executed and its journal drained as a block commit would; returns the time
    /// spent executing.
    pub fn run_blocks(
        &mut self,
        work: impl IntoIterator<Item = (Address, Action)>,
    ) -> std::time::Duration {
        let mut work = work.into_iter().peekable();
        let mut elapsed = std::time::Duration::ZERO;
        let mut block = Vec::with_capacity(10_000);
        while work.peek().is_some() {
            block.extend(work.by_ref().take(10_000).map(|(s, a)| self.tx(s, a)));
            let start = std::time::Instant::now();
            for tx in block.drain(..) {
                self.execute(tx);
            }
            self.state.discard_journal();
            elapsed += start.elapsed();
        }
        elapsed
    }

    /// Executes `tx`; panics if it is rejected or fails.
    pub fn execute(&mut self, tx: Tx) -> Outcome {
        let receipt = execute_tx(&mut self.state, &self.header, tx).expect("valid envelope");
        match receipt.result {
            Ok(o) => o,
            Err(e) => panic!("benchmark transaction failed: {e}"),
        }
    }

    /// Registers `n` operators (allocation delay 0), a service with one set, everyone in it.
    pub fn operators(&mut self, n: u64) {
        self.send(
            service(),
            Action::RegisterService(RegisterService {
                metadata_uri: String::new(),
                slasher: service(),
                resolver: None,
                veto_window_s: Duration::ZERO,
                max_slash_per_event_wad: Wad::ONE,
                destination: Destination::Burn,
                resolution_delay_s: None,
                double_sign_wad: None,
            }),
        );
        self.send(
            service(),
            Action::CreateOperatorSet {
                set_id: 0,
                strategies: vec![ASSET.into()],
                admission: Admission::Open,
            },
        );
        for i in 0..n {
            self.send(
                operator(i),
                Action::RegisterOperator {
                    metadata_uri: String::new(),
                    allocation_delay_s: Duration::ZERO,
                    default_commission_bps: None,
                    signing_key: None,
                },
            );
            self.send(operator(i), Action::RegisterForSet { set: set() });
        }
        self.state.discard_journal();
    }

    /// Staker `i` deposits `amount` and delegates it to operator `op`.
    pub fn stake(&mut self, i: u64, op: u64, amount: u128) {
        self.send(
            staker(i),
            Action::Deposit {
                asset: ASSET.into(),
                amount: Amount::new(amount),
                min_shares_out: None,
            },
        );
        self.send(
            staker(i),
            Action::Delegate {
                operator: operator(op),
                strategy: ASSET.into(),
                shares: rampart_core::num::ShareAmount::All,
                validator: None,
            },
        );
    }
}

/// Prints a table with a header row.
pub fn table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n{title}");
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        println!("| {} |", parts.join(" | "));
    };
    line(header.to_vec());
    println!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
