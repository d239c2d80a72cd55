import { sendLoginLimited } from '../login-limit-answer.js';
import { Router, type Request, type Response } from 'express';
import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AccessTokenService } from '../../auth/access-token-service.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { managerPasswordKey } from '../../auth/hashed-secrets.js';
import type { LoginGuard } from '../../auth/login-guard.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { Scope } from '../../auth/scopes.js';
import type { Directory } from '../../config/directory.js';

export interface ManagerRoutesOptions {
  directory: Directory;
  logins: LoginGuard;
  accessTokens: AccessTokenService;
  authenticator: Authenticator;
  /** A manager of a disabled or expired organization gets no session. */
  access: AccessPolicy;
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
  const platform = options.directory.platformByServer(server);
  const check = await options.logins.check({
    account: `manager:${platform?.id ?? server}:${login}`,
    // The client's address, from X-Forwarded-For when the request came through a trusted proxy (trustProxy).
    address: req.ip ?? 'unknown',
    secretKey: managerPasswordKey(platform?.id ?? '', login),
    secret: password,
  });
  if (check.outcome === 'limited') {
    sendLoginLimited(res, check, { limitedError: 'too_many_attempts', limited: 'Too many failed logins', busy: 'The server is busy checking logins' });
    return;
  }
  const organization = platform ? options.directory.organizationOfPlatform(platform.id) : undefined;
  if (!platform || !organization || check.outcome !== 'valid') {
    res.status(401).json({ error: 'invalid_grant', error_description: 'Unknown server, or wrong login or password.' });
    return;
  }
  const denial = await options.access.denial({ kind: 'organization', organization });
  if (denial) {
    res.status(403).json({ error: 'access_denied', error_description: denial });
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
