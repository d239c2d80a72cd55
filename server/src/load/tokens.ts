import { setTimeout as sleep } from 'node:timers/promises';
import type { OAuthTokenResponse } from '@tradehub/shared';

/** Statuses a token request is retried on: the node's login limits (queue full, throttled). */
const RETRYABLE = new Set([429, 503]);
const MAX_ATTEMPTS = 20;

/**
 * Gets an access token by client credentials (`POST /connect/token`, HTTP Basic). Retries a
 * bounded number of times while the node's login gate is busy, honouring Retry-After; never puts
 * the secret or the token in an error message.
 */
export async function fetchToken(baseUrl: URL, clientId: string, secret: string, signal?: AbortSignal): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(new URL('/connect/token', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      ...(signal ? { signal } : {}),
    });
    if (response.ok) return ((await response.json()) as OAuthTokenResponse).access_token;
    const body = await response.text();
    if (!RETRYABLE.has(response.status) || attempt >= MAX_ATTEMPTS) {
      throw new Error(`token for client '${clientId}' refused: HTTP ${response.status} ${describeError(body)}`);
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 5_000) : 20 * attempt);
  }
}

function describeError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: string; error_description?: string };
    return [parsed.error, parsed.error_description].filter(Boolean).join(': ');
  } catch {
    return body.slice(0, 200);
  }
}
