import {
  TradeClientMethod, TradeHubMethod as M, type ConnectionStatus, type ServerInfo,
} from '@tradehub/shared';
import { z } from 'zod';
import { Scope } from '../auth/scopes.js';
import type { Directory } from '../config/directory.js';
import { defineHub, hubMethod, type HubDefinition } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';
import { TRADEHUB_VERSION } from '../node-identity.js';
import { TradeRequestError, type TradeService } from './trade-service.js';

const topicList = z.array(z.string().max(256)).min(1).max(100);
const resumePositions = z.record(z.string().max(256), z.object({
  epoch: z.string().max(64),
  seq: z.number().int().nonnegative(),
})).optional();

/** The trade hub (`/hubs/trade`): server information, topic subscriptions with snapshots and replay, publishing. */
export function tradeHub(node: string, directory: Directory, trade: TradeService): HubDefinition {
  return defineHub({
    methods: {
      [M.GetServerInfo]: hubMethod([], (): ServerInfo => ({ nodeId: node, version: TRADEHUB_VERSION, serverTime: Date.now() })),
      /** What the caller's token grants: the same for every kind of token. */
      [M.GetMyAccess]: hubMethod([], ({ user }) => user && {
        subject: user.id,
        kind: user.kind,
        organization: user.organization,
        scopes: user.scopes,
        platforms: user.platforms,
        logins: user.logins ?? null,
        expiresAt: user.expiresAt ?? null,
      }),
      [M.GetPlatforms]: hubMethod([], ({ user }) => (user?.platforms ?? []).flatMap((id) => {
        const platform = directory.platform(id);
        return platform ? [{ id: platform.id, name: platform.name ?? platform.id, kind: platform.kind }] : [];
      }), { requiredScope: Scope.TradeRead }),
      [M.Subscribe]: hubMethod([topicList, resumePositions], (context, topics, resume) =>
        trade.subscribe(context, topics, resume), { requiredScope: Scope.TradeRead }),
      [M.Unsubscribe]: hubMethod([topicList], (context, topics) => trade.unsubscribe(context.connection, topics)),
      [M.Publish]: hubMethod([z.unknown()], async (context, events) => {
        try {
          return await trade.publish(context.user, events);
        } catch (error) {
          if (error instanceof TradeRequestError) throw new HubError(error.message);
          throw error;
        }
      }, { requiredScope: Scope.TradePublish }),
    },
    onConnected: async (context) => {
      const status: ConnectionStatus = {
        connectionId: context.connectionId,
        nodeId: node,
        serverTime: Date.now(),
        subject: context.user?.id ?? '',
        organization: context.user?.organization ?? '',
        scopes: [...(context.user?.scopes ?? [])],
        platforms: [...(context.user?.platforms ?? [])],
      };
      await context.clients.caller.send(TradeClientMethod.OnConnectionStatus, status);
    },
    onDisconnected: (context) => trade.disconnect(context.connection),
  });
}
