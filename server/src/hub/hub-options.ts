/** Limits and intervals of a hub; defaults are ASP.NET Core SignalR's (HubOptions). */
export interface HubOptions {
  /** Send a Ping when nothing else was sent for this long. */
  keepAliveIntervalMs: number;
  /** Close a connection the client has sent nothing on for this long. */
  clientTimeoutMs: number;
  /** Close a connection whose handshake has not completed within this time. */
  handshakeTimeoutMs: number;
  /** Largest single incoming message, in bytes. */
  maximumReceiveMessageSize: number;
  /** Send the type and message of any error thrown by hub code to the caller, not only of HubError. */
  detailedErrors: boolean;
  /** Hub method calls of one client running at once; 1 keeps a client's calls in order. */
  maximumParallelInvocationsPerClient: number;
  /** Calls of one client waiting to run; past it the client is disconnected with an error. */
  maximumQueuedInvocationsPerClient: number;
  /** Bytes queued for a client that does not read; past it the client is disconnected, allowed to reconnect. */
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
   * Items of one client-to-server stream received but not yet read by the hub method. Reading is
   * not paused (ASP.NET's StreamBufferCapacity pauses it): past this the connection is closed with
   * an error, so that a method that does not read cannot grow server memory without bound.
   */
  clientStreamBufferCapacity: number;
  /** Streams open at once on one connection, either direction; more are refused with an error. */
  maximumStreamsPerClient: number;
}

export const defaultHubOptions: HubOptions = {
  keepAliveIntervalMs: 15_000,
  clientTimeoutMs: 30_000,
  handshakeTimeoutMs: 15_000,
  maximumReceiveMessageSize: 32 * 1024,
  detailedErrors: false,
  maximumParallelInvocationsPerClient: 1,
  maximumQueuedInvocationsPerClient: 1024,
  maximumBufferedBytesPerClient: 8 * 1024 * 1024,
  clientResultTimeoutMs: 30_000,
  allowStatefulReconnects: false,
  statefulReconnectWindowMs: 30_000,
  statefulReconnectBufferBytes: 1024 * 1024,
  streamBackpressureBytes: 64 * 1024,
  clientStreamBufferCapacity: 1024,
  maximumStreamsPerClient: 100,
};
