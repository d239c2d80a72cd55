import { randomUUID } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import type { RedisGuard } from '../redis/redis-guard.js';
import type { RedisPubSub } from '../redis/redis-pub-sub.js';
import { MessageType, type InvocationMessage } from '../protocol/messages.js';
import { HubError } from '../hub/hub-error.js';
import type { HubConnectionSink, HubLifetimeManager, HubTarget } from './hub-lifetime-manager.js';
import { InMemoryHubLifetimeManager } from './in-memory-hub-lifetime-manager.js';

export interface RedisHubLifetimeManagerOptions {
  keyPrefix: string;
  /** Distinguishes hubs sharing one Redis: each has its own channels. */
  hubName: string;
  nodeId: string;
  /** How long a group change for a connection on another node waits for that node's answer. */
  groupAckTimeoutMs?: number;
  /** How long a client result from a connection on another node is waited for. */
  remoteInvokeTimeoutMs?: number;
}

/** An invocation as it crosses nodes; each node frames it for its own connections' protocols. */
interface WireInvocation {
  target: string;
  arguments: unknown[];
  except?: string[];
}

/** What one node asks of the node that has a connection; answered on the asker's reply channel. */
type NodeCommand = { id: string; from: string; connectionId: string } & (
  | { kind: 'group'; op: 'add' | 'remove'; group: string }
  | { kind: 'invoke'; method: string; arguments: unknown[] }
);

