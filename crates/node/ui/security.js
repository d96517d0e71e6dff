// The live security analysis (RISK.md on the live state): certificate, most profitable attack,
// γ-slack, cascade after a shock, concentration, and how stake was valued.

import { get } from './api.js';
import { amount, badge, bps, esc, name, ratio, riskAmount, table, who } from './format.js';

const state = { shock: '1/10', budget_ms: '1000' };

function verdict(a) {
  if (a.secure === true) return `<span class="verdict good">Secure</span> <span class="muted">no coalition of operators profits from corrupting any set</span>`;
  if (a.secure === false) return `<span class="verdict bad">Insecure</span> <span class="muted">a coalition profits from corrupting a set (below)</span>`;
  return `<span class="verdict warn">Unknown</span> <span class="muted">not decided within the time budget</span>`;
}

function hhi(c) {
  if (!c?.hhi) return '—';
  return `${(Number(c.hhi.decimal) * 10000).toFixed(0)}`;
}

function concentrationRow(label, c) {
  return { label, c };
}

function attackPanel(a) {
  if (!a.attack) return `<div class="panel"><b>Most profitable attack:</b> <span class="good">none</span> — every coalition's slashable stake exceeds what it could gain.</div>`;
  const at = a.attack;
  const losses = Object.entries(at.losses ?? {});
  return `<div class="panel">
    <b>Most profitable attack</b>
    <p>Corrupt ${at.services.map((s) => who(s)).join(', ')} with ${at.operators.map((o) => who(o)).join(', ')}:
    gain <b>${riskAmount(at.profit)}</b> RAM for a slashable cost of <b>${riskAmount(at.cost)}</b> RAM.</p>
    ${losses.length ? table([{ label: 'Operator', html: (r) => who(r[0]) }, { label: 'Stake lost (RAM)', num: true, html: (r) => riskAmount(r[1]) }], losses) : ''}
  </div>`;
}

function cascadePanel(a) {
  const c = a.cascade;
  if (!c) return '';
  return `<div class="panel"><b>Worst cascade after a shock ψ = ${ratio(c.psi, 4)}</b>
    <p>R<sub>ψ</sub> (stake lost, as a share of all stake, including the shock): <b>${c.loss_fraction ? ratio(c.loss_fraction, 4) : '<span class="warn">unknown within budget</span>'}</b>
    ${c.bound ? ` · Theorem 1 bound (1 + 1/γ)ψ = ${ratio(c.bound, 4)} <span class="muted">(from ${esc(c.bound_from)})</span>` : ' · <span class="muted">no bound (γ ≤ 0)</span>'}</p>
    ${c.shock?.length ? `<p class="muted">Shock removes: ${c.shock.map((o) => who(o)).join(', ')}</p>` : ''}
    ${c.attack ? `<p class="muted">then the attack on ${c.attack.services.map((s) => who(s)).join(', ')} destroys ${riskAmount(c.attack.cost)} RAM</p>` : ''}
    <p class="muted">search ${esc(c.search)} · ${esc(c.nodes)} nodes${c.supremum ? ' · supremum' : ''}</p></div>`;
}

/** What breaking consensus costs with the active set as the committee (one vote per seat). */
function consensusPanel(c) {
  if (!c) return '';
  const row = (label, x) => `<tr><td>${esc(label)}</td><td class="num">${esc(x.seats)} of ${esc(c.seats)}</td><td class="num">${amount(x.cheapest_stake)}</td><td class="num">${bps(x.share_of_bonded_bps)}</td></tr>`;
  return `<h3>Consensus (one vote per seat)</h3>
    <div class="panel">
      <p>${esc(c.seats)} seats (the active set) · tolerates ${esc(c.fault_tolerance)} faulty · quorum ${esc(c.quorum)} · ${amount(c.bonded_total)} RAM bonded.
      Stake decides who sits, proposes and earns, not vote weight: the cheapest seats are the ones an attacker would buy.</p>
      <table><thead><tr><th>To break</th><th class="num">Seats</th><th class="num">Cheapest stake (RAM)</th><th class="num">Of bonded</th></tr></thead>
      <tbody>${row('safety (two certified blocks)', c.safety)}${row('liveness (no quorum)', c.liveness)}</tbody></table>
      <p class="muted">With stake-weighted votes either would need a third of the bonded stake: ${amount(c.stake_weighted_third)} RAM.</p>
    </div>`;
}

