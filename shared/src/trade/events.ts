import * as z from 'zod';
import {
  accountSchema, dealSchema, marginEventSchema, orderSchema, platformStatusSchema, positionSchema, symbolInfoSchema, tickSchema,
} from './payloads.js';
import { platformId, utcMillis } from './primitives.js';
import { terminalStatusSchema } from './terminal.js';

/** Every event type with its payload schema: the one definition server, client and tests use. */
export const eventPayloadSchemas = {
  'tick': tickSchema,
  'deal': dealSchema,
  'order': orderSchema,
  'position': positionSchema,
  'account': accountSchema,
  'margin': marginEventSchema,
  'platform.status': platformStatusSchema,
  'symbol': symbolInfoSchema,
  /** Published by tradehub's terminal hub only: publishers are refused. */
  'terminal.status': terminalStatusSchema,
} as const;

export type TradeEventType = keyof typeof eventPayloadSchemas;
export const TRADE_EVENT_TYPES = Object.keys(eventPayloadSchemas) as TradeEventType[];

export type PayloadOf<T extends TradeEventType> = z.output<(typeof eventPayloadSchemas)[T]>;

/** Optional publisher-chosen id: an event published twice with the same id is stored once. */
const eventId = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** One union member per event type, so that `type` narrows `data` everywhere. */
function perType<S extends z.ZodRawShape>(extra: S) {
  const member = <T extends TradeEventType>(type: T) =>
    z.object({ type: z.literal(type), platformId, id: eventId.optional(), data: eventPayloadSchemas[type], ...extra }).strict();
  return z.discriminatedUnion('type', [
    member('tick'), member('deal'), member('order'), member('position'),
    member('account'), member('margin'), member('platform.status'), member('symbol'), member('terminal.status'),
  ]);
}

/** An event as a publisher sends it (hub `Publish`, REST ingest, the Redis ingest channel). */
export const tradeEventInputSchema = perType({});

export type TradeEventInput = z.output<typeof tradeEventInputSchema>;

/** Largest batch one publish call may carry. */
export const MAX_PUBLISH_BATCH = 1000;

export const publishBatchSchema = z.array(tradeEventInputSchema).min(1).max(MAX_PUBLISH_BATCH);

export const ENVELOPE_VERSION = 1;

/**
 * An event as the hub delivers it: the publisher's event plus its place in its topic's stream.
 * `seq` grows by exactly 1 within an `epoch`; a new epoch means the history was reset and the
 * consumer must resynchronise from a snapshot. `time` is the source time (the payload's),
 * `hubTime` when the hub accepted the event, both UTC milliseconds.
 */
export const tradeEnvelopeSchema = perType({
  v: z.literal(1),
  topic: z.string().min(1).max(256),
  seq: z.number().int().positive(),
  epoch: z.string().min(1).max(64),
  time: utcMillis,
  hubTime: utcMillis,
});

export type TradeEnvelope = z.output<typeof tradeEnvelopeSchema>;
