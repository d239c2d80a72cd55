import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedPair {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  /** Deletes the files. */
  remove(): void;
}

/** A throw-away certificate for localhost and 127.0.0.1 (openssl, a day's validity) in a temp directory of its own. */
export function selfSignedPair(): SelfSignedPair {
  const dir = mkdtempSync(join(tmpdir(), 'tradehub-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
