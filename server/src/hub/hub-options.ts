/**
 * Limits and intervals of a hub; defaults are ASP.NET Core SignalR's (HubOptions), except for the
 * per-connection memory bounds ASP.NET does not have or sets higher (queued calls, outbound
 * buffer, client streams, groups).
 */
export interface HubOptions {
  /** Send a Ping when nothing else was sent for this long. */
  keepAliveIntervalMs: number;
  /** Close a connection the client has sent nothing on for this long. */
  clientTimeoutMs: number;
  /** Close a connection whose handshake has not completed within this time. */
  handshakeTimeoutMs: number;
  /** Largest single incoming message, in bytes. */
  maximumReceiveMessageSize: number;
  /**
   * Bytes a WebSocket frame may carry beyond `maximumReceiveMessageSize`. ws holds a whole frame in
   * memory until it is complete, so the sum is what one socket can make the server hold (a frame
   * over it closes the socket with 1009). The allowance is there because the official clients send
   * every message queued in the same tick in one frame (TransportSendQueue): 224 KiB lets a client
   * send a burst of up to 256 KiB (with the default message size) without awaiting each call.
   */
  webSocketFrameAllowanceBytes: number;
  /** Send the type and message of any error thrown by hub code to the caller, not only of HubError. */
  detailedErrors: boolean;
  /** Hub method calls of one client running at once; 1 keeps a client's calls in order. */
  maximumParallelInvocationsPerClient: number;
  /**
   * Calls of one client waiting to run; when this many wait, the connection is not read further
   * until one ends (as ASP.NET's reading loop waits). Each holds up to `maximumReceiveMessageSize`
   * of arguments: 64 × 32 KB = 2 MB at most per connection.
   */
  maximumQueuedInvocationsPerClient: number;
  /**
   * Bytes queued for a client that does not read; past it the client is disconnected, allowed to
   * reconnect. Keep it well above `streamBackpressureBytes`, which slows streams down long before.
   */
  maximumBufferedBytesPerClient: number;
  /** How long a server-to-client invocation waits for the client's result. */
  clientResultTimeoutMs: number;
  /**
   * Stateful reconnect for clients that ask for it (`withStatefulReconnect()`): a connection whose
   * WebSocket drops keeps its state and unacknowledged messages, and the client resumes it.
   */
  allowStatefulReconnects: boolean;
  /** How long a dropped stateful connection waits for its client. */
  statefulReconnectWindowMs: number;
  /** Unacknowledged bytes kept for a stateful client; past it the connection is closed, reconnect allowed. */
  statefulReconnectBufferBytes: number;
  /**
   * A server-to-client stream pulls its next item from the hub method only while fewer bytes than
   * this wait to be sent to the client, so that a slow reader slows the producer down instead of
   * filling server memory (and long before `maximumBufferedBytesPerClient` disconnects it).
   */
  streamBackpressureBytes: number;
  /**
   * Items of one client-to-server stream received but not yet read by the hub method (ASP.NET's
   * StreamBufferCapacity). When a stream's buffer is full, the connection is not read any further
   * until the method reads an item: the client is slowed down, not disconnected.
   */
  clientStreamBufferCapacity: number;
  /** Streams open at once on one connection, either direction; more are refused with an error. */
  maximumStreamsPerClient: number;
  /**
   * Client-to-server streams open at once on one connection (they count towards
   * `maximumStreamsPerClient` too); more are refused with an error. Bounds what they can hold:
   * 10 streams × 10 items × 32 KB = 3.2 MB per connection with the defaults.
   */
  maximumClientStreamsPerClient: number;
  /** Groups one connection may be in at once; `groups.add` past it fails with a HubError. */
  maximumGroupsPerConnection: number;
  /** Longest group name, in characters; `groups.add` with a longer one fails with a HubError. */
  maximumGroupNameLength: number;
}

export const defaultHubOptions: HubOptions = {
  keepAliveIntervalMs: 15_000,
  clientTimeoutMs: 30_000,
  handshakeTimeoutMs: 15_000,
  maximumReceiveMessageSize: 32 * 1024,
  webSocketFrameAllowanceBytes: 224 * 1024,
  detailedErrors: false,
  maximumParallelInvocationsPerClient: 1,
  maximumQueuedInvocationsPerClient: 64,
  maximumBufferedBytesPerClient: 1024 * 1024,
  clientResultTimeoutMs: 30_000,
  allowStatefulReconnects: false,
  statefulReconnectWindowMs: 30_000,
  statefulReconnectBufferBytes: 1024 * 1024,
  streamBackpressureBytes: 64 * 1024,
  clientStreamBufferCapacity: 10,
  maximumStreamsPerClient: 100,
  maximumClientStreamsPerClient: 10,
  maximumGroupsPerConnection: 100,
  maximumGroupNameLength: 256,
};
