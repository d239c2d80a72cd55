import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { TimeoutError } from 'redis';
import { isRedisUnavailability, RedisUnavailableError } from './redis-unavailable-error.js';
import type { BackplaneMetrics, RedisErrorKind } from '../observability/backplane-metrics.js';

export interface RedisGuardOptions {
  /** Longest wait for any Redis call; a call that takes longer fails with RedisUnavailableError. */
  commandTimeoutMs: number;
  /** Sends one PING over a connection of the application. */
  ping(): Promise<unknown>;
  /** Pause between health probes (a PING each). */
  probeIntervalMs?: number;
  /** Where call durations and failures are counted. */
  metrics?: BackplaneMetrics;
}

/**
 * Fails every Redis call fast and clearly instead of letting it hang: each call gets a time-out,
 * and while Redis does not answer (frozen, overloaded, a network that drops packets) new calls
 * are refused at once, without being sent.
 *
 * The client's own command time-out (node-redis `timeout`, set too) stops only while a command
 * still waits to be written: a frozen Redis keeps its TCP connections open, the client writes at
 * once and then waits for ever. Hence the race here. A call that timed out is not withdrawn: it sits in
 * Redis's receive buffer and runs when Redis resumes, and the client then matches its late reply
 * to it (replies come in order) and drops it, so the connection stays usable; no reconnect is
 * forced, since a new connection to a frozen Redis would hang in its handshake just the same and
 * could not take back what was already sent. Refusing new calls while Redis is silent keeps
 * what piles up in that buffer (and in the client's reply queue) bounded.
 *
 * One PING at a time probes Redis: while it is unanswered for longer than the time-out, Redis is
 * "not answering"; its (late) answer, or the next one, says Redis is back.
 */
