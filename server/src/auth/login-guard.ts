import type { LimitName, TradehubMetrics } from '../observability/metrics.js';
import { HashQueueFullError, type HashGate } from './hash-gate.js';
import type { HashedSecrets } from './hashed-secrets.js';
import type { LoginAttempt, LoginStanding, LoginThrottle } from './login-throttle.js';

/** The gate lane of each standing: the more trusted, the sooner its secret is checked. */
export const HASH_LANES: Readonly<Record<LoginStanding, number>> = { known: 0, clean: 1, suspect: 2 };

export type LoginCheck =
  | { readonly outcome: 'valid' | 'invalid' }
  /** Refused without checking the secret: too many failures (`login_rate`) or too much hashing queued (`hash_queue`). */
  | { readonly outcome: 'limited'; readonly limit: Extract<LimitName, 'login_rate' | 'hash_queue'>; readonly retryAfterSeconds: number };

export interface SecretLogin extends LoginAttempt {
  /** Where HashedSecrets holds the secret to compare with. */
  secretKey: string;
  secret: string;
}

/** How long a caller turned away by a full hashing queue should wait: the queue drains within moments. */
const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Checks a login's secret within the login limits, for both logins by secret (client
 * credentials, manager password): the throttle admits the attempt before any hashing, the
 * gate bounds the hashing, and the outcome settles the attempt's reservation.
 */
export class LoginGuard {
  constructor(
    private readonly throttle: LoginThrottle,
    private readonly gate: HashGate,
    private readonly secrets: HashedSecrets,
    private readonly metrics: TradehubMetrics,
  ) {}

  async check(login: SecretLogin): Promise<LoginCheck> {
    const result = await this.checkWithinLimits(login);
    this.metrics.auth.logins.inc({ outcome: result.outcome });
    return result;
  }

  private async checkWithinLimits(login: SecretLogin): Promise<LoginCheck> {
    const admission = this.throttle.admit(login);
    if (!admission.admitted) {
      this.metrics.limitHit('login_rate');
      return { outcome: 'limited', limit: 'login_rate', retryAfterSeconds: admission.retryAfterSeconds };
    }
    const { reservation } = admission;
    let valid: boolean;
    try {
      valid = await this.gate.run(HASH_LANES[reservation.standing], () => this.secrets.verify(login.secretKey, login.secret));
    } catch (error) {
      reservation.abandoned();
      if (!(error instanceof HashQueueFullError)) throw error;
      this.metrics.limitHit('hash_queue');
      return { outcome: 'limited', limit: 'hash_queue', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
    }
    if (valid) reservation.succeeded();
    else reservation.failed();
    return { outcome: valid ? 'valid' : 'invalid' };
  }
}
