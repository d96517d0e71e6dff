// Views of the network: overview, validators, operators and services, rewards, the LST, events.

import { get, getText, parseMetrics } from './api.js';
import { amount, badge, bps, card, duration, esc, table, time, wadPct, wadRate, who } from './format.js';
import { vaultLink, vaultName } from './vaults.js';
import { WINDOWS, bpsText, chartBox, history, keyLabel, rateYield, rollingApy, seriesOf, timeChart } from './charts.js';

/** Fields of an event worth a line in a feed. */
const EVENT_FIELDS = ['staker', 'operator', 'set', 'service', 'validator', 'delegator', 'account', 'from', 'to', 'asset', 'strategy', 'amount', 'shares', 'wad', 'id'];

/** Event kinds with a label for people (the raw kind stays in the title). */
const EVENT_LABELS = {
  double_sign_proven: 'double sign proven (objective evidence)',
  evidence_rewarded: 'evidence reward paid',
  signing_key_changed: 'signing key rotated',
};

/** One event as a feed line. */
export function eventLine(e) {
  const ev = e.event ?? {};
  const label = EVENT_LABELS[ev.event];
  const details = EVENT_FIELDS.filter((k) => ev[k] != null)
    .map((k) => {
      const v = ev[k];
      if (k === 'amount' || k === 'shares') return `${k} ${amount(v)}`;
      if (k === 'wad') return `${k} ${wadPct(v)}`;
      if (typeof v === 'string' && v.startsWith('0x')) return `${k} ${who(v, { link: false })}`;
      return `${k} ${esc(v)}`;
    })
    .join(' · ');
  const height = ev.height != null && ev.event === 'double_sign_proven' ? ` · service height ${esc(ev.height)}` : '';
  const kind = label ? `<span class="k bad" title="${esc(ev.event)}">${esc(label)}</span>` : `<span class="k">${esc(ev.event ?? '?')}</span>`;
  return `<li><span class="h">#${esc(e.height)}</span>${kind}<span class="d">${details}${height}</span></li>`;
}

function feed(ctx, limit, filter = () => true) {
  const items = ctx.feed.filter(filter).slice(0, limit);
  return items.length
    ? items.map(eventLine).join('')
    : '<li class="muted">waiting for events… (the stream starts with the next block)</li>';
}

function securitySummary(sec) {
  const a = sec?.analysis;
  if (!a) return '<span class="muted">no stake yet</span>';
  const verdict = a.secure === true ? '<span class="good">secure</span>' : a.secure === false ? '<span class="bad">insecure</span>' : '<span class="warn">unknown</span>';
  const cert = a.certificate.certified ? 'certified' : 'not certified';
  return `<a href="#/security">${verdict}</a> <span class="muted" style="font-size:12px">${cert}</span>`;
}

/** cost ÷ profit per point of two series (×1000 exact, then as a plot number). */
function marginPoints(cost, profit) {
  const byTime = new Map((profit?.points ?? []).map((p) => [p.time, BigInt(p.value)]));
  return (cost?.points ?? [])
    .filter((p) => (byTime.get(p.time) ?? 0n) > 0n)
    .map((p) => ({ time: p.time, value: Number((BigInt(p.value) * 1000n) / byTime.get(p.time)) / 1000 }));
}

/** Security margin lines (one per operator set) from the `security` history group. */
export function marginLines(sec, service = null) {
  const prefix = service ? `security/set/${service.toLowerCase()}/` : 'security/set/';
  const costs = seriesOf(sec, 'security/set/').filter((s) => s.key.endsWith('/cost') && s.key.toLowerCase().startsWith(prefix));
  return costs.map((c) => {
    const base = c.key.slice(0, -'/cost'.length);
    const profit = sec.series.find((s) => s.key === `${base}/profit`);
    return { label: keyLabel(base), numeric: true, unit: '×', points: marginPoints(c, profit) };
  });
}

/** Yield rows per window for every rate series (the LST and each vault's LRT). */
export function windowYieldRows(rates, network, n) {
  return seriesOf(rates, 'rates/').map((s) => {
    const [, kind, symbol] = s.key.split('/');
    const label = kind === 'vault' ? `vault ${vaultLink(network, symbol)}` : `${esc(symbol)} (liquid staking)`;
    const row = { label, unit: s.unit };
    for (const w of WINDOWS) row[w.label] = rateYield(s.points, w.s, n);
    row.since = rateYield(s.points, null, n);
    return row;
  });
}

