import type { TokenRenewal } from '@tradehub/shared';
import type { TokenSource } from '../auth/token-source.js';
import type { ClientLog } from '../logger.js';
import { jwtExpiry } from '../util/jwt-expiry.js';
import { unrefTimer } from '../util/timeout.js';

/** Renew this long before the connection's token expires, but never earlier than at 80% of its remaining lifetime. */
const RENEW_MARGIN_MS = 60_000;
/** When the token source has nothing newer yet, ask it again this long later at the soonest. */
const RETRY_MIN_MS = 500;

/** What the renewal needs of the client's connection. */
export interface RenewableConnection {
  /** The token the current connection was opened with, or last renewed to. */
  readonly connectionToken: string | undefined;
  /** `RenewToken(token)` on the hub. */
  renewToken(token: string): Promise<TokenRenewal>;
  /** The server accepted `renewal` for `token`: the connection now lives on it. */
  tokenRenewed(token: string, renewal: TokenRenewal): void;
  /** Drops the connection and connects again (with a fresh token from the source), as after a lost connection. */
  reconnect(reason: string): Promise<void>;
}

/**
 * Keeps a live connection's token fresh without reconnecting: shortly before the token expires
 * (RENEW_MARGIN_MS before, or at 80% of its remaining lifetime for short tokens) it takes a new
 * token from the token source and hands it to the hub's `RenewToken`. When the server refuses it,
 * the client reconnects with a fresh token instead; when the source has nothing newer, it asks
 * again until expiry, after which the server closes the connection and the usual reconnect runs.
 * Tokens without a readable expiry (terminal tokens) and fixed tokens are never renewed.
 */
export class InBandTokenRenewal {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Grows whenever the connection changes: an outcome of an older round is ignored. */
  private round = 0;

  constructor(
    private readonly connection: RenewableConnection,
    private readonly tokens: TokenSource,
    private readonly log: ClientLog,
  ) {}

  /** A connection (re)opened: plan the renewal of its token. */
  connected(): void {
    this.stop();
    const token = this.connection.connectionToken;
    const expiresAt = token === undefined ? undefined : jwtExpiry(token);
    if (token === undefined || expiresAt === undefined || !this.tokens.renewable) return;
    this.schedule(token, expiresAt, renewalTime(expiresAt, Date.now()));
  }

  /** The connection is gone (or the client closes): nothing to renew until the next one. */
  stop(): void {
    this.round++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(current: string, expiresAt: number, at: number): void {
    const round = this.round;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.renew(round, current, expiresAt);
    }, Math.max(0, at - Date.now()));
    unrefTimer(this.timer);
  }

  private async renew(round: number, current: string, expiresAt: number): Promise<void> {
    let next: string;
    try {
      next = await this.tokens.token(current);
    } catch (error) {
      this.log.warn(`no token for an in-band renewal (${(error as Error).message}); the connection reconnects when its token expires`);
      return;
    }
    if (round !== this.round) return;
    const nextExpiry = jwtExpiry(next);
    if (nextExpiry === undefined || nextExpiry <= expiresAt) {
      // Nothing newer yet (a factory that caches): ask again halfway to the expiry.
      const left = expiresAt - Date.now();
      if (left > 2 * RETRY_MIN_MS) this.schedule(current, expiresAt, Date.now() + Math.max(RETRY_MIN_MS, left / 2));
      return;
    }
    let renewal: TokenRenewal;
    try {
      renewal = await this.connection.renewToken(next);
    } catch (error) {
      if (round !== this.round) return;
      this.log.warn(`the server refused the in-band token renewal (${(error as Error).message}); reconnecting with a fresh token`);
      this.tokens.invalidate(next);
      await this.connection.reconnect('in-band token renewal refused');
      return;
    }
    if (round !== this.round) return;
    this.log.debug('renewed the connection\'s token in band');
    this.connection.tokenRenewed(next, renewal);
    this.schedule(next, nextExpiry, renewalTime(nextExpiry, Date.now()));
  }
}

/** When to renew a token that expires at `expiresAt`, seen at `now`. */
function renewalTime(expiresAt: number, now: number): number {
  return expiresAt - Math.min(RENEW_MARGIN_MS, Math.max(0, expiresAt - now) * 0.2);
}
