import { sentMicrosOf } from '../payload.js';

/** The naive ws server's only acknowledgement frame, sent to a publisher after each broadcast loop. */
export const WS_ACK = 'ack';

export type WsFrame = { kind: 'ack' } | { kind: 'tick'; sentMicros: number } | { kind: 'other' };

/** The naive ws server relays the publisher's JSON text as is. */
export function readWsFrame(data: string): WsFrame {
  if (data === WS_ACK) return { kind: 'ack' };
  const sentMicros = sentMicrosOf(data);
  return sentMicros === undefined ? { kind: 'other' } : { kind: 'tick', sentMicros };
}
