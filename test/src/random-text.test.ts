import assert from 'node:assert/strict';
import { randomText } from '@tradehub/server';

describe('randomText: pooled random ids and epochs', () => {
  it('gives URL-safe base64 of the asked length, never the same twice across many refills of its pool', () => {
    const seen = new Set<string>();
    // 3,000 draws of 16 bytes are 48 KB: the 4 KiB pool is refilled about a dozen times.
    for (let index = 0; index < 3_000; index++) {
      const text = randomText(16);
      assert.match(text, /^[A-Za-z0-9_-]{22}$/);
      seen.add(text);
    }
    assert.equal(seen.size, 3_000);
    assert.match(randomText(6), /^[A-Za-z0-9_-]{8}$/);
  });

  it('does not hand out the same bytes to values of different lengths', () => {
    // Draws of 6 and 16 bytes interleaved: pool bytes used twice would show as a shared 6-byte prefix.
    const values = Array.from({ length: 2_000 }, (_unused, index) => Buffer.from(randomText(index % 2 === 0 ? 6 : 16), 'base64url').toString('hex'));
    const prefixes = new Set(values.map((value) => value.slice(0, 12)));
    assert.equal(prefixes.size, values.length);
  });
});
