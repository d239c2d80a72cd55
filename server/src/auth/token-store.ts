import type { Scope } from './scopes.js';

/** A terminal token as stored: only the hash of its secret is kept. */
export interface TerminalTokenRecord {
  id: string;
  name: string;
  organization: string;
  platform: string;
  login: string;
  scopes: Scope[];
  /** When set, the token is accepted only from the device that presents this id. */
  device?: string;
  tokenHash: string;
  createdAt: number;
  createdBy: string;
  expiresAt?: number;
  lastUsedAt?: number;
  revokedAt?: number;
}

/**
 * Where token data lives so that it survives restarts and is shared by every node: a file
 * in the data directory for one node, Redis for several. Any method may throw a
 * ServiceUnavailableError when the store cannot answer now (answered 503, never as a refusal).
 */
export interface TokenStore {
  /**
   * Inserts or replaces a record (a replaced token keeps its id and gets a new hash). A revoked
   * token stays revoked: a write that would clear `revokedAt` is refused (false), even when it
   * raced with the revocation on another node.
   */
  saveTerminalToken(record: TerminalTokenRecord, previousHash?: string): Promise<boolean>;
  getTerminalToken(id: string): Promise<TerminalTokenRecord | undefined>;
  findTerminalTokenByHash(tokenHash: string): Promise<TerminalTokenRecord | undefined>;
  listTerminalTokens(organization: string): Promise<TerminalTokenRecord[]>;
  /** Records use; stores may write it lazily. */
  touchTerminalToken(id: string, at: number): Promise<void>;
  /** Denies a JWT by id until it would have expired anyway. */
  revokeTokenId(tokenId: string, expiresAt: number): Promise<void>;
  isTokenIdRevoked(tokenId: string): Promise<boolean>;
  close(): Promise<void>;
}
