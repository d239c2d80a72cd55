import assert from 'node:assert/strict';
import { assertNoLeak } from './fuzz.js';

/** An HTTP answer as the fuzz tests read it: status, headers and the raw text. */
export interface FuzzAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** Sends a request exactly as given (no JSON encoding, no added content type). */
export async function send(baseUrl: string, request: FuzzRequest): Promise<FuzzAnswer> {
  const withBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers ?? {},
    ...(withBody ? { body: request.body } : {}),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Everything an answer shows the caller: its text and every header. */
function visible(answer: FuzzAnswer): string {
  return [answer.text, ...[...answer.headers.entries()].map(([name, value]) => `${name}: ${value}`)].join('\n');
}

/**
 * An answer to input the server could not use: a 4xx (never a 5xx), no stack trace or
 * secret, and when it has a body, JSON `{ error, error_description }` with strings.
 */
export function assertErrorAnswer(answer: FuzzAnswer, secrets: readonly string[], request: unknown): void {
  const what = `${answer.status} ${answer.text.slice(0, 300)} for ${JSON.stringify(request).slice(0, 300)}`;
  assert.ok(answer.status >= 400 && answer.status < 500, `expected a 4xx: ${what}`);
  assertNoLeak(visible(answer), secrets);
  if (answer.text === '') return;
  const body = parseJson(answer.text, what);
  assert.ok(isErrorBody(body), `not {error, error_description}: ${what}`);
}

/** Any answer of the API to fuzzed input: a success, or a well-formed error. */
export function assertWellFormedAnswer(answer: FuzzAnswer, secrets: readonly string[], request: unknown): void {
  if (answer.status >= 200 && answer.status < 300) {
    assertNoLeak(visible(answer), secrets);
    if (answer.text !== '') parseJson(answer.text, `${answer.status} ${answer.text.slice(0, 300)}`);
    return;
  }
  assertErrorAnswer(answer, secrets, request);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    assert.fail(`not JSON: ${what}`);
  }
}

function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { error, error_description: description } = body as Record<string, unknown>;
  return typeof error === 'string' && error !== '' && typeof description === 'string' && description !== '';
}
