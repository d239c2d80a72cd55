/** RFC 6750 section 3.1 error codes of a protected resource. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * A refused bearer token or request. The description is shown to the caller, so it must
 * never contain the token or any secret.
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: BearerErrorCode | 'missing_token',
    readonly description: string,
    /** Scope that would have been enough, for `insufficient_scope`. */
    readonly requiredScope?: string,
  ) {
    super(description);
  }

  get status(): 400 | 401 | 403 {
    switch (this.code) {
      case 'invalid_request':
        return 400;
      case 'insufficient_scope':
        return 403;
      default:
        return 401;
    }
  }

  /** The `WWW-Authenticate` value (RFC 6750 section 3): no error attribute when no token was sent. */
  get challenge(): string {
    const parts = ['Bearer realm="tradehub"'];
    if (this.code !== 'missing_token') {
      parts.push(`error="${this.code}"`, `error_description="${this.description.replace(/["\\]/g, '')}"`);
    }
    if (this.requiredScope) parts.push(`scope="${this.requiredScope}"`);
    return parts.join(', ');
  }
}

/**
 * A token could not be checked now (its store, such as Redis, is unreachable). Not the
 * caller's fault: answered 503 with Retry-After, never as a refusal of the token.
 */
export class AuthUnavailableError extends Error {
  override readonly name = 'AuthUnavailableError';
  readonly retryAfterSeconds = 5;
  constructor() {
    super('Tokens cannot be checked right now; retry shortly.');
  }
}
