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
  private readonly narrowed = new WeakMap<Principal, Principal>();

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

  /**
   * The token's platforms count only where the configuration gives them to its organization: a
   * token signed elsewhere, or before a platform moved, reaches no other tenant. Remembered per
   * verified principal (the configuration does not change while the process runs), so that a
   * token connecting again is the same principal, whose access subjects are known.
   */
  private withinOrganization(verified: Principal): Principal {
    let principal = this.narrowed.get(verified);
    if (principal === undefined) {
      const platforms = verified.platforms.filter((id) => this.directory.organizationOfPlatform(id) === verified.organization);
      principal = platforms.length === verified.platforms.length ? verified : { ...verified, platforms };
      this.narrowed.set(verified, principal);
    }
    return principal;
  }

  private async check(token: string, deviceId: string | undefined): Promise<Principal> {
    try {
      if (token.startsWith(TERMINAL_TOKEN_PREFIX)) {
        const terminal = await this.terminalTokens.authenticate(token, deviceId);
        await this.access.check(terminal);
        return terminal;
      }
      const principal = this.withinOrganization(this.accessTokens.verify(token));
      // Both reads at once (one round trip to Redis); a revocation is the first reason given.
      const [revoked, denial] = await Promise.all([
        this.store.isTokenIdRevoked(principal.tokenId),
        this.access.denialOfPrincipal(principal),
      ]);
      if (revoked) throw new AuthError('invalid_token', 'The token was revoked.');
      if (denial) throw new AuthError('invalid_token', denial);
      return principal;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthUnavailableError();
    }
  }
}
