// Liquid restaking vaults: every vault at a glance, then one vault in full — its rate, value and
// LRT supply, the buffer against its target, fees, the published policy, positions per
// operator with the sets that can slash them, deallocations in flight, rewards, and the
// withdrawal queue.

import { get } from './api.js';
import { amount, badge, bps, card, esc, table, time, wadRate, who } from './format.js';

/** The network's name for a vault (its display name, else its LRT symbol). */
export function vaultName(network, symbol) {
  return network?.vaults?.find((v) => v.vault === symbol)?.name ?? symbol;
}

/** A link to a vault's view. */
export function vaultLink(network, symbol) {
  return `<a href="#/vaults/${esc(encodeURIComponent(symbol))}" title="${esc(symbol)}">${esc(vaultName(network, symbol))}</a>`;
}

/** `part / whole` as a percentage (of BigInt-able decimal strings). */
function pct(part, whole, places = 1) {
  const w = BigInt(whole ?? '0');
  if (w === 0n) return '—';
  const p = (BigInt(part ?? '0') * 100000n) / w;
  return `${(Number(p) / 1000).toFixed(places)}%`;
}

/** The free buffer against its target: the bar is full at twice the target, the tick marks it. */
function bufferBar(v) {
  const target = BigInt(v.buffer_target);
  const buffer = BigInt(v.buffer);
  const scale = target > 0n ? target * 2n : buffer;
  const width = scale > 0n ? Number((buffer * 1000n) / scale) / 10 : 0;
  const below = buffer < target;
  return `<div class="bar target ${below ? 'below' : ''}" title="buffer ${amount(v.buffer)} · target ${amount(v.buffer_target)}"><span style="width:${Math.min(width, 100)}%"></span><i></i></div>`;
}

function statusBadge(s) {
  return badge(s, s === 'finalized' ? 'good' : 'warn');
}

function feesLine(f) {
  return `management ${bps(f.management_bps)}/yr · performance ${bps(f.performance_bps)} · deposit ${bps(f.deposit_bps)} · instant exit ${bps(f.withdrawal_bps)}`;
}

function policyPanel(v) {
  const list = (p) => `
    <p><b>Operators</b> ${p.allowed_operators.map((o) => who(o)).join(', ') || '<span class="muted">none</span>'}</p>
    <p><b>Services</b> (every set an operator allocates ${esc(v.asset)} to must be theirs) ${p.allowed_services.map((s) => who(s)).join(', ') || '<span class="muted">none</span>'}</p>
    <p><b>Per operator</b> at most ${bps(p.max_per_operator_bps)} of the vault</p>`;
  const pending = v.pending_policy
    ? `<h4>Pending (looser) policy, in full from ${esc(time(v.pending_policy[1]))}</h4>${list(v.pending_policy[0])}`
    : '';
  return `<div class="panel">${list(v.policy)}${pending}</div>`;
}

function positionsTable(v) {
  return table(
    [
      { label: 'Operator', html: (p) => who(p.operator) },
      { label: 'Value', num: true, html: (p) => amount(p.withdrawable) },
      { label: 'Share of vault', num: true, html: (p) => bps(p.share_bps) },
      {
        label: 'Policy',
        html: (p) => {
          if (p.outside_policy?.length) return `${badge('breach', 'bad')} ${p.outside_policy.map((s) => who(s)).join(', ')}`;
          return p.allowed ? badge('allowed', 'good') : badge('no longer allowed', 'warn');
        },
      },
      { label: 'Slashable by (set: now · worst event)', html: (p) => p.exposure.map((e) => `${who(e.set)}: ${amount(e.slashable)} · ${amount(e.worst_event)}`).join('<br>') || '<span class="muted">no set</span>' },
      { label: 'Unclaimed rewards', html: (p) => p.pending_rewards.map((r) => `${amount(r.amount)} ${esc(r.asset)}`).join('<br>') || '—' },
    ],
    v.positions,
    { empty: 'nothing allocated yet' },
  );
}

function queueTable(v) {
  return table(
    [
      { label: 'Id', html: (r) => esc(r.id) },
      { label: 'Owner', html: (r) => who(r.owner) },
      { label: 'LRT burned', num: true, html: (r) => amount(r.lrt) },
      { label: 'Value at request', num: true, html: (r) => amount(r.value_at_request) },
      { label: 'Pays', num: true, html: (r) => amount(r.payout) },
      { label: 'Due', html: (r) => esc(time(r.claimable_at)) },
      { label: 'Status', html: (r) => statusBadge(r.status) },
    ],
    v.queue,
    { empty: 'the queue is empty' },
  );
}

