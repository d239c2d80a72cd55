import assert from 'node:assert/strict';
import { OutboundBudget } from '@tradehub/server';

const KiB = 1024;

describe('OutboundBudget: when a client that does not read is too slow', () => {
  it('admits anything while no more than the limit waits, and nothing past it', () => {
    const budget = new OutboundBudget(64 * KiB);
    assert.equal(budget.admit(0, 1 * KiB), true);
    assert.equal(budget.admit(64 * KiB, 1 * KiB), true);
    // Once past the limit, only the largest message queued since catching up is allowed on top.
    assert.equal(budget.admit(64 * KiB + 1 * KiB, 1 * KiB), true);
    assert.equal(budget.admit(64 * KiB + 1 * KiB + 1, 1 * KiB), false);
  });

  it('lets a large answer the server chose to send (a resume) be followed by live events until it is read', () => {
    const budget = new OutboundBudget(64 * KiB);
    // A 600 KiB Subscribe answer queued while little was waiting.
    assert.equal(budget.admit(10 * KiB, 600 * KiB), true);
    // The client has not read it yet: live events behind it are still taken...
    assert.equal(budget.admit(610 * KiB, 1 * KiB), true);
    assert.equal(budget.admit(64 * KiB + 600 * KiB, 1 * KiB), true);
    // ...up to the limit beyond the large answer, then the client is too slow.
    assert.equal(budget.admit(64 * KiB + 600 * KiB + 1, 1 * KiB), false);
  });

  it('forgets the allowance once the client caught up', () => {
    const budget = new OutboundBudget(64 * KiB);
    assert.equal(budget.admit(0, 600 * KiB), true);
    assert.equal(budget.admit(32 * KiB, 1 * KiB), true); // read most of it: caught up
    assert.equal(budget.admit(65 * KiB, 1 * KiB), true); // 1 KiB is the largest since then
    assert.equal(budget.admit(66 * KiB, 1 * KiB), false);
  });
});
