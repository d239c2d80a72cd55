// A namespace import (as zod recommends) lets browser bundles of the client leave out the parts of zod they do not use.
import * as z from 'zod';

/** UTC milliseconds since the epoch. Source times are converted to UTC before they enter the hub. */
export const utcMillis = z.number().int().nonnegative().max(8_640_000_000_000_000);

/** A finite number (NaN and infinities are refused). */
export const finiteNumber = z.number();

/** MetaTrader ids (logins, tickets) are unsigned 64-bit integers: carried as decimal strings. */
export const mtId = z.string().regex(/^\d{1,20}$/, 'must be a decimal id of at most 20 digits');

export const platformId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

/** Symbol names as MetaTrader allows them, without characters that have a meaning in topics. */
export const symbolName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._#&+-]{0,31}$/, 'must be 1-32 letters, digits or ". _ # & + -"');

/**
 * Volumes are integers in 1/10,000 lot, as MetaTrader 5 keeps them (1 lot = 10,000), so that
 * no rounding ever happens on the wire.
 */
export const volume = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Prices are plain numbers; `SymbolInfo.digits` says how many decimals are meaningful. */
export const price = finiteNumber;
