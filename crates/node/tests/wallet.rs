//! Acting with a wallet, end to end in headless Chromium driven over the DevTools protocol
//! (`--remote-debugging-pipe`): an injected EIP-1193 provider answers `eth_requestAccounts` with
//! a dev account and `eth_signTypedData_v4` by handing the typed data to this test, which checks
//! it is the node's EIP-712 transaction and signs it with the dev key; the page previews, submits
//! and shows the receipt: deposit → delegate → the position page shows it → claim, each committed
//! on the node; then an operator sets its commission from its own page; with no console error
//! or uncaught exception on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod common;

use common::addr;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The DevTools protocol over Chromium's pipe (fd 3 in, fd 4 out; messages end with NUL).
struct Cdp {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    next: u64,
    session: Option<String>,
    /// Console errors and uncaught exceptions seen so far.
    errors: Vec<String>,
    /// Who signs `eth_signTypedData_v4` requests (a dev name).
    signer: &'static str,
    signed: Vec<Value>,
    profile: PathBuf,
}

impl Cdp {
    fn launch(browser: &PathBuf, signer: &'static str) -> Self {
        let profile =
            std::env::temp_dir().join(format!("rampart-cdp-{}-{signer}", std::process::id()));
        // The shell moves our pipes to the descriptors Chromium reads and writes.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            loop {
                match stdout.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                while let Some(end) = buf.iter().position(|b| *b == 0) {
                    let msg: Vec<u8> = buf.drain(..=end).collect();
                    if let Ok(v) = serde_json::from_slice::<Value>(&msg[..msg.len() - 1])
                        && tx.send(v).is_err()
                    {
                        return;
                    }
                }
            }
        });
        Self {
            child,
            stdin,
            rx,
            next: 0,
            session: None,
            errors: Vec::new(),
            signer,
            signed: Vec::new(),
            profile,
        }
    }

    fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next += 1;
        let mut msg = json!({"id": self.next, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.stdin.write_all(&bytes).unwrap();
        self.stdin.flush().unwrap();
        self.next
    }

    /// Calls `method` and waits for its result, handling events meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if msg.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(e) = msg.get("error") {
                    panic!("{method}: {e}");
                }
                return msg["result"].clone();
            }
            self.event(&msg);
        }
    }

    fn event(&mut self, msg: &Value) {
        let params = &msg["params"];
        match msg.get("method").and_then(Value::as_str) {
            Some("Runtime.exceptionThrown") => self
                .errors
                .push(format!("exception: {}", params["exceptionDetails"])),
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => self
                .errors
                .push(format!("console.error: {}", params["args"])),
            Some("Runtime.bindingCalled") if params["name"] == "rampartSign" => {
                let payload: Value =
                    serde_json::from_str(params["payload"].as_str().unwrap()).unwrap();
                let signature = self.sign(&payload["params"]);
                let id = payload["id"].as_u64().unwrap();
                self.send(
                    "Runtime.evaluate",
                    json!({"expression": format!("window.ethereum._answer({id}, {})", json!(signature))}),
                );
            }
            _ => {}
        }
    }

    /// Checks the typed data is the node's EIP-712 transaction and signs it with the dev key.
    fn sign(&mut self, params: &Value) -> String {
        assert_eq!(
            params[0].as_str().unwrap().to_lowercase(),
            addr(self.signer).to_lowercase()
        );
        let data: Value = serde_json::from_str(params[1].as_str().unwrap()).unwrap();
        assert_eq!(
            data["domain"],
            json!({"name": "Rampart", "version": "1", "chainId": rampart_node::demo::CHAIN_ID})
        );
        assert_eq!(data["primaryType"], "Transaction");
        assert_eq!(
            data["types"]["Transaction"],
            json!([{"name": "action", "type": "string"}, {"name": "args", "type": "string"},
                   {"name": "nonce", "type": "uint64"}, {"name": "fee", "type": "uint256"},
                   {"name": "priorityTip", "type": "uint256"}])
        );
        let m = &data["message"];
        let tx = rampart_api::UnsignedTx {
            action: m["action"].as_str().unwrap().to_owned(),
            args: m["args"].as_str().unwrap().to_owned(),
            nonce: m["nonce"].as_u64().unwrap(),
            fee: m["fee"].as_str().unwrap().parse().unwrap(),
            priority_tip: m["priorityTip"].as_str().unwrap().parse().unwrap(),
        };
        self.signed.push(m.clone());
        let key = rampart_scenario::names::dev_signing_key(self.signer);
        tx.sign(&key, rampart_node::demo::CHAIN_ID)
            .unwrap()
            .signature
    }

    /// Evaluates an async expression in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}\nthrew {e}");
        }
        r["result"]["value"].clone()
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Cdp {
    /// A browser whose wallet is `signer`'s, on `url` once loaded.
    fn open(browser: &PathBuf, signer: &'static str, url: &str) -> Self {
        let mut cdp = Cdp::launch(browser, signer);
        let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}));
        let session = cdp.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        cdp.session = Some(session["sessionId"].as_str().unwrap().to_owned());
        cdp.call("Runtime.enable", json!({}));
        cdp.call("Page.enable", json!({}));
        cdp.call("Runtime.addBinding", json!({"name": "rampartSign"}));
        let account = addr(signer).to_lowercase();
        cdp.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": format!("{}\n{HELPERS}", provider_js(&account))}),
        );
        cdp.call("Page.navigate", json!({"url": url}));
        cdp.eval("new Promise((r) => (document.readyState === 'complete' ? r(true) : addEventListener('load', () => r(true))))");
        cdp
    }
}

