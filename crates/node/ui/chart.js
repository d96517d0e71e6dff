// Stress tests from the risk engine, run by the node on its built-in scenarios, drawn with
// uPlot; each scenario is linkable (#/stress/NAME).

import { get } from './api.js';
import { esc, table } from './format.js';
import { barChart, chartBox, roundChart } from './charts.js';

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

function depegPanel(d) {
  return `
    <div class="grid">
      <div class="card"><div class="label">Start → final price</div><div class="value">${num(d.start_price)} → ${num(d.final_price)}</div></div>
      <div class="card"><div class="label">Rounds</div><div class="value">${esc(d.rounds)} ${d.settled ? '<span class="good">settled</span>' : '<span class="warn">not settled</span>'}</div></div>
      <div class="card"><div class="label">Debt repaid by liquidations</div><div class="value">${num(d.liquidated?.debt_repaid, 2)}</div></div>
      <div class="card"><div class="label">Bad debt</div><div class="value ${value(d.bad_debt) > 0 ? 'bad' : 'good'}">${num(d.bad_debt, 2)}</div></div>
    </div>
    ${chartBox('ch-depeg-price', 'LRT price in ETH by round', 'pool price after the round, and the oracle price the markets read')}
    ${chartBox('ch-depeg-liq', 'Liquidations per round', 'count')}
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
  return `${chartBox('ch-slash-ops', 'Loss per operator', 'fraction of its stake')}
  ${chartBox('ch-slash-vaults', 'Rate drop per vault', 'fraction of the LRT rate')}
  <h3>Operators</h3><div class="panel">${table(
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
  return `${chartBox('ch-exit', 'Value per unit, by exit path', 'in the underlying asset')}<div class="grid">
    <div class="card"><div class="label">AMM: average price</div><div class="value">${num(x.amm?.average_price)}</div></div>
    <div class="card"><div class="label">AMM: first → last tranche</div><div class="value">${num(x.amm?.first_tranche_price)} → ${num(x.amm?.last_tranche_price)}</div></div>
    <div class="card"><div class="label">Queue: present value per unit</div><div class="value">${num(x.queue?.present_value_per_unit)}</div></div>
    <div class="card"><div class="label">Break-even discount</div><div class="value">${num(x.break_even_discount)}</div></div>
    <div class="card"><div class="label">Better per unit</div><div class="value">${esc(x.better_per_unit ?? '—')}</div></div>
  </div>`;
}

/** Draws the charts of `report` into the panels stress() just wrote. */
function drawStress(el, report) {
  const d = report.depeg;
  if (d) {
    const trace = d.trace ?? [];
    roundChart(el.querySelector('#ch-depeg-price'), [
      { label: 'pool price', values: trace.map((r) => value(r.price_after)) },
      { label: 'oracle price', values: trace.map((r) => value(r.oracle_price)) },
    ], { unit: 'ETH' });
    barChart(el.querySelector('#ch-depeg-liq'), trace.map((_, i) => `${i + 1}`), 'liquidations', trace.map((r) => Number(r.liquidations ?? 0)), { places: 0 });
  }
  const s = report.slashing;
  if (s) {
    const ops = Object.entries(s.operators ?? {});
    barChart(el.querySelector('#ch-slash-ops'), ops.map((o) => o[0]), 'loss fraction', ops.map((o) => value(o[1].loss_fraction)), { places: 3 });
    const vaults = Object.entries(s.vaults ?? {});
    barChart(el.querySelector('#ch-slash-vaults'), vaults.map((v) => v[0]), 'rate drop', vaults.map((v) => value(v[1].rate_drop)), { places: 3 });
  }
  const x = report.exit_race;
  if (x) {
    const bars = [
      ['AMM average', x.amm?.average_price],
      ['AMM first tranche', x.amm?.first_tranche_price],
      ['AMM last tranche', x.amm?.last_tranche_price],
      ['queue (present value)', x.queue?.present_value_per_unit],
    ].filter((b) => b[1] != null);
    barChart(el.querySelector('#ch-exit'), bars.map((b) => b[0]), 'value per unit', bars.map((b) => value(b[1])), { places: 4 });
  }
}

export async function stress(el, _ctx, args = []) {
  const list = await get('stressList');
  if (args[0] && list.some((s) => s.name === args[0])) chosen = args[0];
  if (!list.some((s) => s.name === chosen) && list.length) chosen = list[0].name;
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
      .join('')}</select></label> <a href="#/stress/${esc(encodeURIComponent(chosen))}">link to this scenario</a></div>
    <p>${esc(report.name ?? list.find((s) => s.name === chosen)?.title ?? '')}</p>
    ${sections}
    <p class="muted">Run by the risk engine on a copy of its inputs (exact arithmetic, deterministic); scenario files are in <span class="mono">crates/risk/examples/</span>, and <span class="mono">rampart risk stress --scenario FILE</span> runs your own.</p>`;
  drawStress(el, report);
  el.querySelector('#stress-select').addEventListener('change', (e) => {
    location.hash = `#/stress/${encodeURIComponent(e.target.value)}`;
  });
}
