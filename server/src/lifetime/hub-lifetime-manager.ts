import type { InvocationMessage } from '../protocol/messages.js';
import type { SerializedHubMessage } from './serialized-hub-message.js';

/** Who a server-to-client invocation is for (SignalR's Clients.All, Clients.Group, Clients.User, ...). */
export type HubTarget =
  | { readonly kind: 'all'; readonly except?: readonly string[] }
  | { readonly kind: 'connections'; readonly connectionIds: readonly string[] }
  | { readonly kind: 'groups'; readonly groups: readonly string[]; readonly except?: readonly string[] }
  | { readonly kind: 'users'; readonly userIds: readonly string[] };

/** The part of a hub connection that the lifetime manager addresses. */
export interface HubConnectionSink {
  readonly connectionId: string;
  /** User id for user-targeted sends; undefined for anonymous connections. */
  readonly userId: string | undefined;
  write(message: SerializedHubMessage): void;
  /**
   * Bytes queued for this client, not yet written to its socket (the trade hub conflates ticks
   * for a connection that falls behind). Connections that cannot tell leave it out.
   */
  readonly bufferedBytes?: number;
  /**
   * Bytes a stateful-reconnect client has not acknowledged yet (sent or waiting, kept to be sent
   * again); undefined for connections without stateful reconnect.
   */
  readonly unacknowledgedBytes?: number | undefined;
  /** Invokes a client handler and resolves with what the client answers (client results). */
  invokeClient(method: string, args: unknown[]): Promise<unknown>;
  /**
   * Throws (a HubError, for the caller of `groups.add`) when the connection may not join `group`
   * while it is in `groupCount` groups already. Connections without limits leave it out.
   */
  checkGroupJoin?(group: string, groupCount: number): void;
}

/**
 * Decides which connections a message reaches (the `HubLifetimeManager` seam). One
 * implementation keeps everything in this process; a backplane spreads it across nodes.
 */
export interface HubLifetimeManager {
  onConnected(connection: HubConnectionSink): Promise<void>;
  onDisconnected(connection: HubConnectionSink): Promise<void>;
  send(target: HubTarget, message: InvocationMessage): Promise<void>;
  /** Invokes a handler on one connection, wherever it lives, and resolves with the client's result. */
  invokeConnection(connectionId: string, method: string, args: unknown[]): Promise<unknown>;
  addToGroup(connectionId: string, group: string): Promise<void>;
  removeFromGroup(connectionId: string, group: string): Promise<void>;
  dispose(): Promise<void>;
}
