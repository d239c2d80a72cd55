import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RedisCommands } from '../redis/redis-commands.js';
import { LuaScript } from '../redis/lua-script.js';
import type { RedisGuard } from '../redis/redis-guard.js';
import type { RedisPubSub } from '../redis/redis-pub-sub.js';
import { accountKey, terminalHolderSchema, type TerminalHolder, type TerminalPresence } from './terminal-presence.js';

/** KEYS: the account's hash. ARGV: connection id, holder JSON, TTL ms. Returns the replaced holder's JSON, or nil. */
const CLAIM = new LuaScript(`#!lua
local previous = redis.call('HGET', KEYS[1], 'h')
redis.call('HSET', KEYS[1], 'c', ARGV[1], 'h', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return previous`);

/** KEYS: the account's hash. ARGV: connection id. Deletes only the holder's own entry; 1 when it did. */
const RELEASE = new LuaScript(`#!lua
if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`);

/**
 * KEYS: the account's hash. ARGV: connection id, holder JSON, TTL ms. Extends the holder's own
 * entry, or writes it again when it expired (Redis was out of reach longer than the TTL);
 * 0 when another connection holds the account now.
 */
const REFRESH = new LuaScript(`#!lua
local holder = redis.call('HGET', KEYS[1], 'c')
if holder and holder ~= ARGV[1] then return 0 end
if not holder then redis.call('HSET', KEYS[1], 'c', ARGV[1], 'h', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`);

export interface RedisTerminalPresenceOptions {
  keyPrefix: string;
  /** How long an entry outlives the last refresh of its node: a node that dies leaves nothing behind for longer. */
  ttlMs?: number;
}

/**
 * Presence shared through Redis: one hash per online terminal (`{prefix}:terminal:{platform}/{login}`)
 * with a TTL that the holding node refreshes, so that the entries of a node that died without
 * cleaning up expire; displacements travel on `{prefix}:terminal:displaced`.
 */
export class RedisTerminalPresence implements TerminalPresence {
  private readonly events = new EventEmitter();
  /** The holders on this node, refreshed on a timer. */
  private readonly held = new Map<string, TerminalHolder>();
  private readonly channel: string;
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly commands: RedisCommands,
    private readonly pubSub: RedisPubSub,
    private readonly guard: RedisGuard,
    private readonly options: RedisTerminalPresenceOptions,
    private readonly logger: Logger,
  ) {
    this.channel = `${options.keyPrefix}:terminal:displaced`;
    this.ttlMs = options.ttlMs ?? 15_000;
    this.timer = setInterval(() => void this.refresh(), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  static async start(
    commands: RedisCommands, pubSub: RedisPubSub, guard: RedisGuard, options: RedisTerminalPresenceOptions, logger: Logger,
  ): Promise<RedisTerminalPresence> {
    const presence = new RedisTerminalPresence(commands, pubSub, guard, options, logger);
    await guard.run(() => pubSub.subscribe(presence.channel, (message) => presence.onDisplacedMessage(message)));
    return presence;
  }

  async claim(holder: TerminalHolder): Promise<TerminalHolder | undefined> {
    const key = accountKey(holder.platform, holder.login);
    const previous = await this.guard.run(() => CLAIM.run(this.commands, [this.keyOf(key)], [holder.connectionId, JSON.stringify(holder), String(this.ttlMs)]));
    this.held.set(key, holder);
    return typeof previous === 'string' ? this.parse(previous) : undefined;
  }

  async release(platform: string, login: string, connectionId: string): Promise<boolean> {
    const key = accountKey(platform, login);
    if (this.held.get(key)?.connectionId === connectionId) this.held.delete(key);
    const released = await this.guard.run(() => RELEASE.run(this.commands, [this.keyOf(key)], [connectionId]));
    return released === 1;
  }

  async find(platform: string, login: string): Promise<TerminalHolder | undefined> {
    const text = await this.guard.run(() => this.commands.hGet(this.keyOf(accountKey(platform, login)), 'h'));
    return typeof text === 'string' ? this.parse(text) : undefined;
  }

  async displace(holder: TerminalHolder): Promise<void> {
    await this.guard.run(() => this.pubSub.publish(this.channel, JSON.stringify(holder)));
  }

  onDisplaced(listener: (holder: TerminalHolder) => void): void {
    this.events.on('displaced', listener);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.guard.run(() => this.pubSub.unsubscribe(this.channel)).catch(() => undefined);
    this.events.removeAllListeners();
    this.held.clear();
  }

  private keyOf(account: string): string {
    return `${this.options.keyPrefix}:terminal:${account}`;
  }

  /** Keeps this node's entries alive; one that another connection took meanwhile is displaced here too. */
  private async refresh(): Promise<void> {
    for (const [key, holder] of [...this.held]) {
      try {
        const kept = await this.guard.run(() => REFRESH.run(this.commands, [this.keyOf(key)], [holder.connectionId, JSON.stringify(holder), String(this.ttlMs)]));
        if (kept === 0 && this.held.get(key) === holder) {
          this.held.delete(key);
          this.events.emit('displaced', holder);
        }
      } catch (error) {
        this.logger.warn({ err: error, account: key }, 'could not refresh a terminal presence entry');
      }
    }
  }

  private onDisplacedMessage(message: string): void {
    const holder = this.parse(message);
    if (!holder) return;
    const key = accountKey(holder.platform, holder.login);
    if (this.held.get(key)?.connectionId === holder.connectionId) this.held.delete(key);
    this.events.emit('displaced', holder);
  }

  /** Entries come from Redis: anything else than a holder is ignored, never trusted. */
  private parse(text: string): TerminalHolder | undefined {
    try {
      const parsed = terminalHolderSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: reported below.
    }
    this.logger.warn('ignored a malformed terminal presence entry');
    return undefined;
  }
}
