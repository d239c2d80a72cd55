import type { OAuthTokenResponse } from '@tradehub/shared';
import { CredentialsRefusedError, NotSignalRServerError, TokenUnavailableError } from '../errors.js';
import { errorBodyOf, httpRequest, type HttpAnswer } from '../http/http-request.js';
import type { ClientLog } from '../logger.js';
import type { NodeList } from '../connection/node-list.js';
import { unrefTimer } from '../util/timeout.js';
import type { TokenSource } from './token-source.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; all the client's scopes when left out. */
  scope?: string;
}

interface CachedToken {
  value: string;
  /** UTC ms. */
  expiresAt: number;
  /** When to fetch the next one: before expiry, so that a reconnect never waits for it. */
  renewAt: number;
}

/** Renew this long before expiry, but never earlier than at 80% of the lifetime. */
const RENEW_MARGIN_MS = 60_000;

/**
 * OAuth 2.0 client credentials (RFC 6749 section 4.4) at `{node}/connect/token`, with HTTP
 * Basic client authentication. Tokens are cached and renewed before they expire (in the
 * background, and at the latest when next asked for), at any node that answers.
 */
export class ClientCredentialsTokenSource implements TokenSource {
  readonly renewable = true;
  private cached: CachedToken | undefined;
  private fetching: Promise<CachedToken> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly credentials: ClientCredentials,
    private readonly nodes: NodeList,
    private readonly log: ClientLog,
    private readonly timeoutMs: number,
  ) {
    log.redactor.add(credentials.clientSecret);
  }

  async token(replacing?: string): Promise<string> {
    const cached = this.cached;
    if (cached && Date.now() < cached.renewAt && cached.value !== replacing) return cached.value;
    return (await this.renew()).value;
  }

  invalidate(token: string | undefined): void {
    if (this.cached && (token === undefined || this.cached.value === token)) this.cached = undefined;
  }

  close(): void {
    this.closed = true;
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** One request at a time: concurrent callers share it. */
  private renew(): Promise<CachedToken> {
    this.fetching ??= this.fetchFromAnyNode().then((token) => {
      this.cached = token;
      this.scheduleRenewal(token);
      return token;
    }).finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private scheduleRenewal(token: CachedToken): void {
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    if (this.closed) return;
    this.renewTimer = setTimeout(() => {
      this.renewTimer = undefined;
      this.renew().catch((error: unknown) => {
        this.log.warn(`background token renewal failed (retried at the next use): ${(error as Error).message}`);
      });
    }, Math.max(0, token.renewAt - Date.now()));
    unrefTimer(this.renewTimer);
  }

  /** Tries the nodes from the current one; refusals are final, unreachable nodes are skipped. */
  private async fetchFromAnyNode(): Promise<CachedToken> {
    let lastError: unknown;
    for (const base of this.nodes.fromCurrent()) {
      try {
        return await this.fetchFrom(base);
      } catch (error) {
        if (error instanceof CredentialsRefusedError) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private async fetchFrom(base: string): Promise<CachedToken> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.credentials.scope !== undefined) body.set('scope', this.credentials.scope);
    const requestedAt = Date.now();
    const answer = await httpRequest({
      method: 'POST',
      url: `${base}/connect/token`,
      headers: { Authorization: basicAuthorization(this.credentials.clientId, this.credentials.clientSecret) },
      body,
      timeoutMs: this.timeoutMs,
      operation: 'The token request',
    });
    const token = tokenOf(answer, base);
    this.log.redactor.add(token.access_token);
    const lifetimeMs = token.expires_in * 1000;
    const expiresAt = requestedAt + lifetimeMs;
    this.log.debug(`obtained an access token from ${base}, valid for ${token.expires_in} s`);
    return { value: token.access_token, expiresAt, renewAt: expiresAt - Math.min(RENEW_MARGIN_MS, lifetimeMs * 0.2) };
  }
}

/** RFC 6749 section 2.3.1: client id and secret form-urlencoded, then joined and base64-encoded. */
function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(clientId)}:${encode(secret)}`)}`;
}

function tokenOf(answer: HttpAnswer, base: string): OAuthTokenResponse {
  const body = answer.json;
  if (answer.status === 200 && isTokenResponse(body)) return body;
  const error = errorBodyOf(answer);
  if ((answer.status === 400 || answer.status === 401) && error) {
    throw new CredentialsRefusedError(answer.status, error.error, error.description);
  }
  if (answer.status === 404 || answer.status === 405 || (answer.status === 200 && !isTokenResponse(body)) || (answer.status < 500 && !error)) {
    throw new NotSignalRServerError(base, `${base}/connect/token answered ${answer.status} without an OAuth token response.`);
  }
  if (answer.status === 429 || answer.status >= 500) {
    throw new TokenUnavailableError(`The token endpoint at ${base} answered ${answer.status}${error?.description ? `: ${error.description}` : ''}.`);
  }
  throw new CredentialsRefusedError(answer.status, error?.error ?? 'unknown', error?.description);
}

function isTokenResponse(body: unknown): body is OAuthTokenResponse {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Partial<Record<keyof OAuthTokenResponse, unknown>>;
  return typeof candidate.access_token === 'string' && candidate.access_token !== ''
    && typeof candidate.expires_in === 'number' && candidate.expires_in > 0;
}
