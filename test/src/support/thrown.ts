import assert from 'node:assert/strict';

/** Calls `fn`, expects it to throw, and returns the message. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected an error');
}
