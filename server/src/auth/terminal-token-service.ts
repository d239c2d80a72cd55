import { randomBytes } from 'node:crypto';
import type { Directory } from '../config/directory.js';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import { AdminRequestError } from './admin-request-error.js';
import { AuthError } from './auth-error.js';
import type { Principal } from './principal.js';
import type { RevocationBus } from './revocation-bus.js';
import { Scope } from './scopes.js';
import { hashOpaqueToken } from './secret-hash.js';
import type { TerminalTokenRecord, TokenStore } from './token-store.js';

/** Recognisable prefix, so that secret scanners can find leaked terminal tokens. */
export const TERMINAL_TOKEN_PREFIX = 'thub_';

export interface CreateTerminalToken {
  name: string;
  platform: string;
  login: string;
  scopes?: Scope[];
  expiresAt?: number;
  device?: string;
}

/** A terminal token as the admin API shows it: never the secret nor its hash. */
export interface TerminalTokenView {
  id: string;
  name: string;
  organization: string;
  platform: string;
  login: string;
  scopes: Scope[];
  device: string | null;
  status: 'active' | 'expired' | 'revoked';
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export class TerminalTokenError extends AdminRequestError {}

const DEFAULT_TERMINAL_SCOPES: Scope[] = [Scope.TradeRead, Scope.TradePublish];

function newSecret(): string {
  return `${TERMINAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Named per-terminal tokens: created, listed, revoked and replaced by admins; accepted wherever a JWT is. */
export class TerminalTokenService {
  constructor(
    private readonly store: TokenStore,
    private readonly revocations: RevocationBus,
    private readonly directory: Directory,
  ) {}

  async create(input: CreateTerminalToken, admin: Principal): Promise<{ view: TerminalTokenView; token: string }> {
    if (this.directory.organizationOfPlatform(input.platform) !== admin.organization || !admin.platforms.includes(input.platform)) {
      throw new TerminalTokenError(404, `Unknown platform '${input.platform}'.`);
    }
    if (input.expiresAt !== undefined && input.expiresAt <= Date.now()) {
      throw new TerminalTokenError(400, 'expiresAt must be in the future.');
    }
    const token = newSecret();
    const record: TerminalTokenRecord = {
      id: `tt_${randomBytes(9).toString('base64url')}`,
      name: input.name,
      organization: admin.organization,
      platform: input.platform,
      login: input.login,
      scopes: input.scopes ?? DEFAULT_TERMINAL_SCOPES,
      ...(input.device !== undefined ? { device: input.device } : {}),
      tokenHash: hashOpaqueToken(token),
      createdAt: Date.now(),
      createdBy: admin.id,
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    };
    await this.store.saveTerminalToken(record);
    return { view: toView(record), token };
  }

  async list(admin: Principal): Promise<TerminalTokenView[]> {
    const records = await this.store.listTerminalTokens(admin.organization);
    return records.filter((record) => admin.platforms.includes(record.platform)).sort((a, b) => a.createdAt - b.createdAt).map(toView);
  }

  async get(id: string, admin: Principal): Promise<TerminalTokenView> {
    return toView(await this.owned(id, admin));
  }

  /** Revokes at once: the token is refused from now on and its live connections are closed on every node. */
  async revoke(id: string, admin: Principal): Promise<TerminalTokenView> {
    const record = await this.owned(id, admin);
    if (record.revokedAt === undefined) {
      record.revokedAt = Date.now();
      await this.store.saveTerminalToken(record);
    }
    await this.revocations.publish({ kind: 'token', tokenId: record.id });
    return toView(record);
  }

  /** A new secret for the same named token; the old secret stops working at once. */
  async replace(id: string, admin: Principal): Promise<{ view: TerminalTokenView; token: string }> {
    const record = await this.owned(id, admin);
    const revoked = new TerminalTokenError(400, 'A revoked token cannot be replaced; create a new one.');
    if (record.revokedAt !== undefined) throw revoked;
    const previousHash = record.tokenHash;
    const token = newSecret();
    record.tokenHash = hashOpaqueToken(token);
    // The store refuses when a revocation landed since the record was read (on any node).
    if (!(await this.store.saveTerminalToken(record, previousHash))) throw revoked;
    await this.revocations.publish({ kind: 'token', tokenId: record.id, replaced: true });
    return { view: toView(record), token };
  }

  /** The token's name (for status events), without any admin check: only for a token that just authenticated. */
  async nameOf(id: string): Promise<string> {
    return (await this.store.getTerminalToken(id))?.name ?? id;
  }

  /** @throws AuthError `invalid_token` for an unknown, revoked, expired or wrongly bound token. */
  async authenticate(token: string, deviceId: string | undefined): Promise<Principal> {
    const record = await this.store.findTerminalTokenByHash(hashOpaqueToken(token));
    if (!record) throw new AuthError('invalid_token', 'The token is not recognized.');
    if (record.revokedAt !== undefined) throw new AuthError('invalid_token', 'The token was revoked.');
    const now = Date.now();
    if (record.expiresAt !== undefined && record.expiresAt <= now) throw new AuthError('invalid_token', 'The token expired.');
    if (record.device !== undefined && record.device !== deviceId) {
      throw new AuthError('invalid_token', 'The token is bound to another device.');
    }
    const platformStillConfigured = this.directory.organizationOfPlatform(record.platform) === record.organization;
    if (!platformStillConfigured) throw new AuthError('invalid_token', 'The token names a platform that no longer exists.');
    // Last use is bookkeeping: a store that refuses writes now (Redis out of memory) must not lock terminals out.
    await this.store.touchTerminalToken(record.id, now).catch((error: unknown) => {
      if (!(error instanceof ServiceUnavailableError)) throw error;
    });
    return {
      id: `terminal:${record.id}`,
      kind: 'terminal',
      organization: record.organization,
      scopes: record.scopes,
      platforms: [record.platform],
      logins: [record.login],
      tokenId: record.id,
      expiresAt: record.expiresAt,
      ...(record.device !== undefined ? { device: record.device } : {}),
    };
  }

  private async owned(id: string, admin: Principal): Promise<TerminalTokenRecord> {
    const record = await this.store.getTerminalToken(id);
    // Another organization's token, or one of a platform the admin cannot reach (as in create()),
    // is reported as missing: its existence is not theirs to know.
    if (!record || record.organization !== admin.organization || !admin.platforms.includes(record.platform)) {
      throw new TerminalTokenError(404, `Unknown token '${id}'.`);
    }
    return record;
  }
}

function toView(record: TerminalTokenRecord): TerminalTokenView {
  const now = Date.now();
  return {
    id: record.id,
    name: record.name,
    organization: record.organization,
    platform: record.platform,
    login: record.login,
    scopes: record.scopes,
    device: record.device ?? null,
    status: record.revokedAt !== undefined ? 'revoked' : record.expiresAt !== undefined && record.expiresAt <= now ? 'expired' : 'active',
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    revokedAt: record.revokedAt ?? null,
  };
}
