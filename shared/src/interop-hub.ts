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
  // The methods of ASP.NET Core's own client test hub (its TS FunctionalTests' TestHub), same names and behaviour.
  /** The caller's connection id (as `GetConnectionId`). */
  GetCallerConnectionId: 'GetCallerConnectionId',
  /** The `numRedirects` query value of the request that opened the connection; 0 without one. */
  GetNumRedirects: 'GetNumRedirects',
  /** `SendCustomObject(obj)`: sends `CustomObject(obj)` to the caller, property names as they came. */
  SendCustomObject: 'SendCustomObject',
  /** Streaming: "a", "b", "c". */
  Stream: 'Stream',
  /** Streaming: nothing until the client cancels; then `StreamCanceled()` is sent to the caller. */
  InfiniteStream: 'InfiniteStream',
  /** `StreamingConcat(stream)`: the strings of a client stream, concatenated, once it completes. */
  StreamingConcat: 'StreamingConcat',
  /** Streaming: completes without an item. */
  EmptyStream: 'EmptyStream',
  /** Streaming: `StreamThrowException(message)` fails before streaming with an InvalidOperationException. */
  StreamThrowException: 'StreamThrowException',
  /** `EchoComplexObject(obj)`: returns a ComplexObject (String, IntArray, ByteArray, Guid, DateTime) as bound. */
  EchoComplexObject: 'EchoComplexObject',
  /** A ComplexObject with bytes [1, 2, 3], 2000-01-01T00:00:00Z, a Guid, [1, 2, 3] and "hello world". */
  SendComplexObject: 'SendComplexObject',
  /** `GetHeader(name)`: that header of the request that opened the connection, or null. */
  GetHeader: 'GetHeader',
  /** `GetCookie(name)`: that cookie of the request that opened the connection, or null. */
  GetCookie: 'GetCookie',
  /** The Content-Type header of the request that opened the connection, or null. */
  GetContentTypeHeader: 'GetContentTypeHeader',
} as const;

/** Handlers the interop hub invokes on clients. */
export const InteropClientMethod = {
  /** `Message(text)` */
  Message: 'Message',
  /** `GroupMessage(group, text)` */
  GroupMessage: 'GroupMessage',
  /** `CustomObject(obj)`, from `SendCustomObject` */
  CustomObject: 'CustomObject',
  /** `StreamCanceled()`, once the client cancelled `InfiniteStream` */
  StreamCanceled: 'StreamCanceled',
} as const;
