import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { TradehubConfig } from '@tradehub/server';
import { closure } from './auth-helpers.js';

/** An operator client (scope `operator`) of organization `demo`: it may disable other organizations. */
export const OPERATOR = { id: 'ops', secret: 'ops-secret' } as const;

/** Config override: adds the operator client. */
export function withOperator(config: TradehubConfig): TradehubConfig {
  config.clients.push({ id: OPERATOR.id, secret: OPERATOR.secret, organization: 'demo', scopes: ['operator'] });
  return config;
}

/**
 * Runs `action` and asserts that every connection closes within 1 s of its start, with an error
 * naming `reason`; returns the slowest close, in ms.
 */
export async function assertClosedWithinOneSecond(connections: HubConnection[], reason: RegExp, action: () => Promise<void>): Promise<number> {
  const closures = connections.map((connection) => closure(connection, 3_000));
  const started = Date.now();
  await action();
  let slowest = 0;
  for (const { error, at } of await Promise.all(closures)) {
    slowest = Math.max(slowest, at - started);
    assert.match(String(error), reason);
  }
  assert.ok(slowest < 1_000, `closed after ${slowest} ms`);
  return slowest;
}
