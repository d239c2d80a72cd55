import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Router, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';

const STATIC_DIR = fileURLToPath(new URL('../../../static/', import.meta.url));
const SIGNALR_BROWSER_BUNDLE = createRequire(import.meta.url).resolve('@microsoft/signalr/dist/browser/signalr.min.js');

export interface DashboardOptions {
  /** Credentials to fill in (the embedded demo's public reader); none otherwise. */
  demoCredentials?: { clientId: string; clientSecret: string };
}

/** The live dashboard page at `/dashboard/`, built on the official SignalR browser client. */
export function dashboardRoutes(options: DashboardOptions): Router {
  const router = Router();
  // X-Content-Type-Options and the other security headers come from the host (HubHost).
  const send = (res: Response, path: string, type: string): void => {
    res.type(type).set('Cache-Control', 'no-cache').sendFile(path);
  };
  router.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  // Express matches `/dashboard` and `/dashboard/` alike; the page refers to its files by absolute paths.
  router.get('/dashboard/', dashboardPolicy(`${STATIC_DIR}dashboard.html`), (_req, res) => {
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

/**
 * Replaces the host's allow-nothing policy for the page: it runs only its own script files and
 * its own inline style block (allowed by hash, so that no injected style or script runs), talks
 * only to this origin (CSP Level 3 `'self'` covers its WebSocket too), and may not be framed,
 * change its base URL or submit forms.
 */
function dashboardPolicy(pagePath: string): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", ...inlineStyleHashes(readFileSync(pagePath, 'utf8'))],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  });
}

/** CSP hash sources of a page's `<style>` blocks, computed once at start. */
function inlineStyleHashes(html: string): string[] {
  return [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)]
    .map((match) => `'sha256-${createHash('sha256').update(match[1] ?? '', 'utf8').digest('base64')}'`);
}
