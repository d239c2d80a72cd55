import { Router, type Request, type Response } from 'express';
import type { AccessTokenService } from '../../auth/access-token-service.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { FailureRateLimiter } from '../../auth/failure-rate-limiter.js';
import { managerPasswordKey, type HashedSecrets } from '../../auth/hashed-secrets.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { Scope } from '../../auth/scopes.js';
import type { Directory } from '../../config/directory.js';

export interface ManagerRoutesOptions {
  directory: Directory;
  secrets: HashedSecrets;
  accessTokens: AccessTokenService;
  authenticator: Authenticator;
  failures: FailureRateLimiter;
  maxFailuresPerClient: number;
  maxFailuresPerAddress: number;
  lifetimeSeconds: number;
}

/**
 * The manager-gateway style login: `GET /v1/init?server=&login=&password=&timeout=` answers a
 * bearer token for one platform; `GET /v1/ping` with it says whether the session is alive.
 */
export function managerRoutes(options: ManagerRoutesOptions): Router {
  const router = Router();
  router.get('/v1/init', (req, res) => {
    init(options, req, res).catch(() => {
      res.status(500).json({ error: 'server_error', error_description: 'The login could not be completed.' });
    });
  });
  router.get('/v1/ping', requireAuth(options.authenticator), (_req, res) => {
    const principal = principalOf(res);
    res.set('Cache-Control', 'no-store').json({
      status: 'alive',
      subject: principal.id,
      platforms: principal.platforms,
      expiresAt: principal.expiresAt ?? null,
      serverTime: Date.now(),
    });
  });
  return router;
}

async function init(options: ManagerRoutesOptions, req: Request, res: Response): Promise<void> {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
  const { server, login, password, timeout } = req.query;
  if (typeof server !== 'string' || typeof login !== 'string' || typeof password !== 'string' || !server || !login || !password) {
    res.status(400).json({ error: 'invalid_request', error_description: 'server, login and password are required, once each.' });
    return;
  }
  let lifetimeSeconds = options.lifetimeSeconds;
  if (timeout !== undefined) {
    const seconds = typeof timeout === 'string' && /^\d+$/.test(timeout) ? Number(timeout) : NaN;
    if (!(seconds >= 60 && seconds <= options.lifetimeSeconds)) {
      res.status(400).json({ error: 'invalid_request', error_description: `timeout must be whole seconds from 60 to ${options.lifetimeSeconds}.` });
      return;
    }
    lifetimeSeconds = seconds;
  }
  const address = req.socket.remoteAddress ?? 'unknown';
  const platform = options.directory.platformByServer(server);
  const accountKey = `manager:${platform?.id ?? server}:${login}`;
  const addressKey = `address:${address}`;
  const wait = options.failures.retryAfter([[accountKey, options.maxFailuresPerClient], [addressKey, options.maxFailuresPerAddress]]);
  if (wait > 0) {
    res.status(429).set('Retry-After', String(wait)).json({ error: 'too_many_attempts', error_description: `Too many failed logins; retry in ${wait} s.` });
    return;
  }
  const valid = await options.secrets.verify(managerPasswordKey(platform?.id ?? '', login), password);
  const organization = platform ? options.directory.organizationOfPlatform(platform.id) : undefined;
  if (!platform || !organization || !valid) {
    options.failures.recordFailures([accountKey, addressKey]);
    res.status(401).json({ error: 'invalid_grant', error_description: 'Unknown server, or wrong login or password.' });
    return;
  }
  const issued = options.accessTokens.issue({
    subject: `manager:${platform.id}:${login}`,
    kind: 'manager',
    organization,
    scopes: [Scope.TradeRead],
    platforms: [platform.id],
    lifetimeSeconds,
  });
  res.json({ token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, platform: platform.id });
}
