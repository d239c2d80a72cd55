import assert from 'node:assert/strict';
import { waitUntil } from './support/wait.js';

/**
 * The helper every test waits with. Its failure message is what a failing scenario is debugged
 * from: a stale one sent the slow-consumer fault hunt after events that had in fact arrived.
 */
describe('test support: waitUntil', () => {
  it('describes what was awaited as it stood at the time-out when given a function, not as it stood at the call', async () => {
    let polls = 0;
    const failure = await waitUntil(() => {
      polls++;
      return false;
    }, () => `a condition polled ${polls} times`, 50).then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof Error, 'the wait fails at its time-out');
    const described = /polled (\d+) times/.exec(failure.message);
    assert.ok(described, `the message names the state: ${failure.message}`);
    assert.ok(Number(described[1]) > 1, `the state at the time-out, not the 0 polls of the call: ${failure.message}`);
    assert.equal(Number(described[1]), polls);
  });

  it('still takes a plain description', async () => {
    await assert.rejects(waitUntil(() => false, 'nothing', 20), /^Error: timed out after 20 ms waiting for nothing$/);
  });
});
