import assert from 'node:assert/strict';
import { ClientOfflineError, createClient, ErrorReply } from 'redis';
import { loadConfig, RedisGuard, RedisUnavailableError, silentLogger } from '@tradehub/server';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { waitUntil } from './support/wait.js';

/** A promise settled from outside, standing for a Redis reply that comes (or not) when the test says. */
function deferred<T = unknown>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RedisGuard: every Redis call with a time-out, none sent while Redis is silent', () => {
  const guards: RedisGuard[] = [];
  afterEach(() => {
    for (const guard of guards.splice(0)) guard.close();
  });

  function guardWith(ping: () => Promise<unknown>, commandTimeoutMs = 200): RedisGuard {
    const guard = new RedisGuard({ commandTimeoutMs, ping, probeIntervalMs: 50 }, silentLogger);
    guard.startProbing();
    guards.push(guard);
    return guard;
  }

  it('does not blame Redis for the process\'s own long turn: a reply that came meanwhile counts, though read after the time-out', async () => {
    const client = createClient({ url: SHARED_REDIS_URL });
    await client.connect();
    try {
      const guard = guardWith(() => client.ping(), 50);
      const call = guard.run(() => client.ping());
      // node-redis writes the PING in a setImmediate of its own, queued before this one; then this
      // process is busy for more than twice the time-out while Redis answers. The next turn runs
      // the guard's timer before it reads the answer.
      await new Promise<void>((resolve) => setImmediate(() => {
        const until = performance.now() + 150;
        while (performance.now() < until) { /* a long turn, as a flush to thousands of connections */ }
        resolve();
      }));
      assert.equal(await call, 'PONG');
      assert.equal(guard.answering, true);
    } finally {
      await client.close();
    }
  });

  it('gives Redis more time while the process itself is saturated, up to 4 time-outs', async () => {
    const guard = guardWith(() => Promise.resolve('PONG'), 100);
    // Busy nearly all the time, in 20 ms turns that let timers run, as a saturated node is.
    let busy = true;
    const spin = (): void => {
      if (!busy) return;
      const until = performance.now() + 20;
      while (performance.now() < until) { /* a long turn */ }
      setImmediate(spin);
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 120));
      setImmediate(spin);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Answered after 2.5 time-outs: while saturated, that is not an outage.
      const late = guard.run(() => new Promise((resolve) => setTimeout(() => resolve('late'), 250)));
      assert.equal(await late, 'late');
      assert.equal(guard.answering, true);
      // Never answered: the call still fails, after at most 4 time-outs (and a turn or two).
      const started = performance.now();
      await assert.rejects(guard.run(() => new Promise(() => undefined)), { name: 'RedisUnavailableError' });
      const waited = performance.now() - started;
      assert.ok(waited >= 390 && waited < 700, `failed after ${Math.round(waited)} ms`);
    } finally {
      busy = false;
    }
  });

  it('fails an unanswered call after the time-out, then refuses calls without making them until a PING is answered', async () => {
    const pong = deferred();
    let reply = pong.promise;
    const guard = guardWith(() => reply);
    const started = Date.now();
    await assert.rejects(guard.run(() => new Promise(() => undefined)), (error: Error) => {
      assert.ok(error instanceof RedisUnavailableError);
      assert.equal(error.message, 'Redis did not answer within 200 ms; retry shortly.');
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 190 && waited < 1_000, `failed after ${waited} ms`);
    assert.equal(guard.answering, false);
    let made = 0;
    const refusedAt = Date.now();
    await assert.rejects(guard.run(async () => ++made), { name: 'RedisUnavailableError', message: 'Redis is not answering; retry shortly.' });
    assert.ok(Date.now() - refusedAt < 50, 'refused at once');
    assert.equal(made, 0, 'the call was not made');

    pong.resolve('PONG');
    reply = Promise.resolve('PONG');
    await waitUntil(() => guard.answering, 'the answered PING to mark Redis back', 2_000);
    assert.equal(await guard.run(async () => ++made), 1);
  });

  it('marks Redis silent while a PING stays unanswered longer than the time-out, and back when it is answered late', async () => {
    const pong = deferred();
    let pings = 0;
    const guard = guardWith(() => {
      pings++;
      return pong.promise;
    });
    await waitUntil(() => !guard.answering, 'the unanswered PING to mark Redis silent', 2_000);
    assert.equal(pings, 1, 'one PING at a time: none piles up behind an unanswered one');
    pong.resolve('PONG');
    await waitUntil(() => guard.answering, 'the late answer to mark Redis back', 2_000);
  });

  it('turns refusals of the moment and connection failures into RedisUnavailableError, without marking Redis silent; other errors pass through', async () => {
    const guard = guardWith(async () => 'PONG');
    for (const reply of [
      "OOM command not allowed when used memory > 'maxmemory'.",
      "READONLY You can't write against a read only replica.",
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      'CLUSTERDOWN The cluster is down',
      'LOADING Redis is loading the dataset in memory',
    ]) {
      await assert.rejects(guard.run(() => Promise.reject(new ErrorReply(reply))), (error: Error) => {
        assert.ok(error instanceof RedisUnavailableError, reply);
        assert.ok(error.cause instanceof ErrorReply);
        return true;
      });
    }
    await assert.rejects(guard.run(() => Promise.reject(new ClientOfflineError())), RedisUnavailableError);
    assert.equal(guard.answering, true, 'Redis answered: only silence marks it silent');
    const wrongType = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
    await assert.rejects(guard.run(() => Promise.reject(wrongType)), (error: unknown) => error === wrongType);
    const bug = new TypeError('a bug');
    await assert.rejects(guard.run(() => Promise.reject(bug)), (error: unknown) => error === bug);
  });

  it('lets a timed-out call fail later without an unhandled rejection', async () => {
    const guard = guardWith(async () => 'PONG', 50);
    const late = deferred();
    await assert.rejects(guard.run(() => late.promise), RedisUnavailableError);
    // The connection closing fails the call the guard stopped waiting for (the root hooks report unhandled rejections).
    late.reject(new ClientOfflineError());
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('takes its time-out from redis.commandTimeoutMs or REDIS_COMMAND_TIMEOUT_MS (default 2000 ms), and refuses a bad value', () => {
    assert.equal(loadConfig({ REDIS_URL: 'redis://cache:6379' }).config.redis?.commandTimeoutMs, 2_000);
    assert.equal(loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_COMMAND_TIMEOUT_MS: '750' }).config.redis?.commandTimeoutMs, 750);
    for (const bad of ['0', '1.5', 'soon', '600000']) {
      assert.throws(() => loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_COMMAND_TIMEOUT_MS: bad }),
        /^Error: REDIS_COMMAND_TIMEOUT_MS must be a whole number of milliseconds from 50 to 60000/);
    }
  });
});
