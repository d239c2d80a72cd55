import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-commands.js';

/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after a Redis restart
 * forgot it (NOSCRIPT).
 */
export class LuaScript {
  private readonly sha1: string;

  constructor(private readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisCommands, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha1, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, { keys, arguments: args });
    }
  }
}
