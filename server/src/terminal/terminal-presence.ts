import { mtId, platformId } from '@tradehub/shared';
import { z } from 'zod';

/** Which connection, on which node, is an account's terminal now. */
export const terminalHolderSchema = z.strictObject({
  platform: platformId,
  login: mtId,
  connectionId: z.string().min(1).max(200),
  node: z.string().min(1).max(200),
  /** The terminal token's name, for status events. */
  name: z.string().max(200),
  /** The terminal token's id; null for an in-process terminal (the demo's simulator). */
  tokenId: z.string().max(64).nullable(),
  /** When it came online (UTC ms). */
  since: z.number().int().nonnegative(),
});

export type TerminalHolder = z.output<typeof terminalHolderSchema>;

/**
 * Which terminals are online, known on every node (one terminal per account: `platform/login`).
 * A new connection for an account replaces the one before it: the node holding the old one hears
 * `onDisplaced` and closes it. Chosen once, in `create-app.ts`: in memory, or shared through Redis.
 */
export interface TerminalPresence {
  /** Makes `holder` the account's terminal; resolves with the one it replaced, if any. */
  claim(holder: TerminalHolder): Promise<TerminalHolder | undefined>;
  /** Forgets the account's terminal if `connectionId` still holds it; true when it did. */
  release(platform: string, login: string, connectionId: string): Promise<boolean>;
  /** The account's terminal now, wherever it is connected. */
  find(platform: string, login: string): Promise<TerminalHolder | undefined>;
  /** Tells every node that `holder` was replaced, so that the node holding it closes it. */
  displace(holder: TerminalHolder): Promise<void>;
  /** Called on every node for each displaced holder (the listener closes it if it is local). */
  onDisplaced(listener: (holder: TerminalHolder) => void): void;
  close(): Promise<void>;
}

/** The one key an account's terminal is known by. */
export function accountKey(platform: string, login: string): string {
  return `${platform}/${login}`;
}
