/**
 * SignalR hub messages as they travel on the wire (HubProtocol.md, "Message Types").
 * Field names follow the JSON protocol; other protocols map to and from these shapes.
 */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
  Ack: 8,
  Sequence: 9,
} as const;

export type MessageHeaders = Record<string, string>;

export interface InvocationMessage {
  type: typeof MessageType.Invocation;
  headers?: MessageHeaders;
  invocationId?: string;
  target: string;
  arguments: unknown[];
  streamIds?: string[];
}

export interface StreamInvocationMessage {
  type: typeof MessageType.StreamInvocation;
  headers?: MessageHeaders;
  invocationId: string;
  target: string;
  arguments: unknown[];
  streamIds?: string[];
}

export interface StreamItemMessage {
  type: typeof MessageType.StreamItem;
  headers?: MessageHeaders;
  invocationId: string;
  item: unknown;
}

export interface CompletionMessage {
  type: typeof MessageType.Completion;
  headers?: MessageHeaders;
  invocationId: string;
  result?: unknown;
  error?: string;
}

export interface CancelInvocationMessage {
  type: typeof MessageType.CancelInvocation;
  headers?: MessageHeaders;
  invocationId: string;
}

export interface PingMessage {
  type: typeof MessageType.Ping;
}

export interface CloseMessage {
  type: typeof MessageType.Close;
  error?: string;
  allowReconnect?: boolean;
}

export interface AckMessage {
  type: typeof MessageType.Ack;
  sequenceId: number;
}

export interface SequenceMessage {
  type: typeof MessageType.Sequence;
  sequenceId: number;
}

export type HubMessage =
  | InvocationMessage
  | StreamInvocationMessage
  | StreamItemMessage
  | CompletionMessage
  | CancelInvocationMessage
  | PingMessage
  | CloseMessage
  | AckMessage
  | SequenceMessage;

/**
 * A message the protocol could frame but not bind. Carries the invocation id when one was
 * readable, so that the dispatcher can answer with a Completion instead of closing.
 */
export interface InvalidMessage {
  type: 'invalid';
  invocationId?: string;
  target?: string;
  reason: string;
}

export type ParsedMessage = HubMessage | InvalidMessage;
