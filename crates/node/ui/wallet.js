// Acting with a wallet: an EIP-1193 provider (MetaMask and the like) connects with
// `eth_requestAccounts` and signs the node's EIP-712 transaction with `eth_signTypedData_v4`
// (docs/node.md, "Signed transactions"); the page previews the effect before signing, submits to
// POST /v1/tx and shows the receipt.

import { get, post } from './api.js';
import { amount, bps, duration, esc, name, wadPct, wadRate, who } from './format.js';

let account = null;
/** The last receipt's HTML, kept across the page's redraws. */
let lastReceipt = '';
/**
 * The bound panel of the connected account's page: a redraw of the same page (the one after a
 * receipt, a return to it) puts this node back instead of a fresh panel, so the chosen action, the
 * typed fields, a preview being computed and the receipt survive it.
 */
let live = null;

/** The injected EIP-1193 provider, if any. */
export function provider() {
  return globalThis.ethereum ?? null;
}

/** The connected address (lower case), or null. */
export function connected() {
  return account;
}

/** Asks the wallet for its account. */
export async function connect() {
  const p = provider();
  if (!p) throw new Error('no EIP-1193 wallet in this browser (window.ethereum): install one, e.g. MetaMask');
  const accounts = await p.request({ method: 'eth_requestAccounts' });
  if (!accounts?.length) throw new Error('the wallet gave no account');
  account = String(accounts[0]).toLowerCase();
  return account;
}

/** The EIP-712 typed data of a Rampart transaction (domain {name, version, chainId}). */
export function typedData(chainId, tx) {
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
      ],
      Transaction: [
        { name: 'action', type: 'string' },
        { name: 'args', type: 'string' },
        { name: 'nonce', type: 'uint64' },
        { name: 'fee', type: 'uint256' },
        { name: 'priorityTip', type: 'uint256' },
      ],
    },
    primaryType: 'Transaction',
    domain: { name: 'Rampart', version: '1', chainId },
    message: { action: tx.action, args: tx.args, nonce: tx.nonce, fee: tx.fee, priorityTip: tx.priority_tip },
  };
}

/** Whole tokens ("1.5") to base units (18 decimals), exactly; "all" stays "all". */
export function toBase(text, { all = false } = {}) {
  const s = String(text ?? '').trim();
  if (all && s === 'all') return 'all';
  const m = /^(\d+)(?:\.(\d{0,18}))?$/.exec(s);
  if (!m) throw new Error(`"${s}" is not an amount of tokens (up to 18 decimals${all ? ', or all' : ''})`);
  const units = BigInt(m[1]) * 10n ** 18n + BigInt((m[2] ?? '').padEnd(18, '0') || '0');
  return units.toString();
}