/** A table of window yields (from windowYieldRows). */
export function windowYieldTable(rows) {
  const cell = (y, wlabel) =>
    y
      ? `APR ${bpsText(y.apr_bps)}<br><span class="muted">APY ${bpsText(y.apy_bps)} · ${y.change_label ?? 'rate'} ${y.change_bps < 0n ? '' : '+'}${bpsText(y.change_bps)}</span>`
      : `<span class="muted" title="nothing is annualised over less than 7 days">not enough history for ${esc(wlabel)}</span>`;
  return table(
    [
      { label: 'Held as', html: (r) => r.label },
      ...WINDOWS.map((w) => ({ label: `Last ${w.label}`, num: true, html: (r) => cell(r[w.label], w.label) })),
      { label: 'Since the first snapshot', num: true, html: (r) => (r.since ? `${cell(r.since)}<br><span class="muted">${esc(duration(r.since.window_s))}</span>` : cell(null, '7 d')) },
    ],
    rows,
    { empty: 'no rates recorded yet' },
  );
}

function drawOverviewCharts(el, groups, perYear) {
  const [tvl, stake, rates, sec] = groups;
  const lines = (view, prefix, drop = 2) =>
    seriesOf(view, prefix).map((s) => ({ label: keyLabel(s.key, drop), points: s.points, decimals: s.decimals, unit: s.unit }));
  timeChart(el.querySelector('#ch-tvl-strategy'), lines(tvl, 'tvl/strategy/'));
  timeChart(el.querySelector('#ch-tvl-vault'), lines(tvl, 'tvl/vault/').map((l) => ({ ...l, label: vaultName(null, l.label) })));
  timeChart(el.querySelector('#ch-bonded'), [
    ...lines(stake, 'stake/bonded', 1).map((l) => ({ ...l, label: 'all validators' })),
    ...lines(stake, 'stake/validator/'),
  ]);
  timeChart(el.querySelector('#ch-rates'), lines(rates, 'rates/'), { places: 4 });
  timeChart(
    el.querySelector('#ch-apy'),
    seriesOf(rates, 'rates/').flatMap((s) =>
      WINDOWS.map((w) => ({ label: `${keyLabel(s.key)} ${w.label}`, numeric: true, unit: '%', points: rollingApy(s.points, w.s, perYear) })),
    ),
    { places: 2, empty: 'not enough history: nothing is annualised over less than 7 days' },
  );
  timeChart(el.querySelector('#ch-security'), marginLines(sec), { places: 2 });
}

/** Epochs in a 365-day year (the compounding of exchange rates). */
function epochsPerYear(status) {
  return Math.max(1, Math.floor((365 * 86400) / Number(status.epoch_length_s || 3600)));
}

