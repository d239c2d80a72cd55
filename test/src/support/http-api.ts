import assert from 'node:assert/strict';
import type { TradehubConfig } from '@tradehub/server';
import { clientToken } from './tradehub-app.js';

/** The demo configuration plus a second platform of the demo organization and a second organization. */
export function withSecondTenant(base: TradehubConfig): TradehubConfig {
  const demo = base.organizations[0];
  if (!demo) throw new Error('the demo configuration has no organization');
  demo.platforms.push({ id: 'demo-b', name: 'Second demo platform', kind: 'mt5', managers: [] });
  base.organizations.push({
    id: 'other',
    name: 'Another organization',
    platforms: [{ id: 'other-mt5', kind: 'mt5', managers: [] }],
  });
  base.clients.push({ id: 'other-publisher', secret: 'other-publisher-secret', organization: 'other', scopes: ['trade.read', 'trade.publish'] });
  return base;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty. */
  body: any;
}

/**
 * Makes HTTP requests to one node and checks that no answer (body or header) ever contains one
 * of the tokens it knows: every token created through it is added to that list.
 */
export interface StandardTokens {
  reader: string;
  publisher: string;
  admin: string;
  otherPublisher: string;
  terminal: string;
  terminalPublishOnly: string;
}

export class ApiClient {
  private readonly secrets = new Set<string>();

  constructor(readonly baseUrl: string) {}

  async clientToken(clientId: string, secret: string, scope?: string): Promise<string> {
    return this.remember(await clientToken(this.baseUrl, clientId, secret, scope));
  }

  /** Creates a terminal token (restricted to one platform and login) with an admin token. */
  async terminalToken(adminToken: string, platform: string, login: string, scopes?: string[]): Promise<string> {
    const response = await this.request('POST', '/api/tokens', { token: adminToken, json: { name: `terminal ${login}`, platform, login, ...(scopes ? { scopes } : {}) } });
    assert.equal(response.status, 201, response.text);
    return this.remember(response.body.token as string);
  }

  /**
   * The tokens the API tests act with: the demo clients, the second tenant's publisher, and two
   * terminal tokens for demo / 1001 (default scopes, and trade.publish only).
   */
  async standardTokens(): Promise<StandardTokens> {
    const [reader, publisher, admin, otherPublisher] = await Promise.all([
      this.clientToken('demo-reader', 'demo-reader-secret'),
      this.clientToken('demo-publisher', 'demo-publisher-secret'),
      this.clientToken('demo-admin', 'demo-admin-secret'),
      this.clientToken('other-publisher', 'other-publisher-secret'),
    ]);
    const terminal = await this.terminalToken(admin, 'demo', '1001');
    const terminalPublishOnly = await this.terminalToken(admin, 'demo', '1001', ['trade.publish']);
    return { reader, publisher, admin, otherPublisher, terminal, terminalPublishOnly };
  }

  remember(token: string): string {
    this.secrets.add(token);
    return token;
  }

  async request(method: string, path: string, options: { token?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    this.assertNoSecret(text, response.headers);
    const contentType = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, text, body: text !== '' && contentType.includes('json') ? JSON.parse(text) : undefined };
  }

  private assertNoSecret(text: string, headers: Headers): void {
    const everything = [text, ...[...headers.entries()].map(([name, value]) => `${name}: ${value}`)].join('\n');
    for (const secret of this.secrets) assert.ok(!everything.includes(secret), 'an answer contains a token');
  }
}

const time = (): number => Date.now();

/** Trade event inputs without platformId, as `POST /api/platforms/{id}/events` takes them. */
export const events = {
  account: (login: string, balance: number, id?: string) => ({
    type: 'account', ...(id ? { id } : {}),
    data: { login, balance, credit: 0, equity: balance, margin: 0, marginFree: balance, marginLevel: null, currency: 'USD', leverage: 100, time: time() },
  }),
  position: (login: string, position: string, volume: number, id?: string) => ({
    type: 'position', ...(id ? { id } : {}),
    data: {
      login, position, symbol: 'EURUSD', direction: 'buy', volume, priceOpen: 1.1, priceCurrent: 1.1005, profit: 5, swap: 0, time: time(),
    },
  }),
  order: (login: string, order: string, state: string, id?: string) => ({
    type: 'order', ...(id ? { id } : {}),
    data: {
      order, login, symbol: 'EURUSD', type: 'buy_limit', state, volumeInitial: 10_000, volumeCurrent: 10_000, priceOpen: 1.09,
      timeSetup: time(), time: time(),
    },
  }),
  status: (state: 'connected' | 'disconnected' | 'stale') => ({ type: 'platform.status', data: { state, serverTimeOffsetMs: 7_200_000, time: time() } }),
  symbol: (symbol: string) => ({
    type: 'symbol',
    data: {
      symbol, digits: 5, currencyBase: symbol.slice(0, 3), currencyProfit: symbol.slice(3), contractSize: 100_000,
      volumeMin: 100, volumeMax: 1_000_000, volumeStep: 100, time: time(),
    },
  }),
  tick: (symbol: string, bid: unknown) => ({ type: 'tick', data: { symbol, bid, ask: 1.2, time: time() } }),
};
