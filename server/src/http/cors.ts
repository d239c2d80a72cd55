import type { RequestHandler } from 'express';
import type { CorsConfig } from '../config/config-schema.js';

/**
 * Request headers a page may send: the bearer token, JSON bodies, and what the official SignalR
 * browser client adds to negotiate (`X-Requested-With`, `X-SignalR-User-Agent`), plus the
 * device id of device-bound terminal tokens.
 */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Requested-With', 'X-SignalR-User-Agent', 'X-Device-Id'];
const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
/** Response headers a page may read: the bearer challenge and when to retry. */
const EXPOSED_HEADERS = ['WWW-Authenticate', 'Retry-After'];

/** Which pages may call the server, and what their preflights may ask for. */
export interface CorsPolicy {
  isAllowedOrigin(origin: string): boolean;
  /** Request headers a page may send: a list, or `'requested'` for whatever its preflight names. */
  allowedHeaders: readonly string[] | 'requested';
  maxAgeSeconds: number;
}

/** CORS for the configured origins only (see `corsPolicy`), allowing the headers SignalR clients and tradehub's APIs use. */
export function cors(config: CorsConfig): RequestHandler {
  const origins = new Set(config.origins);
  return corsPolicy({ isAllowedOrigin: (origin) => origins.has(origin), allowedHeaders: ALLOWED_HEADERS, maxAgeSeconds: config.maxAgeSeconds });
}

/**
 * CORS for the origins a policy allows: a page of an allowed origin gets
 * `Access-Control-Allow-Origin` with its own origin (never `*`) and
 * `Access-Control-Allow-Credentials: true` (the official SignalR client negotiates with
 * credentials by default), and its preflights are answered 204. A preflight from any other
 * origin is refused with 403 and no CORS headers, so the browser blocks the request.
 * WebSocket upgrades do not go through CORS: they are authorized by their bearer token alone
 * (no cookies are ever used), so another origin gains nothing from opening one.
 */
export function corsPolicy(policy: CorsPolicy): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (origin === undefined) {
      next();
      return;
    }
    res.vary('Origin');
    if (!policy.isAllowedOrigin(origin)) {
      if (preflight) {
        res.status(403).set('Cache-Control', 'no-store').json({ error: 'forbidden', error_description: 'This origin may not call this server.' });
        return;
      }
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Allow-Credentials', 'true');
    if (!preflight) {
      res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
      next();
      return;
    }
    const requestedHeaders = req.headers['access-control-request-headers'];
    const allowedHeaders = policy.allowedHeaders === 'requested' ? requestedHeaders : policy.allowedHeaders.join(', ');
    res.set('Access-Control-Allow-Methods', ALLOWED_METHODS.join(', '));
    if (allowedHeaders) res.set('Access-Control-Allow-Headers', allowedHeaders);
    if (policy.allowedHeaders === 'requested') res.vary('Access-Control-Request-Headers');
    res.set('Access-Control-Max-Age', String(policy.maxAgeSeconds));
    res.status(204).end();
  };
}
