import type { Directory } from '../config/directory.js';
import { resolveSecret } from '../config/secret-ref.js';
import { hashSecret, isSecretHash, verifySecret } from './secret-hash.js';

export const clientSecretKey = (clientId: string): string => `client:${clientId}`;
export const managerPasswordKey = (platformId: string, login: string): string => `manager:${platformId}:${login}`;

/**
 * The configured secrets that callers prove they know (client secrets, manager passwords),
 * held only as scrypt hashes from start-up on.
 */
export class HashedSecrets {
  private constructor(private readonly hashes: ReadonlyMap<string, string>) {}

  /** Hashes the plain configured secrets at start-up, before the node listens: no login waits for it. */
  static async fromDirectory(directory: Directory, organizations: Iterable<string>, env: NodeJS.ProcessEnv): Promise<HashedSecrets> {
    const entries: Array<[key: string, reference: string, where: string]> = [];
    for (const client of directory.allClients()) {
      entries.push([clientSecretKey(client.id), client.secret, `client '${client.id}' secret`]);
    }
    for (const organizationId of organizations) {
      for (const platform of directory.organization(organizationId)?.platforms ?? []) {
        for (const manager of platform.managers) {
          entries.push([managerPasswordKey(platform.id, manager.login), manager.password, `manager ${manager.login} of platform '${platform.id}'`]);
        }
      }
    }
    const hashes = new Map<string, string>();
    for (const [key, reference, where] of entries) {
      const secret = resolveSecret(reference, env, where);
      hashes.set(key, isSecretHash(secret) ? secret : await hashSecret(secret));
    }
    return new HashedSecrets(hashes);
  }

  /**
   * Whether `secret` is the one stored under `key`; an unknown key costs the same work and fails.
   * Logins call it through LoginGuard, which bounds how many run at once.
   */
  async verify(key: string, secret: string): Promise<boolean> {
    const hash = this.hashes.get(key);
    const matches = await verifySecret(secret, hash ?? (await unknownKeyHash));
    return matches && hash !== undefined;
  }
}

const unknownKeyHash = hashSecret('no secret is stored under this key');
