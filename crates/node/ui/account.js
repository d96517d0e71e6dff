// One account: positions and slash exposure (direct and through vaults), vault holdings and
// requests, base delegations, the LST, the yield stack by layer and source with fees, APR and
// APY with the compounding frequency, and the exit path.

import { get } from './api.js';
import { amount, badge, bps, card, duration, esc, knownAccounts, name, names, rolePages, table, time, wadPct, who } from './format.js';
import { MIN_WINDOW_S, WINDOWS, chartBox, earningsYield, history, seriesOf, timeChart } from './charts.js';
import { windowYieldRows, windowYieldTable } from './views.js';
import { vaultLink } from './vaults.js';
import { governanceFlags } from './governance.js';
import { bindWallet, walletPanel } from './wallet.js';

function picker(selected) {
  const options = knownAccounts()
    .map(([address, label]) => `<option value="${esc(address)}" ${address === selected?.toLowerCase() ? 'selected' : ''}>${esc(label)}</option>`)
    .join('');
  return `<form class="row" id="acct-form">
    <label>Account <select id="acct-select"><option value="">choose…</option>${options}</select></label>
    <span class="muted">or</span>
    <input class="address" id="acct-address" placeholder="0x… address" value="${esc(selected ?? '')}">
    <button type="submit">Show</button>
  </form>`;
}

/** A holding's name (`vault/rstETH (buffer)` links to the vault). */
function holding(text, network) {
  const m = /^vault\/([^ ]+)(.*)$/.exec(String(text ?? ''));
  return m ? `vault ${vaultLink(network, m[1])}${esc(m[2])}` : esc(names(text));
}

/** A fee or step kind for people (`vault_performance_fee` → `vault performance fee`). */
function kind(text) {
  return esc(String(text ?? '').replaceAll('_', ' '));
}

function signedAmount(text) {
  const s = String(text ?? '0');
  return s.startsWith('-') ? `<span class="bad">${amount(s)}</span>` : amount(s);
}

/** The longest window over which `sources` (of one layer, or all) were earned. */
function windowOf(sources) {
  return Math.max(0, ...sources.map((s) => Number(s.window_s ?? 0)));
}

/**
 * The account's own row of the window table, from the node's accounts history (only for the
 * accounts it names): net earnings over the average value held, per window.
 */
function accountWindowRow(tracked, mine, n) {
  const of = (k) => seriesOf(tracked, `accounts/${mine}/${k}`)[0]?.points;
  const value = of('value');
  const earned = of('earned');
  if (!value?.length || !earned?.length) return null;
  const mark = (y) => (y ? { ...y, change_label: 'earned' } : null);
  const row = { label: 'all its positions <span class="muted">(net earnings ÷ average value)</span>' };
  for (const w of WINDOWS) row[w.label] = mark(earningsYield(value, earned, w.s, n));
  row.since = mark(earningsYield(value, earned, null, n));
  return row;
}

/** An APR or APY in bps over `window` seconds: shown only over at least MIN_WINDOW_S. */
function annualised(value, window) {
  if (value == null) return '—';
  if (window < MIN_WINDOW_S) return `<span class="muted" title="nothing is annualised over less than 7 days">not annualised (${esc(duration(window, 'no time'))} held)</span>`;
  return bps(value);
}

/** Rows of the yield stack: a negative line is a loss (a slash or a fall in a rate), not a source. */
function sourceLabel(s) {
  const negative = String(s.net ?? '0').startsWith('-');
  const what = negative ? `<span class="bad">loss</span> <span class="muted">(slash or fall in the rate, over the ${esc(String(s.source).replaceAll('_', ' '))} share)</span>` : esc(String(s.source).replaceAll('_', ' '));
  return `${what}${s.service ? ` · ${who(s.service)}` : ''}`;
}

/** Tokens each position lost to slashes: its shares less what it can withdraw, at today's rate. */
function slashLosses(position) {
  return position.positions
    .map((p) => {
      const shares = BigInt(p.shares ?? '0');
      const left = BigInt(p.withdrawable_shares ?? p.shares ?? '0');
      const lost = shares - left;
      if (lost <= 0n) return null;
      const tokens = left > 0n ? (lost * BigInt(p.withdrawable ?? '0')) / left : lost;
      return { operator: p.operator, strategy: p.strategy, shares: lost.toString(), tokens: tokens.toString() };
    })
    .filter(Boolean);
}

