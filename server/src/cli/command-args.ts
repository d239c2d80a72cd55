import { closestName } from '../text/closest-name.js';
import { UsageError } from './cli-errors.js';

/** Every command takes it: `tradehub CMD --help` prints the command's own help. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Runs a strict `util.parseArgs` call; its errors become one UsageError line (an unknown
 * option names the nearest of `known`) instead of Node's advice text.
 */
export function parsedOrUsageError<T>(parse: () => T, known: readonly string[]): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(describeParseError(error, known));
  }
}

function describeParseError(error: unknown, known: readonly string[]): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const option = quoted.replace(/^-+/, '');
      const suggestion = closestName(option, [...known, 'help']);
      return `unknown option ${quoted}${suggestion ? `: did you mean --${suggestion}?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.split('. ')[0]?.replace(/^Option /, 'option ') ?? message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}'`;
    default:
      return message;
  }
}

/** A TCP port number from a flag or variable named `what`. */
export function portFrom(raw: string, what: string): number {
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${what} must be a TCP port number, not '${raw.slice(0, 20)}'`);
  return port;
}
