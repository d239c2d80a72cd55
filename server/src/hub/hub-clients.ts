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

/** One connection's proxy: a class, not a spread of closures, as every connection's greeting makes one. */
class SingleClient implements SingleClientProxy {
  private readonly target: HubTarget;

  constructor(private readonly lifetimeManager: HubLifetimeManager, private readonly connectionId: string) {
    this.target = { kind: 'connections', connectionIds: [connectionId] };
  }

  send(method: string, ...args: unknown[]): Promise<void> {
    return this.lifetimeManager.send(this.target, { type: MessageType.Invocation, target: method, arguments: args });
  }

  invoke(method: string, ...args: unknown[]): Promise<unknown> {
    return this.lifetimeManager.invokeConnection(this.connectionId, method, args);
  }
}

export function hubClients(lifetimeManager: HubLifetimeManager): HubClients {
  return {
    all: proxy(lifetimeManager, { kind: 'all' }),
    allExcept: (except) => proxy(lifetimeManager, { kind: 'all', except }),
    client: (connectionId) => new SingleClient(lifetimeManager, connectionId),
    clients: (connectionIds) => proxy(lifetimeManager, { kind: 'connections', connectionIds }),
    group: (group) => proxy(lifetimeManager, { kind: 'groups', groups: [group] }),
    groupExcept: (group, except) => proxy(lifetimeManager, { kind: 'groups', groups: [group], except }),
    groups: (groups) => proxy(lifetimeManager, { kind: 'groups', groups }),
    user: (userId) => proxy(lifetimeManager, { kind: 'users', userIds: [userId] }),
    users: (userIds) => proxy(lifetimeManager, { kind: 'users', userIds }),
  };
}

/**
 * `IHubCallerClients` of one connection. Made when hub code first reads `clients`, on most
 * connections (the trade hub greets every new one): what it adds is made on first use, the rest
 * is the hub's own `HubClients`.
 */
class CallerClients implements HubCallerClients {
  private callerProxy: SingleClientProxy | undefined;
  private othersProxy: ClientProxy | undefined;

  constructor(private readonly hubClients: HubClients, private readonly lifetimeManager: HubLifetimeManager, private readonly callerId: string) {}

  get all(): ClientProxy { return this.hubClients.all; }
  get caller(): SingleClientProxy { return (this.callerProxy ??= this.hubClients.client(this.callerId)); }
  get others(): ClientProxy { return (this.othersProxy ??= this.hubClients.allExcept([this.callerId])); }
  allExcept(connectionIds: readonly string[]): ClientProxy { return this.hubClients.allExcept(connectionIds); }
  client(connectionId: string): SingleClientProxy { return this.hubClients.client(connectionId); }
  clients(connectionIds: readonly string[]): ClientProxy { return this.hubClients.clients(connectionIds); }
  group(group: string): ClientProxy { return this.hubClients.group(group); }
  groupExcept(group: string, excludedConnectionIds: readonly string[]): ClientProxy { return this.hubClients.groupExcept(group, excludedConnectionIds); }
  groups(groups: readonly string[]): ClientProxy { return this.hubClients.groups(groups); }
  user(userId: string): ClientProxy { return this.hubClients.user(userId); }
  users(userIds: readonly string[]): ClientProxy { return this.hubClients.users(userIds); }
  othersInGroup(group: string): ClientProxy {
    return proxy(this.lifetimeManager, { kind: 'groups', groups: [group], except: [this.callerId] });
  }
}

export function hubCallerClients(clients: HubClients, lifetimeManager: HubLifetimeManager, callerId: string): HubCallerClients {
  return new CallerClients(clients, lifetimeManager, callerId);
}

export function groupManager(lifetimeManager: HubLifetimeManager): GroupManager {
  return {
    add: (connectionId, group) => lifetimeManager.addToGroup(connectionId, group),
    remove: (connectionId, group) => lifetimeManager.removeFromGroup(connectionId, group),
  };
}
