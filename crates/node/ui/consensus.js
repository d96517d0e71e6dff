// The consensus page: who makes the blocks, how each seat signs, and the rounds this node saw
// finalized (from /v1/consensus: the committee and uptime come from the chain's state, the
// rounds and finality times are this node's own observations).

import { get } from './api.js';
import { amount, badge, card, esc, short, table, time, who } from './format.js';
import { barChart, chartBox } from './charts.js';

function uptime(s) {
  const pct = Number(s.uptime_bps) / 100;
  const kind = pct >= 95 ? 'good' : pct >= 80 ? 'warn' : 'bad';
  return `<span class="bar inline" title="${esc(s.missed_blocks)} missed of the last ${esc(s.window_blocks)} blocks"><span class="fill ${kind}" style="width:${Math.max(0, Math.min(100, pct))}%"></span></span> ${pct.toFixed(2)} %`;
}

function statusBadge(status) {
  return badge(status, status === 'active' ? 'good' : status === 'pending' ? 'warn' : 'bad');
}

function ms(v) {
  return v == null ? '<span class="muted">—</span>' : `${esc(v)} ms`;
}

export async function consensus(el) {
  const c = await get('consensus');
  const bft = c.mode === 'bft';
  const seatColumns = [
    { label: 'Seat', num: true, html: (s) => esc(s.index) },
    { label: 'Validator', html: (s) => `${who(s.validator)}${s.this_node ? ` ${badge('this node', 'good')}` : ''}` },
    { label: 'Status', html: (s) => statusBadge(s.status) },
    { label: 'Bonded (RAM)', num: true, html: (s) => amount(s.bonded) },
    { label: 'Uptime', html: uptime },
    { label: 'Missed / window', num: true, html: (s) => `${esc(s.missed_blocks)} / ${esc(s.window_blocks)}` },
  ];
  if (bft) {
    seatColumns.push(
      { label: 'Leads', num: true, html: (s) => s.leader_share_bps == null ? '—' : `${esc((s.leader_share_bps / 100).toFixed(2))} % <span class="muted">of views</span>` },
      { label: 'Proposed (recent)', num: true, html: (s) => esc(s.proposed_recent) },
      { label: 'Key', html: (s) => `<span class="mono" title="${esc(s.key)}">${esc(short(s.key ?? ''))}</span>` },
      { label: 'p2p', html: (s) => `<span class="mono">${esc(s.p2p_address ?? '')}</span>` },
    );
  }
  const counters = Object.entries(c.counters ?? {}).map(([name, value]) => ({ name, value }));
  el.innerHTML = `
    <h2>Consensus</h2>
    <div class="grid">
      ${card('Mode', bft ? `BFT <span class="muted">Commonware simplex</span>` : 'single producer')}
      ${bft ? card('This node', `${esc(c.role)}${c.key ? ` <span class="mono muted" title="${esc(c.key)}">${esc(short(c.key))}</span>` : ''}`) : ''}
      ${card('Executed height', esc(c.height))}
      ${bft ? card('Consensus epoch', `${esc(c.epoch)} <span class="muted">${esc(c.consensus_epoch_blocks)} blocks each${c.engine_epoch == null ? ' · no seat here: following' : ''}</span>`) : ''}
      ${bft ? card('View', `${esc(c.view)} <span class="muted">finalized ${esc(c.finalized_view)} · ${esc(c.nullified_views)} skipped</span>`) : ''}
      ${bft ? card('Finality', `${ms(c.finality_ms_p50)} <span class="muted">median · p99 ${c.finality_ms_p99 == null ? '—' : `${esc(c.finality_ms_p99)} ms`}</span>`) : ''}
    </div>
    ${bft ? '' : `<p class="muted">This node makes every block (<span class="mono">rampart dev</span>); a network of validators agrees on blocks with Commonware simplex (<span class="mono">rampart testnet --validators 4</span>). One vote per seat: stake decides who holds a seat, how often it leads a view and how much can be slashed, not vote weight (see <a href="#/security">Security</a>). Below, the active set with its uptime.</p>`}
    <h3>${bft ? 'Committee' : 'Active set'} <span class="muted">(${esc(c.committee.length)} ${bft ? 'seats' : 'validators'}; uptime from the chain's signing window)</span></h3>
    <div class="panel">${table(seatColumns, c.committee, { empty: bft ? 'no committee chosen for this epoch yet' : 'no active validator' })}</div>
    ${bft ? `
    ${chartBox('ch-finality', 'Finality per block', 'ms from the first vote this node saw to finalization')}
    <h3>Finalized blocks <span class="muted">(the last ${esc(c.recent.length)} this node executed, newest first)</span></h3>
    <div class="panel">${table(
      [
        { label: 'Height', num: true, html: (b) => esc(b.height) },
        { label: 'Epoch · view', num: true, html: (b) => `${esc(b.epoch)} · ${esc(b.view)}` },
        { label: 'Proposer', html: (b) => who(b.proposer) },
        { label: 'Time', html: (b) => esc(time(b.time)) },
        { label: 'Txs', num: true, html: (b) => esc(b.txs) },
        { label: 'Evidence', num: true, html: (b) => (b.evidence ? badge(String(b.evidence), 'bad') : '0') },
        { label: 'Missing from parent certificate', html: (b) => (b.missed.length ? b.missed.map((a) => who(a)).join(', ') : '<span class="muted">none</span>') },
        { label: 'Finality', num: true, html: (b) => ms(b.finality_ms) },
      ],
      c.recent,
      { empty: 'no block finalized since this node started' },
    )}</div>
    <h3>Engine counters <span class="muted">(this node, since it started)</span></h3>
    <div class="panel">${table(
      [
        { label: 'Counter', html: (r) => esc(r.name.replaceAll('_', ' ')) },
        { label: 'Value', num: true, html: (r) => esc(r.value) },
      ],
      counters,
    )}</div>` : ''}`;
  if (bft) {
    const timed = [...c.recent].reverse().filter((b) => b.finality_ms != null);
    barChart(
      el.querySelector('#ch-finality'),
      timed.map((b) => String(b.height)),
      'finality',
      timed.map((b) => Number(b.finality_ms)),
      { unit: 'ms', places: 0 },
    );
  }
}
