// Pages per role, linkable by URL: #/operator/ADDRESS, #/service/ADDRESS, #/validator/ADDRESS
// (without an address: the list). Each reads the same public queries as any client, and its
// history from /v1/history.

import { get } from './api.js';
import { amount, badge, bps, card, duration, esc, name, table, time, wadPct, who } from './format.js';
import { chartBox, history, keyLabel, seriesOf, timeChart } from './charts.js';
import { marginLines } from './views.js';
import { bindWallet, walletPanel } from './wallet.js';

function same(a, b) {
  return String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();
}

/** A list of the role's addresses, each linked to its page. */
function listPage(el, title, list, role) {
  el.innerHTML = `<h2>${esc(title)}</h2><div class="panel">${table(
    [{ label: title.replace(/s$/, ''), html: (a) => `<a href="#/${role}/${esc(a)}">${esc(name(a))}</a> <span class="muted mono">${esc(a)}</span>` }],
    list,
    { empty: 'none on this network' },
  )}</div>`;
}

/** Links from a role page to the others the address has, and to its account view. */
function otherPages(address, network, here) {
  const links = [['validator', network.validators], ['operator', network.operators], ['service', network.services]]
    .filter(([role, list]) => role !== here && (list ?? []).some((x) => same(x, address)))
    .map(([role]) => `<a href="#/${role}/${esc(address)}">${role} page</a>`);
  links.push(`<a href="#/account/${esc(address)}">account (positions, balances)</a>`);
  return `<p class="muted">Also: ${links.join(' · ')}</p>`;
}

/** Slash requests of every service (one query each), newest first. */
async function allSlashes(network) {
  const lists = await Promise.all((network.services ?? []).map((s) => get('slashRequests', { service: s }).then((l) => l.map((r) => ({ ...r, service: s })))));
  return lists.flat().sort((a, b) => b.id - a.id);
}

function slashTable(rows, empty) {
  return table(
    [
      { label: 'Id', html: (r) => esc(r.id) },
      { label: 'Kind', html: (r) => (r.kind === 'double_sign' ? badge('double sign (objective evidence)', 'bad') : badge('service slasher', 'warn')) },
      { label: 'Status', html: (r) => badge(r.status, r.status === 'executed' ? 'bad' : r.status === 'vetoed' || r.status === 'cancelled' ? 'good' : 'warn') },
      { label: 'Set', html: (r) => who(r.set) },
      { label: 'Operator', html: (r) => who(r.operator) },
      { label: 'Fraction', num: true, html: (r) => wadPct(r.wad, 2) },
      { label: 'Executable at', html: (r) => esc(time(r.executable_at)) },
      { label: 'Taken', html: (r) => (r.outcome ?? []).map((o) => `${amount(o.amount)} ${esc(o.strategy)}`).join('<br>') || '—' },
    ],
    rows,
    { empty },
  );
}

const DELEGATOR_PAGE = 50;

/** One page of a role's delegators (`key`: operatorDelegators or validatorDelegators). */
function delegatorPage(key, param, address, after) {
  const params = { [param]: address, limit: DELEGATOR_PAGE };
  return after ? get(`${key}After`, { ...params, after }) : get(key, params);
}

/**
 * Draws a delegator list into `el`'s `#delegators`: the first page, and a button that appends
 * the next one while the node says there is more.
 */
function delegatorList(el, columns, rowsOf, first, more, empty) {
  let rows = rowsOf(first);
  let shown = first.delegators.length;
  let next = first.next;
  const draw = () => {
    const box = el.querySelector('#delegators');
    if (!box) return;
    box.innerHTML = `${table(columns, rows, { empty })}${
      next ? `<p><button type="button" class="more">Show ${DELEGATOR_PAGE} more</button> <span class="muted">${esc(shown)} of ${esc(first.count)} accounts shown</span></p>` : ''
    }`;
    box.querySelector('button.more')?.addEventListener('click', async (ev) => {
      ev.target.disabled = true;
      const page = await more(next);
      rows = rows.concat(rowsOf(page));
      shown += page.delegators.length;
      next = page.next;
      draw();
    });
  };
  draw();
}

