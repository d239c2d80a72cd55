import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn 4 KiB at a time: one call into the CSPRNG per many values instead of one
 * per value. Connection ids (two per connect) were 2% of a connect's CPU, and a fresh epoch
 * candidate per publish 1% of a node's CPU under load. Each byte is used once.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

/** `bytes` random bytes (at most 4,096) as URL-safe base64: unguessable, one use each. */
export function randomText(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const text = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return text;
}
