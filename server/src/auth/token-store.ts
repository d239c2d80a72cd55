import type { AccessStateRecord, AccessSubject } from './access-subject.js';
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

/** Stored states (of accounts and devices, and the organization's own) one organization may have: admins cannot fill the store. */
export const MAX_ACCESS_STATES_PER_ORGANIZATION = 10_000;

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
  /**
   * Sets the state of an organization, account or device. Refused (false) when it would be a new
   * state past MAX_ACCESS_STATES_PER_ORGANIZATION of its organization.
   */
  saveAccessState(record: AccessStateRecord): Promise<boolean>;
  /** The stored states of these subjects, in their order (undefined: none stored). */
  getAccessStates(subjects: readonly AccessSubject[]): Promise<Array<AccessStateRecord | undefined>>;
  listAccessStates(organization: string): Promise<AccessStateRecord[]>;
  close(): Promise<void>;
}
