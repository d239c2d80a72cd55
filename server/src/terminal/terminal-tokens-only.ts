import { AuthError } from '../auth/auth-error.js';
import type { Principal } from '../auth/principal.js';
import type { TokenAuthenticator } from '../connections/connection-endpoint.js';

/** The terminal hub's authenticator: a terminal is a terminal token; any other valid token is refused with 403. */
export function terminalTokensOnly(inner: TokenAuthenticator): TokenAuthenticator {
  return {
    authenticate: async (token: string, deviceId: string | undefined): Promise<Principal> => {
      const principal = await inner.authenticate(token, deviceId);
      if (principal.kind !== 'terminal') throw new AuthError('insufficient_scope', 'The terminal hub takes terminal tokens only.');
      return principal;
    },
  };
}