function yieldPanel(y, network, position, windows) {
  const layers = y.layers ?? [];
  const sources = (y.sources ?? []).map((s) => ({ ...s }));
  const total = sources.reduce(
    (t, s) => ({ gross: t.gross + BigInt(s.gross), fees: t.fees + BigInt(s.fees), net: t.net + BigInt(s.net) }),
    { gross: 0n, fees: 0n, net: 0n },
  );
  const window = windowOf(sources);
  if (sources.length) sources.push({ __class: 'total', layer: 'all', source: '', holding: '', gross: total.gross.toString(), fees: total.fees.toString(), net: total.net.toString() });
  const losses = slashLosses(position);
  return `
    <h3>Yield since each holding opened <span class="muted">(the LST: over the pool's trailing yield window; nothing is annualised over less than 7 days)</span></h3>
    <div class="grid">
      ${card('APR since opened (net)', annualised(y.apr_bps, window))}
      ${card('APY since opened (net)', annualised(y.apy_bps, window))}
      ${card('Earned (net)', `${signedAmount(total.net.toString())} <span class="muted">RAM</span>`)}
      ${card('Measured over', esc(duration(window, 'nothing held yet')))}
      ${card('Compounding', `${esc(y.compounding_per_year ?? '—')} <span class="muted">times a year</span>`)}
      ${card('Value', `${amount(y.value)} <span class="muted">RAM</span>`)}
    </div>
    ${windows.length ? `<h3>Yield per window <span class="muted">(its positions: net earnings over the average value held; what it holds: exchange-rate change; annualised)</span></h3><div class="panel">${windowYieldTable(windows)}</div>` : ''}
    <h3>By layer</h3>
    <div class="panel">${table(
      [
        { label: 'Layer', html: (l) => esc(l.layer) },
        { label: 'Over', num: true, html: (l) => esc(duration(windowOf((y.sources ?? []).filter((s) => s.layer === l.layer)), '—')) },
        { label: 'APR', num: true, html: (l) => annualised(l.apr_bps, windowOf((y.sources ?? []).filter((s) => s.layer === l.layer))) },
        { label: 'APY', num: true, html: (l) => annualised(l.apy_bps, windowOf((y.sources ?? []).filter((s) => s.layer === l.layer))) },
        { label: 'Compounding per year', num: true, html: (l) => esc(l.compounding_per_year) },
      ],
      layers,
      { empty: 'no yield yet' },
    )}</div>
    <h3>Yield stack by source (RAM, since each holding opened)</h3>
    <div class="panel">${table(
      [
        { label: 'Layer', html: (s) => esc(s.layer) },
        { label: 'Source', html: (s) => (s.__class === 'total' ? 'total' : sourceLabel(s)) },
        { label: 'Holding', html: (s) => holding(s.holding, network) },
        { label: 'Over', num: true, html: (s) => (s.window_s == null ? '' : esc(duration(s.window_s))) },
        { label: 'Gross', num: true, html: (s) => signedAmount(s.gross) },
        { label: 'Fees', num: true, html: (s) => signedAmount(s.fees) },
        { label: 'Net', num: true, html: (s) => signedAmount(s.net) },
      ],
      sources,
      { empty: 'no rewards yet' },
    )}</div>
    <h3>Losses to slashes <span class="muted">(not netted into any reward program)</span></h3>
    <div class="panel">${table(
      [
        { label: 'Operator', html: (l) => who(l.operator) },
        { label: 'Strategy', html: (l) => esc(l.strategy) },
        { label: 'Shares lost', num: true, html: (l) => `<span class="bad">${amount(l.shares)}</span>` },
        { label: 'Worth today', num: true, html: (l) => `<span class="bad">−${amount(l.tokens)}</span> <span class="muted">${esc(l.strategy)}</span>` },
      ],
      losses,
      { empty: 'no restaking position of this account lost anything to a slash' },
    )}</div>
    ${y.fee_stack?.length ? `<h3>Fee stack</h3><div class="panel">${table(
      [
        { label: 'Layer', html: (f) => esc(f.layer) },
        { label: 'Fee', html: (f) => kind(f.kind) },
        { label: 'Amount (RAM)', num: true, html: (f) => signedAmount(f.amount) },
      ],
      y.fee_stack,
    )}</div>` : ''}`;
}

