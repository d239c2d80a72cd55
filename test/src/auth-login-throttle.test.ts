import assert from 'node:assert/strict';
import { CappedMap, HashGate, HashQueueFullError, LoginThrottle, sourceOf, type Admission, type LoginThrottleLimits } from '@tradehub/server';

const LIMITS: LoginThrottleLimits = {
  failureWindowMs: 60_000,
  maxFailuresPerAddress: 50,
  maxFailuresPerAccountAddress: 10,
  accountFreeFailures: 3,
  accountDelayBaseMs: 1_000,
  accountDelayMaxMs: 30_000,
  knownSourceMs: 86_400_000,
  maxTrackedKeys: 1_000,
};

/** A clock the test moves by hand. */
class FakeClock {
  at = 1_700_000_000_000;
  readonly now = (): number => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

function throttleWith(limits: Partial<LoginThrottleLimits> = {}): { throttle: LoginThrottle; clock: FakeClock } {
  const clock = new FakeClock();
  return { throttle: new LoginThrottle({ ...LIMITS, ...limits }, clock.now), clock };
}

function admitted(admission: Admission): Extract<Admission, { admitted: true }> {
  assert.ok(admission.admitted, `refused, retry after ${admission.admitted ? '' : admission.retryAfterSeconds} s`);
  return admission;
}

function refusedFor(admission: Admission): number {
  assert.ok(!admission.admitted, 'the attempt was admitted');
  return admission.retryAfterSeconds;
}

/** An attempt that fails at once. */
function fail(throttle: LoginThrottle, account: string, address: string): void {
  admitted(throttle.admit({ account, address })).reservation.failed();
}

/** An attempt that succeeds at once. */
function succeed(throttle: LoginThrottle, account: string, address: string): void {
  admitted(throttle.admit({ account, address })).reservation.succeeded();
}

describe('auth: login throttle (fake clock)', () => {
  describe('reserving before the secret is checked', () => {
    it('admits no more parallel attempts of one account and address than its limit, before any of them settles', () => {
      const { throttle } = throttleWith({ accountFreeFailures: 100 });
      const admissions = Array.from({ length: 300 }, () => throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
      assert.equal(admissions.filter((a) => a.admitted).length, LIMITS.maxFailuresPerAccountAddress);
      // The slots are held by attempts still running, which settle within moments.
      for (const refused of admissions.filter((a) => !a.admitted)) assert.equal(refusedFor(refused), 1);
      for (const admission of admissions) if (admission.admitted) admission.reservation.failed();
      assert.equal(refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' })), 60);
    });

    it('lets a parallel burst of right secrets from one address through once the first ones succeed', () => {
      const { throttle } = throttleWith({ maxFailuresPerAddress: 5 });
      const first = Array.from({ length: 8 }, (_, i) => throttle.admit({ account: `client:${i}`, address: '10.0.0.1' }));
      assert.equal(first.filter((a) => a.admitted).length, 5);
      for (const admission of first) if (admission.admitted) admission.reservation.succeeded();
      for (let i = 5; i < 8; i++) succeed(throttle, `client:${i}`, '10.0.0.1');
    });

    it('admits no more parallel attempts of one address than its limit, whatever accounts they name', () => {
      const { throttle } = throttleWith();
      const admissions = Array.from({ length: 300 }, (_, i) => throttle.admit({ account: `client:guess-${i}`, address: '10.0.0.1' }));
      assert.equal(admissions.filter((a) => a.admitted).length, LIMITS.maxFailuresPerAddress);
    });

    it('admits a parallel burst against one account only up to its free failures, then asks to wait', () => {
      const { throttle } = throttleWith();
      const admissions = Array.from({ length: 300 }, (_, i) => throttle.admit({ account: 'client:a', address: `10.0.${i >> 8}.${i & 255}` }));
      assert.equal(admissions.filter((a) => a.admitted).length, LIMITS.accountFreeFailures);
      assert.equal(refusedFor(admissions[LIMITS.accountFreeFailures]!), 1);
    });

    it('gives a succeeded attempt its places back: successes never use up a limit', () => {
      const { throttle } = throttleWith({ maxFailuresPerAccountAddress: 3, maxFailuresPerAddress: 3 });
      for (let i = 0; i < 20; i++) succeed(throttle, 'client:a', '10.0.0.1');
      fail(throttle, 'client:a', '10.0.0.1');
      fail(throttle, 'client:a', '10.0.0.1');
      succeed(throttle, 'client:a', '10.0.0.1');
      fail(throttle, 'client:a', '10.0.0.1');
      refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
    });

    it('gives an abandoned attempt (never checked) its places back', () => {
      const { throttle } = throttleWith({ maxFailuresPerAccountAddress: 2, accountFreeFailures: 0 });
      for (let i = 0; i < 10; i++) admitted(throttle.admit({ account: 'client:a', address: '10.0.0.1' })).reservation.abandoned();
      fail(throttle, 'client:a', '10.0.0.1');
    });

    it('keeps a failure for the window, then forgets it', () => {
      const { throttle, clock } = throttleWith({ maxFailuresPerAccountAddress: 2, failureWindowMs: 10_000 });
      fail(throttle, 'client:a', '10.0.0.1');
      clock.advance(4_000);
      fail(throttle, 'client:a', '10.0.0.1');
      assert.equal(refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' })), 6);
      clock.advance(5_999);
      assert.equal(refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' })), 1);
      clock.advance(1);
      admitted(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
    });

    it('settles a reservation once: a second outcome changes nothing', () => {
      const { throttle } = throttleWith({ maxFailuresPerAccountAddress: 1 });
      const { reservation } = admitted(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
      reservation.failed();
      reservation.succeeded();
      refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
    });
  });

  describe('progressive delay per account instead of a lock-out', () => {
    it('doubles the wait from the base with each failure from unknown addresses, up to the cap', () => {
      const { throttle, clock } = throttleWith();
      let address = 0;
      const guess = (): Admission => throttle.admit({ account: 'client:a', address: `10.1.0.${address++}` });
      for (let i = 0; i < LIMITS.accountFreeFailures; i++) admitted(guess()).reservation.failed();
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        const wait = refusedFor(guess());
        waits.push(wait);
        clock.advance(wait * 1000);
        admitted(guess()).reservation.failed();
      }
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    });

    it('lets the account\'s known address in at once however many guesses came from elsewhere', () => {
      const { throttle } = throttleWith();
      succeed(throttle, 'client:a', '10.0.0.1');
      for (let i = 0; i < LIMITS.accountFreeFailures; i++) fail(throttle, 'client:a', `10.2.0.${i}`);
      refusedFor(throttle.admit({ account: 'client:a', address: '10.2.0.200' }));
      const owner = admitted(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
      assert.equal(owner.reservation.standing, 'known');
      owner.reservation.succeeded();
    });

    it('makes the owner from a new address wait at most the cap, never longer', () => {
      const { throttle, clock } = throttleWith();
      for (let i = 0; i < 1_000; i++) {
        const admission = throttle.admit({ account: 'client:a', address: `10.3.${i >> 8}.${i & 255}` });
        if (admission.admitted) admission.reservation.failed();
        clock.advance(500);
      }
      const wait = refusedFor(throttle.admit({ account: 'client:a', address: '10.9.9.9' }));
      assert.ok(wait <= 30, `waits ${wait} s`);
      clock.advance(wait * 1000);
      succeed(throttle, 'client:a', '10.9.9.9');
    });

    it('forgets a known address after knownSourceMs', () => {
      const { throttle, clock } = throttleWith({ knownSourceMs: 60_000, failureWindowMs: 1_000_000 });
      succeed(throttle, 'client:a', '10.0.0.1');
      clock.advance(60_000);
      for (let i = 0; i < LIMITS.accountFreeFailures; i++) fail(throttle, 'client:a', `10.4.0.${i}`);
      refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
    });

    it('starts an account over after a quiet period', () => {
      const { throttle, clock } = throttleWith();
      for (let i = 0; i < LIMITS.accountFreeFailures; i++) fail(throttle, 'client:a', `10.5.0.${i}`);
      refusedFor(throttle.admit({ account: 'client:a', address: '10.5.1.1' }));
      clock.advance(LIMITS.failureWindowMs);
      for (let i = 0; i < LIMITS.accountFreeFailures; i++) fail(throttle, 'client:a', `10.5.2.${i}`);
    });

    it('still holds a known address to its own per address and per pair limits', () => {
      const { throttle } = throttleWith({ maxFailuresPerAccountAddress: 2 });
      succeed(throttle, 'client:a', '10.0.0.1');
      fail(throttle, 'client:a', '10.0.0.1');
      fail(throttle, 'client:a', '10.0.0.1');
      refusedFor(throttle.admit({ account: 'client:a', address: '10.0.0.1' }));
    });
  });

  describe('source addresses', () => {
    it('counts an IPv6 caller by its /64 and an IPv4-mapped one as IPv4', () => {
      assert.equal(sourceOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
      assert.equal(sourceOf('2001:DB8:0001:2::ffff'), '2001:db8:1:2::/64');
      assert.equal(sourceOf('2001:db8::1'), '2001:db8:0:0::/64');
      assert.equal(sourceOf('fe80::1%eth0'), 'fe80:0:0:0::/64');
      assert.equal(sourceOf('::1'), '0:0:0:0::/64');
      assert.equal(sourceOf('::ffff:127.0.0.2'), '127.0.0.2');
      assert.equal(sourceOf('10.0.0.1'), '10.0.0.1');
      assert.equal(sourceOf('unknown'), 'unknown');
    });

    it('limits guesses from ever new addresses of one IPv6 /64 together', () => {
      const { throttle } = throttleWith({ maxFailuresPerAddress: 5 });
      for (let i = 0; i < 5; i++) fail(throttle, `client:guess-${i}`, `2001:db8:1:2::${(i + 1).toString(16)}`);
      refusedFor(throttle.admit({ account: 'client:guess-9', address: '2001:db8:1:2:ffff::9' }));
      admitted(throttle.admit({ account: 'client:guess-9', address: '2001:db8:1:3::9' }));
    });
  });

  describe('standing (the hashing lane)', () => {
    it('is known after a success, clean without failures or running attempts, suspect otherwise', () => {
      const { throttle } = throttleWith();
      const first = admitted(throttle.admit({ account: 'client:a', address: '10.0.0.1' })).reservation;
      assert.equal(first.standing, 'clean');
      const parallel = admitted(throttle.admit({ account: 'client:c', address: '10.0.0.1' })).reservation;
      assert.equal(parallel.standing, 'suspect');
      parallel.succeeded();
      first.failed();
      const second = admitted(throttle.admit({ account: 'client:b', address: '10.0.0.1' })).reservation;
      assert.equal(second.standing, 'suspect');
      second.succeeded();
      assert.equal(admitted(throttle.admit({ account: 'client:b', address: '10.0.0.1' })).reservation.standing, 'known');
    });
  });

  describe('bounded memory', () => {
    it('keeps guesses from ever new addresses and accounts within maxTrackedKeys per map, and still limits', () => {
      const { throttle, clock } = throttleWith({ maxTrackedKeys: 100, maxFailuresPerAccountAddress: 1 });
      for (let i = 0; i < 20_000; i++) {
        const admission = throttle.admit({ account: `client:${i}`, address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` });
        if (admission.admitted) admission.reservation.failed();
        clock.advance(1);
      }
      // The most recent keys are kept: the newest pair is still limited.
      refusedFor(throttle.admit({ account: 'client:19999', address: '10.0.78.31' }));
    });

    it('CappedMap holds at most its cap, dropping stale entries first, then the least recently set', () => {
      const map = new CappedMap<string, number>(10, (value) => value < 0);
      for (let i = 0; i < 5; i++) map.set(`stale-${i}`, -1);
      for (let i = 0; i < 1_000; i++) {
        map.set(`key-${i}`, i);
        assert.ok(map.size <= 10, `size ${map.size}`);
      }
      assert.equal(map.get('key-999'), 999);
      assert.equal(map.get('key-0'), undefined);
      assert.equal(map.get('stale-0'), undefined);
    });

    it('stores a long account under a digest, and still limits it', () => {
      const { throttle } = throttleWith({ maxFailuresPerAccountAddress: 1 });
      const long = `client:${'x'.repeat(8_000)}`;
      fail(throttle, long, '10.0.0.1');
      refusedFor(throttle.admit({ account: long, address: '10.0.0.1' }));
    });
  });
});

/** A task the test finishes by hand. */
function pendingTask(): { task: () => Promise<string>; started: () => boolean; finish: (value: string) => void } {
  let resolve: (value: string) => void = () => undefined;
  let started = false;
  const promise = new Promise<string>((r) => { resolve = r; });
  return { task: () => { started = true; return promise; }, started: () => started, finish: (value) => resolve(value) };
}

describe('auth: hash gate', () => {
  it('runs at most `concurrency` tasks at once and starts the next when one ends', async () => {
    const gate = new HashGate({ concurrency: 2, maxQueued: 10, lanes: 3 });
    const tasks = Array.from({ length: 5 }, () => pendingTask());
    const results = tasks.map((t) => gate.run(2, t.task));
    assert.deepEqual(tasks.map((t) => t.started()), [true, true, false, false, false]);
    assert.equal(gate.queued, 3);
    tasks[0]!.finish('a');
    assert.equal(await results[0], 'a');
    assert.deepEqual(tasks.map((t) => t.started()), [true, true, true, false, false]);
    for (const [i, t] of tasks.entries()) t.finish(String(i));
    assert.deepEqual(await Promise.all(results), ['a', '1', '2', '3', '4']);
  });

  it('serves more trusted lanes first', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 10, lanes: 3 });
    const order: string[] = [];
    const blocker = pendingTask();
    const first = gate.run(0, blocker.task);
    const queued = [
      gate.run(2, async () => { order.push('suspect'); return ''; }),
      gate.run(1, async () => { order.push('clean'); return ''; }),
      gate.run(0, async () => { order.push('known'); return ''; }),
    ];
    blocker.finish('');
    await Promise.all([first, ...queued]);
    assert.deepEqual(order, ['known', 'clean', 'suspect']);
  });

  it('when full, refuses a suspect task at once, and lets a trusted one take the newest suspect\'s place', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 2, lanes: 3 });
    const blocker = pendingTask();
    const running = gate.run(2, blocker.task);
    const suspects = [gate.run(2, async () => 's1'), gate.run(2, async () => 's2')];
    await assert.rejects(gate.run(2, async () => 's3'), HashQueueFullError);
    const known = gate.run(0, async () => 'k');
    await assert.rejects(suspects[1]!, HashQueueFullError);
    assert.equal(gate.queued, 2);
    blocker.finish('b');
    assert.deepEqual(await Promise.all([running, known, suspects[0]!]), ['b', 'k', 's1']);
  });

  it('refuses a trusted task only when the queue holds nothing less trusted', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 1, lanes: 3 });
    const blocker = pendingTask();
    const running = gate.run(0, blocker.task);
    const queued = gate.run(0, async () => 'k1');
    await assert.rejects(gate.run(0, async () => 'k2'), HashQueueFullError);
    blocker.finish('b');
    assert.deepEqual(await Promise.all([running, queued]), ['b', 'k1']);
  });

  it('frees the slot of a task that fails', async () => {
    const gate = new HashGate({ concurrency: 1, maxQueued: 1, lanes: 1 });
    await assert.rejects(gate.run(0, async () => { throw new Error('scrypt failed'); }), /scrypt failed/);
    assert.equal(await gate.run(0, async () => 'next'), 'next');
  });
});
