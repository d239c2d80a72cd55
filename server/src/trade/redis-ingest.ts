import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import type { Directory } from '../config/directory.js';
import type { TradeBroker } from './broker/trade-broker.js';
import { TradeRequestError, validateBatch } from './trade-service.js';

export interface RedisIngestOptions {
  keyPrefix: string;
  nodeId: string;
  /** Entries read per round. */
  batchSize?: number;
}

/**
 * The ingest stream external feeds write to: `XADD {prefix}:ingest * events '<JSON array of
 * events>'`. Every hub node reads it in the consumer group `tradehub`, so each entry is
 * published by exactly one node, and entries wait in Redis while no node runs. Entries that
 * fail validation go to `{prefix}:ingest:rejected` with the reason, instead of disappearing.
 */
export class RedisIngest {
  private running = true;
  private readonly loop: Promise<void>;
  readonly stream: string;
  readonly rejectedStream: string;

  private constructor(
    private readonly redis: RedisClientType,
    private readonly broker: TradeBroker,
    private readonly directory: Directory,
    private readonly options: RedisIngestOptions,
    private readonly logger: Logger,
  ) {
    this.stream = `${options.keyPrefix}:ingest`;
    this.rejectedStream = `${options.keyPrefix}:ingest:rejected`;
    this.loop = this.run();
  }

  /** `reader` must be a connection of its own: XREADGROUP blocks it while waiting. */
  static async start(
    reader: RedisClientType, broker: TradeBroker, directory: Directory, options: RedisIngestOptions, logger: Logger,
  ): Promise<RedisIngest> {
    try {
      await reader.xGroupCreate(`${options.keyPrefix}:ingest`, GROUP, '0', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
    return new RedisIngest(reader, broker, directory, options, logger);
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    // Entries this node read but did not finish before a crash or outage come first ('0'), then new ones ('>').
    let cursor = '0';
    let lastClaim = Date.now();
    while (this.running) {
      try {
        if (Date.now() - lastClaim > CLAIM_IDLE_MS) {
          lastClaim = Date.now();
          await this.claimAbandoned();
        }
        const reply = await this.redis.xReadGroup(GROUP, this.options.nodeId, { key: this.stream, id: cursor }, {
          COUNT: this.options.batchSize ?? 100,
          BLOCK: 500,
        }) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
        const entries = reply?.[0]?.messages ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        for (const entry of entries) await this.handle(entry.id, entry.message);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn({ reason: (error as Error).message }, 'ingest stream unavailable; retrying');
        cursor = '0';
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Takes over entries that another node read but never finished (it crashed or lost Redis). */
  private async claimAbandoned(): Promise<void> {
    const claimed = await this.redis.xAutoClaim(this.stream, GROUP, this.options.nodeId, CLAIM_IDLE_MS, '0-0', { COUNT: 100 });
    for (const entry of claimed.messages) {
      if (entry) await this.handle(entry.id, entry.message as Record<string, string>);
    }
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
      const unknown = events.find((event) => this.directory.platform(event.platformId) === undefined);
      if (unknown) throw new TradeRequestError(400, `Unknown platform '${unknown.platformId}'.`);
    } catch (error) {
      const reason = error instanceof TradeRequestError ? error.message : 'The entry could not be read.';
      this.logger.warn({ entry: id, reason }, 'rejected an ingest entry');
      await this.redis.multi()
        .xAdd(this.rejectedStream, '*', { entry: id, reason }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 10_000 } })
        .xAck(this.stream, GROUP, id)
        .xDel(this.stream, id)
        .exec();
      return;
    }
    // Stored first, acknowledged second: a crash in between republishes, which event ids make harmless.
    await this.broker.publish(events);
    await this.redis.multi().xAck(this.stream, GROUP, id).xDel(this.stream, id).exec();
  }
}

const GROUP = 'tradehub';
/** An entry read by a node and left unfinished this long is taken over by another. */
const CLAIM_IDLE_MS = 30_000;
