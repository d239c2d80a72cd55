import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { subjectKey, type AccessStateRecord, type AccessSubject } from './access-subject.js';
import { MAX_ACCESS_STATES_PER_ORGANIZATION, type TerminalTokenRecord, type TokenStore } from './token-store.js';

interface FileContents {
  version: 1;
  terminalTokens: TerminalTokenRecord[];
  revokedTokenIds: Record<string, number>;
  /** Absent in files written before access states existed. */
  accessStates?: AccessStateRecord[];
}

/** Last-used times are written at most this often; everything else is written at once. */
const TOUCH_FLUSH_MS = 5_000;

/**
 * Token data of a single node, in memory and in `tokens.json` of the data directory. Each
 * write goes to a temporary file that is synced and renamed over the old one, so a crash
 * leaves either the old or the new file, never half of one.
 */
export class FileTokenStore implements TokenStore {
  private readonly path: string;
  private readonly tokens = new Map<string, TerminalTokenRecord>();
  private readonly idByHash = new Map<string, string>();
  private readonly revoked = new Map<string, number>();
  private readonly accessStates = new Map<string, AccessStateRecord>();
  private writing: Promise<void> = Promise.resolve();
  private touchTimer: NodeJS.Timeout | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'tokens.json');
    this.load();
  }

  async saveTerminalToken(record: TerminalTokenRecord, previousHash?: string): Promise<boolean> {
    const current = this.tokens.get(record.id);
    if (current?.revokedAt !== undefined && record.revokedAt === undefined) return false;
    if (previousHash !== undefined) this.idByHash.delete(previousHash);
    this.tokens.set(record.id, { ...record });
    this.idByHash.set(record.tokenHash, record.id);
    await this.persist();
    return true;
  }

  async getTerminalToken(id: string): Promise<TerminalTokenRecord | undefined> {
    const record = this.tokens.get(id);
    return record && { ...record };
  }

  async findTerminalTokenByHash(tokenHash: string): Promise<TerminalTokenRecord | undefined> {
    const id = this.idByHash.get(tokenHash);
    return id === undefined ? undefined : this.getTerminalToken(id);
  }

  async listTerminalTokens(organization: string): Promise<TerminalTokenRecord[]> {
    return [...this.tokens.values()].filter((record) => record.organization === organization).map((record) => ({ ...record }));
  }

  async touchTerminalToken(id: string, at: number): Promise<void> {
    const record = this.tokens.get(id);
    if (!record) return;
    record.lastUsedAt = at;
    this.touchTimer ??= setTimeout(() => {
      this.touchTimer = undefined;
      // Last-used times are best effort: a failed write is retried with the next change.
      this.persist().catch(() => undefined);
    }, TOUCH_FLUSH_MS);
  }

  async revokeTokenId(tokenId: string, expiresAt: number): Promise<void> {
    this.revoked.set(tokenId, expiresAt);
    await this.persist();
  }

  async isTokenIdRevoked(tokenId: string): Promise<boolean> {
    return this.revoked.has(tokenId);
  }

  async saveAccessState(record: AccessStateRecord): Promise<boolean> {
    const key = subjectKey(record.subject);
    if (!this.accessStates.has(key) && (await this.listAccessStates(record.subject.organization)).length >= MAX_ACCESS_STATES_PER_ORGANIZATION) {
      return false;
    }
    this.accessStates.set(key, structuredClone(record));
    await this.persist();
    return true;
  }

  async getAccessStates(subjects: readonly AccessSubject[]): Promise<Array<AccessStateRecord | undefined>> {
    return subjects.map((subject) => {
      const record = this.accessStates.get(subjectKey(subject));
      return record && structuredClone(record);
    });
  }

  async listAccessStates(organization: string): Promise<AccessStateRecord[]> {
    return [...this.accessStates.values()].filter((record) => record.subject.organization === organization).map((record) => structuredClone(record));
  }

  async close(): Promise<void> {
    if (this.touchTimer) {
      clearTimeout(this.touchTimer);
      this.touchTimer = undefined;
      await this.persist();
    }
    await this.writing;
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return;
    }
    const contents = JSON.parse(text) as FileContents;
    for (const record of contents.terminalTokens) {
      this.tokens.set(record.id, record);
      this.idByHash.set(record.tokenHash, record.id);
    }
    for (const record of contents.accessStates ?? []) this.accessStates.set(subjectKey(record.subject), record);
    const now = Date.now();
    for (const [tokenId, expiresAt] of Object.entries(contents.revokedTokenIds)) {
      if (expiresAt > now) this.revoked.set(tokenId, expiresAt);
    }
  }

  private persist(): Promise<void> {
    const now = Date.now();
    for (const [tokenId, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(tokenId);
    const contents: FileContents = {
      version: 1,
      terminalTokens: [...this.tokens.values()],
      revokedTokenIds: Object.fromEntries(this.revoked),
      accessStates: [...this.accessStates.values()],
    };
    const text = JSON.stringify(contents, null, 2);
    // A failed write must not fail every later one: each write starts afresh from the latest state.
    const write = this.writing.catch(() => undefined).then(() => writeAtomically(this.path, text));
    this.writing = write;
    return write;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
