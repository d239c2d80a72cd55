import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../server/dist/cli/main.js', import.meta.url));

/** A tradehub node in a process of its own (`npm start`'s program), so that a test can kill it. */
export class HubProcess {
  private constructor(readonly child: ChildProcess, readonly baseUrl: string, private readonly dataDir: string) {}

  get tradeHubUrl(): string {
    return `${this.baseUrl}/hubs/trade`;
  }

  static async start(env: Record<string, string>): Promise<HubProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tradehub-node-'));
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', TRADEHUB_SIMULATOR: 'off', TRADEHUB_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const baseUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`node did not start: ${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}: ${output}`));
      });
    });
    return new HubProcess(child, baseUrl, dataDir);
  }

  /** Ends the process at once, as a crash would: no Close messages, no clean-up. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
