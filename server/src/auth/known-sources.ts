import { CappedMap } from '../collections/capped-map.js';

/**
 * The addresses each account logged in from recently. A login from one of them is very likely
 * the account's owner, so guesses against the account from elsewhere do not slow it down.
 * Only successful logins add entries, so guessing cannot grow it; the cap bounds it anyway.
 */
export class KnownSources {
  /** Expiry time per account and address. */
  private readonly expiries: CappedMap<string, number>;

  constructor(private readonly options: { rememberMs: number; maxKeys: number; now: () => number }) {
    this.expiries = new CappedMap(options.maxKeys, (expiresAt) => expiresAt <= options.now());
  }

  has(account: string, address: string): boolean {
    const key = pairKey(account, address);
    const expiresAt = this.expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.options.now()) return true;
    this.expiries.delete(key);
    return false;
  }

  remember(account: string, address: string): void {
    this.expiries.set(pairKey(account, address), this.options.now() + this.options.rememberMs);
  }
}

/** One key for an account and an address; unambiguous whatever characters the account holds. */
export function pairKey(account: string, address: string): string {
  return JSON.stringify([account, address]);
}
