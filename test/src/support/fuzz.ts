import assert from 'node:assert/strict';
import fc from 'fast-check';

/**
 * fast-check parameters for one property: a fixed seed, so that a failure in CI reproduces
 * on any machine with the same seed, and a bounded number of runs, so that the whole fuzz
 * set stays within about a minute on a loaded two-core machine.
 */
export function fuzzRuns<T>(seed: number, numRuns: number): fc.Parameters<T> {
  return { seed, numRuns, verbose: fc.VerbosityLevel.Verbose };
}

/**
 * Records every unhandled rejection and uncaught exception while a fuzz file runs, so that a
 * property can say that none happened (the root hooks would only name the test after the fact).
 */
export class ProcessProblems {
  private readonly found: unknown[] = [];
  private readonly record = (problem: unknown): void => {
    this.found.push(problem);
  };

  start(): void {
    process.on('unhandledRejection', this.record);
    process.on('uncaughtException', this.record);
  }

  stop(): void {
    process.off('unhandledRejection', this.record);
    process.off('uncaughtException', this.record);
  }

  assertNone(): void {
    assert.deepEqual(this.found.map(String), [], 'unhandled rejections or uncaught exceptions in the process');
  }
}

/** A string that is never a secret, stack trace or internal path: what error answers may look like. */
export function assertNoLeak(text: string, secrets: readonly string[]): void {
  assert.doesNotMatch(text, /\n\s+at [^\n]+:\d+:\d+/, `stack trace in ${text.slice(0, 300)}`);
  assert.doesNotMatch(text, /node_modules|\/src\/|\/dist\//, `internal path in ${text.slice(0, 300)}`);
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret was echoed back in ${text.slice(0, 300)}`);
}

export interface ByteEdit {
  at: number;
  kind: 'flip' | 'insert' | 'drop';
  byte: number;
  length: number;
}

/** One to four edits of a byte string: what a buggy or hostile peer makes of valid input. */
export const byteEdits: fc.Arbitrary<ByteEdit[]> = fc.array(fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip' as const, 'insert' as const, 'drop' as const),
  byte: fc.integer({ min: 0, max: 255 }),
  length: fc.integer({ min: 1, max: 9 }),
}), { minLength: 1, maxLength: 4 });

/** Applies `edits` in order: a flipped byte, inserted bytes, a dropped range. */
export function mutate(bytes: Uint8Array, edits: readonly ByteEdit[]): Buffer {
  let out = Buffer.from(bytes);
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    switch (edit.kind) {
      case 'flip':
        if (out.length > 0) out[at] = (out[at] as number) ^ (edit.byte || 1);
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.alloc(edit.length, edit.byte), out.subarray(at)]);
        break;
      case 'drop':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + edit.length)]);
        break;
    }
  }
  return out;
}
