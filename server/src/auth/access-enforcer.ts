import type { Logger } from 'pino';
import type { ConnectionRegistry, LostAccess } from '../connections/connection-registry.js';
import type { AccessPolicy } from './access-policy.js';
import { principalBelongsTo, type AccessSubject } from './access-subject.js';
import type { AccessChange } from './revocation-bus.js';

/** The longest a timer may wait in Node (about 24.8 days); a later expiry is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** How often every organization's state is read again, in case a change was missed (a Redis reconnect). */
export const ORGANIZATION_SWEEP_MS = 30_000;

/**
 * One node's side of access changes: closes the live connections that an access change took
 * access from, in every registry of the node, and closes an organization's connections at its
 * expiry time even with no admin action (a timer per organization, set from the stored or
 * configured expiry, plus a sweep that reads every organization again).
 */
export class AccessEnforcer {
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly policy: AccessPolicy,
    private readonly organizations: readonly string[],
    private readonly registries: readonly ConnectionRegistry[],
    private readonly logger: Logger,
    sweepMs = ORGANIZATION_SWEEP_MS,
  ) {
    this.sweep = setInterval(() => this.checkOrganizations(), sweepMs);
    this.sweep.unref();
  }

  /** Reads every organization's state once, to schedule their expiries. */
  checkOrganizations(): void {
    for (const organization of this.organizations) this.apply({ kind: 'organization', organization });
  }

  /** Acts on a change from the bus; never throws (a store that cannot answer now is logged, and the sweep tries again). */
  apply(change: AccessChange): void {
    if (change.kind === 'token') {
      const { tokenId, replaced } = change;
      const reason = replaced ? 'The access token was replaced by a new secret.' : 'The access token was revoked.';
      this.close({ reason, cause: replaced ? 'replaced' : 'revoked', tokenId, matches: (principal) => principal.tokenId === tokenId });
      return;
    }
    this.applySubject(change).catch((error: unknown) => {
      this.logger.warn({ err: error, subject: change.kind }, 'could not read an access state; the next sweep tries again');
    });
  }

  close(lost: LostAccess): void {
    let closed = 0;
    for (const registry of this.registries) closed += registry.closeLost(lost);
    if (closed > 0) logClosed(this.logger, lost, closed);
  }

  dispose(): void {
    clearInterval(this.sweep);
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }

  private async applySubject(subject: AccessSubject): Promise<void> {
    const state = await this.policy.state(subject);
    const denial = this.policy.denialFor(subject, state);
    if (denial) this.close({ reason: denial, cause: denial, matches: (principal) => principalBelongsTo(subject, principal) });
    if (subject.kind === 'organization') this.scheduleExpiry(subject, denial === undefined ? state.expiresAt : undefined);
  }

  /** Replaces the organization's timer (so that of overlapping reads, the last one's is kept); none for an organization already denied. */
  private scheduleExpiry(subject: Extract<AccessSubject, { kind: 'organization' }>, expiresAt: number | undefined): void {
    const { organization } = subject;
    clearTimeout(this.expiryTimers.get(organization));
    this.expiryTimers.delete(organization);
    if (expiresAt === undefined) return;
    // A few ms late rather than early: the wall clock the expiry is read against may lag the timer's.
    const timer = setTimeout(() => {
      this.expiryTimers.delete(organization);
      this.apply(subject);
    }, Math.min(MAX_TIMER_MS, expiresAt - Date.now() + 5));
    timer.unref();
    this.expiryTimers.set(organization, timer);
  }
}

function logClosed(logger: Logger, lost: LostAccess, closed: number): void {
  // The token id names a token, it is not its secret: it is what admins revoke by.
  if (lost.tokenId !== undefined) logger.info({ tokenId: lost.tokenId, closed }, 'closed connections of a revoked token');
  else logger.info({ reason: lost.reason, closed }, 'closed connections that lost access');
}