/// The test wallet: an EIP-1193 provider whose signatures come from the test (a binding).
fn provider_js(account: &str) -> String {
    format!(
        r#"window.ethereum = {{
  _pending: {{}}, _n: 0,
  async request({{ method, params }}) {{
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return ['{account}'];
    if (method === 'eth_signTypedData_v4') {{
      const id = ++this._n;
      return new Promise((resolve) => {{ this._pending[id] = resolve; rampartSign(JSON.stringify({{ id, params }})); }});
    }}
    throw Object.assign(new Error('unsupported ' + method), {{ code: 4200 }});
  }},
  _answer(id, signature) {{ this._pending[id](signature); delete this._pending[id]; }},
}};"#
    )
}

/// JavaScript helpers for the steps (defined once in the page).
const HELPERS: &str = r#"
window.__t = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  async until(f, what, ms = 60000) {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) { const v = f(); if (v) return v; await this.sleep(100); }
    throw new Error('timed out waiting for ' + what + ': ' + (document.getElementById('errors')?.textContent ?? ''));
  },
  set(id, value) {
    const el = document.getElementById(id);
    if (el.tagName === 'SELECT') {
      const opt = [...el.options].find((o) => o.value === value || o.textContent === value);
      if (!opt) throw new Error(id + ' has no option ' + value);
      el.value = opt.value;
    } else el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  },
  // The preview, or the error the panel shows instead (a failed read, a refused simulation).
  async preview() {
    const shown = await this.until(() => document.querySelector('#wallet-out .preview, #wallet-out .bad'), 'the preview');
    if (!shown.classList.contains('preview')) throw new Error('the preview failed: ' + shown.textContent);
    return shown;
  },
  async act(action, fields) {
    await this.until(() => document.getElementById('wallet-action'), 'the wallet panel');
    this.set('wallet-action', action);
    for (const [k, v] of Object.entries(fields)) this.set('w-' + k, v);
    document.getElementById('wallet-preview').click();
    const preview = await this.preview();
    const text = preview.textContent;
    const before = document.getElementById('wallet-receipt');
    if (before) before.remove();
    document.getElementById('wallet-sign').click();
    const receipt = await this.until(() => document.getElementById('wallet-receipt'), 'the receipt');
    // The page redraws after a receipt; the panel keeps the action chosen and the receipt.
    await this.sleep(700);
    if (document.getElementById('wallet-action')?.value !== action || !document.getElementById('wallet-receipt'))
      throw new Error('the redraw after the receipt reset the wallet panel');
    return { preview: text, ok: receipt.dataset.ok, receipt: receipt.textContent };
  },
  async previewOnly(action, fields) {
    await this.until(() => document.getElementById('wallet-action'), 'the wallet panel');
    this.set('wallet-action', action);
    for (const [k, v] of Object.entries(fields)) this.set('w-' + k, v);
    document.getElementById('wallet-preview').click();
    const preview = await this.preview();
    return { preview: preview.textContent, signDisabled: document.getElementById('wallet-sign').disabled };
  },
};
true
"#;

