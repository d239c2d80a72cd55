import * as z from 'zod';
import { tradeEnvelopeSchema } from './events.js';
import type { ResyncNotice, SubscribeResult, TopicResult, TopicSnapshot } from './hub-contract.js';
import { barSchema, depthSchema } from './market-data.js';
import { accountSchema, orderSchema, platformStatusSchema, positionSchema, symbolInfoSchema, tickSchema } from './payloads.js';

/**
 * Runtime schemas of what the trade hub sends, for clients that check a server's answers where
 * they enter (the types of hub-contract.ts stay the definitions; these are checked against them).
 */
const position = { epoch: z.string().min(1).max(64), seq: z.number().int().nonnegative() };

export const topicSnapshotSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ticks'), ticks: z.array(tickSchema) }),
  z.object({
    kind: z.literal('accounts'),
    accounts: z.array(z.object({
      login: z.string(),
      account: accountSchema.nullable(),
      positions: z.array(positionSchema),
      orders: z.array(orderSchema),
    })),
  }),
  z.object({ kind: z.literal('status'), status: platformStatusSchema.nullable() }),
  z.object({ kind: z.literal('symbols'), symbols: z.array(symbolInfoSchema) }),
  z.object({ kind: z.literal('margin') }),
  z.object({ kind: z.literal('bars'), bars: z.array(barSchema) }),
  z.object({ kind: z.literal('depth'), depth: depthSchema.nullable() }),
]);

const resetReasonSchema = z.enum(['epoch_changed', 'history_gone', 'ahead_of_server']);

export const topicResultSchema = z.discriminatedUnion('status', [
  z.object({ topic: z.string(), status: z.literal('snapshot'), ...position, snapshot: topicSnapshotSchema, resetReason: resetReasonSchema.optional() }),
  z.object({ topic: z.string(), status: z.literal('resumed'), ...position, events: z.array(tradeEnvelopeSchema) }),
]);

export const subscribeResultSchema = z.union([
  topicResultSchema,
  z.object({ topic: z.string(), status: z.literal('wildcard'), topics: z.array(topicResultSchema) }),
  z.object({ topic: z.string(), status: z.literal('error'), error: z.string(), retryable: z.boolean().optional() }),
]);

export const resyncNoticeSchema = z.object({ topic: z.string(), reason: resetReasonSchema });

type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const snapshotMatches: Exactly<z.output<typeof topicSnapshotSchema>, TopicSnapshot> = true;
const topicResultMatches: Exactly<z.output<typeof topicResultSchema>, TopicResult> = true;
const subscribeResultMatches: Exactly<z.output<typeof subscribeResultSchema>, SubscribeResult> = true;
const resyncMatches: Exactly<z.output<typeof resyncNoticeSchema>, ResyncNotice> = true;
void snapshotMatches;
void topicResultMatches;
void subscribeResultMatches;
void resyncMatches;
