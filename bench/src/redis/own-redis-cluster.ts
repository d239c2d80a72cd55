import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { waitUntil } from '../wait-until.js';
import { answers, isFree, spawnRedisServer } from './local-redis.js';

const run = promisify(execFile);

export interface OwnRedisClusterOptions {
  /** 1 (the default): 3 masters and 3 replicas, for failover; 0: 3 masters only (the benchmark). */
  replicasPerMaster?: 0 | 1;
  /** Pins every node to this CPU core (`taskset`), as the benchmark pins its servers. */
  core?: number;
}

const MASTERS = 3;

/**
 * A Redis Cluster of a test's or the benchmark's own: 3 masters (and by default 3 replicas) of
 * `redis-server --cluster-enabled yes` on free loopback ports, without persistence, in a temporary
 * directory, created with `redis-cli --cluster create`. A short node time-out makes a replica take
 * over about a second after its master died. `dispose` stops every node and removes the directory.
 */
export class OwnRedisCluster {
  private readonly processes = new Map<number, ChildProcess>();

  private constructor(readonly ports: readonly number[], private readonly dir: string, private readonly core: number | undefined) {}

  static async start(options: OwnRedisClusterOptions = {}): Promise<OwnRedisCluster> {
    const replicas = options.replicasPerMaster ?? 1;
    const cluster = new OwnRedisCluster(await clusterPorts(MASTERS * (1 + replicas)), mkdtempSync(join(tmpdir(), 'tradehub-cluster-')), options.core);
    try {
      for (const port of cluster.ports) cluster.spawnNode(port);
      await Promise.all(cluster.ports.map((port) => waitUntil(() => answers(port), `cluster node ${port} to answer`, 10_000)));
      await run('redis-cli', [
        '--cluster', 'create', ...cluster.ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes',
      ], { timeout: 20_000 });
      await cluster.waitUntilServing();
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** The nodes as `host:port`, for `redis.cluster`. */
  get seeds(): string[] {
    return this.ports.map((port) => `127.0.0.1:${port}`);
  }

  /** The process id of the node on `port` while it runs. */
  pidOf(port: number): number | undefined {
    return this.processes.get(port)?.pid;
  }

  /** The ports of the nodes that are masters now, with the slots each serves. */
  async masters(): Promise<Array<{ port: number; slots: Array<[number, number]> }>> {
    const alive = this.ports.find((port) => this.processes.has(port));
    if (alive === undefined) throw new Error('no cluster node runs');
    const shards = await this.command(alive, ['CLUSTER', 'SLOTS']) as Array<[number, number, [string, number, ...unknown[]]]>;
    const byPort = new Map<number, Array<[number, number]>>();
    for (const [from, to, [, port]] of shards) byPort.set(Number(port), [...(byPort.get(Number(port)) ?? []), [Number(from), Number(to)]]);
    return [...byPort].map(([port, slots]) => ({ port, slots }));
  }

  /** The port of the master that serves a key now. */
  async masterOf(key: string): Promise<number> {
    const alive = this.ports.find((port) => this.processes.has(port)) as number;
    const slot = Number(await this.command(alive, ['CLUSTER', 'KEYSLOT', key]));
    const master = (await this.masters()).find(({ slots }) => slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /**
   * Moves the slot of `key` to another master, as `redis-cli --cluster reshard` does: marks it
   * importing and migrating, MIGRATEs its keys in batches while clients keep using them, then
   * gives it to the new master on every master (replicas follow). Returns the new master's port.
   */
  async migrateSlotOf(key: string): Promise<number> {
    const from = await this.masterOf(key);
    const to = (await this.masters()).find(({ port }) => port !== from)?.port as number;
    const slot = String(await this.command(from, ['CLUSTER', 'KEYSLOT', key]));
    const [fromId, toId] = await Promise.all([from, to].map(async (port) => String(await this.command(port, ['CLUSTER', 'MYID']))));
    await this.command(to, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId as string]);
    await this.command(from, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId as string]);
    for (;;) {
      const keys = await this.command(from, ['CLUSTER', 'GETKEYSINSLOT', slot, '10']) as string[];
      if (keys.length === 0) break;
      await this.command(from, ['MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', ...keys]);
    }
    const others = (await this.masters()).map(({ port }) => port).filter((port) => port !== to && port !== from);
    for (const port of [to, from, ...others]) {
      await this.command(port, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId as string]);
    }
    await waitUntil(async () => (await this.masterOf(key)) === to, `slot ${slot} to be served by ${to}`);
    return to;
  }

  /** Ends a node at once, as a crash would. */
  async kill(port: number): Promise<void> {
    const child = this.processes.get(port);
    if (!child) return;
    this.processes.delete(port);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Waits until every live node says `cluster_state:ok`, three masters serve all slots, and every
   * live replica is in sync with its master (only a replica that synced can take over).
   */
  async waitUntilServing(timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => {
      const live = this.ports.filter((port) => this.processes.has(port));
      const states = await Promise.all(live.map((port) => this.command(port, ['CLUSTER', 'INFO']).then(String, () => '')));
      if (!states.every((state) => /cluster_state:ok/.test(state) && /cluster_slots_ok:16384/.test(state))) return false;
      const replication = await Promise.all(live.map((port) => this.command(port, ['INFO', 'replication']).then(String, () => '')));
      if (replication.some((info) => /role:slave/.test(info) && !/master_link_status:up/.test(info))) return false;
      const masters = await this.masters().catch(() => []);
      return masters.length === MASTERS && masters.every(({ port }) => this.processes.has(port));
    }, 'the Redis Cluster to serve every slot', timeoutMs);
  }

  /** Sends one command to one node. */
  async command(port: number, args: string[]): Promise<unknown> {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 1_000 } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((port) => this.kill(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnNode(port: number): void {
    const child = spawnRedisServer(port, this.dir, [
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000',
    ], this.core);
    this.processes.set(port, child);
  }
}

/** Free ports whose cluster bus ports (port + 10000) are free too. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!ports.includes(port) && await isFree(port) && await isFree(port + 10_000)) ports.push(port);
  }
  return ports;
}