function detail(v, network) {
  const val = v.value;
  const pending = v.queue.filter((r) => r.status === 'pending').length;
  const finalized = v.queue.length - pending;
  const earned = v.rewards.earned ?? [];
  const pocket = v.rewards.side_pocket ?? [];
  return `
    <h2>${esc(vaultName(network, v.vault))} <span class="muted">${esc(v.vault)} · ${esc(v.asset)}</span></h2>
    <p class="muted">Curator ${who(v.curator)} · vault account ${who(v.account)} · amounts in ${esc(v.asset)}</p>
    <div class="grid">
      ${card(`Rate (${v.asset} per ${v.vault})`, wadRate(v.rate_wad))}
      ${BigInt(v.pending_slash_loss ?? '0') > 0n ? card('Instant-exit rate', `${wadRate(v.exit_rate_wad)} <span class="muted">pending slashes would take ${amount(v.pending_slash_loss)}</span>`, { title: 'While a slash request against one of its operators is pending, instant exits are priced as if it executed' }) : ''}
      ${card('Total value', amount(v.total_value))}
      ${card('LRT supply', amount(v.lrt_supply))}
      ${card('Buffer vs target', `${amount(v.buffer)} <span class="muted">/ ${amount(v.buffer_target)}</span>${bufferBar(v)}`, { title: `target ${bps(v.buffer_bps)} of the value` })}
      ${card('Deposit cap', `${amount(v.deposit_cap, 0)} <span class="muted">(${pct(val.assets, v.deposit_cap)} used)</span>`)}
      ${card('Queue', `${esc(pending)} pending · ${esc(finalized)} finalized`)}
      ${card('Reserved for finalized', amount(v.reserved))}
      ${card('Minimum request', amount(v.min_request))}
    </div>
    <h3>Value A and its parts (every part read from state)</h3>
    <div class="panel">${table(
      [
        { label: 'Free buffer', num: true, html: () => amount(val.idle_free) },
        { label: 'Undelegated deposits', num: true, html: () => amount(val.deposits) },
        { label: 'Positions', num: true, html: () => amount(val.positions) },
        { label: 'In flight', num: true, html: () => amount(val.in_flight) },
        { label: 'Rewards (net of fee)', num: true, html: () => amount(val.rewards) },
        { label: 'Unvested', num: true, html: () => amount(val.unvested) },
        { label: 'A', num: true, html: () => `<b>${amount(val.assets)}</b>` },
        { label: 'LRT supply + queued', num: true, html: () => `${amount(val.supply)} + ${amount(val.queued_lrt)}` },
      ],
      [{}],
    )}</div>
    <h3>Fees (all to the curator)</h3>
    <div class="panel">
      <p><b>In force</b> ${feesLine(v.fees)}</p>
      ${v.pending_fees ? `<p class="warn"><b>Scheduled rise</b> from epoch ${esc(v.pending_fees[1])}: ${feesLine(v.pending_fees[0])}</p>` : ''}
      <p class="muted">Charged so far: management ${amount(v.fees_charged.management)} · performance ${amount(v.fees_charged.performance)} · deposit ${amount(v.fees_charged.deposit)} · withdrawal ${amount(v.fees_charged.withdrawal)}</p>
    </div>
    <h3>Published policy</h3>
    ${policyPanel(v)}
    <h3>Positions per operator</h3>
    <div class="panel">${positionsTable(v)}</div>
    ${v.withdrawals.length ? `<h3>Deallocations in flight (slashable until they complete)</h3><div class="panel">${table(
      [
        { label: 'Withdrawal', html: (w) => esc(w.id) },
        { label: 'Operator', html: (w) => who(w.operator) },
        { label: 'Pays now', num: true, html: (w) => amount(w.payout) },
        { label: 'Completes', html: (w) => esc(time(w.completable_at)) },
      ],
      v.withdrawals,
    )}</div>` : ''}
    <h3>Rewards</h3>
    <div class="panel">
      <p>Recognized, not harvested ${amount(v.rewards.recognized)} (performance fee owed ${amount(v.rewards.performance_fee_owed)}) · vesting ${amount(v.rewards.unvested)} until ${esc(time(v.rewards.vesting_until))}</p>
      <p><b>Earned by service</b> ${earned.map(([s, a]) => `${who(s)} ${amount(a)}`).join(' · ') || '<span class="muted">nothing yet</span>'}</p>
      ${pocket.length ? `<p><b>Side pocket</b> (other assets, held apart, never in the rate) ${pocket.map(([s, a]) => `${amount(a)} ${esc(s)}`).join(' · ')}</p>` : ''}
    </div>
    <h3>Withdrawal queue (FIFO; a pending request stays exposed until it is finalized)</h3>
    <div class="panel">${queueTable(v)}</div>`;
}

/** Every vault, and the chosen one (the first by default) in full. */
export async function vaults(el, ctx, args) {
  const list = ctx.network.vaults ?? [];
  if (!list.length) {
    el.innerHTML = '<h2>Vaults</h2><p class="muted">No vault on this chain yet.</p>';
    return;
  }
  const views = await Promise.all(list.map((v) => get('vault', { vault: v.vault })));
  const chosen = views.find((v) => v.vault === args[0]) ?? views[0];
  el.innerHTML = `
    <h2>Vaults</h2>
    <div class="panel">${table(
      [
        { label: 'Vault', html: (v) => `${vaultLink(ctx.network, v.vault)} <span class="muted">${esc(v.vault)}</span>` },
        { label: 'Asset', html: (v) => esc(v.asset) },
        { label: 'Curator', html: (v) => who(v.curator) },
        { label: 'Rate', num: true, html: (v) => wadRate(v.rate_wad) },
        { label: 'Total value', num: true, html: (v) => amount(v.total_value) },
        { label: 'LRT supply', num: true, html: (v) => amount(v.lrt_supply) },
        { label: 'Buffer / target', num: true, html: (v) => `${amount(v.buffer)} / ${amount(v.buffer_target)}` },
        { label: 'Operators', num: true, html: (v) => esc(v.positions.length) },
        { label: 'Queue', num: true, html: (v) => esc(v.queue.length) },
      ],
      views.map((v) => ({ ...v, __class: v === chosen ? 'chosen' : '' })),
    )}</div>
    ${detail(chosen, ctx.network)}
    <p class="muted">The rate is computed from state only (no oracle): a slash lowers it at once, rewards vest into it over an epoch. Instant exits are paid from the free buffer less the exit fee; the queue is free and takes the restaking withdrawal delay.</p>`;
}
