import type { RedisClientType } from 'redis';
import type { TerminalTokenRecord, TokenStore } from './token-store.js';

/** Sets KEYS[1] to ARGV[2] only while it still holds ARGV[1]. */
const COMPARE_AND_SET = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end return false";

/**
 * Token data shared by every node through Redis:
 * `{prefix}:tt:{id}` the record (JSON), `{prefix}:tt-hash:{hash}` its id,
 * `{prefix}:tt-org:{organization}` the ids of an organization, `{prefix}:revoked:{tokenId}` a
 * denied JWT id that expires with the token.
 */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: RedisClientType, private readonly prefix: string) {}

  async saveTerminalToken(record: TerminalTokenRecord, previousHash?: string): Promise<void> {
    const multi = this.redis.multi();
    if (previousHash !== undefined) multi.del(this.key('tt-hash', previousHash));
    multi.set(this.key('tt', record.id), JSON.stringify(record));
    multi.set(this.key('tt-hash', record.tokenHash), record.id);
    multi.sAdd(this.key('tt-org', record.organization), record.id);
    await multi.exec();
  }

  async getTerminalToken(id: string): Promise<TerminalTokenRecord | undefined> {
    const text = await this.redis.get(this.key('tt', id));
    return text === null ? undefined : (JSON.parse(text) as TerminalTokenRecord);
  }

  async findTerminalTokenByHash(tokenHash: string): Promise<TerminalTokenRecord | undefined> {
    const id = await this.redis.get(this.key('tt-hash', tokenHash));
    return id === null ? undefined : this.getTerminalToken(id);
  }

  async listTerminalTokens(organization: string): Promise<TerminalTokenRecord[]> {
    const ids = await this.redis.sMembers(this.key('tt-org', organization));
    if (ids.length === 0) return [];
    const texts = await this.redis.mGet(ids.map((id) => this.key('tt', id)));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as TerminalTokenRecord);
  }

  async touchTerminalToken(id: string, at: number): Promise<void> {
    const key = this.key('tt', id);
    const text = await this.redis.get(key);
    if (text === null) return;
    const record = JSON.parse(text) as TerminalTokenRecord;
    record.lastUsedAt = at;
    // Only if nobody changed the record since it was read: a plain SET could undo a revocation
    // or replacement made in between (by any node). A skipped touch is harmless; the next use sets it.
    await this.redis.eval(COMPARE_AND_SET, { keys: [key], arguments: [text, JSON.stringify(record)] });
  }

  async revokeTokenId(tokenId: string, expiresAt: number): Promise<void> {
    const ttl = Math.max(1, expiresAt - Date.now());
    await this.redis.set(this.key('revoked', tokenId), '1', { PX: ttl });
  }

  async isTokenIdRevoked(tokenId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('revoked', tokenId))) === 1;
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the application, which closes it.
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }
}
