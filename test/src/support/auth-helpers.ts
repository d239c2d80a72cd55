import assert from 'node:assert/strict';
import type { TerminalTokenView as ServerTerminalTokenView } from '@tradehub/server';
import { randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import type { TradehubConfig } from '@tradehub/server';
import { officialClient, type ClientOptions } from './official-client.js';
import { RS } from './raw-socket.js';

/** A 40-character HS256 secret the tests configure, so that they can sign tokens the server accepts. */
export const TEST_HS256_SECRET = 'tradehub-test-hs256-secret-0123456789abc';
/** The key id tradehub gives its HS256 key. */
export const HS256_KID = 'hs256';

export const DEMO_READER = { id: 'demo-reader', secret: 'demo-reader-secret' } as const;
export const DEMO_PUBLISHER = { id: 'demo-publisher', secret: 'demo-publisher-secret' } as const;
export const DEMO_ADMIN = { id: 'demo-admin', secret: 'demo-admin-secret' } as const;

/** Config override: HS256 with the known test secret. */
export function withTestSecret(config: TradehubConfig): TradehubConfig {
  config.auth.signing = { algorithm: 'HS256', secret: TEST_HS256_SECRET };
  return config;
}

/** Adds organization `acme` (platform `acme-mt5`, manager 2000) with clients `acme-reader` and `acme-admin`. */
export function withAcme(config: TradehubConfig): TradehubConfig {
  config.organizations.push({
    id: 'acme',
    name: 'Acme',
    platforms: [{ id: 'acme-mt5', name: 'Acme MT5', kind: 'mt5', managers: [{ login: '2000', password: 'acme-manager-pass' }] }],
  });
  config.clients.push(
    { id: 'acme-reader', secret: 'acme-reader-secret', organization: 'acme', scopes: ['trade.read'] },
    { id: 'acme-admin', secret: 'acme-admin-secret', organization: 'acme', scopes: ['admin', 'trade.read'] },
  );
  return config;
}

export const ACME_READER = { id: 'acme-reader', secret: 'acme-reader-secret' } as const;
export const ACME_ADMIN = { id: 'acme-admin', secret: 'acme-admin-secret' } as const;

/** The claims of a tradehub access token. */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  scope: string;
  org: string;
  plat: string[];
  knd: string;
  logins?: string[];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims a valid tradehub client token of demo-reader would carry, with a fresh jti. */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: 'tradehub', aud: 'tradehub', sub: 'demo-reader', jti: randomUUID(),
    scope: 'trade.read', org: 'demo', plat: ['demo'], knd: 'client',
    iat: now, nbf: now, exp: now + 300,
    ...overrides,
  };
}

export interface SignOptions {
  key?: string | Buffer | KeyObject;
  algorithm?: jwt.Algorithm;
  /** `null` signs without a key id. */
  kid?: string | null;
  /** Claims to leave out. */
  omit?: readonly string[];
}

/** Signs a token with jsonwebtoken: by default HS256 with the test secret and tradehub's key id. */
export function signToken(claims: Record<string, unknown>, options: SignOptions = {}): string {
  const payload: Record<string, unknown> = { ...claims };
  for (const name of options.omit ?? []) delete payload[name];
  const kid = options.kid === undefined ? HS256_KID : options.kid;
  return jwt.sign(payload, options.key ?? TEST_HS256_SECRET, {
    algorithm: options.algorithm ?? 'HS256',
    ...(kid !== null ? { keyid: kid } : {}),
  });
}

/** An unsigned token (`alg: none`), assembled by hand. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT', kid: HS256_KID })}.${part(claims)}.`;
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: AccessTokenClaims } {
  const [header, payload] = token.split('.');
  assert.ok(header !== undefined && payload !== undefined, 'not a JWT');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims,
  };
}

export function basic(clientId: string, secret: string): string {
  // RFC 6749 section 2.3.1: both parts form-urlencoded, then joined.
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

async function answerOf(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POST /connect/token (or another form endpoint) with a form body and optional headers. */
export async function postForm(url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return answerOf(await fetch(url, { method: 'POST', headers, body }));
}

export interface ApiRequest {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A JSON API request with an optional bearer token. */
export async function api(baseUrl: string, path: string, request: ApiRequest = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token !== undefined) headers.Authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  return answerOf(await fetch(`${baseUrl}${path}`, {
    method: request.method ?? 'GET',
    headers,
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
  }));
}

/** POST negotiate of a hub; `query` is appended as is. */
export async function negotiate(hubUrl: string, token?: string, query = '', headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return answerOf(await fetch(`${hubUrl}/negotiate?negotiateVersion=1${query}`, {
    method: 'POST',
    headers: { ...headers, ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}) },
  }));
}

export function bearerChallenge(code: string, description: string): string {
  return `Bearer realm="tradehub", error="${code}", error_description="${description}"`;
}

