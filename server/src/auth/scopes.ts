/** What a token may do. Hub methods and API routes each declare the scope they need. */
export const Scope = {
  /** Subscribe to and read trade events and state. */
  TradeRead: 'trade.read',
  /** Publish trade events. */
  TradePublish: 'trade.publish',
  /** Manage the organization's terminal tokens, devices and accounts, and revoke access. */
  Admin: 'admin',
  /**
   * Run the deployment: disable or expire any organization (`/api/organizations/{id}/state`).
   * Only configured clients get it; never a terminal or manager token.
   */
  Operator: 'operator',
} as const;

export type Scope = (typeof Scope)[keyof typeof Scope];

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/** Splits an OAuth `scope` string (space-separated, RFC 6749 section 3.3). */
export function parseScopeString(raw: string): string[] {
  return raw.split(' ').filter((part) => part !== '');
}
