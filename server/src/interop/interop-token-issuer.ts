import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  INTEROP_TOKEN_AUDIENCE, INTEROP_TOKEN_ISSUER, INTEROP_TOKEN_LIFETIME_SECONDS, INTEROP_TOKEN_USER,
} from '@tradehub/shared';
import { describeVerifyError } from '../auth/access-token-service.js';
import { AuthError } from '../auth/auth-error.js';
import type { Principal } from '../auth/principal.js';
import type { TokenAuthenticator } from '../connections/connection-endpoint.js';

/**
 * The claim .NET's `ClaimTypes.NameIdentifier` stands for. .NET's JwtSecurityTokenHandler writes
 * it as the short `nameid` and reads `nameid` back as this type; a token carries both, so that a
 * reader looking for either finds the user.
 */
const NAME_IDENTIFIER_CLAIM_TYPE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
const NAME_IDENTIFIER_JWT_CLAIM = 'nameid';

/** Every token of one interop server belongs to this organization: it reaches nothing else. */
const INTEROP_ORGANIZATION = 'interop';

/**
 * The interop server's own tokens (the ASP.NET test server's `/generateJwtToken`): HS256 with a
 * secret made at start and never shown, issued to `testuser` for a few seconds. The authorized
 * hub accepts only these, and refuses them once expired, with no clock tolerance.
 */
export class InteropTokenIssuer implements TokenAuthenticator {
  private readonly secret = randomBytes(32);

  constructor(private readonly lifetimeSeconds: number = INTEROP_TOKEN_LIFETIME_SECONDS) {}

  issue(): string {
    const claims = { [NAME_IDENTIFIER_JWT_CLAIM]: INTEROP_TOKEN_USER, [NAME_IDENTIFIER_CLAIM_TYPE]: INTEROP_TOKEN_USER };
    return jwt.sign(claims, this.secret, {
      algorithm: 'HS256',
      issuer: INTEROP_TOKEN_ISSUER,
      audience: INTEROP_TOKEN_AUDIENCE,
      // A number: jsonwebtoken reads a string of digits as milliseconds.
      expiresIn: this.lifetimeSeconds,
      jwtid: randomUUID(),
    });
  }

  /** @throws AuthError when the token is not one of ours, is expired, or names no user */
  async authenticate(token: string): Promise<Principal> {
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, this.secret, {
        algorithms: ['HS256'], issuer: INTEROP_TOKEN_ISSUER, audience: INTEROP_TOKEN_AUDIENCE, clockTolerance: 0,
      }) as jwt.JwtPayload;
    } catch (error) {
      throw new AuthError('invalid_token', describeVerifyError(error));
    }
    const user = claims[NAME_IDENTIFIER_JWT_CLAIM] as unknown;
    if (typeof user !== 'string' || typeof claims.exp !== 'number' || typeof claims.jti !== 'string') {
      throw new AuthError('invalid_token', 'The token lacks required claims.');
    }
    return {
      id: user, kind: 'client', organization: INTEROP_ORGANIZATION, scopes: [], platforms: [], logins: undefined,
      tokenId: claims.jti, expiresAt: claims.exp * 1000,
    };
  }
}
