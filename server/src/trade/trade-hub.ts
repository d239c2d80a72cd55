import {
  subscribeOptionsSchema, TradeClientMethod, TradeHubMethod as M, tradeEventInputSchema, type ConnectionStatus, type TradeHubResult, type TradeHubUploads,
} from '@tradehub/shared';
import { z } from 'zod';
import type { Authenticator } from '../auth/authenticator.js';
import { MAX_TOKEN_LENGTH } from '../auth/access-token-service.js';
import { Scope } from '../auth/scopes.js';
import type { Directory } from '../config/directory.js';
import { clientStream, defineHub, hubMethod, streamHubMethod, type HubContext, type HubDefinition } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';
import { TRADEHUB_VERSION } from '../node-identity.js';
import { TradeRequestError, type TradeService, type TradeSubscriber } from './trade-service.js';
import { terminalHubMethod } from '../terminal/terminal-hub-methods.js';
import type { TerminalGateway } from '../terminal/terminal-gateway.js';
import { renewConnectionToken } from './connection-token-renewal.js';

/** Lengths are checked by the trade service against the configured limit (`limits.topicNameLength`). */
const topicName = z.string();
const topicPosition = z.object({
  epoch: z.string().max(64),
  seq: z.number().int().nonnegative(),
});
export const topicList = z.array(topicName).min(1).max(100);
/** Null as well as absent: a caller that passes options after no resume positions sends null in their place. */
export const resumePositions = z.record(topicName, topicPosition).nullish();

/** Runs trade logic for a hub caller: refusals meant for the caller become HubErrors, which reach the client. */
export async function forCaller<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TradeRequestError) throw new HubError(error.message);
    throw error;
  }
}

/** A hub caller as a subscriber of the trade service. */
function subscriberOf(context: HubContext, trade: TradeService): TradeSubscriber {
  return {
    consumer: trade.consumerOf(context.connection),
    // Read at each use: a token renewal during the call may narrow the caller's access.
    get user() {
      return context.user;
    },
    connectionAborted: context.connectionAborted,
    afterCompletion: (callback) => context.afterCompletion(callback),
  };
}

/**
 * The trade hub (`/hubs/trade`): server information, topic subscriptions and streams with snapshots and replay, publishing.
 * Handlers return the types of `TradeHubInvocations` (shared with the typed client), so that a contract change breaks this build too.
 */
export function tradeHub(node: string, directory: Directory, trade: TradeService, gateway: TerminalGateway, authenticator: Authenticator): HubDefinition {
  return defineHub({
    methods: {
      [M.GetServerInfo]: hubMethod([], (): TradeHubResult<'GetServerInfo'> => ({ nodeId: node, version: TRADEHUB_VERSION, serverTime: Date.now() })),
      /** What the caller's token grants: the same for every kind of token. */
      [M.GetMyAccess]: hubMethod([], ({ user }): TradeHubResult<'GetMyAccess'> => user ? {
        subject: user.id,
        kind: user.kind,
        organization: user.organization,
        scopes: [...user.scopes],
        platforms: [...user.platforms],
        logins: user.logins ? [...user.logins] : null,
        expiresAt: user.expiresAt ?? null,
      } : null),
      [M.GetPlatforms]: hubMethod([], ({ user }): TradeHubResult<'GetPlatforms'> => (user?.platforms ?? []).flatMap((id) => {
        const platform = directory.platform(id);
        return platform ? [{ id: platform.id, name: platform.name ?? platform.id, kind: platform.kind }] : [];
      }), { requiredScope: Scope.TradeRead }),
      [M.Subscribe]: hubMethod([topicList, resumePositions, subscribeOptionsSchema.nullish()], (context, topics, resume, options): Promise<TradeHubResult<'Subscribe'>> =>
        trade.subscribe(subscriberOf(context, trade), topics, resume ?? {}, options ?? {}), { requiredScope: Scope.TradeRead }),
      [M.Unsubscribe]: hubMethod([topicList], (context, topics): Promise<TradeHubResult<'Unsubscribe'>> =>
        trade.unsubscribe(trade.consumerOf(context.connection), topics)),
      [M.Publish]: hubMethod([z.unknown()], (context, events): Promise<TradeHubResult<'Publish'>> =>
        forCaller(() => trade.publish(context.user, events)), { requiredScope: Scope.TradePublish }),
      [M.StreamTopic]: streamHubMethod([topicName, topicPosition.optional()], (context, topic, resume) =>
        forCaller(() => trade.streamTopic(context, topic, resume)), { requiredScope: Scope.TradeRead }),
      [M.PublishStream]: hubMethod([clientStream(tradeEventInputSchema)], (context, events): Promise<TradeHubUploads['PublishStream']['result']> =>
        forCaller(() => trade.publishStream(context.user, events)), { requiredScope: Scope.TradePublish }),
      [M.OrderSend]: terminalHubMethod(gateway, 'order_send'),
      [M.OrderModify]: terminalHubMethod(gateway, 'order_modify'),
      [M.OrderClose]: terminalHubMethod(gateway, 'order_close'),
      [M.GetHistory]: terminalHubMethod(gateway, 'get_history'),
      [M.RenewToken]: hubMethod([z.string().min(1).max(MAX_TOKEN_LENGTH)], (context, token): Promise<TradeHubResult<'RenewToken'>> =>
        renewConnectionToken(authenticator, trade, context, token)),
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
    onDisconnected: (context) => trade.disconnect(trade.consumerOf(context.connection)),
  });
}
