/** A mistake in how the program was called (a bad flag, a missing argument): one line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something the program could not do (a port in use, a refused request): one line, exit 1. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

/** The reason of an error in a few words: its code for system errors (EADDRINUSE), else its message. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  return error instanceof Error ? error.message : String(error);
}
