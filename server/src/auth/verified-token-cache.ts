import type { Principal } from './principal.js';

/**
 * Access tokens whose signature and claims were checked, by their exact text, until they
 * expire: a client that reconnects with the token it had (the common case in a reconnect storm)
 * is not checked again. Checking a JWT was about a fifth of an authenticated connect's CPU.
 *
 * Only a byte-identical token can hit, so nothing unverified is ever taken; expiry stays exact
 * (an entry is gone at `expiresAt`); revocation is not cached (the caller checks it on every use).
 * Bounded: past `capacity` entries the oldest is dropped.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Principal>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`capacity must be a whole number >= 0, not ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The principal of a token verified before and not expired yet; undefined otherwise. */
  get(token: string): Principal | undefined {
    const principal = this.entries.get(token);
    if (principal === undefined) return undefined;
    if (principal.expiresAt === undefined || principal.expiresAt <= this.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return principal;
  }

  /** Remembers a token that was just verified; one without an expiry is not kept. */
  remember(token: string, principal: Principal): void {
    if (this.capacity === 0 || principal.expiresAt === undefined) return;
    this.entries.delete(token);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, principal);
  }
}
