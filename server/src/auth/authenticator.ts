import type { AccessPolicy } from './access-policy.js';
import type { AccessTokenService } from './access-token-service.js';
import { AuthError, AuthUnavailableError } from './auth-error.js';
import type { Principal } from './principal.js';
import { TERMINAL_TOKEN_PREFIX, type TerminalTokenService } from './terminal-token-service.js';
import type { TokenStore } from './token-store.js';
import type { Directory } from '../config/directory.js';
import type { AuthMetrics } from '../observability/auth-metrics.js';

/**
 * Turns any bearer token tradehub accepts (JWT access token or terminal token) into a principal,
 * refusing it when its organization, account or device is switched off (AccessPolicy).
 */
export class Authenticator {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly terminalTokens: TerminalTokenService,
    private readonly store: TokenStore,
    private readonly directory: Directory,
    private readonly access: AccessPolicy,
    private readonly metrics?: AuthMetrics,
  ) {}

  /** @throws AuthError for a refused token, AuthUnavailableError when the token store cannot answer */
  async authenticate(token: string, deviceId: string | undefined): Promise<Principal> {
    try {
      const principal = await this.check(token, deviceId);
      this.metrics?.successes.inc();
      return principal;
    } catch (error) {
      if (!(error instanceof AuthError)) this.metrics?.failed('unavailable');
      else if (error.code !== 'missing_token') this.metrics?.failed(error.code);
      throw error;
    }
  }

  private async check(token: string, deviceId: string | undefined): Promise<Principal> {
    try {
      if (token.startsWith(TERMINAL_TOKEN_PREFIX)) {
        const terminal = await this.terminalTokens.authenticate(token, deviceId);
        await this.access.check(terminal);
        return terminal;
      }
      const verified = this.accessTokens.verify(token);
      // The token's platforms count only where the configuration still gives them to its
      // organization: a token signed elsewhere, or before a platform moved, reaches no other tenant.
      const platforms = verified.platforms.filter((id) => this.directory.organizationOfPlatform(id) === verified.organization);
      const principal = platforms.length === verified.platforms.length ? verified : { ...verified, platforms };
      // Both reads at once (one round trip to Redis); a revocation is the first reason given.
      const [revoked, denied] = await Promise.all([
        this.store.isTokenIdRevoked(principal.tokenId),
        this.access.check(principal).then(() => undefined, (error: unknown) => error),
      ]);
      if (revoked) throw new AuthError('invalid_token', 'The token was revoked.');
      if (denied !== undefined) throw denied;
      return principal;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthUnavailableError();
    }
  }
}