/** The network at a glance. */
export async function overview(el, ctx) {
  const [status, metricsText, lstView, sec] = await Promise.all([
    get('status'),
    getText('metrics'),
    get('lst'),
    get('security', { budget_ms: 500, shock: '0' }).catch(() => null),
  ]);
  const groups = await Promise.all(['tvl', 'stake', 'rates', 'security'].map((g) => history(g)));
  const m = parseMetrics(metricsText);
  const validators = await Promise.all(ctx.network.validators.map((v) => get('validator', { validator: v })));
  const bonded = validators.reduce((sum, v) => sum + BigInt(v.bonded), 0n);
  const active = validators.filter((v) => v.status === 'active').length;
  const n = ctx.network;
  el.innerHTML = `
    <h2>Network</h2>
    <div class="grid">
      ${card('Height', esc(status.height))}
      ${card('Epoch', `${esc(status.epoch)} <span class="muted">(${esc(status.epoch_length_s)} s)</span>`)}
      ${card('Block time', esc(time(status.time)), { small: true })}
      ${card('Transactions / s', esc((m.rampart_tx_per_second ?? 0).toFixed(1)))}
      ${card('Mempool', esc(m.rampart_mempool_size ?? status.mempool))}
      ${card('Blocks committed', esc(m.rampart_blocks_total ?? '—'))}
      ${card('State root', esc(status.state_root), { small: true })}
      ${card('Chain id · version', `${esc(status.chain_id)} · ${esc(status.version)}`)}
    </div>
    <h3>Stake</h3>
    <div class="grid">
      ${card('Validators active', `${active} / ${validators.length}`)}
      ${card('Bonded (RAM)', amount(bonded.toString(), 0))}
      ${card('Operators', esc(n.operators.length))}
      ${card('Services · sets', `${esc(n.services.length)} · ${esc(n.sets.length)}`)}
      ${card('Reward programs', esc(n.reward_programs.length))}
      ${card(`${lstView.symbol} rate (RAM)`, wadRate(lstView.rate_wad))}
      ${card('Strategies', esc(n.strategies.join(', ')), { small: true })}
      ${card('Vaults', (n.vaults ?? []).map((v) => vaultLink(n, v.vault)).join('<br>') || '—')}
      ${card('Security', securitySummary(sec))}
    </div>
    <h3>Over time <span class="muted">(one snapshot per epoch, from <span class="mono">/v1/history</span>)</span></h3>
    <div class="grid wide charts">
      ${chartBox('ch-tvl-strategy', 'TVL per strategy', 'tokens of each strategy\'s asset')}
      ${chartBox('ch-tvl-vault', 'TVL per vault', 'in the vault\'s asset')}
      ${chartBox('ch-bonded', 'Bonded stake', 'RAM')}
      ${chartBox('ch-rates', 'LST and LRT rates', 'asset per share')}
      ${chartBox('ch-apy', 'APY per window over time', 'trailing 7 d and 30 d, from the rates; %')}
      ${chartBox('ch-security', 'Security margin per operator set', 'cost of corruption ÷ declared profit; above 1× corrupting it costs more than it pays')}
    </div>
    <h3>Yield per window <span class="muted">(exchange-rate change, annualised; never over less than 7 days)</span></h3>
    <div class="panel">${windowYieldTable(windowYieldRows(groups[2], n, epochsPerYear(status)))}</div>
    <h3>Live events</h3>
    <div class="panel"><ul class="feed" id="overview-feed">${feed(ctx, 15)}</ul></div>`;
  drawOverviewCharts(el, groups, epochsPerYear(status));
  const list = el.querySelector('#overview-feed');
  ctx.onEvent = () => {
    list.innerHTML = feed(ctx, 15);
  };
}

/** Validators of the base layer. */
export async function validators(el, ctx) {
  const views = await Promise.all(ctx.network.validators.map((v) => get('validator', { validator: v })));
  const source = (v, s) => v.rewards.find((r) => r.source === s) ?? { gross: '0', commission: '0' };
  const statusBadge = (s) => badge(s, s === 'active' ? 'good' : s === 'pending' ? 'warn' : 'bad');
  el.innerHTML = `
    <h2>Validators</h2>
    <div class="panel">${table(
      [
        { label: 'Validator', html: (v) => who(v.validator) },
        { label: 'Status', html: (v) => statusBadge(v.status) },
        { label: 'Commission', num: true, html: (v) => `${bps(v.commission_bps)}${v.pending_commission ? ` <span class="warn" title="from epoch ${esc(v.pending_commission[1])}">→ ${bps(v.pending_commission[0])}</span>` : ''}` },
        { label: 'Bonded (RAM)', num: true, html: (v) => amount(v.bonded) },
        { label: 'Pending', num: true, html: (v) => amount(v.pending_bonded) },
        { label: 'RAM / share', num: true, html: (v) => wadRate(v.rate_wad) },
        { label: 'Missed / window', num: true, html: (v) => `${esc(v.missed_blocks)} / ${esc(v.window_blocks)}` },
        { label: 'Double sign', html: (v) => (v.double_sign ? badge('tombstoned', 'bad') : '<span class="muted">—</span>') },
      ],
      views,
    )}</div>
    <h3>Rewards by source (gross, RAM; commission kept by the validator)</h3>
    <div class="panel">${table(
      [
        { label: 'Validator', html: (v) => who(v.validator) },
        ...['issuance', 'transaction_fees', 'priority_tips', 'mev'].map((s) => ({
          label: s.replace('_', ' '),
          num: true,
          html: (v) => `${amount(source(v, s).gross)} <span class="muted" title="commission">(${amount(source(v, s).commission)})</span>`,
        })),
      ],
      views,
    )}</div>`;
}

