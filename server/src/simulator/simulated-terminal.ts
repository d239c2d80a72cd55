import { TerminalOfflineReason, terminalRequests, type TerminalRequestName, type TerminalRequestOf } from '@tradehub/shared';
import { HubError } from '../hub/hub-error.js';
import type { HubConnectionSink, HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import type { TerminalSessions } from '../terminal/terminal-sessions.js';
import type { AccountChange } from './simulated-account.js';
import type { TradeSimulator } from './trade-simulator.js';

/** The name the demo's in-process terminal has in `terminal.status` events. */
export const SIMULATED_TERMINAL_NAME = 'Simulated terminal';

const REQUEST_OF_METHOD: Record<string, TerminalRequestName> = Object.fromEntries(
  Object.entries(terminalRequests).map(([name, contract]) => [contract.method, name as TerminalRequestName]),
);

/**
 * The demo's simulated account as a terminal: a connection of the terminal hub that lives in
 * this process (no token, no socket), online while the node runs. Requests reach it like any
 * terminal's, from any node; orders fill at the simulated price, and their events are stored
 * before the result is answered.
 */
export class SimulatedTerminal implements HubConnectionSink {
  readonly connectionId: string;
  readonly userId = undefined;

  private constructor(private readonly simulator: TradeSimulator, private readonly sessions: TerminalSessions, private readonly lifetime: HubLifetimeManager, node: string) {
    this.connectionId = `simulated-terminal-${node}`;
  }

  static async start(simulator: TradeSimulator, sessions: TerminalSessions, lifetime: HubLifetimeManager, node: string): Promise<SimulatedTerminal> {
    const terminal = new SimulatedTerminal(simulator, sessions, lifetime, node);
    await lifetime.onConnected(terminal);
    const { platformId } = simulator;
    await sessions.connect(
      { platform: platformId, login: simulator.account.login, connectionId: terminal.connectionId, node, name: SIMULATED_TERMINAL_NAME, tokenId: null, since: Date.now() },
      () => void terminal.stop(),
    );
    return terminal;
  }

  async stop(): Promise<void> {
    await this.lifetime.onDisconnected(this);
    await this.sessions.disconnect(this.connectionId, TerminalOfflineReason.SimulatorStopped);
  }

  /** Server-to-client sends (none are meant for a terminal) are dropped. */
  write(): void {}

  async invokeClient(method: string, args: unknown[]): Promise<unknown> {
    const { account } = this.simulator;
    switch (REQUEST_OF_METHOD[method]) {
      case 'get_history':
        return account.history(requestOf('get_history', args[0]));
      case 'order_send':
        return this.stored(account.orderSend(requestOf('order_send', args[0])));
      case 'order_modify':
        return this.stored(account.orderModify(requestOf('order_modify', args[0])));
      case 'order_close':
        return this.stored(account.orderClose(requestOf('order_close', args[0])));
      case undefined:
        throw new HubError(`The simulated terminal has no method '${method}'.`);
    }
  }

  private async stored<R>(change: AccountChange<R>): Promise<R> {
    if (change.events.length > 0) await this.simulator.publish(change.events);
    return change.result;
  }
}

/** The gateway checked the request already; checked again here, as any terminal should. */
function requestOf<N extends TerminalRequestName>(name: N, value: unknown): TerminalRequestOf<N> {
  const parsed = terminalRequests[name].request.safeParse(value);
  if (!parsed.success) throw new HubError(`Invalid ${terminalRequests[name].method} request.`);
  return parsed.data as TerminalRequestOf<N>;
}
