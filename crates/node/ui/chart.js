// Stress tests from the risk engine, run by the node on its built-in scenarios, drawn as SVG.

import { get } from './api.js';
import { esc, table } from './format.js';

let chosen = 'depeg-flat-then-cliff';

/** Whole-unit numbers (the stress engine's decimals) for display. */
function num(n, places = 4) {
  if (n == null) return '—';
  const v = Number(n.decimal ?? n);
  return Number.isFinite(v) ? v.toLocaleString(undefined, { maximumFractionDigits: places }) : esc(n.decimal ?? n);
}

function value(n) {
  return Number(n?.decimal ?? n ?? 0);
}

/**
 * A line chart of `series` ([{label, cls, values}]) over rounds, with optional bars, as SVG.
 */
export function lineChart(series, bars = null, { width = 760, height = 280, yLabel = '' } = {}) {
  const pad = { l: 56, r: 16, t: 12, b: 28 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(...series.map((s) => s.values.length), 1);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.01, hi + 0.01];
  const span = hi - lo;
  lo -= span * 0.05;
  hi += span * 0.05;
  const x = (i) => pad.l + (n <= 1 ? 0 : (i * (width - pad.l - pad.r)) / (n - 1));
  const y = (v) => pad.t + ((hi - v) * (height - pad.t - pad.b)) / (hi - lo);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  const grid = ticks
    .map((t) => `<line class="axis" x1="${pad.l}" x2="${width - pad.r}" y1="${y(t)}" y2="${y(t)}"/><text x="${pad.l - 6}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(3)}</text>`)
    .join('');
  const xTicks = Array.from({ length: n }, (_, i) => i)
    .filter((i) => n <= 12 || i % Math.ceil(n / 12) === 0)
    .map((i) => `<text x="${x(i)}" y="${height - 8}" text-anchor="middle">${i + 1}</text>`)
    .join('');
  let barSvg = '';
  if (bars) {
    const max = Math.max(...bars, 0) || 1;
    const w = Math.max(2, (width - pad.l - pad.r) / n / 2);
    barSvg = bars
      .map((b, i) => {
        const h = (b / max) * (height - pad.t - pad.b) * 0.4;
        return `<rect class="bars" x="${x(i) - w / 2}" y="${height - pad.b - h}" width="${w}" height="${h}"><title>round ${i + 1}: ${b}</title></rect>`;
      })
      .join('');
  }
  const lines = series
    .map((s) => `<polyline class="${s.cls}" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}"><title>${esc(s.label)}</title></polyline>`)
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(yLabel)}">${grid}${barSvg}${lines}${xTicks}</svg>`;
}

function depegPanel(d) {
  const trace = d.trace ?? [];
  const chart = lineChart(
    [
      { label: 'pool price after the round', cls: 'line1', values: trace.map((r) => value(r.price_after)) },
      { label: 'oracle price read by the markets', cls: 'line2', values: trace.map((r) => value(r.oracle_price)) },
    ],
    trace.map((r) => Number(r.liquidations ?? 0)),
    { yLabel: 'LRT price in ETH by round' },
  );
  return `
    <div class="grid">
      <div class="card"><div class="label">Start → final price</div><div class="value">${num(d.start_price)} → ${num(d.final_price)}</div></div>
      <div class="card"><div class="label">Rounds</div><div class="value">${esc(d.rounds)} ${d.settled ? '<span class="good">settled</span>' : '<span class="warn">not settled</span>'}</div></div>
      <div class="card"><div class="label">Debt repaid by liquidations</div><div class="value">${num(d.liquidated?.debt_repaid, 2)}</div></div>
      <div class="card"><div class="label">Bad debt</div><div class="value ${value(d.bad_debt) > 0 ? 'bad' : 'good'}">${num(d.bad_debt, 2)}</div></div>
    </div>
    <div class="panel">
      <div class="legend"><span><i style="background:var(--accent)"></i>pool price</span><span><i style="background:var(--warn)"></i>oracle price</span><span><i style="background:var(--bad);opacity:.35;height:8px"></i>liquidations in the round</span></div>
      ${chart}
    </div>
    <h3>Markets</h3>
    <div class="panel">${table(
      [
        { label: 'Market', html: (m) => esc(m[0]) },
        { label: 'Oracle', html: (m) => esc(m[1].oracle) },
        { label: 'Liquidations', num: true, html: (m) => esc(m[1].liquidations) },
        { label: 'Debt repaid', num: true, html: (m) => num(m[1].debt_repaid, 2) },
        { label: 'Bad debt', num: true, html: (m) => num(m[1].bad_debt, 2) },
      ],
      Object.entries(d.markets ?? {}),
    )}</div>`;
}

