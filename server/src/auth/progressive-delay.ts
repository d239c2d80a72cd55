import { CappedMap } from '../collections/capped-map.js';

export interface ProgressiveDelayOptions {
  /** Failures an account may have before it must wait at all. */
  freeFailures: number;
  /** The first wait; each further failure doubles it… */
  baseMs: number;
  /** …up to this cap, so that the real owner of an account is slowed down, never locked out. */
  maxMs: number;
  /** An account quiet for this long starts again from no failures. */
  resetAfterMs: number;
  maxKeys: number;
  now: () => number;
}

interface AccountFailures {
  /** Failed attempts, and the attempts still running (counted as failed until they succeed). */
  count: number;
  lastAt: number;
}

/**
 * The wait an account (client id, manager login) imposes on attempts from addresses it does not
 * know, growing exponentially with its failures. Ids are not secret, so anyone can make an
 * account fail: the cap bounds what that costs its owner, and the owner's known addresses skip
 * the wait (LoginThrottle).
 */
export class ProgressiveDelay {
  private readonly accounts: CappedMap<string, AccountFailures>;

  constructor(private readonly options: ProgressiveDelayOptions) {
    this.accounts = new CappedMap(options.maxKeys, (failures) => this.quiet(failures));
  }

  /** Milliseconds until `account` accepts another attempt: 0 when it does now. */
  waitMs(account: string): number {
    const failures = this.current(account);
    if (!failures) return 0;
    return Math.max(0, failures.lastAt + this.requiredWaitMs(failures.count) - this.options.now());
  }

  /** Counts a starting attempt as a failure until `release` says otherwise. */
  reserve(account: string): void {
    const failures = this.current(account) ?? { count: 0, lastAt: 0 };
    this.accounts.set(account, { count: failures.count + 1, lastAt: this.options.now() });
  }

  /** An attempt that `reserve` counted succeeded or never ran. */
  release(account: string): void {
    const failures = this.accounts.get(account);
    if (!failures) return;
    failures.count--;
    if (failures.count <= 0) this.accounts.delete(account);
  }

  private requiredWaitMs(count: number): number {
    const over = count - this.options.freeFailures;
    if (count === 0 || over < 0) return 0;
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** over);
  }

  private current(account: string): AccountFailures | undefined {
    const failures = this.accounts.get(account);
    if (failures && this.quiet(failures)) {
      this.accounts.delete(account);
      return undefined;
    }
    return failures;
  }

  private quiet(failures: AccountFailures): boolean {
    return failures.lastAt <= this.options.now() - this.options.resetAfterMs;
  }
}
