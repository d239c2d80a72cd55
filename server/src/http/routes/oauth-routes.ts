import { sendLoginLimited } from '../login-limit-answer.js';
import express, { Router, type Request, type Response } from 'express';
import type { AccessPolicy } from '../../auth/access-policy.js';
import type { AccessTokenService } from '../../auth/access-token-service.js';
import { AuthError } from '../../auth/auth-error.js';
import { clientSecretKey } from '../../auth/hashed-secrets.js';
import type { LoginCheck, LoginGuard } from '../../auth/login-guard.js';
import { isScope, parseScopeString, type Scope } from '../../auth/scopes.js';
import type { TokenStore } from '../../auth/token-store.js';
import { ServiceUnavailableError } from '../../errors/service-unavailable-error.js';
import { sendUnavailable } from '../error-handler.js';
import type { ClientConfig } from '../../config/config-schema.js';
import type { Directory } from '../../config/directory.js';

export interface OAuthRoutesOptions {
  directory: Directory;
  logins: LoginGuard;
  accessTokens: AccessTokenService;
  store: TokenStore;
  /** A client of a disabled or expired organization gets no token. */
  access: AccessPolicy;
  lifetimeSeconds: number;
  /** Tells every node that a token lost its access. */
  revoke(tokenId: string, expiresAt: number): Promise<void>;
}

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

/** An RFC 6749 section 5.2 error answer. */
class OAuthError extends Error {
  constructor(readonly code: OAuthErrorCode, readonly description: string, readonly status = 400, readonly basicChallenge = false) {
    super(description);
  }
}

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  viaBasic: boolean;
}

/**
 * `POST /connect/token` (client credentials grant, RFC 6749 section 4.4) and
 * `POST /connect/revocation` (RFC 7009), both authenticating the client by HTTP Basic or by
 * `client_id` / `client_secret` in the form body.
 */
export function oauthRoutes(options: OAuthRoutesOptions): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  router.post('/connect/token', form, (req, res) => {
    issueToken(options, req).then((body) => {
      res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json(body);
    }).catch((error: unknown) => sendOAuthError(res, error));
  });

  router.post('/connect/revocation', form, (req, res) => {
    revokeToken(options, req).then(() => {
      res.set('Cache-Control', 'no-store').status(200).end();
    }).catch((error: unknown) => sendOAuthError(res, error));
  });

  router.all(['/connect/token', '/connect/revocation'], (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ error: 'invalid_request', error_description: 'Use POST.' });
  });
  return router;
}

async function issueToken(options: OAuthRoutesOptions, req: Request): Promise<Record<string, unknown>> {
  const body = formBody(req);
  const grantType = single(body, 'grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
  const client = await authenticateClient(options, req, body);
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'Only the client_credentials grant is supported.');
  }
  const denial = await options.access.denial({ kind: 'organization', organization: client.organization });
  if (denial) throw new OAuthError('unauthorized_client', denial);
  const granted = grantedScopes(client, single(body, 'scope'));
  const platforms = client.platforms ?? options.directory.platformIdsOf(client.organization);
  const issued = options.accessTokens.issue({
    subject: client.id,
    kind: 'client',
    organization: client.organization,
    scopes: granted,
    platforms,
    lifetimeSeconds: options.lifetimeSeconds,
  });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: granted.join(' ') };
}

async function revokeToken(options: OAuthRoutesOptions, req: Request): Promise<void> {
  const body = formBody(req);
  const client = await authenticateClient(options, req, body);
  const token = single(body, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required.');
  let principal;
  try {
    principal = options.accessTokens.verify(token, { ignoreExpiration: true });
  } catch (error) {
    // RFC 7009 section 2.2: an invalid token is not an error for the revocation endpoint.
    if (error instanceof AuthError) return;
    throw error;
  }
  if (principal.id !== client.id) return;
  await options.revoke(principal.tokenId, principal.expiresAt ?? Date.now());
}

function grantedScopes(client: ClientConfig, requested: string | undefined): Scope[] {
  const allowed = client.scopes.filter(isScope);
  if (requested === undefined || requested.trim() === '') return allowed;
  const asked = parseScopeString(requested);
  const refused = asked.filter((scope) => !isScope(scope) || !allowed.includes(scope));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `The client may not request: ${refused.map((s) => s.replace(/[^\w.:-]/g, '')).join(' ')}.`);
  }
  return [...new Set(asked)] as Scope[];
}

async function authenticateClient(options: OAuthRoutesOptions, req: Request, body: Record<string, unknown>): Promise<ClientConfig> {
  const credentials = clientCredentials(req, body);
  const check = await options.logins.check({
    account: `client:${credentials.clientId}`,
    // The client's address, from X-Forwarded-For when the request came through a trusted proxy (trustProxy).
    address: req.ip ?? 'unknown',
    secretKey: clientSecretKey(credentials.clientId),
    secret: credentials.clientSecret,
  });
  if (check.outcome === 'limited') throw new LoginLimitedError(check);
  const client = options.directory.client(credentials.clientId);
  if (!client || check.outcome !== 'valid') {
    throw new OAuthError('invalid_client', 'Client authentication failed.', 401, credentials.viaBasic);
  }
  return client;
}

/** A client authentication refused before its secret was checked. */
class LoginLimitedError extends Error {
  constructor(readonly check: Extract<LoginCheck, { outcome: 'limited' }>) {
    super('Client authentication refused by a login limit.');
  }
}

function clientCredentials(req: Request, body: Record<string, unknown>): ClientCredentials {
  const header = req.headers.authorization;
  const bodyId = single(body, 'client_id');
  const bodySecret = single(body, 'client_secret');
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!match?.[1]) throw new OAuthError('invalid_client', 'The Authorization header must be HTTP Basic.', 401, true);
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'Authenticate the client one way: HTTP Basic or the form body, not both.');
    }
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'The Basic credentials must be client_id:client_secret.', 401, true);
    // RFC 6749 section 2.3.1: both parts are form-urlencoded before being joined.
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the Basic credentials.');
    }
    return { clientId, clientSecret, viaBasic: true };
  }
  if (bodyId === undefined || bodySecret === undefined) {
    throw new OAuthError('invalid_client', 'Client authentication is required (HTTP Basic, or client_id and client_secret).', 401, false);
  }
  return { clientId: bodyId, clientSecret: bodySecret, viaBasic: false };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'The Basic credentials are not correctly encoded.', 401, true);
  }
}

function formBody(req: Request): Record<string, unknown> {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
  }
  return (req.body ?? {}) as Record<string, unknown>;
}

/** A form parameter given once; a repeated parameter is an error (RFC 6749 section 3.1). */
function single(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once.`);
  return value;
}

function sendOAuthError(res: Response, error: unknown): void {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
  if (error instanceof LoginLimitedError) {
    sendLoginLimited(res, error.check, { limitedError: 'invalid_client', limited: 'Too many failed attempts', busy: 'The server is busy checking credentials' });
    return;
  }
  if (error instanceof ServiceUnavailableError) {
    sendUnavailable(res, error);
    return;
  }
  if (error instanceof OAuthError) {
    if (error.basicChallenge) res.set('WWW-Authenticate', 'Basic realm="tradehub", charset="UTF-8"');
    res.status(error.status).json({ error: error.code, error_description: error.description });
    return;
  }
  res.status(500).json({ error: 'server_error', error_description: 'The token could not be issued.' });
}