function commitmentsText(c) {
  if (!c || typeof c !== 'object') return esc(c ?? '—');
  return Object.entries(c)
    .map(([k, v]) => {
      const shown = v == null ? 'no limit' : Array.isArray(v) ? v.map((x) => name(x)).join(', ') || 'none' : typeof v === 'object' ? JSON.stringify(v) : /_wad$/.test(k) ? wadPct(v, 2) : v;
      return `${esc(k.replaceAll('_', ' '))}: <b>${esc(shown)}</b>`;
    })
    .join('<br>');
}

/** The operator page. */
export async function operator(el, ctx, args, { quiet } = {}) {
  // The periodic refresh leaves a wallet form being filled in alone.
  if (quiet && el.querySelector('#wallet-action')) return;
  const network = ctx.network;
  const address = args[0];
  if (!address) return listPage(el, 'Operators', network.operators, 'operator');
  const [o, stake, slashes, delegators, programs] = await Promise.all([
    get('operator', { operator: address }),
    history('stake'),
    allSlashes(network),
    delegatorPage('operatorDelegators', 'operator', address),
    Promise.all((network.reward_programs ?? []).map((id) => get('rewardProgram', { id }))),
  ]);
  const mine = slashes.filter((r) => same(r.operator, address));
  const sets = new Set(o.sets.map((s) => String(s.set).toLowerCase()));
  const paying = programs.filter((p) => sets.has(String(p.set).toLowerCase()));
  el.innerHTML = `
    <h2>Operator ${esc(name(address))} <span class="muted mono">${esc(address)}</span></h2>
    ${otherPages(address, network, 'operator')}
    ${walletPanel(address, 'operator')}
    <div class="grid">
      ${card('Default commission', bps(o.default_commission_bps))}
      ${card('Allocation delay', esc(duration(o.allocation_delay_s, 'none')))}
      ${card('Sets', `${o.sets.filter((s) => s.status === 'registered').length} registered`)}
      ${card('Slashes executed', `${mine.filter((r) => r.status === 'executed').length}`)}
      ${card('Signing key', esc(name(o.signing_key)), { small: true, title: o.signing_key })}
    </div>
    <h3>Stake per strategy</h3>
    <div class="panel">${table(
      [
        { label: 'Strategy', html: (s) => esc(s.strategy) },
        { label: 'Delegated', num: true, html: (s) => `${amount(s.delegated)} <span class="muted">${esc(s.strategy)}</span>` },
        { label: 'Queued to withdraw (still slashable)', num: true, html: (s) => amount(s.queued) },
        { label: 'Allocated (encumbered)', num: true, html: (s) => wadPct(s.encumbered, 2) },
        { label: 'Max magnitude', num: true, html: (s) => wadPct(s.max_magnitude, 2) },
      ],
      o.strategies,
      { empty: 'nothing delegated' },
    )}</div>
    ${chartBox('ch-op-stake', 'Delegated stake over time', 'tokens of each strategy\'s asset')}
    <h3>Allocations per operator set</h3>
    <div class="panel">${table(
      [
        { label: 'Set', html: (a) => who(a.set) },
        { label: 'Strategy', html: (a) => esc(a.strategy) },
        { label: 'Magnitude', num: true, html: (a) => wadPct(a.magnitude, 2) },
        { label: 'Pending', num: true, html: (a) => (a.pending_magnitude ? `${wadPct(a.pending_magnitude, 2)} at ${esc(time(a.effect_at))}` : '—') },
        { label: 'Slashable now', num: true, html: (a) => (a.slashable ? `${amount(a.slashable_amount)} <span class="muted">${esc(a.strategy)}</span>` : '<span class="muted">not slashable</span>') },
        { label: 'If it double-signs', num: true, html: (a) => (a.double_sign_exposure == null ? '<span class="muted">no rule</span>' : `${amount(a.double_sign_exposure)} <span class="muted">(${wadPct(a.double_sign_wad)})</span>`) },
      ],
      o.allocations,
      { empty: 'no allocations' },
    )}</div>
    <h3>Commission per service</h3>
    <div class="panel">${table(
      [
        { label: 'Service', html: (c) => who(c.service) },
        { label: 'Commission', num: true, html: (c) => bps(c.commission_bps) },
        { label: 'Change waiting', html: (c) => (c.pending ? `→ ${bps(c.pending[0])} from ${esc(time(c.pending[1]))}` : '—') },
        { label: 'Earned so far', num: true, html: (c) => ((c.earned ?? []).length ? c.earned.map((r) => `${amount(r.amount)} <span class="muted">${esc(r.asset)}</span>`).join('<br>') : '<span class="muted">nothing yet</span>') },
      ],
      o.service_commissions ?? [],
      { empty: 'a member of no service' },
    )}
    ${paying.length ? `<p class="muted">Reward programs paying its sets: ${paying.map((p) => `#${esc(p.id)} ${who(p.set)} (${amount(p.amount)} ${esc(p.asset_symbol)}; commissions taken by all its operators ${amount(p.commissions)})`).join(' · ')}</p>` : ''}</div>
    <h3>Set memberships and risk commitments</h3>
    <div class="panel">${table(
      [
        { label: 'Set', html: (m) => who(m.set) },
        { label: 'Status', html: (m) => badge(m.status, m.status === 'registered' ? 'good' : 'warn') },
        { label: 'Slashable until', html: (m) => esc(m.slashable_until ? time(m.slashable_until) : '—') },
      ],
      o.sets,
      { empty: 'in no set' },
    )}
    <p><b>Commitments in force</b><br>${commitmentsText(o.commitments)}</p>
    ${o.pending_commitments ? `<p class="warn"><b>Looser commitments from ${esc(time(o.pending_commitments[1]))}</b><br>${commitmentsText(o.pending_commitments[0])}</p>` : ''}</div>
    <h3>Delegators <span class="muted">(${esc(delegators.count)} accounts)</span></h3>
    <div class="panel" id="delegators"></div>
    <h3>Slashes</h3>
    <div class="panel">${slashTable(mine, 'never slashed')}</div>
    <p class="muted">Uptime is a validator's figure (missed blocks in the signing window); an operator's liveness is judged by the services it serves, through their slashers.</p>`;
  delegatorList(
    el,
    [
      { label: 'Staker', html: (p) => who(p.staker) },
      { label: 'Strategy', html: (p) => esc(p.strategy) },
      { label: 'Withdrawable', num: true, html: (p) => `${amount(p.withdrawable)} <span class="muted">${esc(p.strategy)}</span>` },
    ],
    (page) => page.delegators.flatMap((d) => d.positions.map((p) => ({ ...p, staker: d.staker }))),
    delegators,
    (after) => delegatorPage('operatorDelegators', 'operator', address, after),
    'no account delegates to it',
  );
  bindWallet(el, network, address, () => operator(el, ctx, args), 'operator');
  const prefix = `stake/operator/${address.toLowerCase()}/`;
  timeChart(
    el.querySelector('#ch-op-stake'),
    seriesOf(stake, 'stake/operator/')
      .filter((s) => s.key.toLowerCase().startsWith(prefix))
      .map((s) => ({ label: keyLabel(s.key, 3), points: s.points, decimals: s.decimals, unit: s.unit })),
  );
}

