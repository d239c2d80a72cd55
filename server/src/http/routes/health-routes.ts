import { Router } from 'express';

/** Readiness of each dependency; undefined for one this node does not use. */
export type ReadinessCheck = () => Record<string, boolean | undefined>;

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: it can serve (`ready`), 503 with
 * the failing parts otherwise (`not_ready`: take a node out while its Redis is unreachable), or
 * 503 `draining` once a graceful shutdown began and its connections are being closed.
 */
export function healthRoutes(check: ReadinessCheck, draining: () => boolean): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'live' });
  });
  router.get('/health/ready', (_req, res) => {
    const parts = Object.fromEntries(Object.entries(check()).filter(([, ready]) => ready !== undefined));
    const ready = Object.values(parts).every(Boolean);
    const status = draining() ? 'draining' : ready ? 'ready' : 'not_ready';
    res.status(status === 'ready' ? 200 : 503).set('Cache-Control', 'no-store').json({ status, checks: parts });
  });
  return router;
}
