import { TerminalHubMethod, TerminalOfflineReason, type PublishResult } from '@tradehub/shared';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { Scope } from '../auth/scopes.js';
import { defineHub, hubMethod, type HubConnectionHookContext, type HubDefinition } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';
import { forCaller } from '../trade/trade-hub.js';
import type { TradeService } from '../trade/trade-service.js';
import type { TerminalHolder } from './terminal-presence.js';
import type { CloseTerminal, TerminalSessions } from './terminal-sessions.js';

export interface TerminalHubOptions {
  node: string;
  sessions: TerminalSessions;
  trade: TradeService;
  /** The terminal token's name, for status events. */
  nameOf(tokenId: string): Promise<string>;
  /** Closes a connection of this hub on this node with an error and no reconnect. */
  closeConnection(connectionId: string, error: string): void;
}

/**
 * The terminal hub (`/hubs/terminal`): a connection with a terminal token is its account's
 * terminal, online until it ends. The hub forwards gateway requests to it as client results
 * (`OrderSend`, ...); the terminal publishes its account's events here or on the trade hub.
 * Only terminal tokens get this far (the endpoint's authenticator refuses the others).
 */
export function terminalHub(options: TerminalHubOptions): HubDefinition {
  return defineHub({
    methods: {
      [TerminalHubMethod.Publish]: hubMethod([z.unknown()], (context, events): Promise<PublishResult> =>
        forCaller(() => options.trade.publish(context.user, events)), { requiredScope: Scope.TradePublish }),
    },
    onConnected: async (context) => {
      const holder = await holderOf(context, options);
      const close: CloseTerminal = (error) => options.closeConnection(context.connectionId, error);
      await options.sessions.connect(holder, close, context.user);
    },
    onDisconnected: (context) => options.sessions.disconnect(context.connectionId, disconnectReason(context.user)),
  });
}

async function holderOf(context: HubConnectionHookContext, options: TerminalHubOptions): Promise<TerminalHolder> {
  const { platform, login, tokenId } = terminalAccountOf(context.user);
  return { platform, login, connectionId: context.connectionId, node: options.node, name: await options.nameOf(tokenId), tokenId, since: Date.now() };
}

/** The one account a terminal token stands for. */
function terminalAccountOf(user: Principal | undefined): { platform: string; login: string; tokenId: string } {
  const platform = user?.platforms[0];
  const login = user?.logins?.[0];
  if (user?.kind !== 'terminal' || platform === undefined || login === undefined) throw new HubError('The terminal hub takes terminal tokens only.');
  return { platform, login, tokenId: user.tokenId };
}

function disconnectReason(user: Principal | undefined): TerminalOfflineReason {
  return user?.expiresAt !== undefined && user.expiresAt <= Date.now() ? TerminalOfflineReason.TokenExpired : TerminalOfflineReason.Disconnected;
}
