// The dashboard: a hash router over views, the chain header, and the live event stream.

import { get, subscribe } from './api.js';
import { esc, setLabels, setRoles, short } from './format.js';
import { overview, validators, restaking, rewards, lst, events } from './views.js';
import { security } from './security.js';
import { account } from './account.js';
import { stress } from './chart.js';
import { vaults } from './vaults.js';
import { governance } from './governance.js';
import { operator, service, validator } from './roles.js';
import { consensus } from './consensus.js';

const VIEWS = { overview, validators, consensus, restaking, security, rewards, lst, vaults, governance, account, stress, events, operator, service, validator };
/** Pages without a tab of their own, and the tab they belong under. */
const TAB_OF = { operator: 'restaking', service: 'restaking', validator: 'validators' };
const REFRESH_MS = 8000;
const FEED_SIZE = 300;
/** The event stream opens once the first view has its data, so the page's reads go first. */
const STREAM_DELAY_MS = 2000;

/** What every view can read: the latest network listing and the recent events. */
const ctx = {
  network: null,
  feed: [],
  onEvent: null,
  async refreshNetwork() {
    this.network = await get('network');
    setLabels(this.network.labels);
    setRoles(this.network);
    return this.network;
  },
};

let timer = null;
let rendering = false;

function route() {
  const [, name = 'overview', ...rest] = location.hash.split('/');
  return { name: VIEWS[name] ? name : 'overview', args: rest.map(decodeURIComponent) };
}

function showError(err) {
  const box = document.getElementById('errors');
  box.hidden = false;
  box.textContent = err?.message ?? String(err);
  console.error(err);
}

function clearError() {
  document.getElementById('errors').hidden = true;
}

async function render({ quiet = false } = {}) {
  if (rendering) return;
  rendering = true;
  const { name, args } = route();
  for (const a of document.querySelectorAll('#tabs a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${TAB_OF[name] ?? name}`);
  }
  const el = document.getElementById('view');
  try {
    if (!quiet) ctx.onEvent = null;
    await ctx.refreshNetwork();
    await VIEWS[name](el, ctx, args, { quiet });
    clearError();
  } catch (err) {
    showError(err);
  } finally {
    rendering = false;
  }
}

function interacting() {
  const a = document.activeElement;
  return a && ['INPUT', 'SELECT', 'TEXTAREA'].includes(a.tagName);
}

function schedule() {
  clearInterval(timer);
  timer = setInterval(() => {
    if (!document.hidden && !interacting()) render({ quiet: true });
  }, REFRESH_MS);
}

async function header() {
  try {
    const s = await get('status');
    document.getElementById('chain').innerHTML =
      `chain ${esc(s.chain_id)} · height <b>${esc(s.height)}</b> · epoch ${esc(s.epoch)} · root <span title="${esc(s.state_root)}">${esc(short(s.state_root))}</span>`;
  } catch (err) {
    document.getElementById('chain').textContent = 'node unreachable';
  }
}

function startStream() {
  subscribe(
    (event) => {
      ctx.feed.unshift(event);
      if (ctx.feed.length > FEED_SIZE) ctx.feed.length = FEED_SIZE;
      if (ctx.onEvent) ctx.onEvent(event);
    },
    (on) => {
      document.getElementById('live').classList.toggle('on', on);
      document.getElementById('live-text').textContent = on ? 'live' : 'reconnecting';
    },
  );
}

window.addEventListener('hashchange', () => render());
window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

header();
setInterval(header, 2000);
render().then(() => setTimeout(startStream, STREAM_DELAY_MS));
schedule();