export async function security(el) {
  const body = await get('security', state);
  const a = body.analysis;
  const cert = a.certificate;
  const setRows = body.sets.map((s) => ({
    ...s,
    buffer: cert.services?.[s.set],
    conc: a.concentration.services?.[s.set],
  }));
  const concRows = [
    concentrationRow('all operators', a.concentration.overall),
    ...Object.entries(a.concentration.assets ?? {}).map(([k, c]) => concentrationRow(`asset ${k}`, c)),
    ...Object.entries(a.concentration.services ?? {}).map(([k, c]) => concentrationRow(`set ${name(k)}`, c)),
  ];
  el.innerHTML = `
    <h2>Security of the live state</h2>
    <form class="row" id="sec-form">
      <label>Shock ψ <input id="sec-shock" size="8" value="${esc(state.shock)}" title="fraction of all stake removed first: p/q or decimal"></label>
      <label>Budget <input id="sec-budget" size="6" value="${esc(state.budget_ms)}"> ms</label>
      <button type="submit">Analyse</button>
      <button type="button" id="sec-download">Download graph file</button>
      <span class="muted">height ${esc(body.height)} · ${esc(a.model)} model · values in ${esc(body.unit)} · ${esc(body.elapsed_ms ?? '?')} ms</span>
    </form>
    <div class="panel">${verdict(a)}
      <p>Certificate: ${cert.certified ? badge('certified', 'good') : badge('not certified', 'warn')}
      γ* = ${ratio(cert.gamma_star)} · max load T = ${ratio(cert.max_load)} (binding operator ${who(cert.binding_operator)})
      · exact γ-slack = ${a.gamma_slack ? ratio(a.gamma_slack) : '<span class="muted">none / unknown</span>'}
      ${cert.uncovered_services.length ? ` · <span class="bad">uncovered: ${cert.uncovered_services.map((s) => who(s)).join(', ')}</span>` : ''}</p>
      <p class="muted">search: attack ${esc(a.search.attack)}, γ-slack ${esc(a.search.gamma_slack)}, ${esc(a.search.nodes)} nodes. "Not certified" is not "insecure": the exact search decides.</p>
    </div>
    ${attackPanel(a)}
    ${cascadePanel(a)}
    ${consensusPanel(body.consensus)}
    <h3>Operator sets (π declared by the service, α its corruption threshold)</h3>
    <div class="panel">${table(
      [
        { label: 'Set', html: (s) => who(s.set) },
        { label: 'Profile', html: (s) => (s.declared ? `${esc(s.fault)}` : badge('undeclared', 'warn')) },
        { label: 'π (RAM)', num: true, html: (s) => riskAmount(s.profit) },
        { label: 'α', num: true, html: (s) => esc(s.threshold) },
        { label: 'Slashable stake (RAM)', num: true, html: (s) => riskAmount(s.stake) },
        { label: 'Operators', num: true, html: (s) => esc(s.operators) },
        { label: 'γ* of the set', num: true, html: (s) => ratio(s.buffer?.gamma_star) },
        { label: 'Binding operator', html: (s) => who(s.buffer?.binding_operator) },
      ],
      setRows,
    )}</div>
    <h3>Operators (σ: stake any set can slash now)</h3>
    <div class="panel">${table(
      [
        { label: 'Operator', html: (o) => who(o.operator) },
        { label: 'σ (RAM)', num: true, html: (o) => riskAmount(o.stake) },
        { label: 'Sets', num: true, html: (o) => esc(o.sets) },
      ],
      body.operators,
    )}</div>
    <h3>Concentration</h3>
    <div class="panel">${table(
      [
        { label: 'Over', html: (r) => esc(r.label) },
        { label: 'HHI (×10,000)', num: true, html: (r) => hhi(r.c) },
        { label: 'Nakamoto ⅓', num: true, html: (r) => esc(r.c?.nakamoto_third ?? '—') },
        { label: 'Nakamoto ½', num: true, html: (r) => esc(r.c?.nakamoto_half ?? '—') },
        { label: 'Members', num: true, html: (r) => esc(r.c?.members ?? '—') },
        { label: 'Stake', num: true, html: (r) => riskAmount(r.c?.stake) },
      ],
      concRows,
    )}</div>
    <h3>Valuation (no oracle: the protocol's own prices)</h3>
    <div class="panel">${table(
      [
        { label: 'Asset', html: (v) => esc(v.asset) },
        { label: 'RAM per unit', num: true, html: (v) => ratio(v.price, 6) },
        { label: 'Source', html: (v) => esc(v.source) },
      ],
      body.valuation,
    )}</div>`;
  el.querySelector('#sec-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.shock = el.querySelector('#sec-shock').value.trim() || '0';
    state.budget_ms = el.querySelector('#sec-budget').value.trim() || '1000';
    security(el).catch((err) => {
      el.querySelector('.panel').insertAdjacentHTML('afterbegin', `<p class="bad">${esc(err.message)}</p>`);
    });
  });
  el.querySelector('#sec-download').addEventListener('click', () => {
    const blob = new Blob([JSON.stringify(body.graph, null, 2)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `rampart-graph-${body.height}.json`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
}
