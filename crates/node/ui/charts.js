// Charts with uPlot (bundled from npm by the node's build, served from the binary): time series
// from the node's history (`/v1/history/{group}`) and bar charts, plus exact window yields
// computed from the history's rates with BigInt (no floating point in a figure shown as a yield).

import uPlot from './uPlot.esm.js';
import { get } from './api.js';
import { esc, name } from './format.js';

const PALETTE = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#1098ad', '#f08c00', '#5c940d', '#862e9c', '#495057'];
const DAY_S = 86400;
const YEAR_S = 365 * DAY_S;
/** Below this window nothing is annualised. */
export const MIN_WINDOW_S = 7 * DAY_S;
/** The windows yields are shown over (plus since the first snapshot). */
export const WINDOWS = [
  { label: '7 d', s: 7 * DAY_S },
  { label: '30 d', s: 30 * DAY_S },
];
const CACHE_MS = 20000;

const cache = new Map();
const live = new Set();

/** A history group (cached for a few seconds: views refresh often, epochs end hourly). */
export async function history(group) {
  const hit = cache.get(group);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.view;
  const view = await get('history', { group });
  cache.set(group, { at: Date.now(), view });
  return view;
}

/** The series of `view` whose key starts with `prefix`. */
export function seriesOf(view, prefix) {
  return (view?.series ?? []).filter((s) => s.key.startsWith(prefix));
}

/** A base-unit decimal string as a float for plotting only. */
export function plotNumber(value, decimals) {
  if (value == null) return null;
  const v = BigInt(value);
  const d = BigInt(decimals ?? 18);
  const keep = d > 6n ? 6n : d;
  return Number(v / 10n ** (d - keep)) / 10 ** Number(keep);
}

/** Destroys charts whose element left the page. */
function sweep() {
  for (const u of live) {
    if (!u.root.isConnected) {
      u.destroy();
      live.delete(u);
    }
  }
}

function width(el) {
  return Math.max(280, Math.floor(el.getBoundingClientRect().width || el.parentElement?.clientWidth || 600) - 4);
}

function mount(el, opts, data, points) {
  sweep();
  el.innerHTML = '';
  el.dataset.points = String(points);
  const u = new uPlot({ ...opts, width: width(el), height: opts.height ?? 220 }, data, el);
  live.add(u);
  if (typeof ResizeObserver === 'function') {
    // Resized in the next frame, and only when the width changed: resizing inside the
    // observer's callback would loop ("ResizeObserver loop completed…").
    let drawn = u.width;
    const ro = new ResizeObserver(() => {
      requestAnimationFrame(() => {
        if (!u.root.isConnected) return ro.disconnect();
        const w = width(el);
        if (w === drawn) return;
        drawn = w;
        u.setSize({ width: w, height: opts.height ?? 220 });
      });
    });
    ro.observe(el);
  }
  return u;
}

