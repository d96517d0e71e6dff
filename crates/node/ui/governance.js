// Governance: the rules and timelocks in force, the guardian, passed changes waiting for their
// effect time (with countdowns), every proposal with its tally, and one proposal in full — its
// changes with their risk class and its votes.

import { get } from './api.js';
import { amount, badge, bps, card, duration, esc, table, time, who } from './format.js';

const STATUS_KIND = {
  deposit: 'warn', voting: 'warn', queued: 'warn', applied: 'good',
  rejected: 'bad', vetoed: 'bad', no_quorum: 'bad', expired: 'bad', failed: 'bad',
};

function statusBadge(s) {
  return badge(s.replace('_', ' '), STATUS_KIND[s] ?? '');
}

export function riskBadge(r) {
  return r === 'raising'
    ? badge('risk-raising', 'bad')
    : badge('neutral', 'good');
}

/** Seconds from `now` to `t`, as a countdown. */
export function countdown(t, now) {
  const left = Number(t) - Number(now);
  return left > 0 ? `in ${duration(left)}` : 'due';
}

/** Shares of the tally as a stacked bar, with percentages of the votes cast. */
function tallyBar(t) {
  if (!t) return '<span class="muted">—</span>';
  const parts = ['yes', 'no', 'abstain', 'veto'].map((k) => [k, BigInt(t[k] ?? '0')]);
  const cast = parts.reduce((a, [, v]) => a + v, 0n);
  const bonded = BigInt(t.bonded ?? '0');
  if (cast === 0n) return '<span class="muted">no votes yet</span>';
  const pct = (v, w) => (w === 0n ? 0 : Number((v * 10000n) / w) / 100);
  const bar = parts
    .map(([k, v]) => `<span class="vote ${k}" style="width:${pct(v, cast)}%" title="${k} ${amount(v.toString())} RAM"></span>`)
    .join('');
  const legend = parts.map(([k, v]) => `${k} ${pct(v, cast)}%`).join(' · ');
  return `<div class="tally">${bar}</div><div class="muted small">${legend} · turnout ${pct(cast, bonded)}% of ${amount(t.bonded)} RAM bonded</div>`;
}

function changeText(c) {
  const [kind, body] = Object.entries(c)[0];
  return `<code>${esc(kind)}</code> <span class="small">${esc(JSON.stringify(body))}</span>`;
}

function proposalLink(p) {
  return `<a href="#/governance/${esc(p.id)}">#${esc(p.id)} ${esc(p.title)}</a>`;
}

function when(p, now) {
  if (p.status === 'voting') return `vote ends ${esc(time(p.voting_ends_at))} (${countdown(p.voting_ends_at, now)})`;
  if (p.status === 'deposit') return `deposits until ${esc(time(p.deposit_ends_at))}`;
  if (p.status === 'queued') return `applies ${esc(time(p.effect_at))} (${countdown(p.effect_at, now)})`;
  if (p.status === 'applied') return `applied ${esc(time(p.effect_at))}`;
  return esc(time(p.voting_ends_at ?? p.deposit_ends_at));
}

function one(p, now) {
  return `
    <h3>${proposalLink(p)} ${statusBadge(p.status)} ${riskBadge(p.risk)}</h3>
    <p class="muted">by ${who(p.proposer)} · deposit ${amount(p.deposit)} RAM · ${when(p, now)}${p.metadata_uri ? ` · <a href="${esc(p.metadata_uri)}" rel="noopener">text</a>` : ''}</p>
    ${p.failure ? `<p class="errors-inline">Could not apply: ${esc(p.failure)}</p>` : ''}
    <div class="panel">${tallyBar(p.tally)}</div>
    <h4>Changes</h4>
    ${table(
      [
        { label: 'Change', html: (c) => changeText(c.change) },
        { label: 'Class', html: (c) => riskBadge(c.risk) },
        { label: 'Raising because of', html: (c) => esc(c.raising.join(', ') || '—') },
      ],
      p.changes,
    )}
    <h4>Votes</h4>
    ${table(
      [
        { label: 'Voter', html: (v) => who(v.voter) },
        { label: 'Option', html: (v) => esc(v.option) },
      ],
      p.votes,
      { empty: 'no votes' },
    )}`;
}

export async function governance(el, ctx, args) {
  const id = args[0];
  const [g, status] = await Promise.all([
    get(id ? 'governanceProposal' : 'governance', id ? { id } : undefined),
    get('status'),
  ]);
  const now = status.time;
  const r = g.rules;
  const guard = g.guardian;
  el.innerHTML = `
    <h2>Governance</h2>
    <div class="grid">
      ${card('Minimum deposit', `${amount(r.min_deposit)} RAM`)}
      ${card('Voting period', esc(duration(r.voting_period_s)))}
      ${card('Quorum · pass · veto', `${bps(r.quorum_bps)} · ${bps(r.threshold_bps)} · ${bps(r.veto_threshold_bps)}`, { small: true })}
      ${card('Longest exit path', esc(duration(r.longest_exit_s)), { title: 'the slowest exit any holding can take, started now' })}
      ${card('Timelock, risk-raising', esc(duration(r.risk_timelock_s)), { title: 'longest exit path + margin: every holding could leave first' })}
      ${card('Timelock, neutral', esc(duration(r.neutral_timelock_s)))}
      ${card('Guardian', guard.address ? who(guard.address) : '<span class="muted">none</span>', { small: true })}
      ${card('New deposits', guard.paused ? `${badge('paused', 'bad')} until ${esc(time(guard.paused_until))}` : badge('open', 'good'), { small: true })}
    </div>
    <h3>Queued changes</h3>
    ${table(
      [
        { label: 'Proposal', html: (q) => `<a href="#/governance/${esc(q.proposal)}">#${esc(q.proposal)} ${esc(q.title)}</a>` },
        { label: 'Class', html: (q) => riskBadge(q.risk) },
        { label: 'Applies', html: (q) => `${esc(time(q.effect_at))} <b>${countdown(q.effect_at, now)}</b>` },
      ],
      g.queued,
      { empty: 'nothing queued' },
    )}
    ${id
      ? one(g.proposals[0], now)
      : `<h3>Proposals</h3>${table(
        [
          { label: 'Proposal', html: (p) => proposalLink(p) },
          { label: 'Status', html: (p) => statusBadge(p.status) },
          { label: 'Class', html: (p) => riskBadge(p.risk) },
          { label: 'Tally', html: (p) => tallyBar(p.tally) },
          { label: 'When', html: (p) => when(p, now) },
        ],
        g.proposals,
        { empty: 'no proposals yet: submit one with `rampart tx submit_proposal`' },
      )}`}`;
}

/** The account page's panel: queued changes and whether the account's exit completes first. */
export function governanceFlags(flags, now) {
  if (!flags?.length) return '';
  return `<h3>Queued governance changes</h3>${table(
    [
      { label: 'Proposal', html: (f) => `<a href="#/governance/${esc(f.proposal)}">#${esc(f.proposal)} ${esc(f.title)}</a>` },
      { label: 'Class', html: (f) => riskBadge(f.risk) },
      { label: 'Applies', html: (f) => `${esc(time(f.effect_at))} (${countdown(f.effect_at, now)})` },
      { label: 'Your exit first?', html: (f) => (f.exit_completes_before ? badge('yes, if started now', 'good') : badge('no', 'bad')) },
    ],
    flags,
  )}`;
}