/** `{fraction: "a/b"}` as [a, b] BigInts. */
function fraction(f) {
  const [a, b = '1'] = String(f?.fraction ?? '').split('/');
  return a ? [BigInt(a), BigInt(b)] : null;
}

/** A program's yearly stream over its set's stake, in RAM, as a percentage (see the note). */
function programApr(p, live, perYear) {
  if (!p.active) return '<span class="muted">ended</span>';
  if (p.weighting !== 'allocated') return '<span class="muted" title="weighted by delegated stake: not the set\'s stake">—</span>';
  const set = live?.sets?.find((x) => String(x.set).toLowerCase() === String(p.set).toLowerCase());
  const stake = fraction(set?.stake);
  const price = p.asset_symbol === 'RAM' ? [1n, 1n] : fraction(live?.valuation?.find((v) => v.asset === p.asset_symbol)?.price);
  if (!stake || !price || stake[0] === 0n) return '—';
  // amount / epochs × perYear × price / stake, in bps.
  const bpsValue = (BigInt(p.amount) * perYear * price[0] * stake[1] * 10000n) / (BigInt(Math.max(1, p.epochs)) * price[1] * stake[0]);
  return `${(bpsValue / 100n).toString()}.${(bpsValue % 100n).toString().padStart(2, '0')} %`;
}

