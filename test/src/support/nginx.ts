import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './interop-fixtures.js';
import { waitUntil } from './wait.js';

/** Debian's nginx (`apt-get install nginx`; .ci/run installs it), or NGINX_PATH. */
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** The configuration operators use, which the test runs as it is apart from addresses. */
export const TRADEHUB_NGINX_CONF = fileURLToPath(new URL('../../../deploy/nginx/tradehub.conf', import.meta.url));

/** What the deployed file names and a test replaces: the compose file's node addresses and nginx's port. */
const DEPLOYED_NODES = ['hub1:5000', 'hub2:5000'] as const;
const DEPLOYED_LISTEN = 'listen 80;';

/** The uid and gid of `nobody`: nginx started by root runs as this user, never as root. */
const NOBODY = 65_534;

export function nginxInstalled(): boolean {
  try {
    accessSync(NGINX_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * deploy/nginx/tradehub.conf with the test's node addresses and listening port in place of the
 * deployed ones. Fails when the file no longer names what it replaces, so that the test can
 * never run a configuration other than the deployed one.
 */
export function renderTradehubConf(nodes: readonly [string, string], port: number): string {
  let text = readFileSync(TRADEHUB_NGINX_CONF, 'utf8');
  for (const [index, deployed] of DEPLOYED_NODES.entries()) {
    const line = `server ${deployed};`;
    if (!text.includes(line)) throw new Error(`${TRADEHUB_NGINX_CONF} no longer has '${line}'`);
    text = text.replaceAll(line, `server ${nodes[index]};`);
  }
  if (text.split(DEPLOYED_LISTEN).length !== 2) throw new Error(`${TRADEHUB_NGINX_CONF} must have exactly one '${DEPLOYED_LISTEN}'`);
  return text.replace(DEPLOYED_LISTEN, `listen 127.0.0.1:${port};`);
}

/**
 * nginx in the foreground with a prefix of its own in a temporary directory: its configuration,
 * pid file, logs and temporary files all live there, and `dispose` stops it and removes them.
 * Started by root, it runs as `nobody`.
 */
export class NginxProcess {
  private constructor(private readonly child: ChildProcess, private readonly dir: string, readonly port: number) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Runs `serverConf` (http-context directives, such as a rendered tradehub.conf); `port` must be where it listens. */
  static async start(serverConf: (port: number) => string): Promise<NginxProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'tradehub-nginx-'));
    const port = await freePort();
    writeFileSync(join(dir, 'tradehub.conf'), serverConf(port));
    writeFileSync(join(dir, 'nginx.conf'), mainConf(dir));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(dir, 0o755);
      chownSync(dir, NOBODY, NOBODY);
    }
    let output = '';
    const child = spawn(NGINX_PATH, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const nginx = new NginxProcess(child, dir, port);
    try {
      await waitUntil(async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${output}${nginx.errorLog()}`);
        return fetch(`${nginx.baseUrl}/health/live`).then((response) => response.status === 200, () => false);
      }, () => `nginx to answer on port ${port}: ${output}${nginx.errorLog()}`, 10_000);
    } catch (error) {
      await nginx.dispose();
      throw error;
    }
    return nginx;
  }

  /** What nginx logged (warnings and errors), for failure messages. */
  errorLog(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The main context: everything nginx writes goes to `dir`, nothing to /var or /run. */
function mainConf(dir: string): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/tradehub.conf;
}
`;
}
