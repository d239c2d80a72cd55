import type { TokenSource } from '../auth/token-source.js';
import type { NodeList } from '../connection/node-list.js';
import { HttpApiError, NotSignalRServerError, ServerUnreachableError } from '../errors.js';
import { errorBodyOf, httpRequest, type HttpAnswer } from './http-request.js';

export interface ApiContext {
  nodes: NodeList;
  tokens: TokenSource;
  timeoutMs: number;
  /** Sent as `X-Device-Id`: the device a terminal token is bound to. */
  deviceId?: string | undefined;
}

/**
 * A request to the tradehub API with the bearer token in the `Authorization` header (never in
 * the URL): at the current node, then the others when it cannot be reached; once more with a
 * fresh token when the token was refused (401). Error statuses become `HttpApiError`.
 */
export async function apiRequest(context: ApiContext, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
  let lastError: unknown;
  for (const base of context.nodes.fromCurrent()) {
    try {
      return await requestWithRenewal(context, base, method, path, body);
    } catch (error) {
      if (!(error instanceof ServerUnreachableError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function requestWithRenewal(context: ApiContext, base: string, method: 'GET' | 'POST', path: string, body: unknown): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const token = await context.tokens.token();
    const answer = await httpRequest({
      method,
      url: `${base}${path}`,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/json',
        ...(context.deviceId !== undefined ? { 'X-Device-Id': context.deviceId } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs: context.timeoutMs,
      operation: `${method} ${path}`,
    });
    if (answer.status === 401 && attempt === 0 && context.tokens.renewable) {
      context.tokens.invalidate(token);
      continue;
    }
    if (answer.status >= 400) throw httpError(answer, base);
    return answer;
  }
}

function httpError(answer: HttpAnswer, base: string): Error {
  const body = errorBodyOf(answer);
  if (!body) {
    if (answer.status === 404) return new NotSignalRServerError(base, `${answer.status} without a tradehub error body.`);
    return new HttpApiError(answer.status, 'http_error', undefined);
  }
  const retryAfter = Number(answer.headers.get('retry-after'));
  return new HttpApiError(answer.status, body.error, body.description, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}
