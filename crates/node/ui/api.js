// Every path the dashboard reads, in one place. `{name}` is filled from the call's parameters
// (URL-encoded). The node's tests read this file and check that each path answers.

export const PATHS = {
  status: '/v1/status',
  network: '/v1/network',
  consensus: '/v1/consensus',
  metrics: '/metrics',
  events: '/v1/events',
  params: '/v1/query/params',
  validator: '/v1/query/validator?validator={validator}',
  operator: '/v1/query/operator?operator={operator}',
  service: '/v1/query/service?service={service}',
  operatorSet: '/v1/query/operator_set?set={set}',
  rewardProgram: '/v1/query/reward_program?id={id}',
  lst: '/v1/query/lst',
  vault: '/v1/query/vault?vault={vault}',
  position: '/v1/query/position?staker={account}',
  baseDelegation: '/v1/query/base_delegation?delegator={account}',
  lstAccount: '/v1/query/lst?account={account}',
  yield: '/v1/query/yield?account={account}',
  exitPath: '/v1/query/exit_path?account={account}',
  withdrawals: '/v1/query/withdrawals?staker={account}',
  slashRequests: '/v1/query/slash_requests?service={service}',
  balance: '/v1/query/balance?account={account}&asset={asset}',
  security: '/v1/query/security?budget_ms={budget_ms}&shock={shock}',
  governance: '/v1/query/governance',
  governanceProposal: '/v1/query/governance?proposal={id}',
  strategy: '/v1/query/strategy?strategy={strategy}',
  operatorDelegators: '/v1/operators/{operator}/delegators?limit={limit}',
  operatorDelegatorsAfter: '/v1/operators/{operator}/delegators?limit={limit}&after={after}',
  validatorDelegators: '/v1/validators/{validator}/delegators?limit={limit}',
  validatorDelegatorsAfter: '/v1/validators/{validator}/delegators?limit={limit}&after={after}',
  nonce: '/v1/accounts/{account}/nonce',
  submit: '/v1/tx',
  simulate: '/v1/simulate',
  txStatus: '/v1/tx/{hash}',
  historyIndex: '/v1/history',
  history: '/v1/history/{group}',
  stressList: '/v1/risk/stress',
  stress: '/v1/risk/stress/{name}',
};

/** The path `key` of PATHS with its parameters filled in. */
export function path(key, params = {}) {
  const template = PATHS[key];
  if (!template) throw new Error(`unknown API path ${key}`);
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (!(name in params)) throw new Error(`${key} needs ${name}`);
    return encodeURIComponent(params[name]);
  });
}

/** An API error with the node's stable code. */
export class ApiError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** GETs JSON from `PATHS[key]`; throws ApiError on an error answer. */
export async function get(key, params) {
  const res = await fetch(path(key, params), { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(body?.code ?? `http_${res.status}`, body?.message ?? res.statusText);
  }
  return body;
}

/** POSTs JSON to `PATHS[key]` (a signed transaction); throws ApiError on an error answer. */
export async function post(key, body, params) {
  const res = await fetch(path(key, params), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(answer?.code ?? `http_${res.status}`, answer?.message ?? res.statusText);
  }
  return answer;
}

/** GETs text (the Prometheus metrics). */
export async function getText(key, params) {
  const res = await fetch(path(key, params));
  if (!res.ok) throw new ApiError(`http_${res.status}`, res.statusText);
  return res.text();
}

/** Parses Prometheus text into {name: number} for unlabelled samples. */
export function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+) ([0-9.eE+-]+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Subscribes to the node's event stream; returns the EventSource. */
export function subscribe(onEvent, onState) {
  const source = new EventSource(path('events'));
  source.addEventListener('protocol', (e) => {
    try {
      onEvent(JSON.parse(e.data));
    } catch (err) {
      console.warn('bad event', err);
    }
  });
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return source;
}
