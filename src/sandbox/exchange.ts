import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sign, type SignableObject } from '../exchange/signing.js';
import type { Credentials } from '../monitor/types.js';
import { balanceFor, SANDBOX_FOREIGN_ORDERS, SANDBOX_OPEN_ORDERS, SANDBOX_PORTFOLIO, SANDBOX_POSITIONS } from './portfolio.js';

/**
 * A loopback stand-in for the Crypto.com Exchange v1 REST API. It verifies signatures with its own
 * keys, enforces the 60 s nonce window and plays one behaviour per key (private calls) or per
 * base-URL path (`/b/<behaviour>/exchange/v1`, all calls), so many scenarios can run at once.
 */
export const BEHAVIOURS = [
  'healthy',
  'bad-secret',
  'ip-not-whitelisted',
  'read-only',
  'clock-skew',
  'rate-limited',
  'unavailable',
  'slow',
  'unexpected',
  // Hostile or broken exchanges, for the monitor's own defences:
  /** Errors that echo the whole signed request back (key, signature) in JSON and in an HTML page. */
  'echo',
  /**
   * Reads pass; the account, trade-probe and withdraw-probe answers quote fragments of the caller's key
   * and secret glued to other text (after api_key=, inside longer tokens, encoded, in another case, split
   * by separators); the account answer says suspended, so the run reports (and alerts) on it.
   */
  'echo-fragments',
  /** Private calls answer HTTP 200 with JSON cut off halfway; public calls answer normally. */
  'cut-off-replies',
  /** Private calls answer HTTP 200 with more than a megabyte of JSON; public calls answer normally. */
  'oversized-replies',
  /** Private calls answer HTTP 200 with an empty body; public calls answer normally. */
  'empty-replies',
  /** Messages carrying terminal escape codes and a forged "Diagnosis: OK" line. */
  'escape-codes',
  /** A redirect (302) whose body claims success. */
  'redirect',
  /** An error status (403) whose body claims success (code 0). */
  'code-zero-error',
  /** A balance list with null entries. */
  'null-balances',
  /** Something in front of the exchange answers the trade and withdraw probes with an HTML 401 page. */
  'html-probe-refusals',
  // Account and key audit:
  /** The key can withdraw (the Withdrawal setting is on). */
  'withdraw-enabled',
  /** The key belongs to a sub-account. */
  'sub-account',
  /** The account is suspended (get-accounts flags it; orders would answer 202). */
  'account-suspended',
  /** The account may not trade. */
  'not-tradable',
  /** API access is off for the account: every private call answers 140001. */
  'api-disabled',
  /** The account has no derivatives access. */
  'no-derivatives',
  // Answers that prove nothing, for "could not re-check":
  /** private/get-accounts answers HTTP 500 (INTERNAL_SERVER_ERROR); everything else is healthy. */
  'accounts-unavailable',
  /** private/get-accounts answers, but without the account flags (enabled, suspended, derivatives access…). */
  'accounts-without-flags',
  /** The withdraw probe answers HTTP 503 with an HTML page; everything else is as for the key's account. */
  'withdraw-probe-unavailable',
  /** The withdraw probe is refused with an auth-class code other than 40101 (10002 UNAUTHORIZED). */
  'withdraw-probe-other-refusal',
  // What is at risk:
  /** A healthy key on an account with two open orders (their funds reserved) and a short perpetual position. */
  'open-exposure',
  // Security watch (the previous check saw SANDBOX_PORTFOLIO):
  /** 40 % of every balance's quantity is gone, prices unchanged. */
  'funds-dropped',
  /** Every price halved, quantities unchanged: a market crash, not money leaving. */
  'prices-halved',
  /** Open orders beside the bot's: one placed without its client_oid prefix. */
  'foreign-orders',
  /** A withdrawal of 0.5 BTC a minute ago (real time), beside any recorded with recordWithdrawal. */
  'withdrawal-made',
  /** The withdrawal history read is refused (40101), as it may be for a key without the Withdrawal permission. */
  'withdrawal-history-refused',
] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** What the sandbox's IP echo answers: the egress IP, another address (traffic leaving elsewhere), or something that is not one. */
export const IP_ECHO_MODES = ['ip', 'other-ip', 'garbage', 'html', 'empty', 'error'] as const;
export type IpEchoMode = (typeof IP_ECHO_MODES)[number];