function exposurePanel(p, network) {
  const rows = [
    ...p.positions.flatMap((pos) => pos.exposure.map((e) => ({ ...e, strategy: pos.strategy }))),
    ...(p.vaults ?? []).flatMap((h) => h.exposure.map((e) => ({ ...e, strategy: h.asset, vault: h.vault }))),
  ];
  return table(
    [
      { label: 'Set', html: (e) => who(e.set) },
      { label: 'Through', html: (e) => (e.vault ? `vault ${vaultLink(network, e.vault)} → ${who(e.operator)}` : who(e.operator)) },
      { label: 'Strategy', html: (e) => esc(e.strategy) },
      { label: 'Slashable now', num: true, html: (e) => amount(e.slashable) },
      { label: 'Worst single event', num: true, html: (e) => amount(e.worst_event) },
      { label: 'If it double-signs', num: true, html: (e) => (e.double_sign_loss == null ? '<span class="muted">no rule</span>' : `${amount(e.double_sign_loss)} <span class="muted">(${wadPct(e.double_sign_wad)})</span>`) },
    ],
    rows,
    { empty: 'nothing of this account is slashable by any set' },
  );
}

/** What a slash is, for people: objective double-sign evidence or the service's slasher. */
function slashKind(r) {
  return r.kind === 'double_sign'
    ? badge(`double sign · service height ${r.double_sign_height} (objective evidence, no veto)`, 'bad')
    : badge(r.status === 'executed' ? "service slasher" : `service slasher · ${r.status}`, 'warn');
}

/** Executed slashes of the operators this account's positions are delegated to. */
function slashPanel(slashes) {
  return table(
    [
      { label: 'When', html: (r) => esc(time(r.executable_at)) },
      { label: 'Kind', html: slashKind },
      { label: 'Set', html: (r) => who(r.set) },
      { label: 'Operator', html: (r) => who(r.operator) },
      { label: 'Fraction of the allocation', num: true, html: (r) => wadPct(r.wad) },
      { label: 'Taken from the operator', html: (r) => r.outcome.map((o) => `${amount(o.amount)} ${esc(o.strategy)}`).join('<br>') || '—' },
    ],
    slashes,
    { empty: 'no slash has reached the operators of this account' },
  );
}

/** Strategy shares a position lost to slashes: its deposit shares less what it can withdraw. */
function slashLoss(p) {
  const lost = BigInt(p.shares ?? '0') - BigInt(p.withdrawable_shares ?? p.shares ?? '0');
  return lost > 0n ? `<span class="bad">${amount(lost.toString())}</span>` : '—';
}

function exitPanel(x, network) {
  const path = (steps) =>
    `<div class="steps">${steps
      .map((s) => `<div class="step"><b>${kind(s.kind)}</b>${esc(duration(s.delay_s))} · ${esc(time(s.earliest_at))}${s.fee && s.fee !== '0' ? ` · fee ${amount(s.fee)} RAM` : ''}${s.exit_fee && s.exit_fee !== '0' ? ` · exit fee ${amount(s.exit_fee)}` : ''}</div>`)
      .join('<span class="arrow">→</span>')}</div>`;
  const paths = x.paths ?? [];
  return `
    <p>Everything out by <b>${esc(time(x.completes_at))}</b>.</p>
    ${paths.length ? table(
      [
        { label: 'Holding', html: (p) => holding(p.holding, network) },
        { label: 'Value', num: true, html: (p) => amount(p.value) },
        { label: 'Steps (delay · earliest)', html: (p) => path(p.steps) },
      ],
      paths,
    ) : path(x.steps ?? [])}`;
}

