import { sentMicrosOf } from '../payload.js';
import { startsWithAny } from './payload-sampler.js';

/** The naive ws server's only acknowledgement frame, sent to a publisher after each broadcast loop. */
export const WS_ACK = 'ack';

export type WsFrame = { kind: 'ack' } | { kind: 'tick'; sentMicros: number } | { kind: 'other' };

/** The naive ws server relays the publisher's JSON text as is. */
export function readWsFrame(data: string): WsFrame {
  if (data === WS_ACK) return { kind: 'ack' };
  const sentMicros = sentMicrosOf(data);
  return sentMicros === undefined ? { kind: 'other' } : { kind: 'tick', sentMicros };
}

/** How the publisher's payload (a JSON BenchTick, relayed as is) begins. */
const WS_PAYLOAD_PREFIX = [Buffer.from('{"symbol":')];

/** Whether a frame is a benchmark payload, told by its first bytes without decoding it. */
export function isWsPayload(frame: Uint8Array): boolean {
  return startsWithAny(frame, WS_PAYLOAD_PREFIX);
}
