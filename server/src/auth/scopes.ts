/** What a token may do. Hub methods and API routes each declare the scope they need. */
export const Scope = {
  /** Subscribe to and read trade events and state. */
  TradeRead: 'trade.read',
  /** Publish trade events. */
  TradePublish: 'trade.publish',
  /** Manage terminal tokens and revoke access. */
  Admin: 'admin',
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
