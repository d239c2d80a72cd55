import { z } from 'zod';

/**
 * Parameter schemas for values that the two hub protocols carry differently, so that a hub
 * method gets one type from both: what a .NET hub binds to `byte[]` and `DateTime`. Returned,
 * a `Uint8Array` or `Date` is written back in each protocol's own form (JSON: base64 and
 * ISO-8601 text; MessagePack: bin and the Timestamp extension).
 */

/** Bytes: a base64 string from JSON clients, bin from MessagePack ones; a copy the method may keep. */
export function hubBytes(): z.ZodType<Uint8Array, unknown> {
  return z.union([z.instanceof(Uint8Array), z.base64()], { error: 'Expected bytes: base64 text, or bin in MessagePack' }).transform((value) =>
    // Copied: a MessagePack value is a view into the whole received frame.
    typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : new Uint8Array(value));
}

/**
 * A point in time: ISO-8601 text from JSON clients (a time without an offset is taken as UTC),
 * the Timestamp extension (a `Date`) from MessagePack ones.
 */
export function hubDateTime(): z.ZodType<Date, unknown> {
  return z.union([z.date(), z.iso.datetime({ offset: true, local: true })], {
    error: 'Expected a date and time: ISO-8601 text, or a Timestamp in MessagePack',
  }).transform((value) =>
    typeof value === 'string' ? new Date(hasOffset(value) ? value : `${value}Z`) : value);
}

function hasOffset(isoDateTime: string): boolean {
  return /(?:Z|[+-]\d{2}:?\d{2})$/i.test(isoDateTime);
}
