import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** tradehub's version, from the server package's manifest. */
export const TRADEHUB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Names this process among the hub nodes of a deployment: `NODE_ID`, or a random id per start. */
export function nodeId(): string {
  return process.env.NODE_ID ?? `node-${randomBytes(4).toString('hex')}`;
}
