import { MANAGER_CONNECT_TIMEOUT_MS, type ManagerInitResponse, type ManagerPingResponse } from '@tradehub/shared';
import { Router, type Request, type Response } from 'express';
import type { AccessPolicy } from '../../auth/access-policy.js';
import { sendLoginLimited } from '../login-limit-answer.js';
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
  /** How long a manager session's token lives: configuration (`auth.accessTokenLifetimeSeconds`), never the caller. */
  lifetimeSeconds: number;
}

/** Retry-After of a login that ran out of its `timeout`. */
const TIMED_OUT_RETRY_AFTER_SECONDS = 1;

/**
 * The manager-gateway style login, as the MT5 manager SDK calls it: `GET
 * /v1/init?server=&login=&password=&timeout=` answers a bearer token for one platform, `timeout`
 * being the milliseconds the login may wait; `GET /v1/ping` with the token answers a `message`
 * saying the session is alive.
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
    const pong: ManagerPingResponse = {
      message: 'pong: the session to the platform is alive',
      status: 'alive',
      subject: principal.id,
      platforms: [...principal.platforms],
      expiresAt: principal.expiresAt ?? null,
      serverTime: Date.now(),
    };
    res.set('Cache-Control', 'no-store').json(pong);
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
  const timeoutMs = connectTimeoutMs(timeout);
  if (timeoutMs === undefined) {
    const { min, max } = MANAGER_CONNECT_TIMEOUT_MS;
    res.status(400).json({
      error: 'invalid_request',
      error_description: `timeout must be whole milliseconds from ${min} to ${max} (the time the login may wait for the platform), once.`,
    });
    return;
  }
  const platform = options.directory.platformByServer(server);
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<{ outcome: 'timed-out' }>((resolve) => {
    deadline = setTimeout(() => resolve({ outcome: 'timed-out' }), timeoutMs);
  });
  const check = await Promise.race([
    options.logins.check({
      account: `manager:${platform?.id ?? server}:${login}`,
      // The client's address, from X-Forwarded-For when the request came through a trusted proxy (trustProxy).
      address: req.ip ?? 'unknown',
      secretKey: managerPasswordKey(platform?.id ?? '', login),
      secret: password,
    }),
    timedOut,
  ]).finally(() => clearTimeout(deadline));
  if (check.outcome === 'timed-out') {
    // The check goes on and settles its attempt; the caller, who waits no longer, is told to retry.
    res.set('Retry-After', String(TIMED_OUT_RETRY_AFTER_SECONDS)).status(503).json({
      error: 'temporarily_unavailable', error_description: `The login did not complete within ${timeoutMs} ms; retry shortly.`,
    });
    return;
  }
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
    lifetimeSeconds: options.lifetimeSeconds,
  });
  const answer: ManagerInitResponse = { token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, platform: platform.id };
  res.json(answer);
}

/**
 * The `timeout` query value in milliseconds: the default when absent, undefined when it is not
 * one whole number within `MANAGER_CONNECT_TIMEOUT_MS` (or is repeated).
 */
function connectTimeoutMs(raw: unknown): number | undefined {
  if (raw === undefined) return MANAGER_CONNECT_TIMEOUT_MS.default;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return undefined;
  const ms = Number(raw);
  return ms >= MANAGER_CONNECT_TIMEOUT_MS.min && ms <= MANAGER_CONNECT_TIMEOUT_MS.max ? ms : undefined;
}
