import { processEnv } from '../config/process-env.js';
import { CommandFailure, UsageError } from './cli-errors.js';

const DEFAULT_HUB_URL = 'http://127.0.0.1:5000';
const REQUEST_TIMEOUT_MS = 15_000;

/** The base URL of the hub a command talks to: the flag, else `TRADEHUB_HUB_URL`, else the local default. */
export function hubUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): URL {
  const raw = flag ?? processEnv(env, 'TRADEHUB_HUB_URL') ?? DEFAULT_HUB_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--hub must be a URL such as ${DEFAULT_HUB_URL}, not '${raw.slice(0, 60)}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--hub must be an http or https URL, not '${raw.slice(0, 60)}'`);
  if (url.username !== '' || url.password !== '') throw new UsageError('--hub must not carry credentials: give them as options or variables');
  return url;
}

/**
 * One JSON call to the hub's API with a bearer token. A refusal or an unreachable hub is a
 * CommandFailure that names the route, the status and the hub's own description (never the token).
 */
export async function hubRequest(hub: URL, method: 'GET' | 'POST' | 'DELETE', path: string, token: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, hub);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new CommandFailure(`cannot reach the hub at ${hub.origin}: ${networkReason(error)}`);
  }
  const text = await response.text();
  if (!response.ok) throw new CommandFailure(`${method} ${url.pathname}: HTTP ${response.status}${describeError(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CommandFailure(`${method} ${url.pathname}: the hub answered something other than JSON`);
  }
}

/** Fails with one line when nothing answers HTTP at the hub's address (any answer will do). */
export async function assertReachable(hub: URL): Promise<void> {
  try {
    const response = await fetch(new URL('/health/live', hub), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    throw new CommandFailure(`cannot reach the hub at ${hub.origin}: ${networkReason(error)}`);
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The OAuth-style `error: error_description` of an answer, when it has one. */
function describeError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const parts = [parsed.error, parsed.error_description].filter((part): part is string => typeof part === 'string');
    return parts.length > 0 ? ` ${parts.join(': ')}` : '';
  } catch {
    return '';
  }
}