/** Operators, services and their operator sets. */
export async function restaking(el, ctx) {
  const n = ctx.network;
  const [operators, services, sets] = await Promise.all([
    Promise.all(n.operators.map((o) => get('operator', { operator: o }))),
    Promise.all(n.services.map((s) => get('service', { service: s }))),
    Promise.all(n.sets.map((s) => get('operatorSet', { set: s }))),
  ]);
  const allocations = operators.flatMap((o) => o.allocations.map((a) => ({ ...a, operator: o.operator })));
  el.innerHTML = `
    <h2>Operators</h2>
    <div class="panel">${table(
      [
        { label: 'Operator', html: (o) => who(o.operator) },
        { label: 'Default commission', num: true, html: (o) => bps(o.default_commission_bps) },
        { label: 'Allocation delay', num: true, html: (o) => esc(duration(o.allocation_delay_s, 'none')) },
        {
          label: 'Delegated (per strategy, tokens)',
          html: (o) => o.strategies.map((s) => `${esc(s.strategy)} ${amount(s.delegated)} <span class="muted">(max mag. ${wadPct(s.max_magnitude, 2)})</span>`).join('<br>') || '—',
        },
        { label: 'Sets', html: (o) => o.sets.map((s) => `${who(s.set)}${s.status === 'registered' ? '' : ` <span class="warn">(${esc(s.status)})</span>`}`).join(', ') || '—' },
      ],
      operators,
    )}</div>
    <h3>Allocations (unique stake: each piece slashable only by its set)</h3>
    <div class="panel">${table(
      [
        { label: 'Operator', html: (a) => who(a.operator) },
        { label: 'Set', html: (a) => who(a.set) },
        { label: 'Strategy', html: (a) => esc(a.strategy) },
        { label: 'Magnitude', num: true, html: (a) => wadPct(a.magnitude) },
        { label: 'Pending', num: true, html: (a) => (a.pending_magnitude ? `${wadPct(a.pending_magnitude)} at ${esc(time(a.effect_at))}` : '—') },
        { label: 'Slashable now (tokens)', num: true, html: (a) => (a.slashable ? amount(a.slashable_amount) : '<span class="muted">not slashable</span>') },
      ],
      allocations,
    )}</div>
    <h2>Services</h2>
    <div class="panel">${table(
      [
        { label: 'Service', html: (s) => who(s.service) },
        { label: 'Slasher', html: (s) => who(s.slasher) },
        { label: 'Resolver · veto window', html: (s) => (s.resolver ? `${who(s.resolver)} · ${esc(duration(s.veto_window_s))}` : '<span class="muted">instant</span>') },
        { label: 'Max slash / event', num: true, html: (s) => wadPct(s.max_slash_per_event_wad) },
        { label: 'Destination', html: (s) => (s.destination === 'burn' ? 'burn' : `redistribute → ${who(s.destination?.redistribute)}`) },
        { label: 'Escrow', num: true, html: (s) => esc(duration(s.resolution_delay_s)) },
        { label: 'Sets', html: (s) => s.sets.map((x) => who(x)).join(', ') },
      ],
      services,
    )}</div>
    <h3>Operator sets</h3>
    ${sets
      .map(
        (s) => `<div class="panel"><b>${who(s.set)}</b> <span class="muted">strategies ${esc(s.strategies.join(', '))} · admission ${esc(s.admission)}</span>
        ${table(
          [
            { label: 'Operator', html: (m) => who(m.operator) },
            ...s.strategies.map((name, i) => ({
              label: `${name} magnitude · slashable`,
              num: true,
              html: (m) => `${wadPct(m.allocations[i]?.magnitude)} · ${amount(m.allocations[i]?.slashable)}`,
            })),
          ],
          s.operators,
          { empty: 'no operators registered' },
        )}
        <p class="muted">Total slashable: ${s.total_slashable.map(([k, v]) => `${esc(k)} ${amount(v)}`).join(' · ') || '—'}</p></div>`,
      )
      .join('')}`;
}

