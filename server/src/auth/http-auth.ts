import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, AuthUnavailableError } from './auth-error.js';
import type { Authenticator } from './authenticator.js';
import { readBearerCredentials } from './bearer-token.js';
import { hasScope, type Principal } from './principal.js';
import type { Scope } from './scopes.js';

/** How a failed authentication is answered, whatever carries the answer (an HTTP response, a refused upgrade). */
export interface AuthFailureAnswer {
  status: number;
  headers: Record<string, string>;
  /** Absent: the answer has an empty body (as ASP.NET's JWT bearer challenge). */
  body?: { error: string; error_description: string };
}

/**
 * The answer to an authentication failure: RFC 6750 for a refused token, 503 when tokens cannot
 * be checked now; undefined for any other error, which is the server's own fault.
 */
export function authFailureAnswer(error: unknown): AuthFailureAnswer | undefined {
  if (error instanceof AuthError) {
    return {
      status: error.status,
      headers: { 'WWW-Authenticate': error.challenge, 'Cache-Control': 'no-store' },
      body: { error: error.code === 'missing_token' ? 'invalid_token' : error.code, error_description: error.description },
    };
  }
  if (error instanceof AuthUnavailableError) {
    return {
      status: 503,
      headers: { 'Retry-After': String(error.retryAfterSeconds), 'Cache-Control': 'no-store' },
      body: { error: 'temporarily_unavailable', error_description: error.message },
    };
  }
  return undefined;
}

/** Sends the answer: status, RFC 6750 challenge or Retry-After, and a JSON body without secrets, or none. */
export function sendAuthFailure(res: Response, answer: AuthFailureAnswer): void {
  res.status(answer.status).set(answer.headers);
  if (answer.body) res.json(answer.body);
  else res.end();
}

function requestQuery(req: Request): URLSearchParams {
  return requestUrl(req).searchParams;
}

/** The full URL of a request, for its query string (a bearer token may be there on hub endpoints). */
export function requestUrl(req: Request): URL {
  return new URL(req.originalUrl, 'http://localhost');
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
      const answer = authFailureAnswer(error);
      if (answer) sendAuthFailure(res, answer);
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
