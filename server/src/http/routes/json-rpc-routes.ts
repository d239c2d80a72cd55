import express, { Router } from 'express';
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { JsonRpcDispatcher } from '../../json-rpc/json-rpc-dispatcher.js';
import type { TradeRpcMethodTable } from '../../json-rpc/trade-rpc-methods.js';

export interface JsonRpcRoutesOptions {
  authenticator: Authenticator;
  /** The one method table every JSON-RPC transport serves (`tradeRpcMethods`). */
  methods: TradeRpcMethodTable;
  logger: Logger;
}

/** Largest request body `POST /rpc` reads; larger ones are refused with HTTP 413. */
const MAX_RPC_BODY_BYTES = 1024 * 1024;

/**
 * `POST /rpc`: JSON-RPC 2.0 for terminal-gateway style clients, with the same bearer token
 * as every API route. A missing or invalid token is refused at the HTTP level (401), before
 * any JSON-RPC processing; everything after that answers HTTP 200 with JSON-RPC responses
 * (or 204 when the request held only notifications).
 */
export function jsonRpcRoutes(options: JsonRpcRoutesOptions): Router {
  const router = Router();
  const dispatcher = new JsonRpcDispatcher(options.methods, options.logger);
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