/** A percentage ("12.5") as a WAD fraction (1e18 = 100 %), exactly. */
export function percentToWad(text) {
  const m = /^(\d+)(?:\.(\d{0,16}))?$/.exec(String(text ?? '').trim());
  if (!m) throw new Error(`"${text}" is not a percentage`);
  return (BigInt(m[1]) * 10n ** 16n + BigInt((m[2] ?? '').padEnd(16, '0') || '0')).toString();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Signs `action` with `fields` in the wallet, submits it and waits for its receipt. */
export async function signAndSubmit(action, fields) {
  if (!account) throw new Error('connect a wallet first');
  const [status, nonce, params] = await Promise.all([get('status'), get('nonce', { account }), get('params')]);
  const tx = { action, args: JSON.stringify(fields), nonce: nonce.next, fee: String(params.base_fee ?? '0'), priority_tip: '0' };
  const data = typedData(status.chain_id, tx);
  const signature = await provider().request({ method: 'eth_signTypedData_v4', params: [account, JSON.stringify(data)] });
  const submitted = await post('submit', { chain_id: status.chain_id, from: account, ...tx, signature });
  for (let i = 0; i < 300; i++) {
    const s = await get('txStatus', { hash: submitted.hash });
    if (s.receipt) return { hash: submitted.hash, ...s };
    await sleep(200);
  }
  throw new Error(`transaction ${submitted.hash} not committed after a minute`);
}

/** What the node says `action` would do as this account's next transaction (nothing signed). */
function simulate(action, fields) {
  if (!account) throw new Error('connect a wallet first');
  return post('simulate', { from: account, action, args: JSON.stringify(fields) });
}

/** The simulation as a preview line: what it would produce, or why it would fail. */
function simulationLine(sim) {
  if (!sim.ok) {
    const e = sim.error ?? {};
    return `<span class="bad" id="wallet-would-fail">would fail on block ${esc(sim.height)}: ${esc(e.code ?? '')}: ${esc(e.message ?? '')}</span> <span class="muted">(not signed: change the fields and preview again)</span>`;
  }
  const out = sim.outcome == null ? '' : JSON.stringify(sim.outcome);
  const shown = out.length > 240 ? `${out.slice(0, 240)}…` : out;
  return `<span class="good">simulated on block ${esc(sim.height)}: succeeds</span>${shown ? ` <span class="muted mono">${esc(shown)}</span>` : ''}`;
}

/** The actions a staker takes from its account page: fields and a preview of the effect. */
const STAKER = {
  deposit: {
    label: 'Deposit into a strategy',
    fields: [
      { key: 'asset', label: 'Asset', options: (n) => n.strategies.filter((s) => s !== 'RAM-native') },
      { key: 'amount', label: 'Amount (tokens)', amount: true },
    ],
    async preview(f) {
      const s = await get('strategy', { strategy: f.asset });
      const shares = (BigInt(f.amount) * BigInt(s.total_shares || '0')) / (BigInt(s.tokens || '0') || 1n);
      const out = BigInt(s.total_shares || '0') > 0n ? shares : BigInt(f.amount);
      return [`receives about <b>${amount(out.toString())}</b> ${esc(f.asset)} strategy shares (rate ${wadRate(s.rate_wad)} tokens a share)`, 'undelegated: not slashable and earning nothing until delegated', 'withdraw at once while undelegated'];
    },
  },
  delegate: {
    label: 'Delegate to an operator',
    fields: [
      { key: 'operator', label: 'Operator', options: (n) => n.operators, address: true },
      { key: 'strategy', label: 'Strategy', options: (n) => n.strategies.filter((s) => s !== 'RAM-native') },
      { key: 'shares', label: 'Shares (tokens, or all)', amount: true, all: true },
    ],
    async preview(f) {
      const [o, p] = await Promise.all([get('operator', { operator: f.operator }), get('params')]);
      const sets = o.allocations.filter((a) => a.strategy === f.strategy);
      return [
        `${f.shares === 'all' ? 'all its undelegated' : amount(f.shares)} ${esc(f.strategy)} shares delegated to ${who(f.operator)}`,
        sets.length
          ? `new exposure: slashable by ${sets.map((a) => `${who(a.set)} (${wadPct(a.magnitude)} allocated${a.double_sign_wad ? `, double sign ${wadPct(a.double_sign_wad)}` : ''})`).join(', ')}`
          : 'new exposure: the operator allocates this strategy to no set (not slashable, no restaking rewards)',
        `exit delay: ${esc(duration(p.withdrawal_delay_s))} (the withdrawal stays slashable meanwhile)`,
      ];
    },
  },
  queue_withdrawal: {
    label: 'Queue a withdrawal',
    fields: [
      { key: 'operator', label: 'Operator', options: (n) => n.operators, address: true },
      { key: 'strategy', label: 'Strategy', options: (n) => n.strategies },
      { key: 'shares', label: 'Shares (tokens, or all)', amount: true, all: true },
    ],
    async preview(f) {
      const p = await get('params');
      return [`${f.shares === 'all' ? 'all' : amount(f.shares)} ${esc(f.strategy)} shares leave ${who(f.operator)}`, `completable after ${esc(duration(p.withdrawal_delay_s))}; slashable until then`, 'stops earning restaking rewards now'];
    },
  },
  complete_withdrawal: {
    label: 'Complete a withdrawal',
    fields: [{ key: 'id', label: 'Withdrawal id', number: true }],
    async preview(f) {
      const list = await get('withdrawals', { account });
      const w = list.find((x) => String(x.id) === String(f.id));
      if (!w) return ['<span class="bad">no queued withdrawal of this account has that id</span>'];
      const due = Number(w.completable_at) * 1000 <= Date.now();
      return [`pays about ${amount(w.payout)} ${esc(w.strategy)} tokens`, due ? 'completable now' : `<span class="warn">not completable before ${esc(new Date(w.completable_at * 1000).toLocaleString())}</span>`];
    },
  },
  claim_rewards: {
    label: 'Claim restaking rewards',
    fields: [],
    async preview() {
      const p = await get('position', { account });
      const rewards = p.positions.flatMap((x) => x.pending_rewards.map((r) => `${amount(r.amount)} ${esc(r.asset)} from ${who(x.operator)}`));
      return [rewards.length ? `receives ${rewards.join(', ')}` : 'nothing to claim yet'];
    },
  },
  vault_deposit: {
    label: 'Enter a vault',
    fields: [
      { key: 'vault', label: 'Vault', options: (n) => (n.vaults ?? []).map((v) => v.vault) },
      { key: 'amount', label: 'Amount (tokens of its asset)', amount: true },
    ],
    async preview(f) {
      const v = await get('vault', { vault: f.vault });
      const fee = (BigInt(f.amount) * BigInt(v.fees?.deposit_bps ?? 0)) / 10000n;
      const rate = BigInt(v.rate_wad || '1000000000000000000') || 1n;
      const lrt = ((BigInt(f.amount) - fee) * 10n ** 18n) / rate;
      return [`receives about <b>${amount(lrt.toString())}</b> ${esc(f.vault)} (deposit fee ${bps(v.fees?.deposit_bps ?? 0)})`, 'exposed to every set the vault\'s operators allocate to (its policy on the Vaults page)', 'exit: instant from the buffer (fee) or the queue'];
    },
  },
  vault_request_withdrawal: {
    label: 'Leave a vault (queue)',
    fields: [
      { key: 'vault', label: 'Vault', options: (n) => (n.vaults ?? []).map((v) => v.vault) },
      { key: 'lrt', label: 'LRT (tokens, or all)', amount: true, all: true },
    ],
    async preview(f) {
      return [`burns ${f.lrt === 'all' ? 'all its' : amount(f.lrt)} ${esc(f.vault)}; pays the lower of the value now and at completion`, 'stays exposed to slashes until paid'];
    },
  },
  lst_deposit: {
    label: 'Mint the LST',
    fields: [{ key: 'amount', label: 'RAM (tokens)', amount: true }],
    async preview(f) {
      const l = await get('lst');
      const out = (BigInt(f.amount) * 10n ** 18n) / (BigInt(l.rate_wad) || 1n);
      return [`receives about <b>${amount(out.toString())}</b> ${esc(l.symbol)} at ${wadRate(l.rate_wad)} RAM each`, `pool fee ${bps(l.fee_bps)} of rewards`];
    },
  },
  lst_request_redeem: {
    label: 'Redeem the LST (queue)',
    fields: [{ key: 'shares', label: 'LST (tokens, or all)', amount: true, all: true }],
    async preview(f) {
      const l = await get('lst');
      return [`burns ${f.shares === 'all' ? 'all its' : amount(f.shares)} ${esc(l.symbol)}; pays min(value at request, value at claim) in RAM after the unbonding`];
    },
  },
};

/** An operator's own actions, from its operator page. */
const OPERATOR = {
  set_service_commission: {
    label: 'Set the commission on a service',
    fields: [
      { key: 'service', label: 'Service', options: (n) => n.services, address: true },
      { key: 'commission_bps', label: 'Commission (bps, 100 = 1 %)', number: true },
    ],
    async preview(f) {
      const [o, p] = await Promise.all([get('operator', { operator: account }), get('params')]);
      const now = (o.service_commissions ?? []).find((c) => String(c.service).toLowerCase() === String(f.service).toLowerCase());
      return [`commission on ${who(f.service)}: ${now ? bps(now.commission_bps) : bps(o.default_commission_bps)} now → <b>${bps(f.commission_bps)}</b>`, `applies after ${esc(duration(p.commission_delay_s))} (delegators can leave first)`];
    },
  },
  allocate: {
    label: 'Allocate to an operator set',
    fields: [
      { key: 'set', label: 'Set', options: (n) => n.sets },
      { key: 'strategy', label: 'Strategy', options: (n) => n.strategies },
      { key: 'magnitude', label: 'Magnitude (%)', percent: true },
    ],
    async preview(f) {
      const o = await get('operator', { operator: account });
      const a = o.allocations.find((x) => x.set === f.set && x.strategy === f.strategy);
      return [`${who(f.set)} ${esc(f.strategy)}: ${a ? wadPct(a.magnitude, 2) : '0 %'} → <b>${wadPct(f.magnitude, 2)}</b> of the delegated stake slashable by it`, `a raise applies after the allocation delay (${esc(duration(o.allocation_delay_s, 'none'))}); a cut keeps the stake slashable for the deallocation delay`];
    },
  },
  register_for_set: {
    label: 'Join an operator set',
    fields: [{ key: 'set', label: 'Set', options: (n) => n.sets }],
    async preview(f) {
      const s = await get('operatorSet', { set: f.set });
      return [`joins ${who(f.set)} (strategies ${esc(s.strategies.join(', '))}, admission ${esc(s.admission)})`, 'nothing is slashable by it until allocated'];
    },
  },
  deregister_from_set: {
    label: 'Leave an operator set',
    fields: [{ key: 'set', label: 'Set', options: (n) => n.sets }],
    async preview(f) {
      const p = await get('params');
      return [`leaves ${who(f.set)}`, `stays slashable by it for ${esc(duration(p.deallocation_delay_s))}`];
    },
  },
};

/** A service's own actions, from its service page. */
const SERVICE = {
  slash: {
    label: 'Request a slash',
    fields: [
      { key: 'operator', label: 'Operator', options: (n) => n.operators, address: true },
      { key: 'set', label: 'Set', options: (n) => n.sets.filter((x) => String(x).toLowerCase().startsWith(`${account}/`)) },
      { key: 'strategies', label: 'Strategies (comma-separated)', list: true },
      { key: 'wad', label: 'Fraction of the allocation (%)', percent: true },
      { key: 'evidence', label: 'Evidence (text)', text: true },
    ],
    async preview(f) {
      const s = await get('service', { service: account });
      return [`slashes ${wadPct(f.wad, 2)} of ${who(f.operator)}'s allocation to ${who(f.set)} in ${esc(f.strategies.join(', '))}`, s.resolver ? `vetoable by ${who(s.resolver)} for ${esc(duration(s.veto_window_s))}, then executable` : 'instant: no veto window', `capped at ${wadPct(s.max_slash_per_event_wad, 2)} per event; ${s.destination === 'burn' ? 'burned' : 'redistributed'} after ${esc(duration(s.resolution_delay_s, 'no'))} escrow`];
    },
  },
  execute_slash: {
    label: 'Execute a slash after its veto window',
    fields: [{ key: 'id', label: 'Slash request id', number: true }],
    async preview(f) {
      const list = await get('slashRequests', { service: account });
      const r = list.find((x) => String(x.id) === String(f.id));
      if (!r) return ['<span class="bad">this service has no slash request with that id</span>'];
      return [`request ${esc(r.id)} (${esc(r.status)}): ${wadPct(r.wad, 2)} of ${who(r.operator)} in ${who(r.set)}`, Number(r.executable_at) * 1000 <= Date.now() ? 'executable now' : `<span class="warn">not before ${esc(new Date(r.executable_at * 1000).toLocaleString())}</span>`];
    },
  },
};

const ROLES = { account: STAKER, operator: OPERATOR, service: SERVICE };

function fieldHtml(f, network) {
  const id = `w-${f.key}`;
  if (f.options) {
    const opts = f.options(network).map((o) => `<option value="${esc(o)}">${esc(f.address ? name(o) : o)}</option>`).join('');
    return `<label>${esc(f.label)} <select id="${id}" data-key="${esc(f.key)}">${opts}</select></label>`;
  }
  return `<label>${esc(f.label)} <input id="${id}" data-key="${esc(f.key)}" ${f.text || f.list ? '' : 'inputmode="decimal"'} size="14"></label>`;
}

/** Reads the form's fields into the action's args (amounts to base units). */
function readFields(el, spec) {
  const out = {};
  for (const f of spec.fields) {
    const raw = el.querySelector(`#w-${f.key}`).value.trim();
    if (f.amount) out[f.key] = toBase(raw, { all: f.all });
    else if (f.percent) out[f.key] = percentToWad(raw);
    else if (f.list) out[f.key] = raw.split(',').map((x) => x.trim()).filter(Boolean);
    else if (f.number) {
      if (!/^\d+$/.test(raw)) throw new Error(`${f.label}: a whole number`);
      out[f.key] = Number(raw);
    } else out[f.key] = raw;
  }
  return out;
}

const PITCH = {
  account: 'connect the wallet of this account to deposit, delegate, withdraw, claim, enter or leave a vault, mint or redeem the LST',
  operator: "connect this operator's wallet to set its commissions, allocate, join or leave sets",
  service: "connect this service's wallet to request and execute slashes",
};

/** The wallet panel of a page (`role`: account, operator or service) for the connected address. */
export function walletPanel(address, role = 'account') {
  if (!account || account !== String(address).toLowerCase()) {
    return `<div class="panel" id="wallet-panel"><b>Act with a wallet</b> <span class="muted">${provider() ? PITCH[role] : 'no EIP-1193 wallet found in this browser'}</span> ${provider() ? '<button id="wallet-connect">Connect wallet</button>' : ''}</div>`;
  }
  if (live && live.address === account && live.role === role) return '<div id="wallet-panel-slot"></div>';
  const options = Object.entries(ROLES[role]).map(([k, a]) => `<option value="${k}">${esc(a.label)}</option>`).join('');
  return `<div class="panel" id="wallet-panel"><b>Act with your wallet</b> <span class="muted">connected as ${esc(name(account))}</span>
    <div class="row"><label>Action <select id="wallet-action">${options}</select></label></div>
    <div class="row" id="wallet-fields"></div>
    <div class="row"><button id="wallet-preview">Preview</button> <button id="wallet-sign" disabled>Sign and submit</button></div>
    <div id="wallet-out">${lastReceipt}</div></div>`;
}

/** Wires the wallet panel; `rerender` redraws the page after a receipt. */
export function bindWallet(el, network, address, rerender, role = 'account') {
  const actions = ROLES[role];
  const connectButton = el.querySelector('#wallet-connect');
  if (connectButton) {
    connectButton.addEventListener('click', async () => {
      try {
        const a = await connect();
        if (a === String(address).toLowerCase()) rerender();
        else if (role === 'account') location.hash = `#/account/${a}`;
        else throw new Error(`the wallet's account ${name(a)} is not this ${role}`);
      } catch (err) {
        el.querySelector('#wallet-panel').insertAdjacentHTML('beforeend', `<p class="bad">${esc(err.message ?? err)}</p>`);
      }
    });
    return;
  }
  const slot = el.querySelector('#wallet-panel-slot');
  if (slot) {
    slot.replaceWith(live.node);
    return;
  }
  const select = el.querySelector('#wallet-action');
  if (!select) return;
  live = { address: account, role, node: el.querySelector('#wallet-panel') };
  const fields = el.querySelector('#wallet-fields');
  const out = el.querySelector('#wallet-out');
  const sign = el.querySelector('#wallet-sign');
  let pending = null;
  const draw = (clear = true) => {
    const spec = actions[select.value];
    fields.innerHTML = spec.fields.map((f) => fieldHtml(f, network)).join('') || '<span class="muted">no fields</span>';
    if (clear) out.innerHTML = '';
    sign.disabled = true;
    pending = null;
    for (const input of fields.querySelectorAll('input, select')) {
      input.addEventListener('input', () => {
        sign.disabled = true;
        pending = null;
      });
    }
  };
  select.addEventListener('change', () => draw());
  draw(false);
  el.querySelector('#wallet-preview').addEventListener('click', async () => {
    const action = select.value;
    const spec = actions[action];
    try {
      const args = readFields(fields, spec);
      const [lines, sim] = await Promise.all([spec.preview(args), simulate(action, args)]);
      lines.push(simulationLine(sim));
      pending = sim.ok ? { action, args } : null;
      out.innerHTML = `<div class="preview"><b>Preview</b><ul>${lines.map((l) => `<li>${l}</li>`).join('')}</ul>
        <p class="muted">The wallet signs: <span class="mono">${esc(action)} ${esc(JSON.stringify(args))}</span></p></div>`;
      sign.disabled = !sim.ok;
    } catch (err) {
      out.innerHTML = `<p class="bad">${esc(err.message ?? err)}</p>`;
    }
  });
  sign.addEventListener('click', async () => {
    if (!pending) return;
    sign.disabled = true;
    out.insertAdjacentHTML('beforeend', '<p class="muted" id="wallet-wait">waiting for the wallet and the next block…</p>');
    try {
      const r = await signAndSubmit(pending.action, pending.args);
      const receipt = r.receipt;
      lastReceipt = `<div class="receipt ${receipt.ok ? 'good' : 'bad'}" id="wallet-receipt" data-ok="${receipt.ok}"><b>Receipt</b>: ${receipt.ok ? 'committed' : 'failed'} in block ${esc(r.height ?? receipt.height ?? '')} · <span class="mono">${esc(r.hash)}</span>${receipt.error ? ` · ${esc(receipt.error.code ?? '')}: ${esc(receipt.error.message ?? JSON.stringify(receipt.error))}` : ''}</div>`;
      out.innerHTML = lastReceipt;
      pending = null;
      setTimeout(rerender, 400);
    } catch (err) {
      out.innerHTML = `<p class="bad" id="wallet-error">${esc(err.message ?? err)}</p>`;
      sign.disabled = false;
    }
  });
}
