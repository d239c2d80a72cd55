import * as z from 'zod';
import { finiteNumber, mtId, price, symbolName, utcMillis, volume } from './primitives.js';

export const tickSchema = z.object({
  symbol: symbolName,
  bid: price,
  ask: price,
  last: price.optional(),
  volume: volume.optional(),
  /** Source time of the quote. */
  time: utcMillis,
  flags: z.number().int().nonnegative().optional(),
}).strict();

export const dealSchema = z.object({
  deal: mtId,
  order: mtId,
  position: mtId,
  login: mtId,
  symbol: z.union([symbolName, z.literal('')]),
  action: z.enum(['buy', 'sell', 'balance', 'credit', 'charge', 'correction', 'bonus', 'commission', 'dividend', 'tax']),
  entry: z.enum(['in', 'out', 'inout', 'out_by']),
  volume,
  price,
  profit: finiteNumber,
  commission: finiteNumber,
  swap: finiteNumber,
  time: utcMillis,
}).strict();

export const orderSchema = z.object({
  order: mtId,
  login: mtId,
  symbol: symbolName,
  type: z.enum(['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop', 'buy_stop_limit', 'sell_stop_limit', 'close_by']),
  state: z.enum(['started', 'placed', 'canceled', 'partial', 'filled', 'rejected', 'expired']),
  volumeInitial: volume,
  volumeCurrent: volume,
  priceOpen: price,
  sl: price.optional(),
  tp: price.optional(),
  timeSetup: utcMillis,
  timeDone: utcMillis.optional(),
  /** Source time of this change of the order. */
  time: utcMillis,
}).strict();

export const positionSchema = z.object({
  position: mtId,
  login: mtId,
  symbol: symbolName,
  direction: z.enum(['buy', 'sell']),
  /** 0 when the position is closed: it then leaves the open-positions snapshot. */
  volume,
  priceOpen: price,
  priceCurrent: price,
  sl: price.optional(),
  tp: price.optional(),
  profit: finiteNumber,
  swap: finiteNumber,
  time: utcMillis,
}).strict();

export const accountSchema = z.object({
  login: mtId,
  balance: finiteNumber,
  credit: finiteNumber,
  equity: finiteNumber,
  margin: finiteNumber,
  marginFree: finiteNumber,
  /** Percent; null while no margin is used. */
  marginLevel: finiteNumber.nullable(),
  currency: z.string().regex(/^[A-Z]{3,6}$/),
  leverage: z.number().int().positive(),
  time: utcMillis,
}).strict();

export const marginEventSchema = z.object({
  login: mtId,
  kind: z.enum(['margin_call', 'stop_out']),
  marginLevel: finiteNumber,
  equity: finiteNumber,
  margin: finiteNumber,
  time: utcMillis,
}).strict();

export const platformStatusSchema = z.object({
  /** `stale`: connected, but no quotes for a while (weekends, holidays): not a broken hub. */
  state: z.enum(['connected', 'disconnected', 'stale']),
  /** Trade server time minus UTC, in milliseconds. */
  serverTimeOffsetMs: z.number().int().optional(),
  reason: z.string().max(500).optional(),
  time: utcMillis,
}).strict();

export const symbolInfoSchema = z.object({
  symbol: symbolName,
  digits: z.number().int().min(0).max(10),
  description: z.string().max(200).optional(),
  currencyBase: z.string().max(16),
  currencyProfit: z.string().max(16),
  contractSize: finiteNumber.positive(),
  volumeMin: volume,
  volumeMax: volume,
  volumeStep: volume,
  time: utcMillis,
}).strict();

export type Tick = z.output<typeof tickSchema>;
export type Deal = z.output<typeof dealSchema>;
export type Order = z.output<typeof orderSchema>;
export type Position = z.output<typeof positionSchema>;
export type AccountState = z.output<typeof accountSchema>;
export type MarginEvent = z.output<typeof marginEventSchema>;
export type PlatformStatus = z.output<typeof platformStatusSchema>;
export type SymbolInfo = z.output<typeof symbolInfoSchema>;