/** Reward programs and the fees taken from them. */
export async function rewards(el, ctx) {
  const [programs, params] = await Promise.all([
    Promise.all(ctx.network.reward_programs.map((id) => get('rewardProgram', { id }))),
    get('params'),
  ]);
  const progress = (p) => {
    const total = BigInt(p.amount);
    const pct = total > 0n ? Number((BigInt(p.streamed) * 1000n) / total) / 10 : 0;
    return `<div class="bar" title="${pct.toFixed(1)}% streamed"><span style="width:${pct}%"></span></div>`;
  };
  el.innerHTML = `
    <h2>Reward programs</h2>
    <div class="grid">
      ${card('Protocol fee', bps(params.protocol_fee_bps))}
      ${card('Default operator commission', bps(params.default_commission_bps))}
      ${card('Commission change delay', esc(duration(params.commission_delay_s)))}
      ${card('Epoch length', esc(duration(params.epoch_length_s)))}
    </div>
    <div class="panel">${table(
      [
        { label: 'Id', html: (p) => esc(p.id) },
        { label: 'Service · set', html: (p) => `${who(p.service)} · ${who(p.set)}` },
        { label: 'Weighting', html: (p) => esc(p.weighting) },
        { label: 'Amount', num: true, html: (p) => `${amount(p.amount)} ${esc(p.asset_symbol)}` },
        { label: 'Streamed', html: progress },
        { label: 'Distributed', num: true, html: (p) => amount(p.distributed) },
        { label: 'Protocol fees', num: true, html: (p) => amount(p.protocol_fees) },
        { label: 'Operator commissions', num: true, html: (p) => amount(p.commissions) },
        { label: 'Refunded', num: true, html: (p) => amount(p.refunded) },
        { label: 'In escrow', num: true, html: (p) => amount(p.escrowed) },
        { label: 'Epochs', num: true, html: (p) => `${esc(p.start_epoch)} + ${esc(p.epochs)}` },
        { label: 'State', html: (p) => badge(p.active ? 'streaming' : 'ended', p.active ? 'good' : '') },
      ],
      programs,
      { empty: 'no reward programs' },
    )}</div>
    <p class="muted">Each epoch's slice goes to the set's operators by weight; the protocol fee is taken first, then the operator's commission for that service, and the rest raises the delegators' reward index (claims are O(1)).</p>`;
}

/** The liquid staking pool. */
export async function lst(el) {
  const v = await get('lst');
  el.innerHTML = `
    <h2>Liquid staking (${esc(v.symbol)})</h2>
    <div class="grid">
      ${card('Rate (RAM per LST)', wadRate(v.rate_wad))}
      ${card('Supply', amount(v.supply))}
      ${card('Pool value (RAM)', amount(v.total_value))}
      ${card('Liquid buffer', amount(v.buffer))}
      ${card('Owed to the queue', amount(v.owed))}
      ${card('Unbonding', amount(v.unbonding))}
      ${card('Pool fee', bps(v.fee_bps))}
      ${card('Fees charged', amount(v.fees_charged))}
    </div>
    <h3>Redemption queue</h3>
    <div class="panel">${table(
      [
        { label: 'Id', html: (r) => esc(r.id) },
        { label: 'Owner', html: (r) => who(r.owner) },
        { label: 'LST burned', num: true, html: (r) => amount(r.lst) },
        { label: 'Value at request', num: true, html: (r) => amount(r.value_at_request) },
        { label: 'Pays now', num: true, html: (r) => amount(r.payout_now) },
        { label: 'Claimable at', html: (r) => esc(r.claimable_at ? time(r.claimable_at) : 'next batch') },
      ],
      v.redemptions,
      { empty: 'the queue is empty' },
    )}</div>
    <p class="muted">Redemptions pay min(value at request, value at claim), so a slash during the queue is shared fairly. A holder sees the LST both as a share count and as a rebasing RAM balance (Accounts tab).</p>`;
}

/** The live event feed. */
export async function events(el, ctx, _args, { quiet } = {}) {
  const previous = el.querySelector('#event-kind')?.value ?? '';
  if (quiet && el.querySelector('#events-feed')) return;
  const kinds = [...new Set(ctx.feed.map((e) => e.event?.event).filter(Boolean))].sort();
  el.innerHTML = `
    <h2>Events</h2>
    <div class="row"><label>Kind <select id="event-kind"><option value="">all</option>${kinds.map((k) => `<option ${k === previous ? 'selected' : ''}>${esc(k)}</option>`).join('')}</select></label>
    <span class="muted">from the node's server-sent event stream (<span class="mono">/v1/events</span>), newest first</span></div>
    <div class="panel"><ul class="feed" id="events-feed"></ul></div>`;
  const select = el.querySelector('#event-kind');
  const list = el.querySelector('#events-feed');
  const draw = () => {
    const kind = select.value;
    list.innerHTML = feed(ctx, 200, (e) => !kind || e.event?.event === kind);
  };
  select.addEventListener('change', draw);
  ctx.onEvent = draw;
  draw();
}
