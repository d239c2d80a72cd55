import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { Scope } from '../../auth/scopes.js';
import type { TradeQueries } from '../../trade/trade-queries.js';
import { BROKER_RETRY_AFTER_SECONDS, TradeRequestError, type TradeService } from '../../trade/trade-service.js';

export interface PlatformRoutesOptions {
  authenticator: Authenticator;
  trade: TradeService;
  queries: TradeQueries;
}

/** Largest body `POST /api/platforms/{id}/events` reads; larger ones are refused with 413. */
const MAX_EVENTS_BODY_BYTES = 1024 * 1024;

/** The events themselves are checked by the trade service, which names each problem by index and field. */
const eventsBody = z.object({ events: z.unknown() }).strict();

const ERROR_OF_STATUS = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  503: 'temporarily_unavailable',
} as const satisfies Record<TradeRequestError['status'], string>;

/**
 * The REST API of one platform: `POST /api/platforms/{id}/events` publishes (as the hub's
 * `Publish` does), `GET /api/platforms/{id}/ping` and `GET /api/platforms/{id}/accounts/{login}`
 * read current state. Another organization's platform answers 404, as if absent.
 */
export function platformRoutes(options: PlatformRoutesOptions): Router {
  const router = Router();
  const { trade, queries } = options;
  const json = express.json({ limit: MAX_EVENTS_BODY_BYTES });
  const publisher = requireAuth(options.authenticator, Scope.TradePublish);

  router.post('/api/platforms/:platformId/events', publisher, requireJsonBody, json, (req, res, next) => {
    const principal = principalOf(res);
    const platformId = req.params.platformId as string;
    respond(res, next, async () => {
      queries.checkPlatform(principal, platformId);
      const body = eventsBody.safeParse(req.body);
      if (!body.success) throw new TradeRequestError(400, 'The body must be a JSON object {"events": [...]}.');
      return trade.publish(principal, body.data.events, platformId);
    });
  });

  router.get('/api/platforms/:platformId/ping', requireAuth(options.authenticator), (req, res, next) => {
    const platformId = req.params.platformId as string;
    respond(res, next, async () => ({
      platform: platformId,
      status: await queries.status(principalOf(res), platformId),
      serverTime: Date.now(),
    }));
  });

  router.get('/api/platforms/:platformId/accounts/:login', requireAuth(options.authenticator, Scope.TradeRead), (req, res, next) => {
    respond(res, next, () => queries.account(principalOf(res), req.params.platformId as string, req.params.login as string));
  });
  return router;
}

/** Sends the work's result as JSON, or its refusal; other errors go to the error handler. */
function respond(res: Response, next: NextFunction, work: () => Promise<unknown>): void {
  work().then((body) => {
    res.set('Cache-Control', 'no-store').json(body);
  }).catch((error: unknown) => {
    if (!(error instanceof TradeRequestError)) {
      next(error);
      return;
    }
    if (error.status === 503) res.set('Retry-After', String(BROKER_RETRY_AFTER_SECONDS));
    res.status(error.status).set('Cache-Control', 'no-store').json({ error: ERROR_OF_STATUS[error.status], error_description: error.message });
  });
}

function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (req.is('application/json')) {
    next();
    return;
  }
  res.status(415).set('Cache-Control', 'no-store')
    .json({ error: 'invalid_request', error_description: 'The request body must be application/json.' });
}
