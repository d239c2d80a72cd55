import { mtId, terminalRequests, type TerminalRequestName } from '@tradehub/shared';
import { z } from 'zod';
import { hasScope, type Principal } from '../auth/principal.js';
import { Scope } from '../auth/scopes.js';
import type { TerminalGateway } from '../terminal/terminal-gateway.js';
import { TerminalGatewayError } from '../terminal/terminal-gateway-error.js';
import type { TradeQueries } from '../trade/trade-queries.js';
import { BROKER_RETRY_AFTER_SECONDS, TradeRequestError } from '../trade/trade-service.js';
import { jsonRpcMethod, type JsonRpcMethod } from './json-rpc-dispatcher.js';
import { JsonRpcError, JsonRpcErrorCode } from './json-rpc-error.js';

/** What the methods read and call; one set of them serves every transport. */
export interface TradeRpcDependencies {
  queries: TradeQueries;
  /** Forwards the requests only a terminal can answer (`order_send`, ...) to it. */
  gateway: TerminalGateway;
}

/** The JSON-RPC methods of a caller holding a token, each transport calls them with the caller's principal. */
export type TradeRpcMethodTable = Record<string, JsonRpcMethod<Principal>>;

const platform = z.string().min(1);
const accountParams = { platform, login: mtId };

/**
 * THE method table, by the names terminal gateways use: `POST /rpc` and `/ws` both serve exactly
 * these (`/ws` adds its subscriptions). A method added here appears on both transports.
 */
export function tradeRpcMethods({ queries, gateway }: TradeRpcDependencies): TradeRpcMethodTable {
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
    order_send: terminalMethod(gateway, 'order_send'),
    order_modify: terminalMethod(gateway, 'order_modify'),
    order_close: terminalMethod(gateway, 'order_close'),
    get_history: terminalMethod(gateway, 'get_history'),
    get_terminal_status: tradeMethod(Scope.TradeRead, accountParams, (principal, params) =>
      fromGateway(() => gateway.status(principal, params.platform, params.login))),
  };
}

/**
 * A request forwarded to the account's terminal: `platform` and `login` name the account, every
 * other param is the request (the shared contract checks it).
 */
function terminalMethod(gateway: TerminalGateway, name: TerminalRequestName): JsonRpcMethod<Principal> {
  const target = jsonRpcMethod<Principal, typeof accountParams>(accountParams, (_principal, params) => params);
  return {
    paramNames: [...target.paramNames, ...Object.keys(terminalRequests[name].request.shape)],
    invoke: async (principal, params) => {
      const { platform: platformId, login, ...request } = params;
      const account = await target.invoke(principal, { platform: platformId, login }) as z.output<z.ZodObject<typeof accountParams>>;
      return fromGateway(() => gateway.request(principal, account.platform, account.login, name, request));
    },
  };
}

/** Runs gateway work; its refusals become their documented JSON-RPC errors. */
async function fromGateway<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof TerminalGatewayError ? terminalRefusal(error) : error;
  }
}

/** Each way a terminal request fails, as its documented JSON-RPC code. */
function terminalRefusal(error: TerminalGatewayError): JsonRpcError {
  switch (error.failure) {
    case 'forbidden':
      return new JsonRpcError(JsonRpcErrorCode.Forbidden, error.message);
    case 'invalid_request':
      return new JsonRpcError(JsonRpcErrorCode.InvalidParams, 'Invalid params', error.problems?.map((problem) => ({ param: problem.field || null, message: problem.message })));
    case 'offline':
      return new JsonRpcError(JsonRpcErrorCode.TerminalOffline, error.message);
    case 'timeout':
      return new JsonRpcError(JsonRpcErrorCode.TerminalTimeout, error.message);
    case 'bad_answer':
      return new JsonRpcError(JsonRpcErrorCode.TerminalBadAnswer, error.message, { problems: error.problems ?? [] });
    case 'refused':
      return new JsonRpcError(JsonRpcErrorCode.TerminalRefused, error.message);
    case 'busy':
      return new JsonRpcError(JsonRpcErrorCode.TerminalBusy, error.message);
  }
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
