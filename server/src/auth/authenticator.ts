import type { AccessTokenService } from './access-token-service.js';
import { AuthError, AuthUnavailableError } from './auth-error.js';
import type { Principal } from './principal.js';
import { TERMINAL_TOKEN_PREFIX, type TerminalTokenService } from './terminal-token-service.js';
import type { TokenStore } from './token-store.js';
import type { Directory } from '../config/directory.js';

/** Turns any bearer token tradehub accepts (JWT access token or terminal token) into a principal. */
export class Authenticator {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly terminalTokens: TerminalTokenService,
    private readonly store: TokenStore,
    private readonly directory: Directory,
  ) {}

  /** @throws AuthError for a refused token, AuthUnavailableError when the token store cannot answer */
  async authenticate(token: string, deviceId: string | undefined): Promise<Principal> {
    try {
      if (token.startsWith(TERMINAL_TOKEN_PREFIX)) return await this.terminalTokens.authenticate(token, deviceId);
      const principal = this.accessTokens.verify(token);
      if (await this.store.isTokenIdRevoked(principal.tokenId)) throw new AuthError('invalid_token', 'The token was revoked.');
      // The token's platforms count only where the configuration still gives them to its
      // organization: a token signed elsewhere, or before a platform moved, reaches no other tenant.
      const platforms = principal.platforms.filter((id) => this.directory.organizationOfPlatform(id) === principal.organization);
      return platforms.length === principal.platforms.length ? principal : { ...principal, platforms };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthUnavailableError();
    }
  }
}
