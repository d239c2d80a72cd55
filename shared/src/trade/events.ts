import * as z from 'zod';
import {
  accountSchema, dealSchema, marginEventSchema, orderSchema, platformStatusSchema, positionSchema, symbolInfoSchema, tickSchema,
} from './payloads.js';
import { barSchema, depthSchema } from './market-data.js';
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
  /** Built by the hub from ticks: publishers cannot publish it (see topic-access on the server). */
  'bar': barSchema,
  'depth': depthSchema,
} as const;

export type TradeEventType = keyof typeof eventPayloadSchemas;
export const TRADE_EVENT_TYPES = Object.keys(eventPayloadSchemas) as TradeEventType[];

export type PayloadOf<T extends TradeEventType> = z.output<(typeof eventPayloadSchemas)[T]>;

/** Optional publisher-chosen id: an event published twice with the same id is stored once. */
const eventId = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** The object schema of one event type: `type` narrows `data`. */
function member<T extends TradeEventType, S extends z.ZodRawShape>(type: T, extra: S) {
  return z.object({ type: z.literal(type), platformId, id: eventId.optional(), data: eventPayloadSchemas[type], ...extra }).strict();
}

/**
 * One union member per event type that enters through publishing: every type but `bar`, which the
 * hub builds from ticks (`terminal.status` is the terminal hub's own: topic access refuses it to publishers).
 */
function perPublishedType<S extends z.ZodRawShape>(extra: S) {
  return [
    member('tick', extra), member('deal', extra), member('order', extra), member('position', extra), member('account', extra),
    member('margin', extra), member('platform.status', extra), member('symbol', extra), member('depth', extra),
    member('terminal.status', extra),
  ] as const;
}

/** An event as a publisher sends it (hub `Publish`, REST ingest, the Redis ingest channel). */
export const tradeEventInputSchema = z.discriminatedUnion('type', [...perPublishedType({})]);

export type TradeEventInput = z.output<typeof tradeEventInputSchema>;

/**
 * The event types of the input schema: every type but `bar` (built from ticks). Topic access
 * still refuses `terminal.status` to publishers: only the terminal hub says it.
 */
export const PUBLISHED_EVENT_TYPES = TRADE_EVENT_TYPES.filter((type) => type !== 'bar') as Array<TradeEventInput['type']>;

/** A bar event, as the hub builds it from the ticks it accepts (never from a publisher). */
export type BarEventInput = z.output<ReturnType<typeof member<'bar', Record<never, never>>>>;

/** Every event the hub stores: what publishers send, and the bars it builds. */
export type HubEventInput = TradeEventInput | BarEventInput;

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
const envelopeFields = {
  v: z.literal(1),
  topic: z.string().min(1).max(256),
  seq: z.number().int().positive(),
  epoch: z.string().min(1).max(64),
  time: utcMillis,
  hubTime: utcMillis,
};
export const tradeEnvelopeSchema = z.discriminatedUnion('type', [...perPublishedType(envelopeFields), member('bar', envelopeFields)]);

export type TradeEnvelope = z.output<typeof tradeEnvelopeSchema>;
