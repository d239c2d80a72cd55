import { Router } from 'express';
import type { TradehubMetrics } from '../../observability/metrics.js';

/** `GET /metrics`: the Prometheus text exposition of the node's registry. */
export function metricsRoutes(metrics: TradehubMetrics): Router {
  const router = Router();
  router.get('/metrics', (_req, res) => {
    metrics.registry.metrics().then((text) => {
      res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
    }, () => {
      res.status(500).type('text/plain').send('Metrics could not be collected.');
    });
  });
  return router;
}
