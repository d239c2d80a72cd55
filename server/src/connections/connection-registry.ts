import type { AccessDenial } from '@tradehub/shared';
import type { Principal } from '../auth/principal.js';

/** What took the access: one token revoked, or replaced by a new secret; or a device, account or organization state. */
export type AccessLossCause = 'revoked' | 'replaced' | AccessDenial;

/** Access that some principals just lost: one token, or every token of a device, account or organization. */
export interface LostAccess {
  /** Why, as the client is told in the Close message (never a secret). */
  readonly reason: string;
  /** The same in one word or two, for what reports it (a terminal's `offline` event). */
  readonly cause: AccessLossCause;
  /** Set when exactly one token lost access: a registry may find its connections by token id. */
  readonly tokenId?: string;
  matches(principal: Principal): boolean;
}

/**
 * Anything that keeps live connections of authenticated principals (a hub, a WebSocket
 * endpoint): when access is lost, each node asks every registry it has to close the
 * connections of the principals concerned.
 */
export interface ConnectionRegistry {
  /** Closes the connections whose principal lost access; returns how many. */
  closeLost(lost: LostAccess): number;
}
