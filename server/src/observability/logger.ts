import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/**
 * Paths that may carry credentials. pino replaces them before a line is written, so that a
 * token can never reach a log even when a request object is logged whole.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'access_token',
  'accessToken',
  'password',
  'client_secret',
  'secret',
  'token',
];

/** JSON lines to stdout, or to `destination` (tests capture logs this way). */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/** For embedding and tests: logs nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads a log level such as `LOG_LEVEL`; unset means `info`. */
export function parseLogLevel(raw: string | undefined): LevelWithSilent {
  if (raw === undefined || raw === '') return 'info';
  const level = raw.toLowerCase() as LevelWithSilent;
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, not '${raw}'.`);
  return level;
}
