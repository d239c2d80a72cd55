import { TERMINAL_REPLACED_CLOSE_ERROR, type TerminalOfflineReason, type TerminalStatus } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { LostAccess } from '../connections/connection-registry.js';
import type { TradeBroker } from '../trade/broker/trade-broker.js';
import { accountKey, type TerminalHolder, type TerminalPresence } from './terminal-presence.js';

/** Closes a terminal's connection on this node with an error the terminal sees. */
export type CloseTerminal = (error: string) => void;

/**
 * The terminals connected to this node: each comes online in the presence registry (replacing an
 * older connection of its account, on whichever node), and `terminal.status` online/offline goes
 * to its platform's status topic. Only this class publishes `terminal.status`.
 */
export class TerminalSessions {
  /**
   * Local terminal connections by connection id, with how to close each, who it is (none for an
   * in-process terminal) and, once its access was lost, why (its offline event says so).
   */
  private readonly local = new Map<string, { holder: TerminalHolder; close: CloseTerminal; user?: Principal; lostAccess?: TerminalOfflineReason }>();

  constructor(
    private readonly presence: TerminalPresence,
    private readonly broker: TradeBroker,
    private readonly logger: Logger,
  ) {
    presence.onDisplaced((holder) => this.closeDisplaced(holder));
  }

  /** The terminal is online: it replaces any earlier connection of its account, here or on another node. */
  async connect(holder: TerminalHolder, close: CloseTerminal, user?: Principal): Promise<void> {
    this.local.set(holder.connectionId, { holder, close, ...(user ? { user } : {}) });
    try {
      const previous = await this.presence.claim(holder);
      if (previous && previous.connectionId !== holder.connectionId) {
        this.logger.info({ account: accountKey(holder.platform, holder.login), previousNode: previous.node }, 'a terminal connection replaced an older one');
        await this.presence.displace(previous);
      }
    } catch (error) {
      // The connection is refused (its disconnect hook will not run): nothing of it may stay.
      this.local.delete(holder.connectionId);
      await this.presence.release(holder.platform, holder.login, holder.connectionId).catch(() => undefined);
      throw error;
    }
    await this.publishStatus(holder, 'online');
  }

  /**
   * Access was lost (a revoked or replaced token, device, account or organization): the local
   * terminals it concerns, about to be closed, go offline saying why rather than `disconnected`.
   */
  noteLostAccess(lost: LostAccess): void {
    for (const session of this.local.values()) {
      if (session.user && lost.matches(session.user)) session.lostAccess = lost.cause;
    }
  }

  /** The connection ended: the terminal is offline unless a newer connection already replaced it. */
  async disconnect(connectionId: string, reason: TerminalOfflineReason): Promise<void> {
    const session = this.local.get(connectionId);
    if (!session) return;
    this.local.delete(connectionId);
    const { holder } = session;
    if (await this.presence.release(holder.platform, holder.login, connectionId)) await this.publishStatus(holder, 'offline', session.lostAccess ?? reason);
  }

  private closeDisplaced(holder: TerminalHolder): void {
    const session = this.local.get(holder.connectionId);
    if (!session) return;
    // Not offline: the account's newer connection is its terminal now.
    this.local.delete(holder.connectionId);
    session.close(TERMINAL_REPLACED_CLOSE_ERROR);
  }

  private async publishStatus(holder: TerminalHolder, state: TerminalStatus['state'], reason?: TerminalOfflineReason): Promise<void> {
    const data: TerminalStatus = {
      state, platform: holder.platform, login: holder.login, name: holder.name, tokenId: holder.tokenId, node: holder.node,
      ...(reason !== undefined ? { reason } : {}), time: Date.now(),
    };
    try {
      await this.broker.publish([{ type: 'terminal.status', platformId: holder.platform, data }]);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message, state }, 'could not publish a terminal status');
    }
  }
}
