/**
 * Caller-supplied text for an error message: printable ASCII only and bounded, so that an
 * answer never carries control characters or a huge echo of the input.
 */
export function printable(text: string, maxLength: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}...` : clean;
}