/** The service page. */
export async function service(el, ctx, args, { quiet } = {}) {
  if (quiet && el.querySelector('#wallet-action')) return;
  const network = ctx.network;
  const address = args[0];
  if (!address) return listPage(el, 'Services', network.services, 'service');
  const [s, sec, requests, programs, live, status] = await Promise.all([
    get('service', { service: address }),
    history('security'),
    get('slashRequests', { service: address }),
    Promise.all((network.reward_programs ?? []).map((id) => get('rewardProgram', { id }))),
    get('security', { budget_ms: 300, shock: '0' }).catch(() => null),
    get('status'),
  ]);
  const perYear = BigInt(Math.max(1, Math.floor((365 * 86400) / Number(status.epoch_length_s || 3600))));
  const sets = await Promise.all(s.sets.map((set) => get('operatorSet', { set })));
  const mine = programs.filter((p) => same(p.service, address));
  const lastOf = (key) => {
    const series = sec.series.find((x) => same(x.key, key));
    return series?.points?.[series.points.length - 1]?.value;
  };
  const pending = requests.filter((r) => r.status !== 'executed' && r.status !== 'vetoed' && r.status !== 'cancelled');
  el.innerHTML = `
    <h2>Service ${esc(name(address))} <span class="muted mono">${esc(address)}</span></h2>
    ${otherPages(address, network, 'service')}
    ${walletPanel(address, 'service')}
    <h3>Slashing rules</h3>
    <div class="grid">
      ${card('Slasher', who(s.slasher))}
      ${card('Veto', s.resolver ? `${who(s.resolver)} · ${esc(duration(s.veto_window_s))}` : 'none: slashes are instant')}
      ${card('Max slash per event', wadPct(s.max_slash_per_event_wad, 2))}
      ${card('Double sign (objective)', s.double_sign_wad == null ? 'no rule' : wadPct(s.double_sign_wad, 2))}
      ${card('Slashed stake goes to', s.destination === 'burn' ? 'burn' : `redistribution → ${who(s.destination?.redistribute)}`)}
      ${card('Escrow before burn', esc(duration(s.resolution_delay_s, 'none')))}
    </div>
    ${s.pending_slasher ? `<p class="warn">Slasher change waiting: ${who(s.pending_slasher[0])} from ${esc(time(s.pending_slasher[2]))}</p>` : ''}
    <h3>Operator sets and the stake securing them</h3>
    ${sets
      .map(
        (set) => `<div class="panel"><b>${who(set.set)}</b> <span class="muted">strategies ${esc(set.strategies.join(', '))} · admission ${esc(set.admission)}</span>
        <div class="grid">
          ${card('Stake slashable by the set', set.total_slashable.map(([k, v]) => `${amount(v)} <span class="muted">${esc(k)}</span>`).join('<br>') || '—')}
          ${card('Cost of corruption', lastOf(`security/set/${set.set}/cost`) == null ? '—' : `${amount(lastOf(`security/set/${set.set}/cost`))} <span class="muted">RAM</span>`)}
          ${card('Declared profit from corruption', lastOf(`security/set/${set.set}/profit`) == null ? '—' : `${amount(lastOf(`security/set/${set.set}/profit`))} <span class="muted">RAM</span>`)}
        </div>
        ${table(
          [
            { label: 'Operator', html: (m) => who(m.operator) },
            ...set.strategies.map((strategy, i) => ({
              label: `${strategy} slashable`,
              num: true,
              html: (m) => `${amount(m.allocations[i]?.slashable)} <span class="muted">(${wadPct(m.allocations[i]?.magnitude)})</span>`,
            })),
          ],
          set.operators,
          { empty: 'no operators registered' },
        )}</div>`,
      )
      .join('')}
    ${chartBox('ch-svc-margin', 'Security margin over time', 'cost of corruption ÷ declared profit, per set (RAM at the protocol\'s prices)')}
    <h3>Reward programs it funds</h3>
    <div class="panel">${table(
      [
        { label: 'Id', html: (p) => esc(p.id) },
        { label: 'Set', html: (p) => who(p.set) },
        { label: 'Cost (total)', num: true, html: (p) => `${amount(p.amount)} ${esc(p.asset_symbol)}` },
        { label: 'Per epoch', num: true, html: (p) => `${amount((BigInt(p.amount) / BigInt(Math.max(1, p.epochs))).toString())} ${esc(p.asset_symbol)}` },
        { label: 'Streamed', num: true, html: (p) => amount(p.streamed) },
        { label: 'To stakers', num: true, html: (p) => amount(p.distributed) },
        { label: 'Fees · commissions', num: true, html: (p) => `${amount(p.protocol_fees)} · ${amount(p.commissions)}` },
        { label: 'Epochs', num: true, html: (p) => `${esc(p.start_epoch)} + ${esc(p.epochs)}` },
        { label: 'APR to the set\'s stake', num: true, html: (p) => programApr(p, live, perYear) },
        { label: 'State', html: (p) => badge(p.active ? 'streaming' : 'ended', p.active ? 'good' : '') },
      ],
      mine,
      { empty: 'funds no reward program' },
    )}<p class="muted">APR to the set's stake: a year of the program's per-epoch stream against the stake the set can slash, both valued in RAM at today's prices (the security query's valuation), before the protocol fee and operator commissions; exact fractions, rounded down; only for programs weighted by allocated stake. What a staker actually earned, over explicit windows, is on its account page.</p></div>
    <h3>Pending slash requests</h3>
    <div class="panel">${slashTable(pending, 'none pending')}</div>
    <h3>Past slashes</h3>
    <div class="panel">${slashTable(requests.filter((r) => !pending.includes(r)), 'none')}</div>`;
  bindWallet(el, network, address, () => service(el, ctx, args), 'service');
  timeChart(el.querySelector('#ch-svc-margin'), marginLines(sec, address));
}

