import type { ConnectionRegistry, LostAccess } from '../connections/connection-registry.js';
import type { TerminalSessions } from './terminal-sessions.js';

/**
 * The terminal hub's connections as a registry of lost access: the sessions learn why before the
 * hub closes the connections, so that each terminal's `offline` event names the cause
 * (`device revoked`, `revoked`, ...) instead of a plain `disconnected`.
 */
export class TerminalAccessRegistry implements ConnectionRegistry {
  constructor(private readonly hub: ConnectionRegistry, private readonly sessions: TerminalSessions) {}

  closeLost(lost: LostAccess): number {
    this.sessions.noteLostAccess(lost);
    return this.hub.closeLost(lost);
  }
}