/** A 401 for a refused bearer token: status, RFC 6750 challenge and JSON body, exactly. */
export function assertInvalidToken(answer: HttpAnswer, description: string): void {
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.headers.get('www-authenticate'), bearerChallenge('invalid_token', description));
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.deepEqual(answer.json, { error: 'invalid_token', error_description: description });
}

/** A 400 for a malformed bearer request (RFC 6750 `invalid_request`). */
export function assertInvalidRequest(answer: HttpAnswer, description: string): void {
  assert.equal(answer.status, 400, answer.text);
  assert.equal(answer.headers.get('www-authenticate'), bearerChallenge('invalid_request', description));
  assert.deepEqual(answer.json, { error: 'invalid_request', error_description: description });
}

/** A 401 for a request without any token: a challenge without error attribute (RFC 6750 section 3.1). */
export function assertMissingToken(answer: HttpAnswer): void {
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="tradehub"');
  assert.deepEqual(answer.json, { error: 'invalid_token', error_description: 'A bearer token is required.' });
}

export function assertInsufficientScope(answer: HttpAnswer, scope: string): void {
  const description = `This request needs the '${scope}' scope.`;
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.headers.get('www-authenticate'), `${bearerChallenge('insufficient_scope', description)}, scope="${scope}"`);
  assert.deepEqual(answer.json, { error: 'insufficient_scope', error_description: description });
}

export interface UpgradeOutcome {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Tries a WebSocket upgrade that is expected to be refused; resolves with the HTTP answer. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    socket.once('error', (error) => reject(error));
  });
}

/** Runs close actions in reverse order; used in afterEach/after so that nothing outlives a test. */
export class Cleanup {
  private readonly actions: Array<() => unknown> = [];

  add(action: () => unknown): void {
    this.actions.push(action);
  }

  /** Registers a hub connection to be stopped. */
  connection(connection: HubConnection): HubConnection {
    this.add(() => connection.stop());
    return connection;
  }

  async run(): Promise<void> {
    const actions = this.actions.splice(0).reverse();
    const results = await Promise.allSettled(actions.map(async (action) => action()));
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0) throw new Error(`cleanup failed: ${failed.map((f) => String(f.reason)).join('; ')}`);
  }
}

/** Builds and starts an official client connection with a token (or factory), registered for cleanup. */
export async function connectHub(
  cleanup: Cleanup,
  hubUrl: string,
  token: string | (() => string | Promise<string>),
  options: ClientOptions = {},
): Promise<HubConnection> {
  const connection = cleanup.connection(officialClient(hubUrl, {
    accessTokenFactory: typeof token === 'string' ? () => token : token,
    ...options,
  }));
  await connection.start();
  return connection;
}

/** Starts a connection that is expected to be refused; resolves with the error. */
export async function refusedStart(cleanup: Cleanup, hubUrl: string, token: string | undefined, options: ClientOptions = {}): Promise<Error> {
  const connection = cleanup.connection(officialClient(hubUrl, {
    ...(token !== undefined ? { accessTokenFactory: () => token } : {}),
    ...options,
  }));
  try {
    await connection.start();
  } catch (error) {
    assert.equal(connection.state, HubConnectionState.Disconnected);
    return error as Error;
  }
  throw new Error('the connection was accepted');
}

export interface Closure {
  error: Error | undefined;
  at: number;
}

/** Resolves when the connection closes (with the time it closed); rejects after `timeoutMs`. */
export function closure(connection: HubConnection, timeoutMs = 5_000): Promise<Closure> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection did not close within ${timeoutMs} ms`)), timeoutMs);
    connection.onclose((error) => {
      clearTimeout(timer);
      resolve({ error, at: Date.now() });
    });
  });
}

/** Resolves like `promise`, or rejects with `message` after `timeoutMs` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(message)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What GetMyAccess answers. */
export interface MyAccess {
  subject: string;
  kind: string;
  organization: string;
  scopes: string[];
  platforms: string[];
  logins: string[] | null;
  expiresAt: number | null;
}

/** A terminal token as the admin API shows it. */
/** A terminal token as the admin API answers it; `token` only in the answers to create and replace. */
export type TerminalTokenView = ServerTerminalTokenView & { token?: string };

/** Creates a terminal token through the admin API and returns its view with the secret. */
export async function createTerminalToken(
  baseUrl: string,
  adminToken: string,
  body: Record<string, unknown>,
): Promise<TerminalTokenView & { token: string }> {
  const answer = await api(baseUrl, '/api/tokens', { method: 'POST', token: adminToken, body });
  assert.equal(answer.status, 201, answer.text);
  const view = answer.json as TerminalTokenView;
  assert.equal(typeof view.token, 'string');
  return view as TerminalTokenView & { token: string };
}

/** Raw hub socket helpers: a JSON invocation over an open `ws` socket after the handshake. */
export function invocationFrame(invocationId: string, target: string, args: unknown[] = []): string {
  return JSON.stringify({ type: 1, invocationId, target, arguments: args }) + RS;
}
