import type { HubLifetimeManager, HubTarget } from '../lifetime/hub-lifetime-manager.js';
import { MessageType } from '../protocol/messages.js';

/** Sends an invocation of a client-side handler to whoever the proxy stands for. */
export interface ClientProxy {
  send(method: string, ...args: unknown[]): Promise<void>;
}

/** A proxy for exactly one connection, which can also ask it for a result (SignalR's `ISingleClientProxy`). */
export interface SingleClientProxy extends ClientProxy {
  /**
   * Invokes a client handler and resolves with what it returns. Rejects with the client's error
   * (a HubError), when the connection closes, or after `clientResultTimeoutMs`.
   */
  invoke(method: string, ...args: unknown[]): Promise<unknown>;
}

/** SignalR's `IHubClients`: proxies for every kind of target. */
export interface HubClients {
  readonly all: ClientProxy;
  allExcept(connectionIds: readonly string[]): ClientProxy;
  client(connectionId: string): SingleClientProxy;
  clients(connectionIds: readonly string[]): ClientProxy;
  group(group: string): ClientProxy;
  groupExcept(group: string, excludedConnectionIds: readonly string[]): ClientProxy;
  groups(groups: readonly string[]): ClientProxy;
  user(userId: string): ClientProxy;
  users(userIds: readonly string[]): ClientProxy;
}

/** `IHubCallerClients`: the same, plus targets relative to the calling connection. */
export interface HubCallerClients extends HubClients {
  readonly caller: SingleClientProxy;
  readonly others: ClientProxy;
  othersInGroup(group: string): ClientProxy;
}

/** SignalR's `IGroupManager`. */
export interface GroupManager {
  add(connectionId: string, group: string): Promise<void>;
  remove(connectionId: string, group: string): Promise<void>;
}

function proxy(lifetimeManager: HubLifetimeManager, target: HubTarget): ClientProxy {
  return {
    send: (method, ...args) =>
      lifetimeManager.send(target, { type: MessageType.Invocation, target: method, arguments: args }),
  };
}

export function hubClients(lifetimeManager: HubLifetimeManager): HubClients {
  return {
    all: proxy(lifetimeManager, { kind: 'all' }),
    allExcept: (except) => proxy(lifetimeManager, { kind: 'all', except }),
    client: (connectionId) => ({
      ...proxy(lifetimeManager, { kind: 'connections', connectionIds: [connectionId] }),
      invoke: (method, ...args) => lifetimeManager.invokeConnection(connectionId, method, args),
    }),
    clients: (connectionIds) => proxy(lifetimeManager, { kind: 'connections', connectionIds }),
    group: (group) => proxy(lifetimeManager, { kind: 'groups', groups: [group] }),
    groupExcept: (group, except) => proxy(lifetimeManager, { kind: 'groups', groups: [group], except }),
    groups: (groups) => proxy(lifetimeManager, { kind: 'groups', groups }),
    user: (userId) => proxy(lifetimeManager, { kind: 'users', userIds: [userId] }),
    users: (userIds) => proxy(lifetimeManager, { kind: 'users', userIds }),
  };
}

export function hubCallerClients(clients: HubClients, lifetimeManager: HubLifetimeManager, callerId: string): HubCallerClients {
  return {
    ...clients,
    caller: clients.client(callerId),
    others: clients.allExcept([callerId]),
    othersInGroup: (group) => proxy(lifetimeManager, { kind: 'groups', groups: [group], except: [callerId] }),
  };
}

export function groupManager(lifetimeManager: HubLifetimeManager): GroupManager {
  return {
    add: (connectionId, group) => lifetimeManager.addToGroup(connectionId, group),
    remove: (connectionId, group) => lifetimeManager.removeFromGroup(connectionId, group),
  };
}
