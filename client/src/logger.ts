import { LogLevel, type ILogger } from '@microsoft/signalr';

/**
 * Where the client reports what it does. `console` fits; any method may be left out. Every
 * message is redacted before it gets here: tokens and secrets never reach a logger.
 */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const QUERY_TOKEN = /(access_token=)[^&\s'"]+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const BASIC = /(Basic\s+)[A-Za-z0-9+/=]+/gi;
const TERMINAL_TOKEN = /\bthub_[A-Za-z0-9_-]+/g;

/**
 * Removes secrets from text: the ones the client knows (its client secret, the tokens it has
 * used) by value, and anything shaped like a token by pattern.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remembers a secret to remove by value; short strings are ignored (they would blank out ordinary words). */
  add(secret: string): void {
    if (secret.length >= 8) this.secrets.add(secret);
  }

  redact(text: string): string {
    let clean = text;
    for (const secret of this.secrets) clean = clean.split(secret).join('[redacted]');
    return clean
      .replace(JWT, '[redacted]')
      .replace(QUERY_TOKEN, '$1[redacted]')
      .replace(BEARER, '$1[redacted]')
      .replace(BASIC, '$1[redacted]')
      .replace(TERMINAL_TOKEN, '[redacted]');
  }
}

/** The client's own log: redacted, and silent for levels the given logger lacks. */
export class ClientLog {
  constructor(private readonly logger: Logger | undefined, readonly redactor: Redactor) {}

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  write(level: LogLevelName, message: string): void {
    const method = this.logger?.[level];
    if (!method) return;
    try {
      method.call(this.logger, `[tradehub] ${this.redactor.redact(message)}`);
    } catch {
      // A failing logger must not break the connection it reports on.
    }
  }

  /** The official client's logger, forwarded to ours (from Information up: its Debug and Trace lines are wire details). */
  signalRLogger(): ILogger {
    return {
      log: (level: LogLevel, message: string) => {
        if (level === LogLevel.None || level < LogLevel.Information) return;
        const name: LogLevelName = level >= LogLevel.Error ? 'error' : level === LogLevel.Warning ? 'warn' : 'info';
        // The official client's errors are reported again, classified, by the client itself.
        this.write(name === 'error' ? 'warn' : name, `signalr: ${message}`);
      },
    };
  }
}
