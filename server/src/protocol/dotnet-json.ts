/**
 * JSON text of hub messages as a .NET peer writes and expects it (System.Text.Json): bytes
 * (`Uint8Array`, `Buffer`) as base64 strings and dates as ISO-8601 UTC strings, so that a hub
 * method can return the same value to JSON and MessagePack clients and each gets its own form.
 */

/** How deep the look for dates and bytes goes; deeper values take the slower, always right path. */
const MAX_SCAN_DEPTH = 32;

/**
 * `JSON.stringify(message)`, with bytes and dates converted when `payload` holds any. Most
 * payloads hold neither: they are checked first, because a replacer slows every value down.
 */
export function stringifyWithDotnetValues(message: unknown, payload: unknown): string {
  return holdsBytesOrDates(payload, 0) ? JSON.stringify(message, dotnetValue) : JSON.stringify(message);
}

/** The .NET form of a DateTime in UTC: `2000-01-01T00:00:00Z`, fractions only when there are any (`...15.5Z`). */
export function dotnetDateString(date: Date): string | null {
  if (Number.isNaN(date.getTime())) return null;
  const iso = date.toISOString();
  // `.000Z` -> `Z`, `.500Z` -> `.5Z`: System.Text.Json trims trailing zeros of the fraction.
  return iso.replace(/\.?0+Z$/, 'Z');
}

function holdsBytesOrDates(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Uint8Array || value instanceof Date) return true;
  if (depth >= MAX_SCAN_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsBytesOrDates(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (holdsBytesOrDates((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * The replacer. It looks at the holder's own value: JSON.stringify has already turned a Date
 * into its `toJSON` text and a Buffer into `{ type: 'Buffer', data }` by the time it calls this.
 */
function dotnetValue(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  if (original instanceof Date) return dotnetDateString(original);
  return value;
}