function slashingPanel(s) {
  const rows = (obj) => Object.entries(obj ?? {});
  return `<h3>Operators</h3><div class="panel">${table(
    [
      { label: 'Operator', html: (r) => esc(r[0]) },
      { label: 'Stake before', num: true, html: (r) => num(r[1].stake_before, 2) },
      { label: 'Loss', num: true, html: (r) => num(r[1].loss, 2) },
      { label: 'Loss fraction', num: true, html: (r) => num(r[1].loss_fraction) },
    ],
    rows(s.operators),
  )}</div>
  <h3>Vaults and holders</h3><div class="panel">${table(
    [
      { label: 'Vault', html: (r) => esc(r[0]) },
      { label: 'Loss', num: true, html: (r) => num(r[1].loss, 2) },
      { label: 'Rate drop', num: true, html: (r) => num(r[1].rate_drop) },
    ],
    rows(s.vaults),
  )}${table(
    [
      { label: 'Holder', html: (r) => esc(r[0]) },
      { label: 'Kind', html: (r) => esc(r[1].kind) },
      { label: 'Loss', num: true, html: (r) => num(r[1].loss, 2) },
    ],
    rows(s.holders),
  )}</div>`;
}

function exitPanel(x) {
  return `<div class="grid">
    <div class="card"><div class="label">AMM: average price</div><div class="value">${num(x.amm?.average_price)}</div></div>
    <div class="card"><div class="label">AMM: first → last tranche</div><div class="value">${num(x.amm?.first_tranche_price)} → ${num(x.amm?.last_tranche_price)}</div></div>
    <div class="card"><div class="label">Queue: present value per unit</div><div class="value">${num(x.queue?.present_value_per_unit)}</div></div>
    <div class="card"><div class="label">Break-even discount</div><div class="value">${num(x.break_even_discount)}</div></div>
    <div class="card"><div class="label">Better per unit</div><div class="value">${esc(x.better_per_unit ?? '—')}</div></div>
  </div>`;
}

export async function stress(el) {
  const list = await get('stressList');
  const report = await get('stress', { name: chosen });
  const sections = [
    report.depeg ? `<h3>De-peg and liquidations</h3>${depegPanel(report.depeg)}` : '',
    report.slashing ? `<h3>Correlated slashing</h3>${slashingPanel(report.slashing)}` : '',
    report.exit_race ? `<h3>Exit race: AMM against the queue</h3>${exitPanel(report.exit_race)}` : '',
  ].join('');
  el.innerHTML = `
    <h2>Stress tests</h2>
    <div class="row"><label>Scenario <select id="stress-select">${list
      .map((s) => `<option value="${esc(s.name)}" ${s.name === chosen ? 'selected' : ''}>${esc(s.name)}</option>`)
      .join('')}</select></label></div>
    <p>${esc(report.name ?? list.find((s) => s.name === chosen)?.title ?? '')}</p>
    ${sections}
    <p class="muted">Run by the risk engine on a copy of its inputs (exact arithmetic, deterministic); scenario files are in <span class="mono">crates/risk/examples/</span>, and <span class="mono">rampart risk stress --scenario FILE</span> runs your own.</p>`;
  el.querySelector('#stress-select').addEventListener('change', (e) => {
    chosen = e.target.value;
    stress(el);
  });
}

