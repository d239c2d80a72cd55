import { terminalRequests, type TerminalPresenceView, type TerminalRequestName, type TerminalResultOf } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { canAccessLogin, hasScope, type Principal } from '../auth/principal.js';
import { Scope } from '../auth/scopes.js';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import { HubError } from '../hub/hub-error.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { printable } from '../text/printable.js';
import { TerminalGatewayError } from './terminal-gateway-error.js';
import { accountKey, type TerminalPresence } from './terminal-presence.js';

export interface TerminalGatewayOptions {
  /** How long a terminal has to answer a request. */
  requestTimeoutMs: number;
  /** Requests one terminal may have waiting at once; more are refused as busy. */
  maxPendingPerTerminal: number;
  /** Requests this node may have waiting for all terminals at once. */
  maxPending: number;
}

/** Orders change the account: they need the right to publish its events; reading its history needs the right to read. */
const REQUIRED_SCOPE: Record<TerminalRequestName, Scope> = {
  order_send: Scope.TradePublish,
  order_modify: Scope.TradePublish,
  order_close: Scope.TradePublish,
  get_history: Scope.TradeRead,
};

export const DEFAULT_TERMINAL_GATEWAY_OPTIONS: TerminalGatewayOptions = { requestTimeoutMs: 10_000, maxPendingPerTerminal: 16, maxPending: 1_000 };

/**
 * Forwards requests only a terminal can answer (`order_send`, ...) to the account's terminal on
 * whichever node holds its connection (client results through the terminal hub's lifetime
 * manager), and checks its answer. Callers: `/rpc`, `/ws` and the trade hub, all through `request`.
 *
 * Who may: a terminal token reaches its own account's terminal, nothing else (orders need its
 * `trade.publish` scope, history its `trade.read`). OAuth and manager tokens are refused: their
 * scopes say nothing about trading on an account.
 */
export class TerminalGateway {
  private readonly pendingByTerminal = new Map<string, number>();
  private pending = 0;

  constructor(
    private readonly presence: TerminalPresence,
    /** The terminal hub's: it reaches a connection on any node. */
    private readonly lifetimeManager: HubLifetimeManager,
    private readonly options: TerminalGatewayOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * @throws TerminalGatewayError for every reason the terminal's result is not the answer
   * @throws ServiceUnavailableError when presence cannot be read now
   */
  async request<N extends TerminalRequestName>(principal: Principal, platform: string, login: string, name: N, input: unknown): Promise<TerminalResultOf<N>> {
    if (principal.kind !== 'terminal' || !canAccessLogin(principal, platform, login)) {
      throw new TerminalGatewayError('forbidden', 'Only a terminal token of this platform and login may send requests to its terminal.');
    }
    const scope = REQUIRED_SCOPE[name];
    if (!hasScope(principal, scope)) throw new TerminalGatewayError('forbidden', `${name} needs the '${scope}' scope.`);
    const contract = terminalRequests[name];
    const request = contract.request.safeParse(input);
    if (!request.success) throw new TerminalGatewayError('invalid_request', 'The request does not fit the contract.', problemsOf(request.error));
    const holder = await this.presence.find(platform, login);
    if (!holder) throw new TerminalGatewayError('offline', `The terminal of login ${login} is offline.`);
    const answer = await this.limited(accountKey(platform, login), () => this.invoke(holder.connectionId, contract.method, request.data));
    const result = contract.result.safeParse(answer);
    if (!result.success) {
      this.logger.warn({ method: contract.method, account: accountKey(platform, login) }, 'a terminal answered something that is not a result');
      throw new TerminalGatewayError('bad_answer', `The terminal's answer to ${contract.method} is not a valid result.`, problemsOf(result.error));
    }
    return result.data as TerminalResultOf<N>;
  }

  /** Whether the account's terminal is online: for any token that may read the account. */
  async status(principal: Principal, platform: string, login: string): Promise<TerminalPresenceView> {
    if (!hasScope(principal, Scope.TradeRead) || !canAccessLogin(principal, platform, login)) {
      throw new TerminalGatewayError('forbidden', 'This token does not reach that login.');
    }
    const holder = await this.presence.find(platform, login);
    return holder
      ? { online: true, name: holder.name, node: holder.node, since: holder.since }
      : { online: false, name: null, node: null, since: null };
  }

  /** Bounds what waits: per terminal and on this node. */
  private async limited<T>(terminal: string, work: () => Promise<T>): Promise<T> {
    const mine = this.pendingByTerminal.get(terminal) ?? 0;
    if (mine >= this.options.maxPendingPerTerminal || this.pending >= this.options.maxPending) {
      throw new TerminalGatewayError('busy', 'Too many requests are waiting for this terminal; retry when some were answered.');
    }
    this.pendingByTerminal.set(terminal, mine + 1);
    this.pending++;
    try {
      return await work();
    } finally {
      this.pending--;
      const left = (this.pendingByTerminal.get(terminal) ?? 1) - 1;
      if (left === 0) this.pendingByTerminal.delete(terminal);
      else this.pendingByTerminal.set(terminal, left);
    }
  }

  private async invoke(connectionId: string, method: string, request: unknown): Promise<unknown> {
    const { requestTimeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new TerminalGatewayError('timeout', `The terminal did not answer ${method} within ${requestTimeoutMs} ms.`)), requestTimeoutMs);
    });
    try {
      return await Promise.race([this.lifetimeManager.invokeConnection(connectionId, method, [request]), timedOut]);
    } catch (error) {
      throw asGatewayError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function asGatewayError(error: unknown): Error {
  if (error instanceof TerminalGatewayError || error instanceof ServiceUnavailableError) return error;
  // The terminal's own error (its handler threw): its text is for the caller, shortened.
  if (error instanceof HubError) return new TerminalGatewayError('refused', `The terminal refused the request: ${printable(error.message, 300)}`);
  // Its connection ended, or the node holding it is gone, before an answer came.
  return new TerminalGatewayError('offline', 'The terminal went offline before answering.');
}

function problemsOf(error: z.ZodError): Array<{ field: string; message: string }> {
  // Shown to the caller: a terminal's garbage is echoed only as bounded printable text.
  return error.issues.slice(0, 10).map((issue) => ({ field: printable(issue.path.map(String).join('.'), 100), message: printable(issue.message, 200) }));
}
