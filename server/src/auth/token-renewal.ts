import { AuthError, AuthUnavailableError } from './auth-error.js';
import type { Authenticator } from './authenticator.js';
import type { Principal } from './principal.js';

/** A renewal refused: by its token, or by the renewal rules. The message is meant for the caller and never holds a token. */
export class TokenRenewalError extends Error {
  override readonly name = 'TokenRenewalError';
}

/**
 * Why `next` may not replace `current` as the token of a live connection, or undefined when it
 * may. A connection renews with a token of the same subject, kind and organization, granting no
 * scope, platform or login that `current` lacks: a renewal keeps or narrows access, never widens
 * it (widening takes a new connection, authorized like any other). For terminal tokens the
 * subject names the token record (`terminal:{id}`), so only that same terminal token renews it.
 */
export function renewalRefusal(current: Principal, next: Principal): string | undefined {
  if (next.id !== current.id || next.kind !== current.kind) {
    return 'The new token belongs to another subject: a connection renews only with a token of its own subject.';
  }
  if (next.organization !== current.organization) return 'The new token belongs to another organization.';
  const widening = 'a renewal may narrow access, never widen it.';
  const scope = next.scopes.find((granted) => !current.scopes.includes(granted));
  if (scope !== undefined) return `The new token has scope '${scope}', which the connection's token lacks: ${widening}`;
  const platform = next.platforms.find((granted) => !current.platforms.includes(granted));
  if (platform !== undefined) return `The new token reaches platform '${platform}', which the connection's token does not: ${widening}`;
  if (current.logins !== undefined) {
    if (next.logins === undefined) return `The new token is not restricted to logins, while the connection's token is: ${widening}`;
    const login = next.logins.find((granted) => !current.logins?.includes(granted));
    if (login !== undefined) return `The new token reaches login '${login}', which the connection's token does not: ${widening}`;
  }
  return undefined;
}

/**
 * Authenticates the token a connection wants to renew with: expired, revoked, unknown or
 * malformed tokens are refused as they are everywhere. The renewal rules are checked apart
 * (`renewalRefusal`), against the connection's token at the moment the renewal applies.
 * @throws TokenRenewalError with the reason, meant for the caller
 */
export async function authenticateRenewal(authenticator: Authenticator, token: string, deviceId: string | undefined): Promise<Principal> {
  try {
    return await authenticator.authenticate(token, deviceId);
  } catch (error) {
    if (error instanceof AuthError) throw new TokenRenewalError(`The new token was refused: ${error.description}`);
    if (error instanceof AuthUnavailableError) throw new TokenRenewalError(error.message);
    throw error;
  }
}
