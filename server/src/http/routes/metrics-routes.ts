import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { TradehubMetrics } from '../../observability/metrics.js';

/**
 * `GET /metrics`: the Prometheus text exposition of the node's registry. With `token`, a scrape
 * must send `Authorization: Bearer <token>` (compared in constant time); others get 401.
 */
export function metricsRoutes(metrics: TradehubMetrics, token?: string): Router {
  const router = Router();
  const expected = token === undefined ? undefined : digest(token);
  router.get('/metrics', (req, res) => {
    if (expected && !presents(req.headers.authorization, expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('A bearer token is required for /metrics.');
      return;
    }
    metrics.registry.metrics().then((text) => {
      res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
    }, () => {
      res.status(500).type('text/plain').send('Metrics could not be collected.');
    });
  });
  return router;
}

function presents(authorization: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
