import { Router } from 'express';

/** Readiness of each dependency; undefined for one this node does not use. */
export type ReadinessCheck = () => Record<string, boolean | undefined>;

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: it can serve, 503 with the
 * failing parts otherwise (for load balancers: take a node out while its Redis is unreachable).
 */
export function healthRoutes(check: ReadinessCheck): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'live' });
  });
  router.get('/health/ready', (_req, res) => {
    const parts = Object.fromEntries(Object.entries(check()).filter(([, ready]) => ready !== undefined));
    const ready = Object.values(parts).every(Boolean);
    res.status(ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ready ? 'ready' : 'not_ready', checks: parts });
  });
  return router;
}