export async function account(el, ctx, args, { quiet } = {}) {
  // The periodic refresh leaves a wallet form being filled in alone.
  if (quiet && el.querySelector('#wallet-action')) return;
  const address = args[0];
  if (!address) {
    el.innerHTML = `<h2>Accounts</h2>${picker(null)}<p class="muted">Pick a demo account (stakers, delegators, operators, services, validators) or paste any address.</p>${walletPanel(null)}`;
    bind(el);
    bindWallet(el, ctx.network, null, () => account(el, ctx, args));
    return;
  }
  const params = { account: address };
  const network = ctx.network;
  const [position, base, lstView, y, exit, withdrawals, ram, vaultViews] = await Promise.all([
    get('position', params),
    get('baseDelegation', params),
    get('lstAccount', params),
    get('yield', params),
    get('exitPath', params),
    get('withdrawals', params),
    get('balance', { ...params, asset: 'RAM' }),
    Promise.all((network.vaults ?? []).map((v) => get('vault', { vault: v.vault }))),
  ]);
  const [rates, status, tracked] = await Promise.all([history('rates'), get('status'), history('accounts')]);
  const operators = new Set(position.positions.map((p) => String(p.operator).toLowerCase()));
  const slashes = operators.size
    ? (await Promise.all((network.services ?? []).map((s) => get('slashRequests', { service: s }))))
        .flat()
        .filter((r) => r.status === 'executed' && operators.has(String(r.operator).toLowerCase()))
        .sort((a, b) => b.executable_at - a.executable_at || b.id - a.id)
    : [];
  const lstHolding = lstView.account ?? { shares: '0', rebasing_balance: '0' };
  const holdings = position.vaults ?? [];
  const mine = address.toLowerCase();
  const requests = vaultViews.flatMap((v) => v.queue.filter((r) => String(r.owner).toLowerCase() === mine).map((r) => ({ ...r, vault: v.vault, asset: v.asset })));
  const held = new Set([...(BigInt(lstHolding.shares ?? '0') > 0n ? [`rates/lst/${lstView.symbol}`] : []), ...holdings.map((h) => `rates/vault/${h.vault}`)]);
  const perYear = Math.max(1, Math.floor((365 * 86400) / Number(status.epoch_length_s || 3600)));
  const windows = windowYieldRows({ series: (rates.series ?? []).filter((s) => held.has(s.key)) }, network, perYear);
  const own = accountWindowRow(tracked, mine, perYear);
  if (own) windows.unshift(own);
  const roles = rolePages(address, network);
  el.innerHTML = `
    <h2>${esc(name(address))} <span class="muted mono">${esc(address)}</span></h2>
    ${roles.length ? `<p>Also ${roles.map((r) => `<a href="${esc(r.href)}">its ${esc(r.role)} page</a>`).join(' · ')}</p>` : ''}
    ${picker(address)}
    ${walletPanel(address)}
    <div class="grid">
      ${card('RAM balance', amount(ram.amount))}
      ${card(`${lstView.symbol} (shares)`, amount(lstHolding.shares))}
      ${card(`${lstView.symbol} (rebasing, RAM)`, amount(lstHolding.rebasing_balance))}
      ${card('Restaked value', position.total_value.map(([k, v]) => `${amount(v)} <span class="muted">${esc(k)}</span>`).join('<br>') || '—')}
      ${card('Worst case loss', position.worst_case_loss.map(([k, v]) => `${amount(v)} <span class="muted">${esc(k)}</span>`).join('<br>') || '—')}
      ${holdings.length ? card('In vaults', holdings.map((h) => `${amount(h.value)} <span class="muted">${esc(h.asset)} (${esc(h.vault)})</span>`).join('<br>')) : ''}
    </div>
    ${chartBox('ch-account', 'Positions over time', 'RAM: value held in positions, and their net earnings (slashes count as losses)')}
    <h3>Restaking positions</h3>
    <div class="panel">${table(
      [
        { label: 'Operator', html: (p) => who(p.operator) },
        { label: 'Strategy', html: (p) => esc(p.strategy) },
        { label: 'Withdrawable', num: true, html: (p) => amount(p.withdrawable) },
        { label: 'Lost to slashes (shares)', num: true, html: slashLoss },
        { label: 'Redelegated, still slashable by', html: (p) => p.locked.map((l) => `${who(l.from)} ${amount(l.value)} until ${esc(time(l.matures_at))}`).join('<br>') || '—' },
        { label: 'Pending rewards', html: (p) => p.pending_rewards.map((r) => `${amount(r.amount)} ${esc(r.asset)}`).join('<br>') || '—' },
      ],
      position.positions,
      { empty: 'no restaking positions' },
    )}
    ${position.deposits.length ? `<p class="muted">Undelegated deposits (not slashable, earn nothing): ${position.deposits.map((d) => `${esc(d.strategy)} ${amount(d.value)}`).join(' · ')}</p>` : ''}</div>
    <h3>Vaults (LRT held: LRT → vault → operator → set)</h3>
    <div class="panel">${table(
      [
        { label: 'Vault', html: (h) => `${vaultLink(network, h.vault)} <span class="muted">${esc(h.vault)}</span>` },
        { label: 'LRT held', num: true, html: (h) => amount(h.lrt) },
        { label: 'Queued (burned, still exposed)', num: true, html: (h) => amount(h.queued_lrt) },
        { label: 'Value', num: true, html: (h) => `${amount(h.value)} ${esc(h.asset)}` },
        { label: 'Share of vault', num: true, html: (h) => wadPct(h.share_wad, 3) },
        { label: 'Worst case loss', num: true, html: (h) => amount(h.worst_case_loss) },
      ],
      holdings,
      { empty: 'no LRT held' },
    )}
    ${requests.length ? `<p><b>Withdrawal requests</b></p>${table(
      [
        { label: 'Id', html: (r) => esc(r.id) },
        { label: 'Vault', html: (r) => vaultLink(network, r.vault) },
        { label: 'LRT burned', num: true, html: (r) => amount(r.lrt) },
        { label: 'Value at request', num: true, html: (r) => amount(r.value_at_request) },
        { label: 'Pays', num: true, html: (r) => `${amount(r.payout)} ${esc(r.asset)}` },
        { label: 'Due', html: (r) => esc(time(r.claimable_at)) },
        { label: 'Status', html: (r) => badge(r.status, r.status === 'finalized' ? 'good' : 'warn') },
      ],
      requests,
    )}` : ''}</div>
    <h3>Slash exposure per set</h3>
    <div class="panel">${exposurePanel(position, network)}</div>
    <h3>Slashes that reached this account's operators</h3>
    <div class="panel">${slashPanel(slashes)}</div>
    ${yieldPanel(y, network, position, windows)}
    <h3>Base delegations</h3>
    <div class="panel">${table(
      [
        { label: 'Validator', html: (d) => who(d.validator) },
        { label: 'Value (RAM)', num: true, html: (d) => amount(d.total ?? d.value) },
        { label: 'Since', html: (d) => esc(time(d.since)) },
      ],
      base.delegations,
      { empty: 'no base delegations' },
    )}
    ${base.unbonding.length ? `<p class="muted">Unbonding: ${base.unbonding.map((u) => `${amount(u.amount)} RAM from ${who(u.validator)} at ${esc(time(u.completes_at))}`).join(' · ')}</p>` : ''}</div>
    <h3>Queued withdrawals</h3>
    <div class="panel">${table(
      [
        { label: 'Id', html: (w) => esc(w.id) },
        { label: 'Operator', html: (w) => who(w.operator) },
        { label: 'Strategy', html: (w) => esc(w.strategy) },
        { label: 'Pays now', num: true, html: (w) => amount(w.payout) },
        { label: 'Completable at', html: (w) => esc(time(w.completable_at)) },
      ],
      withdrawals,
      { empty: 'none queued' },
    )}</div>
    <h3>Exit path</h3>
    <div class="panel">${exitPanel(exit, network)}${governanceFlags(exit.governance, Math.floor(Date.now() / 1000))}</div>`;
  bind(el);
  bindWallet(el, network, address, () => account(el, ctx, args));
  const prefix = `accounts/${mine}/`;
  const label = { value: 'value held', earned: 'net earnings' };
  timeChart(
    el.querySelector('#ch-account'),
    seriesOf(tracked, prefix).map((s) => ({ label: label[s.key.slice(prefix.length)] ?? s.key, points: s.points, decimals: s.decimals, unit: s.unit })),
    { empty: "this node keeps no history of this account: it charts the accounts it names (labels in node.toml), from the epoch it named them" },
  );
}

function bind(el) {
  const go = (address) => {
    if (address) location.hash = `#/account/${address}`;
  };
  el.querySelector('#acct-select').addEventListener('change', (e) => go(e.target.value));
  el.querySelector('#acct-form').addEventListener('submit', (e) => {
    e.preventDefault();
    go(el.querySelector('#acct-address').value.trim());
  });
}
