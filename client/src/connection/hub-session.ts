import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import {
  HttpTransportType, HubConnectionBuilder, HubConnectionState, type HubConnection, type IRetryPolicy, type RetryContext,
} from '@microsoft/signalr';
import { ClientClosedError, TokenRefusedError, TradehubError } from '../errors.js';
import type { TokenSource } from '../auth/token-source.js';
import type { ClientLog } from '../logger.js';
import { Emitter } from '../util/emitter.js';
import { sleep, withTimeout } from '../util/timeout.js';
import { Backoff } from './backoff.js';
import { classifyConnectError, TOKEN_ENDED, type ConnectFailure } from './classify-error.js';
import { NodeList } from './node-list.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionStateChange {
  state: ConnectionState;
  /** Base URL of the node connected to, or being tried. */
  node: string;
  /** Why the connection was lost or ended (`reconnecting`, `disconnected`). */
  reason?: TradehubError;
}

export interface HubSessionOptions {
  nodes: NodeList;
  tokens: TokenSource;
  log: ClientLog;
  transport: HttpTransportType;
  protocol: 'json' | 'msgpack';
  statefulReconnect: boolean;
  backoff: Backoff;
  connectTimeoutMs: number;
  /** The hub's path on each node: the trade hub unless given (a terminal connects to the terminal hub). */
  hubPath?: string;
  /** The device a terminal token is bound to. */
  deviceId?: string | undefined;
}

interface SessionEvents {
  state: ConnectionStateChange;
}

/** A refused fresh token this many times in a row means the server will not take this client's tokens. */
const MAX_TOKEN_REFUSALS = 3;

/**
 * Owns the one official `HubConnection` of a client and keeps it connected: the official
 * automatic reconnect (with a backoff-and-jitter policy that moves to the next node after a
 * failed attempt), then, when that gives up or the server closes for good, a reconnect loop of
 * its own, round the nodes. Tokens come from the token source at every (re)connect and are
 * dropped when the server refuses them or ends a connection because they expired.
 * `generation` grows with every new server-side connection: whatever the server kept for the
 * previous one (subscriptions) is gone.
 */
export class HubSession {
  readonly connection: HubConnection;
  readonly events = new Emitter<SessionEvents>();
  private current: ConnectionState = 'connecting';
  private generationCount = 0;
  private closing = false;
  private fatal: TradehubError | undefined;
  private lastToken: string | undefined;
  /** A token source failure during the current attempt: more precise than what the official client makes of it. */
  private tokenFailure: unknown;
  private tokenRefusals = 0;
  private reconnectStartedAt = 0;
  private ownLoop: Promise<void> | undefined;
  private readonly stopped = new AbortController();

