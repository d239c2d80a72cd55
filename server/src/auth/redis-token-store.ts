import type { RedisClientType } from 'redis';
import { LuaScript } from '../redis/lua-script.js';
import type { RedisGuard } from '../redis/redis-guard.js';
import { subjectKey, type AccessStateRecord, type AccessSubject } from './access-subject.js';
import { MAX_ACCESS_STATES_PER_ORGANIZATION, type TerminalTokenRecord, type TokenStore } from './token-store.js';

/**
 * Saves a terminal token unless that would un-revoke it.
 * KEYS: record, new hash index, organization set, previous hash index (or '').
 * ARGV: record JSON, id. Returns 1 when saved, 0 when refused.
 * A declared write script (`#!lua`): refused before it starts while Redis refuses writes, so
 * that a DEL does not pass before the SET of a replacement is refused.
 */
const SAVE_TERMINAL_TOKEN = new LuaScript(`#!lua
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).revokedAt and not cjson.decode(ARGV[1]).revokedAt then return 0 end
if KEYS[4] ~= '' then redis.call('DEL', KEYS[4]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`);

/**
 * Saves an access state unless it is a new one and its organization has ARGV[3] already.
 * KEYS: record, organization set. ARGV: record JSON, subject key, limit. Returns 1 when saved.
 */
const SAVE_ACCESS_STATE = new LuaScript(`#!lua
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
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
 */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: RedisClientType, private readonly guard: RedisGuard, private readonly prefix: string) {}

  async saveTerminalToken(record: TerminalTokenRecord, previousHash?: string): Promise<boolean> {
    const saved = await this.guard.run(() => SAVE_TERMINAL_TOKEN.run(this.redis, [
      this.key('tt', record.id),
      this.key('tt-hash', record.tokenHash),
      this.key('tt-org', record.organization),
      previousHash !== undefined ? this.key('tt-hash', previousHash) : '',
    ], [JSON.stringify(record), record.id]));
    return Number(saved) === 1;
  }

  async getTerminalToken(id: string): Promise<TerminalTokenRecord | undefined> {
    const text = await this.guard.run(() => this.redis.get(this.key('tt', id)));
    return text === null ? undefined : (JSON.parse(text) as TerminalTokenRecord);
  }

  async findTerminalTokenByHash(tokenHash: string): Promise<TerminalTokenRecord | undefined> {
    const id = await this.guard.run(() => this.redis.get(this.key('tt-hash', tokenHash)));
    return id === null ? undefined : this.getTerminalToken(id);
  }

  async listTerminalTokens(organization: string): Promise<TerminalTokenRecord[]> {
    const ids = await this.guard.run(() => this.redis.sMembers(this.key('tt-org', organization)));
    if (ids.length === 0) return [];
    const texts = await this.guard.run(() => this.redis.mGet(ids.map((id) => this.key('tt', id))));
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

  async saveAccessState(record: AccessStateRecord): Promise<boolean> {
    const subject = subjectKey(record.subject);
    const saved = await this.guard.run(() => SAVE_ACCESS_STATE.run(this.redis, [
      this.key('access', subject),
      this.key('access-org', encodeURIComponent(record.subject.organization)),
    ], [JSON.stringify(record), subject, String(MAX_ACCESS_STATES_PER_ORGANIZATION)]));
    return Number(saved) === 1;
  }

  async getAccessStates(subjects: readonly AccessSubject[]): Promise<Array<AccessStateRecord | undefined>> {
    if (subjects.length === 0) return [];
    const texts = await this.guard.run(() => this.redis.mGet(subjects.map((subject) => this.key('access', subjectKey(subject)))));
    return texts.map((text) => (text === null ? undefined : (JSON.parse(text) as AccessStateRecord)));
  }

  async listAccessStates(organization: string): Promise<AccessStateRecord[]> {
    const subjects = await this.guard.run(() => this.redis.sMembers(this.key('access-org', encodeURIComponent(organization))));
    if (subjects.length === 0) return [];
    const texts = await this.guard.run(() => this.redis.mGet(subjects.map((subject) => this.key('access', subject))));
    return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as AccessStateRecord);
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the application, which closes it.
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }
}
