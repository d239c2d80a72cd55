import { subscribeOptionsSchema, type WsOnlyRpcMethods } from '@tradehub/shared';
import { Scope } from '../auth/scopes.js';
import { jsonRpcMethod, withContext, type JsonRpcMethod } from '../json-rpc/json-rpc-dispatcher.js';
import { JsonRpcError, JsonRpcErrorCode } from '../json-rpc/json-rpc-error.js';
import { requireScope, type TradeRpcMethodTable } from '../json-rpc/trade-rpc-methods.js';
import { checkReadAccess } from '../trade/topic-access.js';
import { resumePositions, topicList } from '../trade/trade-hub.js';
import type { TradeService } from '../trade/trade-service.js';
import type { WsRpcCall } from './ws-rpc-call.js';

/**
 * The methods of `/ws`: every method of the shared table (exactly as `POST /rpc` serves them),
 * and the subscriptions, which need a connection to deliver their events on.
 */
export function wsRpcMethods(shared: TradeRpcMethodTable, trade: TradeService): Record<string, JsonRpcMethod<WsRpcCall>> {
  const subscriptions: Record<keyof WsOnlyRpcMethods, JsonRpcMethod<WsRpcCall>> = {
    subscribe: jsonRpcMethod({ topics: topicList, resume: resumePositions, ...subscribeOptionsSchema.shape }, (call, params): Promise<WsOnlyRpcMethods['subscribe']['result']> => {
      requireScope(call.principal, Scope.TradeRead);
      // A topic the token may not read refuses the whole call, before anything is subscribed:
      // a script learns of its mistake at once instead of in one entry of a list.
      const refused = params.topics.flatMap((topic) => {
        const access = checkReadAccess(call.principal, topic);
        return access.ok ? [] : [{ topic, error: access.error }];
      });
      if (refused.length > 0) {
        throw new JsonRpcError(JsonRpcErrorCode.Forbidden, refused.length === 1 ? refused[0]?.error ?? '' : 'Access to some topics is not allowed.', { refused });
      }
      const { topics, resume, ...options } = params;
      return trade.subscribe(call, topics, resume ?? {}, options);
    }),
    unsubscribe: jsonRpcMethod({ topics: topicList }, async (call, params): Promise<WsOnlyRpcMethods['unsubscribe']['result']> => {
      await trade.unsubscribe(call.consumer, params.topics);
      return null;
    }),
  };
  return { ...withContext(shared, (call: WsRpcCall) => call.principal), ...subscriptions };
}