  constructor(private readonly options: HubSessionOptions) {
    const retryPolicy: IRetryPolicy = { nextRetryDelayInMilliseconds: (context) => this.nextRetryDelay(context) };
    let builder = new HubConnectionBuilder()
      .withUrl(this.hubUrl(options.nodes.current), {
        transport: options.transport,
        accessTokenFactory: () => this.provideToken(),
      })
      .configureLogging(options.log.signalRLogger())
      .withAutomaticReconnect(retryPolicy);
    if (options.statefulReconnect) builder = builder.withStatefulReconnect();
    if (options.protocol === 'msgpack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
    this.connection = builder.build();
    this.connection.onreconnecting((error) => this.onReconnecting(error));
    this.connection.onreconnected(() => this.onConnected());
    this.connection.onclose((error) => this.onClosed(error));
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Increments at every connect: server-side state of older generations is gone. */
  get generation(): number {
    return this.generationCount;
  }

  get node(): string {
    return this.options.nodes.current;
  }

  /** The token the current connection was opened with, or renewed to in band. */
  get connectionToken(): string | undefined {
    return this.lastToken;
  }

  /** The connection now lives on `token` (an in-band renewal): it is the one to drop when the server ends the connection for it. */
  tokenRenewed(token: string): void {
    this.lastToken = token;
  }

  /**
   * Ends the current connection and connects again through the reconnect loop, with a token
   * from the source: what the client does when an in-band renewal is refused.
   */
  async reconnect(reason: string): Promise<void> {
    if (this.closing || this.current !== 'connected') return;
    this.options.log.info(`reconnecting to ${this.node}: ${reason}`);
    // Without `closing` set, the close this causes starts the reconnect loop (onClosed).
    await this.connection.stop();
  }

  get closedError(): TradehubError | undefined {
    return this.current === 'disconnected' ? (this.fatal ?? new ClientClosedError()) : undefined;
  }

  /**
   * Connects for the first time: each node once, from the first. Refused credentials end it at
   * once; otherwise it fails with the most telling error once every node failed.
   */
  async start(): Promise<void> {
    const failures: ConnectFailure[] = [];
    for (const [index, base] of this.options.nodes.fromCurrent().entries()) {
      if (index > 0) this.options.nodes.advance();
      this.connection.baseUrl = this.hubUrl(base);
      this.emit({ state: 'connecting', node: base });
      let failure = await this.attempt(base);
      // A refused token is retried once with a fresh one before the node counts as failed.
      if (failure?.kind === 'token' && this.options.tokens.renewable) failure = await this.attempt(base);
      if (!failure) {
        this.onConnected();
        return;
      }
      this.options.log.warn(`could not connect to ${base}: ${failure.error.message}`);
      if (failure.kind === 'fatal' || (failure.kind === 'token' && !this.options.tokens.renewable)) {
        this.finish(failure.error);
        throw failure.error;
      }
      failures.push(failure);
    }
    const worst = failures.find((f) => f.kind === 'token') ?? failures.find((f) => f.kind === 'not-signalr') ?? failures[0];
    const error = worst?.error ?? new TradehubError('unreachable', 'No tradehub node could be reached.');
    this.finish(error);
    throw error;
  }

  /** Resolves once connected; rejects when the client ends for good or after `timeoutMs`. */
  whenConnected(timeoutMs: number, operation: string): Promise<void> {
    if (this.current === 'connected') return Promise.resolve();
    const closed = this.closedError;
    if (closed) return Promise.reject(closed);
    let unsubscribe = (): void => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      unsubscribe = this.events.on('state', (change) => {
        if (change.state === 'connected') resolve();
        else if (change.state === 'disconnected') reject(this.closedError ?? new ClientClosedError());
      });
    });
    return withTimeout(ready, timeoutMs, `${operation} (waiting for a connection)`).finally(() => unsubscribe());
  }

  /** Stops for good: no reconnect; waits (bounded) for the connection to close. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopped.abort();
    await withTimeout(this.connection.stop(), this.options.connectTimeoutMs, 'Closing the connection').catch(() => undefined);
    await this.ownLoop;
    this.finish(undefined);
  }

  private hubUrl(base: string): string {
    return NodeList.hubUrl(base, this.options.hubPath, this.options.deviceId);
  }

  private async provideToken(): Promise<string> {
    try {
      const token = await this.options.tokens.token();
      this.lastToken = token;
      return token;
    } catch (error) {
      this.tokenFailure = error;
      throw error;
    }
  }

  /** One start of the official connection, bounded in time; undefined on success. */
  private async attempt(base: string): Promise<ConnectFailure | undefined> {
    this.tokenFailure = undefined;
    try {
      await withTimeout(this.connection.start(), this.options.connectTimeoutMs, `Connecting to ${base}`, () => {
        void this.connection.stop();
      });
      this.tokenRefusals = 0;
      return undefined;
    } catch (error) {
      const failure = classifyConnectError(this.tokenFailure ?? error, base);
      if (failure.kind === 'token') this.onTokenRefused();
      return failure;
    }
  }

