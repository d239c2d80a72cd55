import {
  TERMINAL_HUB_PATH, terminalRequests, type PublishResult, type TerminalRequestName, type TerminalRequestOf, type TerminalResultOf, type TradeEventInput,
} from '@tradehub/shared';
import { FactoryTokenSource } from '../auth/factory-token-source.js';
import { FixedTokenSource, type TokenSource } from '../auth/token-source.js';
import { Backoff } from '../connection/backoff.js';
import { HubSession, type ConnectionState, type ConnectionStateChange } from '../connection/hub-session.js';
import { NodeList } from '../connection/node-list.js';
import { ConfigurationError } from '../errors.js';
import { TypedHub } from '../hub/typed-hub.js';
import { ClientLog, Redactor } from '../logger.js';
import { resolveOptions, type ConnectOptions } from '../options.js';
import { publishEvents, type PublishOptions } from '../publishing/publish-call.js';
import { schemaIssues } from '../util/schema-issues.js';

/** One handler per request the terminal answers; a request without one is refused with a clear error. */
export type TerminalHandlers = {
  [N in TerminalRequestName as HandlerName<N>]?: (request: TerminalRequestOf<N>) => TerminalResultOf<N> | Promise<TerminalResultOf<N>>;
};

/** `order_send` → `orderSend`, as the client names its methods. */
type HandlerName<N extends string> = N extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<HandlerName<Tail>>}` : N;

const HANDLER_NAMES: { [N in TerminalRequestName]: HandlerName<N> } = {
  order_send: 'orderSend', order_modify: 'orderModify', order_close: 'orderClose', get_history: 'getHistory',
};

/** What `connectTerminal` takes: a terminal token (fixed or from a factory) and the request handlers. */
export interface TerminalConnectOptions extends Pick<ConnectOptions, 'url' | 'token' | 'tokenFactory' | 'deviceId' | 'protocol' | 'transport' | 'logger' | 'timeouts' | 'reconnect'> {
  handlers: TerminalHandlers;
}

/**
 * A program acting as an account's terminal (`connectTerminal`): connected to the terminal hub
 * with the account's terminal token, it is the account's terminal while connected (reconnecting
 * as the trade client does), answers the requests tradehub forwards to it with its `handlers`,
 * and publishes its account's events. A newer connection of the same terminal replaces it: it
 * then ends (`disconnected`) instead of taking the account back.
 */
export class TradehubTerminal {
  private constructor(private readonly session: HubSession, private readonly hub: TypedHub, private readonly backoff: Backoff, private readonly tokens: TokenSource) {}

  static async connect(options: TerminalConnectOptions): Promise<TradehubTerminal> {
    if ((options as ConnectOptions).credentials !== undefined) throw new ConfigurationError('A terminal connects with its terminal token: give `token` or `tokenFactory`.');
    const resolved = resolveOptions(options);
    const nodes = new NodeList(options.url);
    const redactor = new Redactor();
    const log = new ClientLog(options.logger, redactor);
    const tokens: TokenSource = options.tokenFactory
      ? new FactoryTokenSource(options.tokenFactory, redactor, resolved.requestTimeoutMs)
      : new FixedTokenSource(options.token as string);
    if (options.token !== undefined) redactor.add(options.token);
    const backoff = new Backoff(options.reconnect);
    const session = new HubSession({
      nodes, tokens, log, backoff, hubPath: TERMINAL_HUB_PATH, deviceId: resolved.deviceId,
      transport: resolved.transport, protocol: resolved.protocol, statefulReconnect: resolved.statefulReconnect, connectTimeoutMs: resolved.connectTimeoutMs,
    });
    for (const name of Object.keys(terminalRequests) as TerminalRequestName[]) {
      session.connection.on(terminalRequests[name].method, (request: unknown) => answer(name, options.handlers, request));
    }
    session.events.on('state', (change) => {
      if (change.state === 'disconnected') tokens.close();
    });
    try {
      await session.start();
    } catch (error) {
      tokens.close();
      throw error;
    }
    // The terminal hub's `Publish` is the trade hub's, limited to the terminal's own account.
    return new TradehubTerminal(session, new TypedHub(session, resolved.requestTimeoutMs), backoff, tokens);
  }

  get connectionState(): ConnectionState {
    return this.session.state;
  }

  /** Each connection state change (`disconnected` is final, with why: replaced, token refused, ...). */
  onConnection(listener: (change: ConnectionStateChange) => void): () => void {
    return this.session.events.on('state', listener);
  }

  /** Publishes the account's events (order, deal, position, account...), as `TradehubClient.publish`. */
  publish(events: readonly TradeEventInput[], options?: PublishOptions): Promise<PublishResult> {
    return publishEvents(this.hub, this.backoff, events, options);
  }

  /** Disconnects for good: the terminal goes offline. */
  async close(): Promise<void> {
    await this.session.close();
    this.tokens.close();
  }
}

/**
 * Answers one forwarded request: checks it, runs the handler, checks its result. A throw reaches
 * the caller as the terminal's refusal (its message, not a stack).
 */
async function answer<N extends TerminalRequestName>(name: N, handlers: TerminalHandlers, raw: unknown): Promise<TerminalResultOf<N>> {
  const contract = terminalRequests[name];
  const handler = handlers[HANDLER_NAMES[name]] as ((request: TerminalRequestOf<N>) => TerminalResultOf<N> | Promise<TerminalResultOf<N>>) | undefined;
  if (!handler) throw new Error(`This terminal does not handle ${contract.method}.`);
  const request = contract.request.safeParse(raw);
  if (!request.success) throw new Error(`Invalid ${contract.method} request: ${schemaIssues(request.error)}`);
  const result = contract.result.safeParse(await handler(request.data as TerminalRequestOf<N>));
  if (!result.success) throw new Error(`The terminal's ${contract.method} handler returned an invalid result: ${schemaIssues(result.error)}`);
  return result.data as TerminalResultOf<N>;
}

/** Connects a terminal (see `TradehubTerminal`). @throws as `connect` */
export function connectTerminal(options: TerminalConnectOptions): Promise<TradehubTerminal> {
  return TradehubTerminal.connect(options);
}
