import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, AuthUnavailableError } from './auth-error.js';
import type { Authenticator } from './authenticator.js';
import { readBearerCredentials } from './bearer-token.js';
import { hasScope, type Principal } from './principal.js';
import type { Scope } from './scopes.js';

/** Sends a refused request's answer: status, RFC 6750 challenge, and a JSON body without secrets. */
export function sendAuthError(res: Response, error: AuthError): void {
  res.status(error.status)
    .set('WWW-Authenticate', error.challenge)
    .set('Cache-Control', 'no-store')
    .json({ error: error.code === 'missing_token' ? 'invalid_token' : error.code, error_description: error.description });
}

function requestQuery(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://localhost').searchParams;
}

export function sendAuthUnavailable(res: Response, error: AuthUnavailableError): void {
  res.status(503).set('Retry-After', String(error.retryAfterSeconds)).set('Cache-Control', 'no-store')
    .json({ error: 'temporarily_unavailable', error_description: error.message });
}

/** Authenticates an API request (header only) and, when given, requires a scope. */
export function requireAuth(authenticator: Authenticator, scope?: Scope): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    authenticateRequest(authenticator, req, false).then((principal) => {
      if (scope !== undefined && !hasScope(principal, scope)) {
        throw new AuthError('insufficient_scope', `This request needs the '${scope}' scope.`, scope);
      }
      res.locals.principal = principal;
      next();
    }).catch((error: unknown) => {
      if (error instanceof AuthError) sendAuthError(res, error);
      else if (error instanceof AuthUnavailableError) sendAuthUnavailable(res, error);
      else next(error);
    });
  };
}

export async function authenticateRequest(authenticator: Authenticator, req: Request, allowQuery: boolean): Promise<Principal> {
  const { token, deviceId } = readBearerCredentials(req.headers, requestQuery(req), allowQuery);
  return authenticator.authenticate(token, deviceId);
}

/** The principal `requireAuth` stored on the response. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf() used on a route without requireAuth().');
  return principal;
}