  /** The official automatic reconnect asks before each attempt; null ends it (then `onClosed` takes over). */
  private nextRetryDelay(context: RetryContext): number | null {
    if (this.closing) return null;
    if (context.previousRetryCount === 0) this.reconnectStartedAt = Date.now();
    const failure = classifyConnectError(this.tokenFailure ?? context.retryReason, this.node);
    this.tokenFailure = undefined;
    if (failure.kind === 'token') {
      this.onTokenRefused();
      if (!this.options.tokens.renewable || this.tokenRefusals > MAX_TOKEN_REFUSALS) {
        this.fatal = failure.error;
        return null;
      }
    }
    if (failure.kind === 'fatal') {
      this.fatal = failure.error;
      return null;
    }
    if (Date.now() - this.reconnectStartedAt > this.options.backoff.maxElapsedMs) {
      this.fatal = giveUpError(this.options.backoff.maxElapsedMs, failure.error);
      return null;
    }
    // The first attempt goes back to the same node (a token renewal, a restart); later ones move on.
    // The url can only change once the connection is in the Reconnecting state, i.e. after the first call.
    if (context.previousRetryCount > 0 && this.options.nodes.size > 1 && this.connection.state === HubConnectionState.Reconnecting) {
      this.connection.baseUrl = this.hubUrl(this.options.nodes.advance());
    }
    return this.options.backoff.delay(context.previousRetryCount);
  }

  private onTokenRefused(): void {
    this.tokenRefusals++;
    this.options.tokens.invalidate(this.lastToken);
  }

  private onReconnecting(error: Error | undefined): void {
    const reason = error ? classifyConnectError(error, this.node).error : undefined;
    if (error && TOKEN_ENDED.test(error.message)) this.options.tokens.invalidate(this.lastToken);
    this.options.log.info(`connection to ${this.node} lost${reason ? ` (${reason.message})` : ''}; reconnecting`);
    this.emit({ state: 'reconnecting', node: this.node, ...(reason ? { reason } : {}) });
  }

  private onConnected(): void {
    this.generationCount++;
    this.tokenRefusals = 0;
    this.options.log.info(`connected to ${this.node}`);
    this.emit({ state: 'connected', node: this.node });
  }

  /** The official client gave up or the server closed for good: reconnect here, unless closing or fatal. */
  private onClosed(error: Error | undefined): void {
    if (this.closing) return;
    if (this.fatal) {
      this.finish(this.fatal);
      return;
    }
    const reason = error ? classifyConnectError(error, this.node) : undefined;
    // A close that says coming back cannot help (a terminal replaced by a newer connection of it).
    if (reason?.kind === 'fatal') {
      this.finish(reason.error);
      return;
    }
    if (reason?.kind === 'token') this.onTokenRefused();
    this.ownLoop = this.reconnectLoop(reason?.error);
  }

  private async reconnectLoop(reason: TradehubError | undefined): Promise<void> {
    const startedAt = Date.now();
    this.emit({ state: 'reconnecting', node: this.node, ...(reason ? { reason } : {}) });
    for (let attempt = 0; !this.closing; attempt++) {
      if (Date.now() - startedAt > this.options.backoff.maxElapsedMs) {
        this.finish(giveUpError(this.options.backoff.maxElapsedMs, reason));
        return;
      }
      await sleep(this.options.backoff.delay(attempt), this.stopped.signal);
      if (this.closing) return;
      if (attempt > 0) this.options.nodes.advance();
      const base = this.options.nodes.current;
      this.connection.baseUrl = this.hubUrl(base);
      const failure = await this.attempt(base);
      if (this.closing) return;
      if (!failure) {
        this.ownLoop = undefined;
        this.onConnected();
        return;
      }
      this.options.log.info(`reconnect attempt to ${base} failed: ${failure.error.message}`);
      const tokenFatal = failure.kind === 'token' && (!this.options.tokens.renewable || this.tokenRefusals > MAX_TOKEN_REFUSALS);
      if (failure.kind === 'fatal' || tokenFatal) {
        this.finish(failure.kind === 'token' ? new TokenRefusedError(base, failure.error.message) : failure.error);
        return;
      }
      reason = failure.error;
    }
  }

  private finish(reason: TradehubError | undefined): void {
    if (this.current === 'disconnected') return;
    if (reason) this.fatal ??= reason;
    this.options.log.info(`disconnected${reason ? `: ${reason.message}` : ''}`);
    this.emit({ state: 'disconnected', node: this.node, ...(reason ? { reason } : {}) });
  }

  private emit(change: ConnectionStateChange): void {
    this.current = change.state;
    this.events.emit('state', change);
  }
}

function giveUpError(maxElapsedMs: number, last: TradehubError | undefined): TradehubError {
  return new TradehubError('unreachable', `Gave up reconnecting after ${maxElapsedMs} ms${last ? `: ${last.message}` : ''}.`, { cause: last });
}
