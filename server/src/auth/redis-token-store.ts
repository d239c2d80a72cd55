import type { RedisCommands } from '../redis/redis-commands.js';
import { LuaScript } from '../redis/lua-script.js';
import type { RedisGuard } from '../redis/redis-guard.js';
import { subjectKey, type AccessStateRecord, type AccessSubject } from './access-subject.js';
import { MAX_ACCESS_STATES_PER_ORGANIZATION, type TerminalTokenRecord, type TokenStore } from './token-store.js';

/**
 * Saves a terminal token's record unless that would un-revoke it. KEYS: record. ARGV: record
 * JSON. Returns 1 when saved, 0 when refused. Its indexes are other keys (other hash slots on a
 * cluster), written after it: see `saveTerminalToken`.
 */
const SAVE_TERMINAL_TOKEN = new LuaScript(`#!lua
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).revokedAt and not cjson.decode(ARGV[1]).revokedAt then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`);

/**
 * Adds a subject to its organization's set unless it is a new one and the set has ARGV[2]
 * already. KEYS: organization set. ARGV: subject key, limit. Returns 1 when it is in the set.
 */
const ADMIT_ACCESS_SUBJECT = new LuaScript(`#!lua
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`);

/** Sets KEYS[1] to ARGV[2] only while it still holds ARGV[1]. */
const COMPARE_AND_SET = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2]) end return false";

/**
 * Token data shared by every node through Redis:
 * `{prefix}:tt:{id}` the record (JSON), `{prefix}:tt-hash:{hash}` its id,
 * `{prefix}:tt-org:{organization}` the ids of an organization, `{prefix}:revoked:{tokenId}` a
 * denied JWT id that expires with the token, `{prefix}:access:{subject}` the state of an
 * organization, account or device (JSON) and `{prefix}:access-org:{organization}` its subjects.
 * Every command and script touches one key, so that the store works on a Redis Cluster as well:
 * where one change writes several keys, the order of the writes keeps every moment consistent.
 */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: RedisCommands, private readonly guard: RedisGuard, private readonly prefix: string) {}

  /**
   * The record first: from then on a previous hash finds a record that no longer has it, which
   * `findTerminalTokenByHash` refuses, so that a replaced token stops working at once; then the
   * indexes. A failure in between leaves the token unusable (the caller gets the error), never
   * a revoked one usable.
   */
  async saveTerminalToken(record: TerminalTokenRecord, previousHash?: string): Promise<boolean> {
    const saved = await this.guard.run(() => SAVE_TERMINAL_TOKEN.run(this.redis, [this.key('tt', record.id)], [JSON.stringify(record)]));
    if (Number(saved) !== 1) return false;
    await this.guard.run(() => Promise.all([
      this.redis.set(this.key('tt-hash', record.tokenHash), record.id),
      this.redis.sAdd(this.key('tt-org', record.organization), record.id),
    ]));
    if (previousHash !== undefined && previousHash !== record.tokenHash) {
      await this.guard.run(() => this.redis.del(this.key('tt-hash', previousHash)));
    }
    return true;
  }

  async getTerminalToken(id: string): Promise<TerminalTokenRecord | undefined> {
    const text = await this.guard.run(() => this.redis.get(this.key('tt', id)));
    return text === null ? undefined : (JSON.parse(text) as TerminalTokenRecord);
  }

  async findTerminalTokenByHash(tokenHash: string): Promise<TerminalTokenRecord | undefined> {
    const id = await this.guard.run(() => this.redis.get(this.key('tt-hash', tokenHash)));
    if (id === null) return undefined;
    const record = await this.getTerminalToken(id);
    // An index left from before a replacement: that token is no longer this record's.
    return record?.tokenHash === tokenHash ? record : undefined;
  }

  async listTerminalTokens(organization: string): Promise<TerminalTokenRecord[]> {
    const ids = await this.guard.run(() => this.redis.sMembers(this.key('tt-org', organization)));
    if (ids.length === 0) return [];
    const texts = await this.getEach(ids.map((id) => this.key('tt', id)));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as TerminalTokenRecord);
  }

  async touchTerminalToken(id: string, at: number): Promise<void> {
    const key = this.key('tt', id);
    const text = await this.guard.run(() => this.redis.get(key));
    if (text === null) return;
    const record = JSON.parse(text) as TerminalTokenRecord;
    record.lastUsedAt = at;
    // Only if nobody changed the record since it was read: a plain SET could undo a revocation
    // or replacement made in between (by any node). A skipped touch is harmless; the next use sets it.
    await this.guard.run(() => this.redis.eval(COMPARE_AND_SET, { keys: [key], arguments: [text, JSON.stringify(record)] }));
  }

  async revokeTokenId(tokenId: string, expiresAt: number): Promise<void> {
    const ttl = Math.max(1, expiresAt - Date.now());
    await this.guard.run(() => this.redis.set(this.key('revoked', tokenId), '1', { PX: ttl }));
  }

  async isTokenIdRevoked(tokenId: string): Promise<boolean> {
    return (await this.guard.run(() => this.redis.exists(this.key('revoked', tokenId)))) === 1;
  }

  /** The subject joins its organization's set (within the limit) before its state is written, so that no state is ever unlisted. */
  async saveAccessState(record: AccessStateRecord): Promise<boolean> {
    const subject = subjectKey(record.subject);
    const admitted = await this.guard.run(() => ADMIT_ACCESS_SUBJECT.run(this.redis, [
      this.key('access-org', encodeURIComponent(record.subject.organization)),
    ], [subject, String(MAX_ACCESS_STATES_PER_ORGANIZATION)]));
    if (Number(admitted) !== 1) return false;
    await this.guard.run(() => this.redis.set(this.key('access', subject), JSON.stringify(record)));
    return true;
  }

  async getAccessStates(subjects: readonly AccessSubject[]): Promise<Array<AccessStateRecord | undefined>> {
    if (subjects.length === 0) return [];
    const texts = await this.getEach(subjects.map((subject) => this.key('access', subjectKey(subject))));
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as AccessStateRecord)));
  }

  async listAccessStates(organization: string): Promise<AccessStateRecord[]> {
    const subjects = await this.guard.run(() => this.redis.sMembers(this.key('access-org', encodeURIComponent(organization))));
    if (subjects.length === 0) return [];
    const texts = await this.getEach(subjects.map((subject) => this.key('access', subject)));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as AccessStateRecord);
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the application, which closes it.
  }

  /** GETs of keys that may be in different hash slots (MGET would be a cross-slot command on a cluster), sent together. */
  private getEach(keys: readonly string[]): Promise<Array<string | null>> {
    return this.guard.run(() => Promise.all(keys.map((key) => this.redis.get(key))));
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }
}
