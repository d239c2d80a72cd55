import { fileURLToPath } from 'node:url';
import { Router, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';

const STATIC_DIR = fileURLToPath(new URL('../../../static/', import.meta.url));
/** The page's script: the typed client and lightweight-charts, bundled by `npm run build` (server/dashboard/build.mjs). */
const BUNDLE_DIR = fileURLToPath(new URL('../../../dashboard/dist/browser/', import.meta.url));

export interface DashboardOptions {
  /** Credentials to fill in (the embedded demo's public reader); none otherwise. */
  demoCredentials?: { clientId: string; clientSecret: string };
}

/** The live trading desk at `/dashboard/`, built on the typed client. */
export function dashboardRoutes(options: DashboardOptions): Router {
  const router = Router();
  // X-Content-Type-Options and the other security headers come from the host (HubHost).
  const send = (res: Response, path: string, type: string): void => {
    res.type(type).set('Cache-Control', 'no-cache').sendFile(path);
  };
  router.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  // Express matches `/dashboard` and `/dashboard/` alike; the page refers to its files by absolute paths.
  router.get('/dashboard/', dashboardPolicy, (_req, res) => send(res, `${STATIC_DIR}dashboard.html`, 'html'));
  router.get('/dashboard/dashboard.css', (_req, res) => send(res, `${STATIC_DIR}dashboard.css`, 'css'));
  router.get('/dashboard/favicon.svg', (_req, res) => send(res, `${STATIC_DIR}favicon.svg`, 'svg'));
  router.get('/dashboard/dashboard.js', (_req, res) => send(res, `${BUNDLE_DIR}dashboard.js`, 'js'));
  router.get('/dashboard/dashboard.js.map', (_req, res) => send(res, `${BUNDLE_DIR}dashboard.js.map`, 'json'));
  router.get('/dashboard/config.json', (_req, res) => {
    const demo = options.demoCredentials;
    res.set('Cache-Control', 'no-store').json(demo ? { ...demo, autoConnect: true } : {});
  });
  return router;
}

/**
 * Replaces the host's allow-nothing policy for the page: it runs only its own script and style
 * files (no inline script or style, so that nothing injected runs), draws the chart on its own
 * canvases, talks only to this origin (CSP Level 3 `'self'` covers its WebSocket too), and may
 * not be framed, change its base URL or submit forms.
 */
const dashboardPolicy: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
});
