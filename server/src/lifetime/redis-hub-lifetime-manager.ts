import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import { MessageType, type InvocationMessage } from '../protocol/messages.js';
import type { HubConnectionSink, HubLifetimeManager, HubTarget } from './hub-lifetime-manager.js';
import { InMemoryHubLifetimeManager } from './in-memory-hub-lifetime-manager.js';

export interface RedisHubLifetimeManagerOptions {
  keyPrefix: string;
  /** Distinguishes hubs sharing one Redis: each has its own channels. */
  hubName: string;
  nodeId: string;
  /** How long a group change for a connection on another node waits for that node's answer. */
  groupAckTimeoutMs?: number;
}

/** An invocation as it crosses nodes; each node frames it for its own connections' protocols. */
interface WireInvocation {
  target: string;
  arguments: unknown[];
  except?: string[];
}

interface GroupCommand {
  op: 'add' | 'remove';
  connectionId: string;
  group: string;
  id: string;
  from: string;
}

/**
 * SignalR targets across nodes through Redis pub/sub (RedisHubLifetimeManager): every node
 * delivers to its own connections, and a node listens only to the channels of connections,
 * groups and users it has. Group changes for a connection on another node are sent to that
 * node and acknowledged.
 */
export class RedisHubLifetimeManager implements HubLifetimeManager {
  private readonly local = new InMemoryHubLifetimeManager();
  private readonly pendingAcks = new Map<string, () => void>();
  /** Channels this node listens to; marked before SUBSCRIBE is sent, so that none is subscribed twice. */
  private readonly listening = new Set<string>();
  private readonly channels: {
    all: string;
    groupCommands: string;
    ack: (node: string) => string;
    connection: (id: string) => string;
    group: (name: string) => string;
    user: (id: string) => string;
  };

  private constructor(
    private readonly commands: RedisClientType,
    private readonly subscriber: RedisClientType,
    private readonly options: RedisHubLifetimeManagerOptions,
    private readonly logger: Logger,
  ) {
    const base = `${options.keyPrefix}:hub:${options.hubName}`;
    this.channels = {
      all: `${base}:all`,
      groupCommands: `${base}:group-commands`,
      ack: (node) => `${base}:ack:${node}`,
      connection: (id) => `${base}:connection:${id}`,
      group: (name) => `${base}:group:${name}`,
      user: (id) => `${base}:user:${id}`,
    };
  }

  static async create(
    commands: RedisClientType,
    subscriber: RedisClientType,
    options: RedisHubLifetimeManagerOptions,
    logger: Logger,
  ): Promise<RedisHubLifetimeManager> {
    const manager = new RedisHubLifetimeManager(commands, subscriber, options, logger);
    await subscriber.subscribe(manager.channels.all, (message) => manager.deliver({ kind: 'all' }, message));
    await subscriber.subscribe(manager.channels.groupCommands, (message) => void manager.onGroupCommand(message));
    await subscriber.subscribe(manager.channels.ack(options.nodeId), (id) => manager.pendingAcks.get(id)?.());
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
    const wire = (except?: readonly string[]): string => {
      const invocation: WireInvocation = {
        target: message.target, arguments: message.arguments, ...(except && except.length > 0 ? { except: [...except] } : {}),
      };
      return JSON.stringify(invocation);
    };
    switch (target.kind) {
      case 'all':
        await this.commands.publish(this.channels.all, wire(target.except));
        return;
      case 'connections':
        await Promise.all(target.connectionIds.map((id) => this.local.has(id)
          ? this.local.send({ kind: 'connections', connectionIds: [id] }, message)
          : this.commands.publish(this.channels.connection(id), wire())));
        return;
      case 'groups':
        await Promise.all(target.groups.map((group) => this.commands.publish(this.channels.group(group), wire(target.except))));
        return;
      case 'users':
        await Promise.all(target.userIds.map((userId) => this.commands.publish(this.channels.user(userId), wire())));
        return;
    }
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    if (this.local.has(connectionId)) {
      await this.addLocal(connectionId, group);
      return;
    }
    await this.sendGroupCommand('add', connectionId, group);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    if (this.local.has(connectionId)) {
      await this.removeLocal(connectionId, group);
      return;
    }
    await this.sendGroupCommand('remove', connectionId, group);
  }

  async dispose(): Promise<void> {
    for (const resolve of this.pendingAcks.values()) resolve();
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
    try {
      await this.subscriber.subscribe(channel, (message) => this.deliver(target, message));
    } catch (error) {
      this.listening.delete(channel);
      throw error;
    }
  }

  private async unlisten(channels: string[]): Promise<void> {
    const subscribed = channels.filter((channel) => this.listening.delete(channel));
    if (subscribed.length === 0) return;
    await this.subscriber.unsubscribe(subscribed).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not unsubscribe from hub channels');
    });
  }

  /** Asks the node that has the connection to change its groups, and waits for its answer. */
  private async sendGroupCommand(op: GroupCommand['op'], connectionId: string, group: string): Promise<void> {
    const command: GroupCommand = { op, connectionId, group, id: randomUUID(), from: this.options.nodeId };
    const timeoutMs = this.options.groupAckTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const acknowledged = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        this.pendingAcks.delete(command.id);
        reject(new Error(`No node acknowledged the group change for connection '${connectionId}' within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pendingAcks.set(command.id, () => {
        clearTimeout(timer);
        this.pendingAcks.delete(command.id);
        resolve();
      });
    });
    try {
      await this.commands.publish(this.channels.groupCommands, JSON.stringify(command));
    } catch (error) {
      // Not sent: no answer will come, and the wait must not fail later with nobody awaiting it.
      clearTimeout(timer);
      this.pendingAcks.delete(command.id);
      throw error;
    }
    await acknowledged;
  }

  private async onGroupCommand(message: string): Promise<void> {
    let command: GroupCommand;
    try {
      command = JSON.parse(message) as GroupCommand;
    } catch {
      return;
    }
    if (!this.local.has(command.connectionId)) return;
    try {
      if (command.op === 'add') await this.addLocal(command.connectionId, command.group);
      else await this.removeLocal(command.connectionId, command.group);
      await this.commands.publish(this.channels.ack(command.from), command.id);
    } catch (error) {
      this.logger.warn({ err: error, group: command.group }, 'could not apply a group change from another node');
    }
  }

  private deliver(target: HubTarget, message: string): void {
    let wire: WireInvocation;
    try {
      wire = JSON.parse(message) as WireInvocation;
    } catch {
      this.logger.error({ kind: target.kind }, 'ignored a malformed message on a hub channel');
      return;
    }
    const withExcept: HubTarget = wire.except && (target.kind === 'all' || target.kind === 'groups')
      ? { ...target, except: wire.except }
      : target;
    void this.local.send(withExcept, { type: MessageType.Invocation, target: wire.target, arguments: wire.arguments });
  }
}