#[test]
fn a_wallet_deposits_delegates_sees_its_position_and_claims_from_the_browser() {
    let Some(browser) = common::browser::chromium_or_skip() else {
        return;
    };
    // Three days of demo history first (one block every four hours, so epochs end and reward
    // programs stream: alice has rewards to claim), then the live node.
    const STEP_S: u64 = 4 * 3_600;
    let blocks = 3 * 86_400 / STEP_S;
    let start = rampart_node::node::unix_now() - blocks * STEP_S;
    let mut config = rampart_node::NodeConfig::new(common::temp_dir("wallet-browser"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.block_interval_ms = Some(200);
    config.http.rate_limit_per_s = 0;
    config.labels = rampart_node::demo::labels();
    config.vault_names = rampart_node::demo::vault_names();
    let shared = rampart_node::Shared::open(config, &rampart_node::demo::genesis(start)).unwrap();
    rampart_node::demo::run_history(
        &shared,
        &mut rampart_node::demo::Driver::default(),
        blocks,
        STEP_S,
        &mut |_| {},
    )
    .unwrap();
    let (runtime, node) = common::serve(shared);
    let base = format!("http://{}", node.addr);
    let client = rampart_node::client::Client::new(&base);
    let alice = addr("alice").to_lowercase();
    let op1 = addr("op1");
    let position = |client: &rampart_node::client::Client| -> u128 {
        let p: Value = client
            .get(&format!("/v1/query/position?staker={alice}"))
            .unwrap();
        p["positions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| {
                x["operator"].as_str().unwrap().eq_ignore_ascii_case(&op1)
                    && x["strategy"] == "stETH"
            })
            .map(|x| x["withdrawable"].as_str().unwrap().parse::<u128>().unwrap())
            .sum()
    };
    let before = position(&client);

    let mut cdp = Cdp::open(&browser, "alice", &format!("{base}/#/account"));
    // Connect: the Accounts page's button asks the wallet and opens the account's own page.
    cdp.eval("__t.until(() => document.getElementById('wallet-connect'), 'the connect button').then((b) => { b.click(); return true; })");
    cdp.eval("__t.until(() => location.hash.startsWith('#/account/0x') && document.getElementById('wallet-action'), 'the account page with the wallet').then(() => location.hash)");

    let deposit = cdp.eval("__t.act('deposit', { asset: 'stETH', amount: '5' })");
    assert_eq!(deposit["ok"], "true", "{deposit}");
    assert!(
        deposit["preview"]
            .as_str()
            .unwrap()
            .contains("strategy shares"),
        "{deposit}"
    );
    let delegate =
        cdp.eval("__t.act('delegate', { operator: 'op1', strategy: 'stETH', shares: '5' })");
    assert_eq!(delegate["ok"], "true", "{delegate}");
    let preview = delegate["preview"].as_str().unwrap();
    assert!(
        preview.contains("new exposure") && preview.contains("exit delay"),
        "{delegate}"
    );

    // The node has the delegation, and the position page shows it after its redraw.
    let after = position(&client);
    assert_eq!(
        after - before,
        5_000_000_000_000_000_000,
        "5 stETH more with op1"
    );
    let shown = cdp.eval(
        "__t.until(() => [...document.querySelectorAll('table tr')].find((r) => r.textContent.includes('op1') && r.textContent.includes('stETH') && r.closest('.panel')?.previousElementSibling?.textContent === 'Restaking positions'), 'the position row').then((r) => r.textContent)",
    );
    assert!(shown.as_str().unwrap().contains("stETH"), "{shown}");

    let claim = cdp.eval("__t.act('claim_rewards', {})");
    assert_eq!(claim["ok"], "true", "{claim}");
    assert!(
        claim["preview"].as_str().unwrap().contains("receives"),
        "{claim}"
    );

    // The other staker actions of the page, each previewed, signed and committed.
    let query = |path: String| -> Value { client.get(&path).unwrap() };
    let queued_before = query(format!("/v1/query/withdrawals?staker={alice}"))
        .as_array()
        .unwrap()
        .len();
    let rest = [
        (
            "queue_withdrawal",
            "{ operator: 'op1', strategy: 'stETH', shares: '1' }",
            "completable after",
        ),
        (
            "vault_deposit",
            "{ vault: 'rstETH', amount: '2' }",
            "receives about",
        ),
        (
            "vault_request_withdrawal",
            "{ vault: 'rstETH', lrt: '1.5' }",
            "pays the lower of",
        ),
        ("lst_deposit", "{ amount: '10' }", "receives about"),
        (
            "lst_request_redeem",
            "{ shares: '1' }",
            "after the unbonding",
        ),
    ];
    // A request worth less than the vault's minimum: the node's simulation says why before
    // anything is signed, and the page does not offer to sign it.
    let short =
        cdp.eval("__t.previewOnly('vault_request_withdrawal', { vault: 'rstETH', lrt: '0.5' })");
    assert_eq!(short["signDisabled"], true, "{short}");
    let text = short["preview"].as_str().unwrap();
    assert!(
        text.contains("would fail") && text.contains("min_request"),
        "{short}"
    );
    for (action, fields, says) in rest {
        let r = cdp.eval(&format!("__t.act('{action}', {fields})"));
        assert_eq!(r["ok"], "true", "{action}: {r}");
        assert!(
            r["preview"].as_str().unwrap().contains("succeeds"),
            "simulated first: {r}"
        );
        assert!(
            r["preview"].as_str().unwrap().contains(says),
            "{action}: {r}"
        );
    }
    let queued = query(format!("/v1/query/withdrawals?staker={alice}"));
    assert_eq!(
        queued.as_array().unwrap().len(),
        queued_before + 1,
        "{queued}"
    );
    let lst = query(format!("/v1/query/lst?account={alice}"));
    assert!(
        !lst["redemptions"].as_array().unwrap().is_empty(),
        "a redemption queued: {lst}"
    );
    let held = query(format!("/v1/query/position?staker={alice}"));
    let rst = held["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vault"] == "rstETH")
        .unwrap_or_else(|| panic!("alice holds rstETH: {held}"));
    // 1 rstETH left in the queue (the request burns it; it stays exposed until paid).
    assert!(
        rst["queued_lrt"].as_str().unwrap().parse::<u128>().unwrap() > 0,
        "{rst}"
    );

    let actions: Vec<&str> = cdp
        .signed
        .iter()
        .map(|m| m["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "deposit",
            "delegate",
            "claim_rewards",
            "queue_withdrawal",
            "vault_deposit",
            "vault_request_withdrawal",
            "lst_deposit",
            "lst_request_redeem"
        ]
    );
    // Drain late events, then: no console error, no uncaught exception.
    cdp.eval("__t.sleep(300).then(() => true)");
    assert!(cdp.errors.is_empty(), "{:#?}", cdp.errors);
    drop(cdp);

    // An operator acts from its own page: op1 raises its commission on the oracle.
    let mut cdp = Cdp::open(&browser, "op1", &format!("{base}/#/operator/{op1}"));
    cdp.eval("__t.until(() => document.getElementById('wallet-connect'), 'the connect button').then((b) => { b.click(); return true; })");
    let set =
        cdp.eval("__t.act('set_service_commission', { service: 'oracle', commission_bps: '600' })");
    assert_eq!(set["ok"], "true", "{set}");
    assert!(
        set["preview"].as_str().unwrap().contains("applies after"),
        "{set}"
    );
    let o: Value = client
        .get(&format!("/v1/query/operator?operator={op1}"))
        .unwrap();
    let oracle = o["service_commissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["service"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&addr("oracle"))
        })
        .expect("op1 serves the oracle");
    assert_eq!(oracle["pending"][0], 600, "{oracle}");
    cdp.eval("__t.until(() => document.body.textContent.includes('→ 6.00%'), 'the waiting change on the page').then(() => true)");
    assert!(cdp.errors.is_empty(), "{:#?}", cdp.errors);
    drop(cdp);
    runtime.block_on(node.shutdown());
}
