import type { InvocationMessage } from '../protocol/messages.js';
import type { HubConnectionSink, HubLifetimeManager, HubTarget } from './hub-lifetime-manager.js';
import { SerializedHubMessage } from './serialized-hub-message.js';
import { addToIndex, removeFromIndex } from '../collections/set-index.js';

/** Keeps connections, groups and users of one process: the embedded default (DefaultHubLifetimeManager). */
export class InMemoryHubLifetimeManager implements HubLifetimeManager {
  private readonly connections = new Map<string, HubConnectionSink>();
  private readonly groups = new Map<string, Set<HubConnectionSink>>();
  private readonly groupsOfConnection = new Map<string, Set<string>>();
  private readonly users = new Map<string, Set<HubConnectionSink>>();

  async onConnected(connection: HubConnectionSink): Promise<void> {
    this.connections.set(connection.connectionId, connection);
    if (connection.userId !== undefined) addToIndex(this.users, connection.userId, connection);
  }

  async onDisconnected(connection: HubConnectionSink): Promise<void> {
    this.connections.delete(connection.connectionId);
    if (connection.userId !== undefined) removeFromIndex(this.users, connection.userId, connection);
    for (const group of this.groupsOfConnection.get(connection.connectionId) ?? []) {
      removeFromIndex(this.groups, group, connection);
    }
    this.groupsOfConnection.delete(connection.connectionId);
  }

  async send(target: HubTarget, message: InvocationMessage): Promise<void> {
    const serialized = new SerializedHubMessage(message);
    for (const connection of this.recipients(target)) connection.write(serialized);
  }

  async invokeConnection(connectionId: string, method: string, args: unknown[]): Promise<unknown> {
    const connection = this.connections.get(connectionId);
    if (!connection) throw new Error(`Connection '${connectionId}' does not exist.`);
    return connection.invokeClient(method, args);
  }

  async addToGroup(connectionId: string, group: string): Promise<void> {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    let memberships = this.groupsOfConnection.get(connectionId);
    if (memberships?.has(group)) return;
    // The connection's own limits: a client must not make the server keep unbounded groups for it.
    connection.checkGroupJoin?.(group, memberships?.size ?? 0);
    addToIndex(this.groups, group, connection);
    if (!memberships) this.groupsOfConnection.set(connectionId, (memberships = new Set()));
    memberships.add(group);
  }

  async removeFromGroup(connectionId: string, group: string): Promise<void> {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    removeFromIndex(this.groups, group, connection);
    this.groupsOfConnection.get(connectionId)?.delete(group);
  }

  /** Whether the connection lives in this process. */
  has(connectionId: string): boolean {
    return this.connections.has(connectionId);
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  hasUser(userId: string): boolean {
    return this.users.has(userId);
  }

  groupsOf(connectionId: string): string[] {
    return [...(this.groupsOfConnection.get(connectionId) ?? [])];
  }

  async dispose(): Promise<void> {
    this.connections.clear();
    this.groups.clear();
    this.groupsOfConnection.clear();
    this.users.clear();
  }

  /** Each connection at most once, even when it is in several targeted groups or users. */
  private recipients(target: HubTarget): Iterable<HubConnectionSink> {
    switch (target.kind) {
      case 'all':
        return excluding(this.connections.values(), target.except);
      case 'connections':
        return unique(target.connectionIds.map((id) => this.connections.get(id)));
      case 'groups':
        return excluding(unique(target.groups.flatMap((group) => [...(this.groups.get(group) ?? [])])), target.except);
      case 'users':
        return unique(target.userIds.flatMap((userId) => [...(this.users.get(userId) ?? [])]));
    }
  }
}

function unique(connections: Array<HubConnectionSink | undefined>): Set<HubConnectionSink> {
  const result = new Set<HubConnectionSink>();
  for (const connection of connections) if (connection) result.add(connection);
  return result;
}

function* excluding(connections: Iterable<HubConnectionSink>, except: readonly string[] | undefined): Iterable<HubConnectionSink> {
  if (!except || except.length === 0) {
    yield* connections;
    return;
  }
  const excluded = new Set(except);
  for (const connection of connections) if (!excluded.has(connection.connectionId)) yield connection;
}
