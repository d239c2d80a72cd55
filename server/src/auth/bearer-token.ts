import type { IncomingHttpHeaders } from 'node:http';
import { MAX_TOKEN_LENGTH } from './access-token-service.js';
import { AuthError } from './auth-error.js';

export interface BearerCredentials {
  token: string;
  deviceId: string | undefined;
}

/**
 * Reads the bearer token of a request (RFC 6750 section 2): the `Authorization` header, or on
 * hub endpoints only, the `access_token` query parameter that browsers must use for WebSockets
 * and EventSource. A request carrying it both ways is refused.
 * @throws AuthError `missing_token` when there is none, `invalid_request` when it is malformed.
 */
export function readBearerCredentials(headers: IncomingHttpHeaders, query: URLSearchParams, allowQuery: boolean): BearerCredentials {
  const header = headers.authorization;
  const queryTokens = query.getAll('access_token');
  if (queryTokens.length > 0 && !allowQuery) {
    throw new AuthError('invalid_request', 'The access_token query parameter is accepted on hub endpoints only; use the Authorization header.');
  }
  if (header !== undefined && queryTokens.length > 0) {
    throw new AuthError('invalid_request', 'The token was sent in more than one way; send it once.');
  }
  if (queryTokens.length > 1) throw new AuthError('invalid_request', 'The token was sent in more than one way; send it once.');
  let token: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!match?.[1]) throw new AuthError('invalid_request', 'The Authorization header must be "Bearer <token>".');
    token = match[1];
  } else {
    token = queryTokens[0];
  }
  if (token === undefined || token === '') throw new AuthError('missing_token', 'A bearer token is required.');
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('invalid_token', 'The token is too large.');
  const deviceHeader = headers['x-device-id'];
  const deviceId = (Array.isArray(deviceHeader) ? deviceHeader[0] : deviceHeader) ?? (allowQuery ? query.get('device_id') ?? undefined : undefined);
  return { token, deviceId };
}
