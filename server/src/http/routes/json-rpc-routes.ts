import { mtId } from '@tradehub/shared';
import express, { Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { hasScope, type Principal } from '../../auth/principal.js';
import { Scope } from '../../auth/scopes.js';
import { JsonRpcDispatcher, jsonRpcMethod, type JsonRpcMethod } from '../../json-rpc/json-rpc-dispatcher.js';
import { JsonRpcError, JsonRpcErrorCode } from '../../json-rpc/json-rpc-error.js';
import type { TradeQueries } from '../../trade/trade-queries.js';
import { BROKER_RETRY_AFTER_SECONDS, TradeRequestError } from '../../trade/trade-service.js';

export interface JsonRpcRoutesOptions {
  authenticator: Authenticator;
  queries: TradeQueries;
  logger: Logger;
}

/** Largest request body `POST /rpc` reads; larger ones are refused with HTTP 413. */
const MAX_RPC_BODY_BYTES = 1024 * 1024;

const platform = z.string().min(1);
const accountParams = { platform, login: mtId };

/**
 * `POST /rpc`: JSON-RPC 2.0 for terminal-gateway style clients, with the same bearer token
 * as every API route. A missing or invalid token is refused at the HTTP level (401), before
 * any JSON-RPC processing; everything after that answers HTTP 200 with JSON-RPC responses
 * (or 204 when the request held only notifications).
 */
export function jsonRpcRoutes(options: JsonRpcRoutesOptions): Router {
  const router = Router();
  const dispatcher = new JsonRpcDispatcher(tradeMethods(options.queries), options.logger);
  // Read as text whatever the content type: invalid JSON must become a -32700 response, which
  // express.json would turn into an HTTP error first.
  const text = express.text({ type: () => true, limit: MAX_RPC_BODY_BYTES });

  router.post('/rpc', requireAuth(options.authenticator), text, (req, res, next) => {
    const body = typeof req.body === 'string' ? req.body : '';
    dispatcher.handle(body, principalOf(res)).then((answer) => {
      res.set('Cache-Control', 'no-store');
      if (answer === undefined) res.status(204).end();
      else res.status(200).json(answer);
    }).catch(next);
  });
  router.all('/rpc', (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ error: 'invalid_request', error_description: 'Use POST.' });
  });
  return router;
}

/** The methods, by the names terminal gateways use. */
function tradeMethods(queries: TradeQueries): Record<string, JsonRpcMethod<Principal>> {
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
      if (scope !== undefined && !hasScope(principal, scope)) {
        throw new JsonRpcError(JsonRpcErrorCode.Forbidden, `This method needs the '${scope}' scope.`);
      }
      try {
        return await method.invoke(principal, params);
      } catch (error) {
        throw error instanceof TradeRequestError ? asJsonRpcError(error) : error;
      }
    },
  };
}

function asJsonRpcError(error: TradeRequestError): JsonRpcError {
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
