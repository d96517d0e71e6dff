// Formatting: amounts in base units (decimal strings, exact) to whole tokens, ratios, times,
// and account names from the node's labels.

const DECIMALS = 18n;
const SCALE = 10n ** DECIMALS;

let labels = {};
let roles = {};

/** Sets the address → role book (from /v1/network): validators, operators, services. */
export function setRoles(network) {
  roles = {};
  for (const [role, list] of [['service', network?.services], ['operator', network?.operators], ['validator', network?.validators]]) {
    for (const a of list ?? []) roles[String(a).toLowerCase()] ??= role;
  }
}

/** The role pages of an address: [{role, href}] (validator, operator, service). */
export function rolePages(address, network) {
  const a = String(address ?? '').toLowerCase();
  const out = [];
  for (const [role, list] of [['validator', network?.validators], ['operator', network?.operators], ['service', network?.services]]) {
    if ((list ?? []).some((x) => String(x).toLowerCase() === a)) out.push({ role, href: `#/${role}/${address}` });
  }
  return out;
}

/** Sets the address → name book (from /v1/network). */
export function setLabels(map) {
  labels = {};
  for (const [address, name] of Object.entries(map ?? {})) labels[address.toLowerCase()] = name;
}

/** Every known (address, name), sorted by name. */
export function knownAccounts() {
  return Object.entries(labels).sort((a, b) => a[1].localeCompare(b[1]));
}

/** Escapes text for HTML. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** A short form of a 0x address. */
export function short(address) {
  const a = String(address ?? '');
  return a.length > 14 ? `${a.slice(0, 8)}…${a.slice(-4)}` : a;
}

/** The display name of an address or `address/id` set name. */
export function name(text) {
  if (text == null) return '—';
  const s = String(text);
  const [head, ...rest] = s.split('/');
  const label = labels[head.toLowerCase()];
  const base = label ?? short(head);
  return rest.length ? `${base}/${rest.join('/')}` : base;
}

/** `text` with every 0x address in it replaced by its display name. */
export function names(text) {
  return String(text ?? '').replace(/0x[0-9a-fA-F]{40}/g, (a) => name(a));
}

/** An account or set name as HTML, with the full id as a tooltip; accounts link to their view. */
export function who(text, { link = true } = {}) {
  if (text == null) return '<span class="muted">—</span>';
  const s = String(text);
  const isAccount = /^0x[0-9a-fA-F]{40}$/.test(s);
  const body = `<span title="${esc(s)}">${esc(name(s))}</span>`;
  const role = roles[s.toLowerCase()] ?? 'account';
  return isAccount && link ? `<a href="#/${role}/${esc(s)}">${body}</a>` : body;
}

/** Parses a decimal string (possibly with a fraction part) into [integer BigInt, fraction digits]. */
function parts(text) {
  const s = String(text ?? '0');
  const neg = s.startsWith('-');
  const [int, frac = ''] = (neg ? s.slice(1) : s).split('.');
  return { neg, int: BigInt(int || '0'), frac };
}

/** Base units (a decimal string) as whole tokens with `places` decimals and thousands separators. */
export function amount(text, places = 2) {
  if (text == null || text === '') return '—';
  let p;
  try {
    p = parts(text);
  } catch {
    return esc(text);
  }
  const whole = p.int / SCALE;
  const rem = p.int % SCALE;
  const factor = 10n ** BigInt(places);
  let fraction = (rem * factor + SCALE / 2n) / SCALE;
  let w = whole;
  if (fraction >= factor) {
    w += 1n;
    fraction -= factor;
  }
  const grouped = w.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const tail = places > 0 ? `.${fraction.toString().padStart(places, '0')}` : '';
  const sign = p.neg && (w > 0n || fraction > 0n) ? '−' : '';
  return `${sign}${grouped}${tail}`;
}

/** A risk-engine number {fraction, decimal} as whole tokens. */
export function riskAmount(n, places = 2) {
  return n == null ? '—' : amount(n.decimal, places);
}

/** A risk-engine ratio {fraction, decimal} rounded for display, with the exact fraction as tooltip. */
export function ratio(n, places = 4) {
  if (n == null) return '<span class="muted">—</span>';
  const v = Number(n.decimal);
  const shown = Number.isFinite(v) ? v.toFixed(places) : n.decimal;
  return `<span title="${esc(n.fraction)}">${esc(shown)}</span>`;
}

/** Basis points as a percentage. */
export function bps(value) {
  if (value == null) return '—';
  return `${(Number(value) / 100).toFixed(2)}%`;
}

/** A WAD (1e18) fraction as a percentage. */
export function wadPct(text, places = 1) {
  if (text == null) return '—';
  const v = BigInt(String(text));
  const basis = (v * 100000n) / SCALE; // thousandths of a percent
  return `${(Number(basis) / 1000).toFixed(places)}%`;
}

/** A WAD rate (tokens per share) as a decimal. */
export function wadRate(text, places = 6) {
  if (text == null) return '—';
  const v = BigInt(String(text));
  const factor = 10n ** BigInt(places);
  const scaled = (v * factor) / SCALE;
  const s = scaled.toString().padStart(places + 1, '0');
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

/** Unix seconds as a local date and time. */
export function time(seconds) {
  if (seconds == null) return '—';
  return new Date(Number(seconds) * 1000).toLocaleString();
}

/** Seconds as a short duration (`zero` for none). */
export function duration(seconds, zero = 'now') {
  let s = Number(seconds ?? 0);
  if (s === 0) return zero;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join(' ') || `${s}s`;
}

/** A badge. */
export function badge(text, kind = '') {
  return `<span class="badge ${kind}">${esc(text)}</span>`;
}

/** A table from column specs [{label, num?, html(row)}] and rows. */
export function table(columns, rows, { empty = 'none' } = {}) {
  if (!rows?.length) return `<p class="muted">${esc(empty)}</p>`;
  const head = columns.map((c) => `<th class="${c.num ? 'num' : ''}">${esc(c.label)}</th>`).join('');
  const body = rows
    .map((r) => `<tr class="${r.__class ?? ''}">${columns.map((c) => `<td class="${c.num ? 'num' : ''}">${c.html(r)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A summary card. */
export function card(label, value, { small = false, title = '' } = {}) {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value ${small ? 'small' : ''}" title="${esc(title)}">${value}</div></div>`;
}
