import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AuthError } from './auth-error.js';
import type { Principal, PrincipalKind } from './principal.js';
import { isScope, parseScopeString, type Scope } from './scopes.js';
import type { SigningKeys, VerificationKey } from './signing-keys.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface AccessTokenRequest {
  subject: string;
  kind: PrincipalKind;
  organization: string;
  scopes: readonly Scope[];
  platforms: readonly string[];
  logins?: readonly string[];
  lifetimeSeconds: number;
}

export interface IssuedAccessToken {
  token: string;
  tokenId: string;
  expiresIn: number;
  expiresAt: number;
}

/** Claims tradehub adds to the registered ones (RFC 7519 section 4.1). */
interface TradehubClaims {
  scope: string;
  org: string;
  plat: string[];
  logins?: string[];
  knd: PrincipalKind;
}

/** Longest token accepted: a guard against oversized input before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/** Verified tokens remembered per node (a few MB at most): see VerifiedTokenCache. */
const VERIFIED_TOKENS_KEPT = 4096;

/** Issues and verifies JWT access tokens with `jsonwebtoken`, pinning algorithm, issuer and audience. */
export class AccessTokenService {
  private readonly verified: VerifiedTokenCache;
  /** The one verification key when there is only one (HS256, or a single RS/ES key): no need to read the header first. */
  private readonly onlyKey: VerificationKey | undefined;

  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
    private readonly audience: string,
    options: { verifiedTokensKept?: number; now?: () => number } = {},
  ) {
    this.verified = new VerifiedTokenCache(options.verifiedTokensKept ?? VERIFIED_TOKENS_KEPT, options.now);
    this.onlyKey = keys.verification.size === 1 ? [...keys.verification.values()][0] : undefined;
  }

  issue(request: AccessTokenRequest): IssuedAccessToken {
    const tokenId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const claims: TradehubClaims = {
      scope: request.scopes.join(' '),
      org: request.organization,
      plat: [...request.platforms],
      ...(request.logins ? { logins: [...request.logins] } : {}),
      knd: request.kind,
    };
    const token = jwt.sign({ ...claims, iat: now, nbf: now }, this.keys.signing.key, {
      algorithm: this.keys.algorithm,
      keyid: this.keys.signing.kid,
      issuer: this.issuer,
      audience: this.audience,
      subject: request.subject,
      jwtid: tokenId,
      // A number: jsonwebtoken reads a string of digits as milliseconds.
      expiresIn: request.lifetimeSeconds,
    });
    return { token, tokenId, expiresIn: request.lifetimeSeconds, expiresAt: (now + request.lifetimeSeconds) * 1000 };
  }

  /**
   * Checks signature, algorithm, issuer, audience and time claims.
   * @throws AuthError `invalid_token` with a description that never repeats the token.
   */
  verify(token: string, options: { ignoreExpiration?: boolean } = {}): Principal {
    if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('invalid_token', 'The token is too large.');
    if (options.ignoreExpiration) return this.verifyInFull(token, true);
    const known = this.verified.get(token);
    if (known) return known;
    const principal = this.verifyWithOnlyKey(token) ?? this.verifyInFull(token, false);
    this.verified.remember(token, principal);
    return principal;
  }

  /**
   * With a single key, the signature is checked straight away (the header read once, by
   * jsonwebtoken). Undefined when that did not succeed: the full check then says exactly why.
   */
  private verifyWithOnlyKey(token: string): Principal | undefined {
    const key = this.onlyKey;
    if (!key) return undefined;
    let verified: jwt.Jwt;
    try {
      verified = jwt.verify(token, key.key, { ...this.verifyOptions(false), complete: true });
    } catch {
      return undefined;
    }
    if (typeof verified.payload === 'string' || (verified.header.kid !== undefined && verified.header.kid !== key.kid)) return undefined;
    const payload = verified.payload;
    if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) return undefined;
    return principalFromClaims(payload);
  }

  private verifyOptions(ignoreExpiration: boolean): jwt.VerifyOptions {
    return { algorithms: [this.keys.algorithm], issuer: this.issuer, audience: this.audience, ignoreExpiration, clockTolerance: 5 };
  }

  /** Reads the header to pick the key, then checks everything; every refusal says why. */
  private verifyInFull(token: string, ignoreExpiration: boolean): Principal {
    const decoded = decodeUnverified(token);
    if (!decoded || typeof decoded.payload === 'string') throw new AuthError('invalid_token', 'The token is malformed.');
    if (decoded.header.alg !== this.keys.algorithm) {
      throw new AuthError('invalid_token', 'The token is signed with an algorithm this server does not accept.');
    }
    // Without a kid, a single key is unambiguous (services sharing an HS256 secret rarely set one).
    const key = this.keys.verification.get(decoded.header.kid ?? this.onlyKey?.kid ?? '');
    if (!key) throw new AuthError('invalid_token', 'The token names an unknown signing key.');
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key.key, this.verifyOptions(ignoreExpiration)) as jwt.JwtPayload;
    } catch (error) {
      throw new AuthError('invalid_token', describeVerifyError(error));
    }
    // The clock tolerance is for skew between nodes on nbf; expiry is exact, as live connections
    // are closed exactly at exp, so that a reconnect with the same token is refused too.
    if (!ignoreExpiration && typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) {
      throw new AuthError('invalid_token', 'The token expired.');
    }
    return principalFromClaims(payload);
  }
}

/**
 * The header and payload, unverified, to pick the key. jsonwebtoken's decode throws (a
 * SyntaxError from jws) instead of answering null when the header says `typ: JWT` and the
 * payload is not JSON: that is a malformed token too, not a failure of the server.
 */
function decodeUnverified(token: string): jwt.Jwt | null {
  try {
    return jwt.decode(token, { complete: true });
  } catch {
    return null;
  }
}

/** What was wrong with a token jsonwebtoken refused, in words that never contain the token. */
export function describeVerifyError(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'The token expired.';
  if (error instanceof jwt.NotBeforeError) return 'The token is not valid yet.';
  if (error instanceof jwt.JsonWebTokenError) {
    if (error.message.startsWith('jwt issuer invalid')) return 'The token issuer is not accepted.';
    if (error.message.startsWith('jwt audience invalid')) return 'The token audience is not accepted.';
    if (error.message === 'invalid signature') return 'The token signature is invalid.';
    if (error.message === 'invalid algorithm') return 'The token is signed with an algorithm this server does not accept.';
  }
  return 'The token is invalid.';
}

function principalFromClaims(payload: jwt.JwtPayload): Principal {
  const { sub, jti, exp, scope, org, plat, logins, knd } = payload as jwt.JwtPayload & Partial<TradehubClaims>;
  if (typeof exp !== 'number') throw new AuthError('invalid_token', 'The token has no expiry.');
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof org !== 'string' || typeof scope !== 'string'
    || !Array.isArray(plat) || (knd !== 'client' && knd !== 'manager' && knd !== 'terminal')) {
    throw new AuthError('invalid_token', 'The token lacks required claims.');
  }
  return {
    id: sub,
    kind: knd,
    organization: org,
    scopes: parseScopeString(scope).filter(isScope),
    platforms: plat.filter((p): p is string => typeof p === 'string'),
    logins: Array.isArray(logins) ? logins.filter((l): l is string => typeof l === 'string') : undefined,
    tokenId: jti,
    expiresAt: exp * 1000,
  };
}
