import { Counter, type Registry } from 'prom-client';

/** Why a presented token was refused: its OAuth error code, or `unavailable` when the token store could not answer. */
export type AuthFailureReason = 'invalid_token' | 'invalid_request' | 'insufficient_scope' | 'unavailable';

const REASONS: readonly AuthFailureReason[] = ['invalid_token', 'invalid_request', 'insufficient_scope', 'unavailable'];

/** Bearer tokens presented to this node (hubs, /rpc, /ws, REST) and checked: accepted, and refused by reason. */
export class AuthMetrics {
  readonly successes: Counter;
  readonly failures: Counter<'reason'>;
  /** Logins by secret (client credentials, manager password), by outcome. */
  readonly logins: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.successes = new Counter({ name: 'tradehub_auth_successes_total', help: 'Bearer tokens accepted.', registers: [registry] });
    this.failures = new Counter({
      name: 'tradehub_auth_failures_total',
      help: `Bearer tokens refused, by reason (${REASONS.join(', ')}).`,
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const reason of REASONS) this.failures.inc({ reason }, 0);
    this.logins = new Counter({
      name: 'tradehub_logins_total',
      help: 'Logins by secret (client credentials, manager password), by outcome: valid, invalid (wrong secret), limited (refused by the login limits before any check).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of ['valid', 'invalid', 'limited']) this.logins.inc({ outcome }, 0);
  }

  failed(reason: AuthFailureReason): void {
    this.failures.inc({ reason });
  }
}
