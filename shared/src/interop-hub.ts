/**
 * The interop hub: a fixed set of methods for checking any SignalR client against tradehub.
 * Names are those the server declares; clients may use any letter case.
 */
export const INTEROP_HUB_PATH = '/testhub';

export const INTEROP_DEFAULT_PORT = 5100;

/** Longest wait `Delay(ms)` accepts, and longest pause between two `Counter` items. */
export const INTEROP_MAX_DELAY_MS = 10_000;

/** Most items `Counter` and `StreamError` stream. */
export const INTEROP_MAX_STREAM_COUNT = 1_000_000;

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
  /** `GetClientResult(method)`: invokes the caller's handler `method()` and returns its answer. */
  GetClientResult: 'GetClientResult',
  /** `GetClientResultFrom(connectionId, method)`: the same on another connection, on any node. */
  GetClientResultFrom: 'GetClientResultFrom',
  /** Streaming: `Counter(count, delayMs)` streams 0 to count - 1, pausing `delayMs` between items. */
  Counter: 'Counter',
  /** Streaming: `StreamEcho(source)` streams back every item of the client stream `source`. */
  StreamEcho: 'StreamEcho',
  /** `SumStream(numbers)`: the sum of a client stream of numbers, once it completes. */
  SumStream: 'SumStream',
  /** Streaming: `StreamError(afterCount, message)` streams 0 to afterCount - 1, then fails with a HubError(message). */
  StreamError: 'StreamError',
} as const;

/** Handlers the interop hub invokes on clients. */
export const InteropClientMethod = {
  /** `Message(text)` */
  Message: 'Message',
  /** `GroupMessage(group, text)` */
  GroupMessage: 'GroupMessage',
} as const;
