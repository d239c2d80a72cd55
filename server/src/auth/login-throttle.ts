import { createHash } from 'node:crypto';
import { AttemptWindow, type AttemptSlot } from './attempt-window.js';
import { KnownSources, pairKey } from './known-sources.js';
import { ProgressiveDelay } from './progressive-delay.js';
import { sourceOf } from './source-address.js';

export interface LoginThrottleLimits {
  /** How long a failed attempt counts against its address and its account and address pair. */
  failureWindowMs: number;
  maxFailuresPerAddress: number;
  maxFailuresPerAccountAddress: number;
  /** Failures an account may have (from addresses it does not know) before its progressive delay starts. */
  accountFreeFailures: number;
  accountDelayBaseMs: number;
  accountDelayMaxMs: number;
  /** How long a successful login makes its address known to its account. */
  knownSourceMs: number;
  /** Entries each of the throttle's maps holds at most. */
  maxTrackedKeys: number;
}

/**
 * How much a login attempt is trusted, best first: from an address the account logged in from
 * recently; from an address with no recent failure and no other attempt running (a burst from
 * one address is suspect from its second attempt on); the rest.
 */
export type LoginStanding = 'known' | 'clean' | 'suspect';

export type Admission =
  | { readonly admitted: true; readonly reservation: LoginReservation }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Who attempts a login: the account (client id, manager login) and the address it calls from (an IPv6 address counts by its /64). */
export interface LoginAttempt {
  account: string;
  address: string;
}

/**
 * Rate limits for logins by secret, shared by the token endpoint and the manager login. An
 * attempt is admitted or refused synchronously, and an admitted one holds its place in every
 * limit before its secret is hashed, so that a burst of parallel guesses gets no further than
 * the limits allow. Strict limits apply per address and per account and address pair; an
 * account alone only imposes a progressive, capped delay, which its known addresses skip,
 * so that guesses from elsewhere cannot lock its owner out.
 *
 * The state is in memory: the limits hold per node.
 */
export class LoginThrottle {
  private readonly addresses: AttemptWindow;
  private readonly pairs: AttemptWindow;
  private readonly accounts: ProgressiveDelay;
  private readonly knownSources: KnownSources;

  constructor(limits: LoginThrottleLimits, now: () => number = Date.now) {
    const common = { windowMs: limits.failureWindowMs, maxKeys: limits.maxTrackedKeys, now };
    this.addresses = new AttemptWindow({ ...common, limit: limits.maxFailuresPerAddress });
    this.pairs = new AttemptWindow({ ...common, limit: limits.maxFailuresPerAccountAddress });
    this.accounts = new ProgressiveDelay({
      freeFailures: limits.accountFreeFailures,
      baseMs: limits.accountDelayBaseMs,
      maxMs: limits.accountDelayMaxMs,
      // Long enough that an attacker waiting out the capped delay never sees the count reset.
      resetAfterMs: Math.max(limits.failureWindowMs, 2 * limits.accountDelayMaxMs),
      maxKeys: limits.maxTrackedKeys,
      now,
    });
    this.knownSources = new KnownSources({ rememberMs: limits.knownSourceMs, maxKeys: limits.maxTrackedKeys, now });
  }

  /** Admits an attempt, reserving its place in every limit, or says how long to wait. Never awaits. */
  admit(attempt: LoginAttempt): Admission {
    const account = boundedKey(attempt.account);
    const address = boundedKey(sourceOf(attempt.address));
    const pair = pairKey(account, address);
    const known = this.knownSources.has(account, address);
    const waitMs = Math.max(
      this.addresses.waitMs(address),
      this.pairs.waitMs(pair),
      known ? 0 : this.accounts.waitMs(account),
    );
    if (waitMs > 0) return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };

    const standing: LoginStanding = known ? 'known' : this.addresses.isIdle(address) ? 'clean' : 'suspect';
    const addressSlot = this.addresses.reserve(address);
    const pairSlot = this.pairs.reserve(pair);
    if (!known) this.accounts.reserve(account);
    return {
      admitted: true,
      reservation: new LoginReservation(standing, (outcome) => {
        if (outcome === 'failed') {
          // A failure keeps its places until they leave the window.
          addressSlot.failed = pairSlot.failed = true;
          return;
        }
        this.release(address, addressSlot, pair, pairSlot, known ? undefined : account);
        if (outcome === 'succeeded') this.knownSources.remember(account, address);
      }),
    };
  }

  private release(address: string, addressSlot: AttemptSlot, pair: string, pairSlot: AttemptSlot, account: string | undefined): void {
    this.addresses.release(address, addressSlot);
    this.pairs.release(pair, pairSlot);
    if (account !== undefined) this.accounts.release(account);
  }
}

type AttemptOutcome = 'succeeded' | 'failed' | 'abandoned';

/** An admitted attempt's places in the limits, settled once by its outcome. */
export class LoginReservation {
  private settled = false;

  constructor(readonly standing: LoginStanding, private readonly settle: (outcome: AttemptOutcome) => void) {}

  /** The secret was right: the attempt does not count, and the address becomes known to the account. */
  succeeded(): void {
    this.finish('succeeded');
  }

  /** The secret was wrong: the attempt counts against every limit. */
  failed(): void {
    this.finish('failed');
  }

  /** The secret was never checked (the server was too busy): the attempt does not count. */
  abandoned(): void {
    this.finish('abandoned');
  }

  private finish(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(outcome);
  }
}

/** Keys come from requests: a long one is stored as its digest, so that keys cost little memory each. */
function boundedKey(value: string): string {
  return value.length <= 128 ? value : `sha256:${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}
