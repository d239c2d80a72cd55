import { ServerUnreachableError, TimeoutError } from '../errors.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  timeoutMs: number;
  /** Names the operation in a timeout error. */
  operation: string;
}

/**
 * One HTTP request with the platform's `fetch`, bounded in time. A network failure becomes
 * `ServerUnreachableError` (naming the node, never the request's headers), a time-out
 * `TimeoutError`; any status is an answer for the caller to judge.
 */
export async function httpRequest(request: HttpRequest): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: controller.signal,
      // Tokens travel in headers only; no cookies are needed or sent.
      credentials: 'omit',
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  } catch (error) {
    if (controller.signal.aborted) throw new TimeoutError(request.operation, request.timeoutMs);
    throw new ServerUnreachableError(originOf(request.url), error);
  } finally {
    clearTimeout(timer);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the given URL';
  }
}

/** Reads `{error, error_description}` from an error answer, whatever else it holds. */
export function errorBodyOf(answer: HttpAnswer): { error: string; description: string | undefined } | undefined {
  const body = answer.json;
  if (typeof body !== 'object' || body === null || !('error' in body) || typeof body.error !== 'string') return undefined;
  const description = 'error_description' in body && typeof body.error_description === 'string' ? body.error_description : undefined;
  return { error: body.error, description };
}