/** The validator page. */
export async function validator(el, ctx, args) {
  const network = ctx.network;
  const address = args[0];
  if (!address) return listPage(el, 'Validators', network.validators, 'validator');
  const [v, stake, delegators] = await Promise.all([
    get('validator', { validator: address }),
    history('stake'),
    delegatorPage('validatorDelegators', 'validator', address),
  ]);
  const missed = Number(v.missed_blocks ?? 0);
  const window = Number(v.window_blocks ?? 0);
  const uptime = window > 0 ? `${(((window - missed) * 100) / window).toFixed(2)} %` : '—';
  el.innerHTML = `
    <h2>Validator ${esc(name(address))} <span class="muted mono">${esc(address)}</span></h2>
    ${otherPages(address, network, 'validator')}
    <div class="grid">
      ${card('Status', badge(v.status, v.status === 'active' ? 'good' : v.status === 'pending' ? 'warn' : 'bad'))}
      ${card('Bonded', `${amount(v.bonded)} <span class="muted">RAM</span>`)}
      ${card('Commission', `${bps(v.commission_bps)}${v.pending_commission ? ` <span class="warn">→ ${bps(v.pending_commission[0])} from epoch ${esc(v.pending_commission[1])}</span>` : ''}`)}
      ${card('Uptime (signing window)', `${uptime} <span class="muted">${esc(missed)} missed of ${esc(window)} blocks</span>`)}
      ${card('Double sign', v.double_sign ? badge('tombstoned', 'bad') : 'never')}
    </div>
    ${chartBox('ch-val-stake', 'Bonded stake over time', 'RAM')}
    <h3>Rewards by source <span class="muted">(gross, RAM; the validator's commission in brackets)</span></h3>
    <div class="panel">${table(
      [
        { label: 'Source', html: (r) => esc(String(r.source).replaceAll('_', ' ')) },
        { label: 'Gross', num: true, html: (r) => `${amount(r.gross)} RAM` },
        { label: 'Commission', num: true, html: (r) => `${amount(r.commission)} RAM` },
      ],
      v.rewards ?? [],
      { empty: 'no rewards yet' },
    )}</div>
    <h3>Delegators <span class="muted">(${esc(delegators.count)} accounts)</span></h3>
    <div class="panel" id="delegators"></div>`;
  delegatorList(
    el,
    [
      { label: 'Delegator', html: (d) => who(d.delegator) },
      { label: 'Value', num: true, html: (d) => `${amount(d.total ?? d.value)} RAM` },
      { label: 'Since', html: (d) => esc(time(d.since)) },
    ],
    (page) => page.delegators.map((d) => ({ ...d.delegation, delegator: d.delegator })),
    delegators,
    (after) => delegatorPage('validatorDelegators', 'validator', address, after),
    'no account delegates to it',
  );
  const key = `stake/validator/${address.toLowerCase()}`;
  timeChart(
    el.querySelector('#ch-val-stake'),
    seriesOf(stake, 'stake/validator/')
      .filter((s) => s.key.toLowerCase() === key)
      .map((s) => ({ label: name(address), points: s.points, decimals: s.decimals, unit: s.unit })),
  );
}