interface NodeReply {
  id: string;
  result?: unknown;
  error?: string;
  /** The error is a HubError, whose message is meant for clients; others reach them as generic errors. */
  hubError?: boolean;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Messages between nodes are MessagePack, so that every value a hub protocol can carry (bytes,
 * dates) reaches a client on another node as it would a local one.
 */
function pack(value: unknown): Buffer {
  const bytes = encode(value, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unpack<T>(message: Buffer): T | undefined {
  try {
    return decode(message) as T;
  } catch {
    return undefined;
  }
}

/**
 * SignalR targets across nodes through Redis pub/sub (RedisHubLifetimeManager; sharded pub/sub
 * on a cluster, where each channel lives on one shard and the channels of connections, groups
 * and users spread over the shards): every node
 * delivers to its own connections, and a node listens only to the channels of connections,
 * groups and users it has. Group changes and client-result invocations for a connection on
 * another node are sent to that node, which answers.
 */
export class RedisHubLifetimeManager implements HubLifetimeManager {
  private readonly local = new InMemoryHubLifetimeManager();
  private readonly pendingReplies = new Map<string, (reply: NodeReply) => void>();
  /** Channels this node listens to; marked before SUBSCRIBE is sent, so that none is subscribed twice. */
  private readonly listening = new Set<string>();
  private readonly channels: {
    all: string;
    commands: string;
    replies: (node: string) => string;
    connection: (id: string) => string;
    group: (name: string) => string;
    user: (id: string) => string;
  };

  private constructor(
    private readonly pubSub: RedisPubSub,
    /** Every Redis call goes through it: a silent Redis fails sends and connects, instead of hanging them. */
    private readonly guard: RedisGuard,
    private readonly options: RedisHubLifetimeManagerOptions,
    private readonly logger: Logger,
  ) {
    const base = `${options.keyPrefix}:hub:${options.hubName}`;
    this.channels = {
      all: `${base}:all`,
      commands: `${base}:node-commands`,
      replies: (node) => `${base}:replies:${node}`,
      connection: (id) => `${base}:connection:${id}`,
      group: (name) => `${base}:group:${name}`,
      user: (id) => `${base}:user:${id}`,
    };
  }

  static async create(
    pubSub: RedisPubSub,
    guard: RedisGuard,
    options: RedisHubLifetimeManagerOptions,
    logger: Logger,
  ): Promise<RedisHubLifetimeManager> {
    const manager = new RedisHubLifetimeManager(pubSub, guard, options, logger);
    await guard.run(() => Promise.all([
      pubSub.subscribe(manager.channels.all, (message) => manager.deliver({ kind: 'all' }, message), true),
      pubSub.subscribe(manager.channels.commands, (message) => void manager.onCommand(message), true),
      pubSub.subscribe(manager.channels.replies(options.nodeId), (message) => manager.onReply(message), true),
    ]));
    return manager;
  }

  async onConnected(connection: HubConnectionSink): Promise<void> {
    await this.local.onConnected(connection);
    const { connectionId, userId } = connection;
    await this.listen(this.channels.connection(connectionId), { kind: 'connections', connectionIds: [connectionId] });
    if (userId !== undefined) await this.listen(this.channels.user(userId), { kind: 'users', userIds: [userId] });
  }

  async onDisconnected(connection: HubConnectionSink): Promise<void> {
    const groups = this.local.groupsOf(connection.connectionId);
    await this.local.onDisconnected(connection);
    const channels: string[] = [this.channels.connection(connection.connectionId)];
    for (const group of groups) if (!this.local.hasGroup(group)) channels.push(this.channels.group(group));
    if (connection.userId !== undefined && !this.local.hasUser(connection.userId)) channels.push(this.channels.user(connection.userId));
    await this.unlisten(channels);
  }

  async send(target: HubTarget, message: InvocationMessage): Promise<void> {
    const wire = (except?: readonly string[]): Buffer => {
      const invocation: WireInvocation = {
        target: message.target, arguments: message.arguments, ...(except && except.length > 0 ? { except: [...except] } : {}),
      };
      return pack(invocation);
    };
    switch (target.kind) {
      case 'all':
        await this.publish(this.channels.all, wire(target.except));
        return;
      case 'connections': {
        // Local connections share one framing; remote ones share one packed message.
        const localIds = target.connectionIds.filter((id) => this.local.has(id));
        const remoteIds = target.connectionIds.filter((id) => !this.local.has(id));
        const packed = remoteIds.length > 0 ? wire() : undefined;
        await Promise.all([
          ...(localIds.length > 0 ? [this.local.send({ kind: 'connections', connectionIds: localIds }, message)] : []),
          ...remoteIds.map((id) => this.publish(this.channels.connection(id), packed as Buffer)),
        ]);
        return;
      }
      case 'groups':
        await Promise.all(target.groups.map((group) => this.publish(this.channels.group(group), wire(target.except))));
        return;
      case 'users':
        await Promise.all(target.userIds.map((userId) => this.publish(this.channels.user(userId), wire())));
        return;
    }
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    if (this.local.has(connectionId)) {
      await this.addLocal(connectionId, group);
      return;
    }
    await this.request({ kind: 'group', op: 'add', connectionId, group }, this.options.groupAckTimeoutMs ?? 5_000);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    if (this.local.has(connectionId)) {
      await this.removeLocal(connectionId, group);
      return;
    }
    await this.request({ kind: 'group', op: 'remove', connectionId, group }, this.options.groupAckTimeoutMs ?? 5_000);
  }

  async dispose(): Promise<void> {
    for (const [id, settle] of this.pendingReplies) settle({ id, error: 'The hub is shutting down.' });
    await this.local.dispose();
  }

  private async addLocal(connectionId: string, group: string): Promise<void> {
    await this.local.addToGroup(connectionId, group);
    await this.listen(this.channels.group(group), { kind: 'groups', groups: [group] });
  }

  private async removeLocal(connectionId: string, group: string): Promise<void> {
    await this.local.removeFromGroup(connectionId, group);
    if (!this.local.hasGroup(group)) await this.unlisten([this.channels.group(group)]);
  }

  private async listen(channel: string, target: HubTarget): Promise<void> {
    if (this.listening.has(channel)) return;
    this.listening.add(channel);
    const listener = (message: Buffer): void => this.deliver(target, message);
    let issued = false;
    try {
      await this.guard.run(() => {
        issued = true;
        return this.pubSub.subscribe(channel, listener, true);
      });
    } catch (error) {
      this.listening.delete(channel);
      // A SUBSCRIBE that timed out may still be answered: its listener must not stay to deliver twice.
      if (issued) this.pubSub.unsubscribe(channel, listener, true).catch(() => undefined);
      throw error;
    }
  }

  private async unlisten(channels: string[]): Promise<void> {
    const subscribed = channels.filter((channel) => this.listening.delete(channel));
    if (subscribed.length === 0) return;
    await this.guard.run(() => this.pubSub.unsubscribe(subscribed)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not unsubscribe from hub channels');
    });
  }

  async invokeConnection(connectionId: string, method: string, args: unknown[]): Promise<unknown> {
    if (this.local.has(connectionId)) return this.local.invokeConnection(connectionId, method, args);
    return this.request({ kind: 'invoke', connectionId, method, arguments: args }, this.options.remoteInvokeTimeoutMs ?? 60_000);
  }

  /**
   * Asks the node that has the connection to act on it, and waits for its reply. No reply means
   * that no node has the connection (or that node died): the request times out.
   */
  private async request(command: DistributiveOmit<NodeCommand, 'id' | 'from'>, timeoutMs: number): Promise<unknown> {
    const full = { ...command, id: randomUUID(), from: this.options.nodeId } as NodeCommand;
    let timer: NodeJS.Timeout | undefined;
    const replied = new Promise<unknown>((resolve, reject) => {
      timer = setTimeout(() => {
        this.pendingReplies.delete(full.id);
        const what = full.kind === 'group' ? 'acknowledged the group change' : 'answered the invocation';
        reject(new Error(`No node ${what} for connection '${full.connectionId}' within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pendingReplies.set(full.id, (reply) => {
        clearTimeout(timer);
        this.pendingReplies.delete(full.id);
        if (reply.error !== undefined) reject(reply.hubError ? new HubError(reply.error) : new Error(reply.error));
        else resolve(reply.result);
      });
    });
    try {
      await this.publish(this.channels.commands, pack(full));
    } catch (error) {
      // Not sent: no answer will come, and the wait must not fail later with nobody awaiting it.
      clearTimeout(timer);
      this.pendingReplies.delete(full.id);
      throw error;
    }
    return replied;
  }

  private onReply(message: Buffer): void {
    const reply = unpack<NodeReply>(message);
    if (!reply) return;
    this.pendingReplies.get(reply.id)?.(reply);
  }

  /** Acts on a request for one of this node's connections; other nodes ignore it. */
  private async onCommand(message: Buffer): Promise<void> {
    const command = unpack<NodeCommand>(message);
    if (!command) return;
    if (!this.local.has(command.connectionId)) return;
    const reply: NodeReply = { id: command.id };
    try {
      if (command.kind === 'invoke') {
        reply.result = await this.local.invokeConnection(command.connectionId, command.method, command.arguments);
      } else if (command.op === 'add') {
        await this.addLocal(command.connectionId, command.group);
      } else {
        await this.removeLocal(command.connectionId, command.group);
      }
    } catch (error) {
      reply.error = error instanceof Error ? error.message : 'The request failed.';
      if (error instanceof HubError) reply.hubError = true;
    }
    await this.publish(this.channels.replies(command.from), pack(reply)).catch((error: unknown) => {
      this.logger.warn({ err: error, kind: command.kind }, 'could not reply to another node');
    });
  }

  private async publish(channel: string, message: Buffer): Promise<void> {
    await this.guard.run(() => this.pubSub.publish(channel, message));
  }

  private deliver(target: HubTarget, message: Buffer): void {
    const wire = unpack<WireInvocation>(message);
    if (!wire) {
      this.logger.error({ kind: target.kind }, 'ignored a malformed message on a hub channel');
      return;
    }
    const withExcept: HubTarget = wire.except && (target.kind === 'all' || target.kind === 'groups')
      ? { ...target, except: wire.except }
      : target;
    void this.local.send(withExcept, { type: MessageType.Invocation, target: wire.target, arguments: wire.arguments });
  }
}