export interface SandboxOptions {
  /** What GET /ip answers: the sandbox's stand-in for checkip.amazonaws.com. */
  readonly egressIp?: string;
  /** How far the 'clock-skew' behaviour's clock runs ahead. */
  readonly clockSkewMs?: number;
  /** How long the 'slow' behaviour waits before answering. */
  readonly slowMs?: number;
  /** Added to every answer: a stand-in for the network round trip, for benchmarks. */
  readonly latencyMs?: number;
  /** How far a nonce may be from the sandbox's clock (default 60 s, the exchange's); the bench moves its client's clock. */
  readonly nonceWindowMs?: number;
  /** Serve HTTPS with this certificate (as the real exchange does), e.g. behind a CONNECT proxy in tests. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** The announcement shape documented for public/get-announcements (times in epoch ms). */
export interface Announcement {
  readonly id: string;
  readonly category: 'system' | 'list' | 'delist' | 'event' | 'product';
  readonly title: string;
  readonly start_time: number;
  readonly end_time: number;
  readonly impacted_params?: Record<string, string>;
}

export interface RecordedRequest {
  readonly httpMethod: string;
  readonly method: string;
  readonly behaviour: Behaviour;
  readonly id?: unknown;
  readonly nonce?: unknown;
  readonly sig?: unknown;
  readonly params?: unknown;
  /** The key the request was signed with, as sent (tests tell keys apart by it). */
  readonly apiKey?: unknown;
}

export interface Sandbox {
  readonly origin: string;
  readonly ipEchoUrl: string;
  /** What GET /ip answers. */
  readonly egressIp: string;
  /** Base URL whose path selects a behaviour for every call (public ones too). */
  baseUrl(behaviour?: Behaviour): string;
  /** A key the sandbox knows, behaving as asked ('bad-secret' hands out a wrong secret). */
  credentials(behaviour?: Behaviour): Credentials;
  readonly requests: RecordedRequest[];
  /** A fresh key of its own (so a test can revoke it without touching others); 'bad-secret' comes with a wrong secret, as from credentials(). */
  mint(behaviour?: Behaviour): Credentials;
  /** Publish a system announcement (what public/get-announcements returns), e.g. a maintenance window. */
  announce(announcement: Announcement): void;
  /** Where announcements are served (the API's /v1 root, as on the real exchange). */
  readonly announcementsUrl: string;
  /** Every call, public ones too, behaves like this until cleared with null (an exchange-wide outage). */
  outage(behaviour: Behaviour | null): void;
  /** Make the IP echo answer something other than the egress IP from now on ('ip' restores it). */
  setIpEcho(mode: IpEchoMode): void;
  /** Make an issued key behave differently from now on (a key losing its whitelist, say). */
  setBehaviour(apiKey: string, behaviour: Behaviour): void;
  /** A withdrawal on the key's account (what private/get-withdrawal-history lists), as the web app or another key would make. */
  recordWithdrawal(apiKey: string, withdrawal: SandboxWithdrawal): void;
  /** Delete a key on the "exchange" (as an operator revoking it would): it answers 40101 from now on. */
  revoke(apiKey: string): void;
  /** Close the connections that wait for a next request (the bench: a scheduled function's connections do not outlive the minutes between runs). */
  closeIdleConnections(): void;
  close(): Promise<void>;
}

/** One entry of private/get-withdrawal-history's withdrawal_list, in the documented shape. */
export interface SandboxWithdrawal {
  readonly id: string;
  readonly client_wid?: string;
  readonly currency: string;
  readonly amount: number;
  readonly fee?: number;
  readonly address: string;
  readonly network_id?: string;
  readonly txid?: string;
  readonly status: string;
  readonly create_time: number;
  readonly update_time?: number;
}

const NONCE_WINDOW_MS = 60_000;
const SAFE_METHODS = new Set([
  'private/user-balance',
  'private/cancel-order',
  'private/get-accounts',
  'private/get-deposit-address',
  'private/get-open-orders',
  'private/get-positions',
  'private/get-withdrawal-history',
]);

/** private/get-accounts as the DOC describes it (flags per account; this_account names the key's). */
function accounts(behaviour: Behaviour) {
  const master = {
    uuid: 'a7c1e6f0-0000-4000-8000-000000000001',
    master_account_uuid: 'a7c1e6f0-0000-4000-8000-000000000001',
    enabled: true,
    tradable: behaviour !== 'not-tradable',
    name: 'Demo master',
    email: 'demo@example.invalid',
    margin_access: 'DEFAULT',
    derivatives_access: behaviour !== 'no-derivatives',
    suspended: behaviour === 'account-suspended',
    terminated: false,
    two_fa_enabled: true,
    kyc_level: 'ADVANCED',
  };
  const sub = { ...master, uuid: 'a7c1e6f0-0000-4000-8000-000000000002', name: 'Demo sub-account', derivatives_access: true, tradable: true, suspended: false };
  const self = behaviour === 'sub-account' ? sub : master;
  if (behaviour === 'accounts-without-flags') {
    const bare = ({ uuid, name }: typeof master) => ({ uuid, master_account_uuid: master.uuid, name });
    return { master_account: bare(master), sub_account_list: [bare(sub)], this_account: { uuid: self.uuid } };
  }
  return {
    master_account: master,
    sub_account_list: [sub],
    this_account: { uuid: self.uuid, hierarchy: behaviour === 'sub-account' ? 'SUB_ACCOUNT' : 'MASTER' },
  };
}

const CLOUDFLARE_502 = `<!DOCTYPE html>
<html><head><title>api.crypto.com | 502: Bad gateway</title></head>
<body><h1>Bad gateway</h1><p>Error code 502</p><p>Cloudflare Ray ID: 8f0e1d2c3b4a5968</p></body></html>`;

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

const envelope = (method: string, id: unknown, status: number, code: number, message: string): Reply => ({
  status,
  body: { id: id ?? -1, method, code, message },
});

/** Answers that quote the caller's key and secret in pieces (the 'echo-fragments' behaviour). */
function echoFragments(method: string, id: unknown, k: string, s: string): Reply {
  if (method === 'private/get-accounts') {
    const quoted = `api_key=${k.slice(0, 10)} ref=${k.slice(4, 14)}x sig${s.slice(-16)} ${k.toUpperCase().slice(3, 9)} ${k.slice(0, 4)}-${k.slice(4, 8)}-${k.slice(8, 12)}`;
    return envelope(method, id, 400, 202, `ACCOUNT_IS_SUSPENDED ${quoted}`);
  }
  if (method === 'private/cancel-order') {
    return envelope(
      method,
      id,
      500,
      316,
      `NO_ACTIVE_ORDER for ${k}${k.slice(5, 11)} api_key%3D${k.slice(2, 12)} "api_key":"${k.slice(0, 9)}" tail=${s.slice(8)}`,
    );
  }
  return envelope(
    method,
    id,
    401,
    40101,
    `Authentication failure: secret=${s.slice(0, 8)} ${s.slice(0, 4)} ${s.slice(4, 8)} ${s.slice(8, 12)} mid${k.slice(6, 16)}mid ${k.toLowerCase()}`,
  );
}

function behaviourFromPath(path: string): { behaviour: Behaviour | undefined; method: string | undefined } {
  const m = /^(?:\/b\/([a-z-]+))?\/exchange\/v1\/(.+)$/.exec(path);
  if (!m) return { behaviour: undefined, method: undefined };
  const b = m[1] as Behaviour | undefined;
  return { behaviour: b && (BEHAVIOURS as readonly string[]).includes(b) ? b : undefined, method: m[2] };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const hexEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a.toLowerCase()), Buffer.from(b.toLowerCase()));

