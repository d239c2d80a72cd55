import type { Scope } from './scopes.js';

export type PrincipalKind = 'client' | 'manager' | 'terminal';

/** An authenticated caller, whatever kind of token it presented. */
export interface Principal {
  /** Subject: the OAuth client id, `manager:{platform}:{login}`, or `terminal:{tokenId}`. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /** The organization (tenant) the token belongs to: it sees nothing of other organizations. */
  readonly organization: string;
  readonly scopes: readonly Scope[];
  /** Platforms the token may reach, already narrowed to its organization's. */
  readonly platforms: readonly string[];
  /** Logins the token is restricted to, or undefined for every login of its platforms. */
  readonly logins: readonly string[] | undefined;
  /** The token's own id (JWT `jti` or terminal token id), for revocation. */
  readonly tokenId: string;
  /** When the token stops being valid (ms since the epoch); undefined for tokens that never expire. */
  readonly expiresAt: number | undefined;
  /** The device a terminal token is bound to: revoking the device refuses the token. */
  readonly device?: string;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope);
}

export function canAccessPlatform(principal: Principal, platformId: string): boolean {
  return principal.platforms.includes(platformId);
}

export function canAccessLogin(principal: Principal, platformId: string, login: string): boolean {
  return canAccessPlatform(principal, platformId) && (principal.logins === undefined || principal.logins.includes(login));
}
