import { mtId } from '@tradehub/shared';
import { z } from 'zod';
import { hasScope, type Principal } from '../auth/principal.js';
import { Scope } from '../auth/scopes.js';
import type { TradeQueries } from '../trade/trade-queries.js';
import { BROKER_RETRY_AFTER_SECONDS, TradeRequestError } from '../trade/trade-service.js';
import { jsonRpcMethod, type JsonRpcMethod } from './json-rpc-dispatcher.js';
import { JsonRpcError, JsonRpcErrorCode } from './json-rpc-error.js';

/** What the methods read and call; one set of them serves every transport. */
export interface TradeRpcDependencies {
  queries: TradeQueries;
}

/** The JSON-RPC methods of a caller holding a token, each transport calls them with the caller's principal. */
export type TradeRpcMethodTable = Record<string, JsonRpcMethod<Principal>>;

const platform = z.string().min(1);
const accountParams = { platform, login: mtId };

/**
 * THE method table, by the names terminal gateways use: `POST /rpc` and `/ws` both serve exactly
 * these (`/ws` adds its subscriptions). A method added here appears on both transports.
 */
export function tradeRpcMethods({ queries }: TradeRpcDependencies): TradeRpcMethodTable {
  return {
    get_account_info: tradeMethod(Scope.TradeRead, accountParams, async (principal, params) =>
      (await queries.account(principal, params.platform, params.login)).account),
    get_positions: tradeMethod(Scope.TradeRead, accountParams, async (principal, params) =>
      (await queries.account(principal, params.platform, params.login)).positions),
    get_orders: tradeMethod(Scope.TradeRead, accountParams, async (principal, params) =>
      (await queries.account(principal, params.platform, params.login)).orders),
    get_symbols: tradeMethod(Scope.TradeRead, { platform }, (principal, params) => queries.symbols(principal, params.platform)),
    ping: tradeMethod(undefined, { platform: platform.optional() }, async (principal, params) => ({
      pong: true,
      serverTime: Date.now(),
      ...(params.platform !== undefined
        ? { platform: params.platform, status: await queries.status(principal, params.platform) }
        : {}),
    })),
  };
}

/**
 * A method that needs a scope (when given), checked before its params, and that answers the
 * trade layer's refusals with JSON-RPC errors.
 */
function tradeMethod<S extends z.ZodRawShape>(
  scope: Scope | undefined,
  shape: S,
  handler: (principal: Principal, params: z.output<z.ZodObject<S>>) => Promise<unknown>,
): JsonRpcMethod<Principal> {
  const method = jsonRpcMethod<Principal, S>(shape, handler);
  return {
    paramNames: method.paramNames,
    invoke: async (principal, params) => {
      if (scope !== undefined) requireScope(principal, scope);
      try {
        return await method.invoke(principal, params);
      } catch (error) {
        throw error instanceof TradeRequestError ? tradeRefusal(error) : error;
      }
    },
  };
}

/** @throws JsonRpcError Forbidden when the caller's token lacks `scope` */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) throw new JsonRpcError(JsonRpcErrorCode.Forbidden, `This method needs the '${scope}' scope.`);
}

/** The trade layer's refusal as the JSON-RPC error the caller gets. */
function tradeRefusal(error: TradeRequestError): JsonRpcError {
  switch (error.status) {
    case 400:
      return new JsonRpcError(JsonRpcErrorCode.InvalidParams, 'Invalid params', [{ param: null, message: error.message }]);
    case 403:
      return new JsonRpcError(JsonRpcErrorCode.Forbidden, error.message);
    case 404:
      return new JsonRpcError(JsonRpcErrorCode.NotFound, error.message);
    case 503:
      return new JsonRpcError(JsonRpcErrorCode.Unavailable, error.message, { retryAfterSeconds: BROKER_RETRY_AFTER_SECONDS });
  }
}