/** A number for an axis or legend, with its unit. */
function fmt(v, unit, places = 2) {
  if (v == null || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const shown = abs >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : abs >= 1e4 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(places);
  return unit ? `${shown} ${unit}` : shown;
}

/**
 * A time chart in `el` of `lines` ([{label, points: [{time, value}], decimals}] or already
 * numeric with `numeric: true`), one y axis in `unit`. Empty history says so instead.
 */
export function timeChart(el, lines, { unit = '', places = 2, height = 220, empty = 'no history yet' } = {}) {
  const withData = lines.filter((l) => l.points?.length);
  const total = withData.reduce((n, l) => n + l.points.length, 0);
  if (!withData.length) {
    el.dataset.points = '0';
    el.innerHTML = `<p class="muted">${esc(empty)}</p>`;
    return null;
  }
  const times = [...new Set(withData.flatMap((l) => l.points.map((p) => p.time)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = withData.map((l) => {
    const col = new Array(times.length).fill(null);
    for (const p of l.points) col[index.get(p.time)] = l.numeric ? p.value : plotNumber(p.value, l.decimals);
    return col;
  });
  const opts = {
    height,
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' } },
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' }, size: 70, values: (u, splits) => splits.map((v) => fmt(v, '', places)) },
    ],
    series: [
      { label: 'time', value: (u, t) => (t == null ? '—' : new Date(t * 1000).toLocaleString()) },
      ...withData.map((l, i) => ({
        label: l.label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: true,
        value: (u, v) => fmt(v, l.unit ?? unit, places),
      })),
    ],
  };
  return mount(el, opts, [times, ...columns], total);
}

/** A line chart in `el` over rounds 1…n of `lines` ([{label, values}]) in `unit`. */
export function roundChart(el, lines, { unit = '', places = 4, height = 240 } = {}) {
  const n = Math.max(0, ...lines.map((l) => l.values.length));
  if (!n) {
    el.dataset.points = '0';
    el.innerHTML = '<p class="muted">no rounds</p>';
    return null;
  }
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  const opts = {
    height,
    legend: { live: true },
    scales: { x: { time: false } },
    axes: [
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' }, label: 'round' },
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' }, size: 70, values: (u, splits) => splits.map((v) => fmt(v, '', places)) },
    ],
    series: [
      { label: 'round' },
      ...lines.map((l, i) => ({
        label: l.label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        dash: i ? [6, 4] : undefined,
        value: (u, v) => fmt(v, l.unit ?? unit, places),
      })),
    ],
  };
  return mount(el, opts, [xs, ...lines.map((l) => xs.map((_, i) => (Number.isFinite(l.values[i]) ? l.values[i] : null)))], n * lines.length);
}

/** A bar chart in `el`: one bar per category (`labels`) with `values`, in `unit`. */
export function barChart(el, labels, label, values, { unit = '', places = 2, height = 220 } = {}) {
  if (!labels.length) {
    el.dataset.points = '0';
    el.innerHTML = '<p class="muted">nothing to draw</p>';
    return null;
  }
  const xs = labels.map((_, i) => i);
  const opts = {
    height,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: (u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.1 : 1] } },
    axes: [
      { stroke: 'currentColor', grid: { show: false }, splits: () => xs, values: (u, splits) => splits.map((i) => labels[i] ?? '') },
      { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' }, size: 70, values: (u, splits) => splits.map((v) => fmt(v, '', places)) },
    ],
    series: [
      { label: 'item', value: (u, i) => (i == null ? '—' : labels[i] ?? '') },
      {
        label,
        stroke: PALETTE[0],
        fill: `${PALETTE[0]}99`,
        width: 1,
        paths: uPlot.paths.bars({ size: [0.6, 80] }),
        points: { show: false },
        value: (u, v) => fmt(v, unit, places),
      },
    ],
  };
  return mount(el, opts, [xs, values.map((v) => (Number.isFinite(v) ? v : null))], labels.length);
}

/** A chart container (filled by timeChart/barChart after the HTML is in the page). */
export function chartBox(id, title, note = '') {
  return `<div class="panel chart-panel"><div class="chart-title">${esc(title)}${note ? ` <span class="muted">${esc(note)}</span>` : ''}</div><div class="chart-box" id="${esc(id)}" data-points="0"></div></div>`;
}

/** A series label: the last part of its key, with addresses as names. */
export function keyLabel(key, drop = 2) {
  return key
    .split('/')
    .slice(drop)
    .map((part) => (/^0x[0-9a-fA-F]{40}$/.test(part) ? name(part) : part))
    .join('/');
}

const WAD = 10n ** 18n;

/** (1 + r)^n in WAD for a WAD rate r (floor at each step: exact and deterministic). */
function powWad(base, n) {
  let result = WAD;
  let b = base;
  let e = BigInt(n);
  while (e > 0n) {
    if (e & 1n) result = (result * b) / WAD;
    b = (b * b) / WAD;
    e >>= 1n;
  }
  return result;
}

/**
 * The yield of a rate series (asset per share, WAD) over the trailing `windowS`: the rate change
 * from the last snapshot at least `windowS` before the newest to the newest, annualised
 * (APR = Δrate/rate × year/Δt; APY = (1 + APR/n)^n − 1 with `n` compounding periods a year).
 * `null` when the history is shorter than the window or than MIN_WINDOW_S: nothing is annualised
 * below it. Figures in basis points (BigInt, rounded towards zero).
 */
export function rateYield(points, windowS, n) {
  if (!points?.length) return null;
  const last = points[points.length - 1];
  let first = null;
  for (const p of points) {
    if (windowS == null || p.time <= last.time - windowS) first = p;
    if (windowS == null) break;
  }
  return yieldBetween(first, last, n);
}

/**
 * The trailing-`windowS` APY of a rate series at each of its snapshots, as percentages to plot
 * (only where the history covers the window: nothing is annualised over less).
 */
export function rollingApy(points, windowS, n) {
  const out = [];
  let j = -1;
  for (let i = 0; i < (points?.length ?? 0); i++) {
    while (j + 1 < i && points[j + 1].time <= points[i].time - windowS) j++;
    const y = j >= 0 ? yieldBetween(points[j], points[i], n) : null;
    if (y) out.push({ time: points[i].time, value: Number(y.apy_bps) / 100 });
  }
  return out;
}

/**
 * An account's yield over the trailing `windowS` (null: since its first snapshot) from its
 * `value` and cumulative net `earned` series (the node's accounts history, same snapshots):
 * net earnings over the window divided by the time-weighted average value held in it, annualised
 * (APR = Δearned × year / ∫value dt; APY compounds it `n` times a year). Deposits and exits
 * move the value, not the earnings, so they do not count as yield. `null` below MIN_WINDOW_S or
 * with nothing held. Basis points, BigInt, rounded towards zero.
 */
export function earningsYield(value, earned, windowS, n) {
  if (!value?.length || !earned?.length) return null;
  const last = earned[earned.length - 1];
  let first = null;
  for (const p of earned) {
    if (windowS == null || p.time <= last.time - windowS) first = p;
    if (windowS == null) break;
  }
  if (!first) return null;
  const dt = BigInt(last.time - first.time);
  if (dt < BigInt(MIN_WINDOW_S)) return null;
  // ∫ value dt, each snapshot's value held until the next one.
  let integral = 0n;
  for (let i = 0; i < value.length; i++) {
    const t0 = Math.max(value[i].time, first.time);
    const t1 = Math.min(i + 1 < value.length ? value[i + 1].time : last.time, last.time);
    if (t1 > t0) integral += BigInt(value[i].value) * BigInt(t1 - t0);
  }
  if (integral <= 0n) return null;
  const gain = BigInt(last.value) - BigInt(first.value);
  const aprWad = (gain * WAD * BigInt(YEAR_S)) / integral;
  const periods = BigInt(Math.max(1, n));
  const apyWad = aprWad > -WAD * periods ? powWad(WAD + aprWad / periods, periods) - WAD : -WAD;
  return {
    from: first.time,
    to: last.time,
    window_s: Number(dt),
    change_bps: (gain * 10000n * dt) / integral,
    apr_bps: (aprWad * 10000n) / WAD,
    apy_bps: (apyWad * 10000n) / WAD,
  };
}

/** The yield from snapshot `first` to snapshot `last` (see rateYield). */
function yieldBetween(first, last, n) {
  if (!first) return null;
  const dt = BigInt(last.time - first.time);
  if (dt < BigInt(MIN_WINDOW_S)) return null;
  const r0 = BigInt(first.value);
  const r1 = BigInt(last.value);
  if (r0 === 0n) return null;
  const changeBps = ((r1 - r0) * 10000n) / r0;
  const aprWad = ((r1 - r0) * WAD * BigInt(YEAR_S)) / (r0 * dt);
  const periods = BigInt(Math.max(1, n));
  const apyWad = aprWad > -WAD * periods ? powWad(WAD + aprWad / periods, periods) - WAD : -WAD;
  return {
    from: first.time,
    to: last.time,
    window_s: Number(dt),
    change_bps: changeBps,
    apr_bps: (aprWad * 10000n) / WAD,
    apy_bps: (apyWad * 10000n) / WAD,
  };
}

/** Signed basis points (BigInt) as a percentage with two decimals. */
export function bpsText(b) {
  if (b == null) return '—';
  const neg = b < 0n;
  const a = neg ? -b : b;
  return `${neg ? '−' : ''}${a / 100n}.${(a % 100n).toString().padStart(2, '0')} %`;
}
