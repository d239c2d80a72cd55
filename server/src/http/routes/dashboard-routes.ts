import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';

const STATIC_DIR = fileURLToPath(new URL('../../../static/', import.meta.url));
const SIGNALR_BROWSER_BUNDLE = createRequire(import.meta.url).resolve('@microsoft/signalr/dist/browser/signalr.min.js');

export interface DashboardOptions {
  /** Credentials to fill in (the embedded demo's public reader); none otherwise. */
  demoCredentials?: { clientId: string; clientSecret: string };
}

/** The live dashboard page at `/dashboard/`, built on the official SignalR browser client. */
export function dashboardRoutes(options: DashboardOptions): Router {
  const router = Router();
  const send = (res: Response, path: string, type: string): void => {
    res.type(type).set('Cache-Control', 'no-cache').set('X-Content-Type-Options', 'nosniff').sendFile(path);
  };
  router.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  // Express matches `/dashboard` and `/dashboard/` alike; the page refers to its files by absolute paths.
  router.get('/dashboard/', (_req, res) => {
    // The page runs only its own scripts and talks only to this origin.
    res.set('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:");
    send(res, `${STATIC_DIR}dashboard.html`, 'html');
  });
  router.get('/dashboard/dashboard.js', (_req, res) => send(res, `${STATIC_DIR}dashboard.js`, 'js'));
  router.get('/dashboard/signalr.min.js', (_req, res) => send(res, SIGNALR_BROWSER_BUNDLE, 'js'));
  router.get('/dashboard/config.json', (_req, res) => {
    const demo = options.demoCredentials;
    res.set('Cache-Control', 'no-store').json(demo ? { ...demo, autoConnect: true } : {});
  });
  return router;
}