/** Letters no hex id, number or base-10 time holds. */
const NON_HEX = 'ghijklmnopqrstuvwxyz';

/**
 * A sandbox API key: "sbx" and 20 characters, a digit at every third place and letters from g–z
 * between. Any 5 characters of it mix a digit with non-hex letters, which no timestamp, hex id or word
 * in an output does: a test that finds 5 of them in an output has found a leak, not a coincidence.
 */
function sandboxKey(): string {
  const bytes = randomBytes(20);
  let key = 'sbx';
  for (let i = 0; i < 20; i++) {
    const b = bytes[i] as number;
    key += i % 3 === 0 ? String(b % 10) : NON_HEX[b % NON_HEX.length];
  }
  return key;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const egressIp = opts.egressIp ?? '203.0.113.7';
  const clockSkewMs = opts.clockSkewMs ?? 120_000;
  const slowMs = opts.slowMs ?? 10_000;
  const keys = new Map<string, { secret: string; behaviour: Behaviour }>();
  const issued = new Map<Behaviour, Credentials>();
  const newSecret = () => randomBytes(18).toString('base64url');
  /** A new key the sandbox knows and answers as `behaviour` says, as its holder has it. */
  const register = (behaviour: Behaviour): Credentials => {
    const apiKey = sandboxKey();
    const secret = newSecret();
    keys.set(apiKey, { secret, behaviour });
    // bad-secret: the sandbox knows the key, the holder has the wrong secret (a mistyped paste).
    return { apiKey, apiSecret: behaviour === 'bad-secret' ? newSecret() : secret };
  };
  for (const behaviour of BEHAVIOURS) issued.set(behaviour, register(behaviour));
  const requests: RecordedRequest[] = [];
  const withdrawals = new Map<string, SandboxWithdrawal[]>();
  const announcements: Announcement[] = [];
  const state: { outage: Behaviour | null; ipEcho: IpEchoMode } = { outage: null, ipEcho: 'ip' };

  async function handle(req: IncomingMessage): Promise<Reply> {
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (req.method === 'GET' && url.pathname === '/v1/public/get-announcements') {
      requests.push({ httpMethod: 'GET', method: 'public/get-announcements', behaviour: 'healthy' });
      const data = announcements.filter((a) => !url.searchParams.get('category') || a.category === url.searchParams.get('category'));
      return { status: 200, body: { id: -1, method: 'public/get-announcements', code: 0, result: { data } } };
    }
    if (req.method === 'GET' && url.pathname === '/ip') {
      requests.push({ httpMethod: 'GET', method: 'ip-echo', behaviour: 'healthy' });
      switch (state.ipEcho) {
        case 'other-ip':
          return { status: 200, body: '198.51.100.23\n', contentType: 'text/plain' };
        case 'garbage':
          return { status: 200, body: 'your ip: unknown\n', contentType: 'text/plain' };
        case 'html':
          return { status: 200, body: '<html><title>Sign in to the network</title><body>captive portal</body></html>', contentType: 'text/html' };
        case 'empty':
          return { status: 200, body: '', contentType: 'text/plain' };
        case 'error':
          return { status: 503, body: 'Service Unavailable', contentType: 'text/plain' };
        case 'ip':
          return { status: 200, body: `${egressIp}\n`, contentType: 'text/plain' };
      }
    }
    const { behaviour: pathBehaviour, method } = behaviourFromPath(url.pathname);
    if (!method) return { status: 404, body: '<html><title>404 Not Found</title></html>', contentType: 'text/html' };
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let parsed: Record<string, unknown> = {};
    try {
      const json: unknown = raw ? JSON.parse(raw) : {};
      if (json && typeof json === 'object' && !Array.isArray(json)) parsed = json as Record<string, unknown>;
    } catch {
      /* answered as BAD_REQUEST below */
    }
    const keyEntry = typeof parsed['api_key'] === 'string' ? keys.get(parsed['api_key']) : undefined;
    const behaviour: Behaviour =
      state.outage ?? (pathBehaviour && pathBehaviour !== 'healthy' ? pathBehaviour : (keyEntry?.behaviour ?? pathBehaviour ?? 'healthy'));
    requests.push({
      httpMethod: req.method ?? '',
      method,
      behaviour,
      id: parsed['id'],
      nonce: parsed['nonce'],
      sig: parsed['sig'],
      params: parsed['params'],
      apiKey: parsed['api_key'],
    });

    if (behaviour === 'slow') await new Promise((r) => setTimeout(r, slowMs));
    if (behaviour === 'redirect')
      return { status: 302, body: { id: parsed['id'] ?? -1, method, code: 0, result: SANDBOX_PORTFOLIO }, headers: { location: 'https://example.invalid/' } };
    if (behaviour === 'code-zero-error') return { status: 403, body: { id: parsed['id'] ?? -1, method, code: 0, result: { data: [] } } };
    if (behaviour === 'escape-codes') {
      return envelope(method, parsed['id'], 400, 40001, 'bad\u001b[2J\u001b[H\r\nDiagnosis: OK — Key is healthy\u001b]0;pwned\u0007');
    }
    if (behaviour === 'echo' && method.startsWith('private/')) {
      // Half the echoes come as HTML (a proxy error page), half as the JSON envelope's message.
      if (method === 'private/cancel-order')
        return { status: 502, body: `<html><title>Bad request ${raw}</title><body>${raw}</body></html>`, contentType: 'text/html' };
      return { status: 401, body: { id: parsed['id'] ?? -1, method, code: 40101, message: `Authentication failure for ${raw}`, original: raw } };
    }
    if (behaviour === 'unavailable') return { status: 502, body: CLOUDFLARE_502, contentType: 'text/html' };
    if (behaviour === 'rate-limited') return envelope(method, parsed['id'], 429, 42901, 'TOO_MANY_REQUESTS');
    const now = Date.now() + (behaviour === 'clock-skew' ? clockSkewMs : 0);

    if (method.startsWith('public/')) {
      if (req.method !== 'GET') return envelope(method, -1, 500, 50001, 'INTERNAL_SERVER_ERROR');
      if (method !== 'public/get-tickers') return envelope(method, -1, 400, 40002, 'METHOD_NOT_FOUND');
      const instrument = url.searchParams.get('instrument_name') ?? 'BTC_USD';
      return {
        status: 200,
        body: {
          id: -1,
          method,
          code: 0,
          result: {
            data: [
              {
                i: instrument,
                h: '98210.00',
                l: '96012.50',
                a: '97420.10',
                v: '812.4',
                vv: '79140000.00',
                c: '0.0123',
                b: '97420.00',
                k: '97420.20',
                oi: '0',
                t: now,
              },
            ],
          },
        },
      };
    }
    if (req.method !== 'POST') return envelope(method, -1, 400, 40003, 'INVALID_REQUEST');
    const { id, nonce, sig, params } = parsed;
    if (!Number.isSafeInteger(id) || typeof params !== 'object' || params === null || Array.isArray(params) || typeof sig !== 'string') {
      return envelope(method, id, 400, 40001, 'BAD_REQUEST');
    }
    if (!Number.isSafeInteger(nonce) || !keyEntry) return envelope(method, id, 401, 40101, 'Authentication failure');
    const expected = sign(
      { method, id: id as number, apiKey: parsed['api_key'] as string, params: params as SignableObject, nonce: nonce as number },
      keyEntry.secret,
    );
    if (!hexEqual(expected, sig)) return envelope(method, id, 401, 40101, 'Authentication failure');
    if (Math.abs((nonce as number) - now) > (opts.nonceWindowMs ?? NONCE_WINDOW_MS)) return envelope(method, id, 400, 40102, 'INVALID_NONCE');
    if (behaviour === 'empty-replies') return { status: 200, body: '' };
    if (behaviour === 'cut-off-replies') {
      const whole = JSON.stringify({ id, method, code: 0, result: SANDBOX_PORTFOLIO });
      return { status: 200, body: whole.slice(0, Math.floor(whole.length / 2)) };
    }
    if (behaviour === 'oversized-replies')
      return { status: 200, body: JSON.stringify({ id, method, code: 0, result: { data: [] }, padding: 'x'.repeat(1_200_000) }) };
    if (behaviour === 'echo-fragments' && method !== 'private/user-balance') return echoFragments(method, id, parsed['api_key'] as string, keyEntry.secret);
    if (behaviour === 'ip-not-whitelisted') return envelope(method, id, 401, 40103, 'IP_ILLEGAL');
    if (behaviour === 'unexpected') return envelope(method, id, 400, 10001, 'SYS_ERROR');
    if (behaviour === 'api-disabled') return envelope(method, id, 400, 140001, 'API_DISABLED');
    if (!SAFE_METHODS.has(method)) {
      // The sandbox will not play along with anything that could trade or withdraw.
      return envelope(method, id, 400, 40002, 'METHOD_NOT_FOUND');
    }
    if (method === 'private/get-withdrawal-history') {
      if (behaviour === 'withdrawal-history-refused') return envelope(method, id, 401, 40101, 'Authentication failure');
      const p = params as Record<string, unknown>;
      const from = Number(p['start_ts'] ?? 0);
      const to = p['end_ts'] === undefined ? Infinity : Number(p['end_ts']);
      const made: SandboxWithdrawal[] =
        behaviour === 'withdrawal-made'
          ? [
              {
                id: '2615830012',
                client_wid: 'web-1',
                currency: 'BTC',
                amount: 0.5,
                fee: 0.0004,
                address: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
                network_id: 'BTC',
                txid: '',
                status: '1',
                create_time: now - 60_000,
              },
            ]
          : [];
      const list = [...made, ...(withdrawals.get(parsed['api_key'] as string) ?? [])].filter((w) => w.create_time >= from && w.create_time <= to);
      return { status: 200, body: { id, method, code: 0, result: { withdrawal_list: list.sort((a, b) => b.create_time - a.create_time) } } };
    }
    if (method === 'private/get-open-orders' && behaviour === 'foreign-orders')
      return { status: 200, body: { id, method, code: 0, result: SANDBOX_FOREIGN_ORDERS } };
    if (method === 'private/get-open-orders' || method === 'private/get-positions') {
      const exposed = behaviour === 'open-exposure';
      const result = method === 'private/get-open-orders' ? (exposed ? SANDBOX_OPEN_ORDERS : { data: [] }) : exposed ? SANDBOX_POSITIONS : { data: [] };
      return { status: 200, body: { id, method, code: 0, result } };
    }
    if (method === 'private/get-accounts') {
      if (behaviour === 'accounts-unavailable') return envelope(method, id, 500, 50001, 'INTERNAL_SERVER_ERROR');
      return { status: 200, body: { id, method, code: 0, result: accounts(behaviour) } };
    }
    if (behaviour === 'html-probe-refusals' && (method === 'private/cancel-order' || method === 'private/get-deposit-address')) {
      return { status: 401, body: '<html><head><title>401 Authorization Required</title></head><body>nginx</body></html>', contentType: 'text/html' };
    }
    if (method === 'private/get-deposit-address' && behaviour === 'withdraw-probe-unavailable') {
      return { status: 503, body: '<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>', contentType: 'text/html' };
    }
    if (method === 'private/get-deposit-address' && behaviour === 'withdraw-probe-other-refusal') return envelope(method, id, 401, 10002, 'UNAUTHORIZED');
    if (method === 'private/get-deposit-address') {
      // The Withdrawal setting gates this read (DOC); what a key without it gets is not documented:
      // the sandbox plays the auth-class refusal a scope check gives elsewhere.
      if (behaviour !== 'withdraw-enabled') return envelope(method, id, 401, 40101, 'Authentication failure');
      return {
        status: 200,
        body: {
          id,
          method,
          code: 0,
          result: {
            deposit_address_list: [
              { currency: 'BTC', create_time: 1700000000000, id: '12345', address: 'bc1qsandboxdepositaddress0000000000', status: '1', network: 'BTC' },
            ],
          },
        },
      };
    }
    if (method === 'private/cancel-order') {
      if (behaviour === 'read-only') return envelope(method, id, 401, 40101, 'Authentication failure');
      // Scope passed; the order does not exist. The live API's code here is undocumented (212/316/40401).
      return envelope(method, id, 500, 316, 'NO_ACTIVE_ORDER');
    }
    if (behaviour === 'null-balances')
      return {
        status: 200,
        body: {
          id,
          method,
          code: 0,
          result: { data: [{ ...SANDBOX_PORTFOLIO.data[0], position_balances: [null, SANDBOX_PORTFOLIO.data[0].position_balances[0]] }] },
        },
      };
    return { status: 200, body: { id, method, code: 0, result: balanceFor(behaviour) } };
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req)
      .then((reply) => {
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json', date: new Date().toUTCString(), ...reply.headers });
        res.end(text);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('sandbox error');
      });
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    origin,
    ipEchoUrl: `${origin}/ip`,
    egressIp,
    baseUrl: (behaviour?: Behaviour) => (behaviour ? `${origin}/b/${behaviour}/exchange/v1` : `${origin}/exchange/v1`),
    credentials: (behaviour: Behaviour = 'healthy') => issued.get(behaviour) as Credentials,
    requests,
    announcementsUrl: `${origin}/v1/public/get-announcements`,
    announce: (a: Announcement) => {
      announcements.push(a);
    },
    mint: (behaviour: Behaviour = 'healthy') => register(behaviour),
    outage: (behaviour: Behaviour | null) => {
      state.outage = behaviour;
    },
    setIpEcho: (mode: IpEchoMode) => {
      state.ipEcho = mode;
    },
    setBehaviour: (apiKey: string, behaviour: Behaviour) => {
      const entry = keys.get(apiKey);
      if (entry) keys.set(apiKey, { ...entry, behaviour });
    },
    recordWithdrawal: (apiKey: string, withdrawal: SandboxWithdrawal) => {
      withdrawals.set(apiKey, [...(withdrawals.get(apiKey) ?? []), withdrawal]);
    },
    revoke: (apiKey: string) => {
      keys.delete(apiKey);
    },
    closeIdleConnections: () => server.closeIdleConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
