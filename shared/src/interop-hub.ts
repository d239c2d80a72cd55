/**
 * The interop hub: a fixed set of methods for checking any SignalR client against tradehub.
 * Names are those the server declares; clients may use any letter case.
 */
export const INTEROP_HUB_PATH = '/testhub';

export const INTEROP_DEFAULT_PORT = 5100;

/** Longest wait `Delay(ms)` accepts. */
export const INTEROP_MAX_DELAY_MS = 10_000;

export const InteropHubMethod = {
  Echo: 'Echo',
  EchoMany: 'EchoMany',
  InvokeWithString: 'InvokeWithString',
  SendToAll: 'SendToAll',
  JoinGroup: 'JoinGroup',
  LeaveGroup: 'LeaveGroup',
  SendToGroup: 'SendToGroup',
  ThrowException: 'ThrowException',
  ThrowHubException: 'ThrowHubException',
  GetConnectionId: 'GetConnectionId',
  GetActiveTransportName: 'GetActiveTransportName',
  Add: 'Add',
  Delay: 'Delay',
  Abort: 'Abort',
} as const;

/** Handlers the interop hub invokes on clients. */
export const InteropClientMethod = {
  /** `Message(text)` */
  Message: 'Message',
  /** `GroupMessage(group, text)` */
  GroupMessage: 'GroupMessage',
} as const;