export class RedisGuard {
  private answeringNow = true;
  private probe: Promise<unknown> | undefined;
  private probeStartedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The event loop's use at the last probe: how busy the process itself has been since. */
  private loopSample: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly options: RedisGuardOptions, private readonly logger: Logger) {}

  /** Starts the health probes; once connected, since a PING before would fail for nothing. */
  startProbing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runProbe(), this.options.probeIntervalMs ?? Math.min(1_000, this.options.commandTimeoutMs));
    this.timer.unref();
  }

  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  /** Whether Redis answered its last probe (or the calls since) in time. */
  get answering(): boolean {
    return this.answeringNow;
  }

  /**
   * Runs one Redis call (or a few that belong together) with the time-out, `extraMs` longer for
   * a call that blocks on purpose (XREADGROUP BLOCK).
   * @throws RedisUnavailableError when Redis cannot serve it now; other errors (a bug, WRONGTYPE) pass through
   */
  async run<T>(operation: () => Promise<T>, extraMs = 0): Promise<T> {
    const metrics = this.options.metrics;
    if (!this.answeringNow) {
      metrics?.commandErrors.inc({ kind: 'unavailable' });
      throw new RedisUnavailableError('Redis is not answering; retry shortly.');
    }
    const startedAt = performance.now();
    const pending = operation();
    let settled = false;
    // A late failure (the connection closes while a timed-out call waits) must not go unhandled.
    pending.then(() => { settled = true; }, () => { settled = true; });
    let timer: NodeJS.Timeout | undefined;
    let timedOutHere = false;
    const timeoutMs = this.options.commandTimeoutMs + extraMs;
    const timedOut = new Promise<never>((_resolve, reject) => {
      const expire = (): void => afterThisTurnsReads(() => {
        if (settled) return;
        // A process busy all the time (saturated) is slow to send the call and to read its answer
        // itself: Redis is given more time, up to MAX_WAIT_WHEN_BUSY time-outs in all.
        if (this.processSaturated() && performance.now() - startedAt < timeoutMs * MAX_WAIT_WHEN_BUSY) {
          timer = setTimeout(expire, timeoutMs);
          return;
        }
        timedOutHere = true;
        this.markSilent(`a call took longer than ${Math.round(performance.now() - startedAt)} ms`);
        reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms; retry shortly.`));
      });
      timer = setTimeout(expire, timeoutMs);
    });
    try {
      const result = await Promise.race([pending, timedOut]);
      // A read that blocks on purpose says nothing about Redis's speed.
      if (extraMs === 0) metrics?.commandDuration.observe((performance.now() - startedAt) / 1000);
      return result;
    } catch (error) {
      // The client's own time-out (a command it could not write in time) may come first; a
      // saturated process may be what kept it from writing, which says nothing about Redis.
      if (error instanceof TimeoutError && !this.processSaturated()) this.markSilent('a call could not be written in time');
      metrics?.commandErrors.inc({ kind: errorKind(error, timedOutHere) });
      if (error instanceof RedisUnavailableError || !isRedisUnavailability(error)) throw error;
      throw new RedisUnavailableError(`Redis cannot serve this now (${describe(error)}); retry shortly.`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private runProbe(): void {
    // How busy the process was since the last probe, and the start of the next such window.
    const saturated = this.processSaturated();
    this.loopSample = performance.eventLoopUtilization();
    if (this.probe) {
      const probe = this.probe;
      const waited = Date.now() - this.probeStartedAt;
      const { commandTimeoutMs } = this.options;
      if (waited > commandTimeoutMs && (waited > commandTimeoutMs * MAX_WAIT_WHEN_BUSY || !saturated)) {
        afterThisTurnsReads(() => {
          if (this.probe === probe) this.markSilent('a PING is unanswered');
        });
      }
      return;
    }
    this.probeStartedAt = Date.now();
    const probe = this.options.ping();
    this.probe = probe;
    probe.then(() => {
      if (!this.answeringNow) this.logger.info('redis answers again');
      this.answeringNow = true;
    }, (error: unknown) => {
      this.markSilent(describe(error));
    }).finally(() => {
      if (this.probe === probe) this.probe = undefined;
    });
  }

  /**
   * Whether the event loop has been busy nearly all the time since the last probe: the process
   * itself then delays its Redis calls (written at the end of long turns, answers read turns
   * later), as two nodes sharing one core at saturation showed (calls of 0.4–1.5 s while
   * redis-server used 1 % of a core).
   */
  private processSaturated(): boolean {
    return performance.eventLoopUtilization(this.loopSample).utilization > SATURATED_LOOP_UTILIZATION;
  }

  private markSilent(reason: string): void {
    if (this.answeringNow) this.logger.warn({ reason }, 'redis is not answering; refusing redis calls until it does');
    this.answeringNow = false;
  }
}

/** The error's first words: a reply's code and text, never the command's arguments. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 120) : 'unknown error';
}

function errorKind(error: unknown, timedOut: boolean): RedisErrorKind {
  if (timedOut || error instanceof TimeoutError) return 'timeout';
  return error instanceof RedisUnavailableError || isRedisUnavailability(error) ? 'unavailable' : 'error';
}

/** Above this share of busy event loop, the process counts as saturated (see `processSaturated`). */
const SATURATED_LOOP_UTILIZATION = 0.9;
/** A saturated process waits this many time-outs at most before it calls Redis silent. */
const MAX_WAIT_WHEN_BUSY = 4;

/**
 * Runs `decide` once this event-loop turn has read its sockets. Timers run before a turn's reads:
 * under load, when one turn takes a long time (a node flushing to thousands of connections), a
 * reply that came during it waits for the next turn's reads, after that turn's timers. A time-out
 * decided in the timer would blame Redis for the process's own delay (seen at saturation with two
 * nodes and 5k subscribers: publishes refused as "Redis is not answering" while Redis idled at 1 %
 * of a core). `setImmediate` runs after the reads of the same turn.
 */
function afterThisTurnsReads(decide: () => void): void {
  setImmediate(decide);
}
