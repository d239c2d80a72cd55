import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Directory } from '../config/directory.js';
import { LuaScript } from '../redis/lua-script.js';
import type { RedisCommands } from '../redis/redis-commands.js';
import type { RedisGuard } from '../redis/redis-guard.js';
import type { TradeBroker } from './broker/trade-broker.js';
import type { TradeMetrics } from '../observability/trade-metrics.js';
import { forgedEventRefusal } from './topic-access.js';
import { TradeRequestError, validateBatch } from './trade-service.js';

export interface RedisIngestOptions {
  keyPrefix: string;
  nodeId: string;
  /** Entries read per round. */
  batchSize?: number;
}

/**
 * The ingest stream external feeds write to: `XADD {prefix}:ingest * events '<JSON array of
 * events>'`. One node at a time (the holder of a lease in Redis) reads it, in stream order, so
 * that the source order of events survives; it reads in the consumer group `tradehub`, so an
 * entry is acknowledged only once published, and a node that takes over after another died
 * first finishes what that one left. Entries wait in Redis while no node runs. Entries that
 * fail validation go to `{prefix}:ingest:rejected` with the reason, instead of disappearing.
 *
 * The stream carries no identity, so no publish rights are checked here: whoever may write
 * `{prefix}:ingest` publishes to every topic of every configured platform, of any organization,
 * as a platform-wide publisher would. Redis access is the trust boundary: give feeds their own
 * Redis user (ACL) limited to that key, and everything else no write access to it.
 */
export class RedisIngest {
  private running = true;
  private readonly loop: Promise<void>;
  readonly stream: string;
  readonly rejectedStream: string;

  private constructor(
    private readonly redis: RedisCommands,
    private readonly guard: RedisGuard,
    private readonly broker: TradeBroker,
    private readonly directory: Directory,
    private readonly options: RedisIngestOptions,
    private readonly logger: Logger,
    private readonly metrics: TradeMetrics,
  ) {
    this.stream = `${options.keyPrefix}:ingest`;
    this.rejectedStream = `${options.keyPrefix}:ingest:rejected`;
    this.loop = this.run();
  }

  /** `reader` must be a connection of its own: XREADGROUP blocks it while waiting. */
  static async start(
    reader: RedisCommands, guard: RedisGuard, broker: TradeBroker, directory: Directory, options: RedisIngestOptions, logger: Logger,
    metrics: TradeMetrics,
  ): Promise<RedisIngest> {
    await guard.run(() => createGroup(reader, `${options.keyPrefix}:ingest`));
    return new RedisIngest(reader, guard, broker, directory, options, logger, metrics);
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    // Entries this node read but did not finish before a crash or outage come first ('0'), then new ones ('>').
    let cursor = '0';
    let leading = false;
    while (this.running) {
      try {
        const wasLeading = leading;
        leading = await this.holdLease();
        if (!leading) {
          await sleep(LEASE_MS / 5);
          continue;
        }
        if (!wasLeading) await this.claimAbandoned();
        // The read blocks on purpose: its time-out is the block time plus the command time-out.
        const reply = await this.guard.run(() => this.redis.xReadGroup(GROUP, this.options.nodeId, { key: this.stream, id: cursor }, {
          COUNT: this.options.batchSize ?? 100,
          BLOCK: BLOCK_MS,
        }), BLOCK_MS) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
        const entries = reply?.[0]?.messages ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        for (const entry of entries) await this.handle(entry.id, entry.message);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn({ reason: (error as Error).message }, 'ingest stream unavailable; retrying');
        cursor = '0';
        leading = false;
        // Redis lost its data (a restart without persistence, a flush): the group goes with the stream.
        if (error instanceof Error && error.message.startsWith('NOGROUP')) {
          await this.guard.run(() => createGroup(this.redis, this.stream)).catch(() => undefined);
        }
        await sleep(500);
      }
    }
  }

  /** Takes or renews the lease that makes this node the only reader; false when another node holds it. */
  private async holdLease(): Promise<boolean> {
    const held = await this.guard.run(() => RENEW_LEASE.run(this.redis, [`${this.stream}:lease`], [this.options.nodeId, String(LEASE_MS)]));
    return Number(held) === 1;
  }

  /** On taking the lease: first the entries the previous reader read but never finished. */
  private async claimAbandoned(): Promise<void> {
    let start = '0-0';
    do {
      const claimed = await this.guard.run(() => this.redis.xAutoClaim(this.stream, GROUP, this.options.nodeId, 0, start, { COUNT: 100 }));
      for (const entry of claimed.messages) {
        if (entry) await this.handle(entry.id, entry.message as Record<string, string>);
      }
      start = claimed.nextId;
    } while (start !== '0-0');
  }

  private async handle(id: string, fields: Record<string, string>): Promise<void> {
    let events;
    try {
      const text = fields.events;
      if (text === undefined) throw new TradeRequestError(400, "The entry has no 'events' field.");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new TradeRequestError(400, "The 'events' field is not valid JSON.");
      }
      events = validateBatch(parsed);
      const forged = events.map(forgedEventRefusal).find((refusal) => refusal !== undefined);
      if (forged !== undefined) throw new TradeRequestError(403, forged);
      const unknown = events.find((event) => this.directory.platform(event.platformId) === undefined);
      if (unknown) throw new TradeRequestError(400, `Unknown platform '${unknown.platformId}'.`);
    } catch (error) {
      const reason = error instanceof TradeRequestError ? error.message : 'The entry could not be read.';
      this.logger.warn({ entry: id, reason }, 'rejected an ingest entry');
      // Two keys, two commands (the streams may be on different shards of a cluster): kept first, removed second.
      await this.guard.run(() => this.redis.xAdd(
        this.rejectedStream, '*', { entry: id, reason }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 10_000 } },
      ));
      await this.done(id);
      return;
    }
    // Stored first, acknowledged second: a crash in between republishes, which event ids make harmless.
    const outcomes = await this.broker.publish(events);
    this.metrics.count(this.metrics.published, outcomes.filter((outcome) => !outcome.duplicate).map((outcome) => outcome.envelope));
    // An entry id starts with the Redis time it was added at, in ms.
    this.metrics.ingestLag.observe(Math.max(0, Date.now() - Number(id.split('-')[0])) / 1000);
    await this.done(id);
  }

  /** Acknowledges and removes an entry in one step. */
  private async done(id: string): Promise<void> {
    await this.guard.run(() => ACK_AND_DELETE.run(this.redis, [this.stream], [GROUP, id]));
  }
}

const GROUP = 'tradehub';

/** How long one read waits for new entries; also how long close() may wait for the loop. */
const BLOCK_MS = 500;

/**
 * Takes the lease when free, or renews it when this node holds it, in one step: a renewal must
 * never extend a lease another node took in between. KEYS: lease. ARGV: node id, ms. Returns 1 when held.
 */
const RENEW_LEASE = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: stream. ARGV: group, entry id. XACK and XDEL of one entry, atomically. */
const ACK_AND_DELETE = new LuaScript(`#!lua
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
`);

/** How long the reader's lease lasts without renewal: the time another node waits to take over. */
const LEASE_MS = 5_000;

/** Creates the consumer group (and the stream) unless it exists. */
async function createGroup(redis: RedisCommands, stream: string): Promise<void> {
  try {
    await redis.xGroupCreate(stream, GROUP, '0', { MKSTREAM: true });
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
  }
}
