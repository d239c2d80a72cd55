import type { TokenRenewal } from '@tradehub/shared';
import type { Authenticator } from '../auth/authenticator.js';
import { authenticateRenewal, renewalRefusal, TokenRenewalError } from '../auth/token-renewal.js';
import type { HubContext } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';
import type { TradeService } from './trade-service.js';

/** The device a bound token must be used from, as the request that opened the connection named it. */
function deviceIdOf(context: HubContext): string | undefined {
  return context.httpRequest.headers.get('x-device-id') ?? context.httpRequest.query.get('device_id');
}

/**
 * `RenewToken(accessToken)`: moves the caller's live connection to a fresh token of its own
 * subject (see `renewalRefusal`), then drops the subscriptions the new token does not allow.
 * @throws HubError saying why the renewal was refused; the connection keeps its token then
 */
export async function renewConnectionToken(
  authenticator: Authenticator,
  trade: TradeService,
  context: HubContext,
  token: string,
): Promise<TokenRenewal> {
  try {
    const next = await authenticateRenewal(authenticator, token, deviceIdOf(context));
    // Checked against the token the connection has now, with no await before applying: a renewal
    // that completed meanwhile (narrower) is what this one may not widen.
    const current = context.user;
    if (!current) throw new TokenRenewalError('Only an authenticated connection can renew its token.');
    const refusal = renewalRefusal(current, next);
    if (refusal !== undefined) throw new TokenRenewalError(refusal);
    context.renewUser(next);
    const droppedTopics = await trade.dropRefusedSubscriptions(context);
    return {
      expiresAt: next.expiresAt ?? null,
      scopes: [...next.scopes],
      platforms: [...next.platforms],
      logins: next.logins ? [...next.logins] : null,
      droppedTopics,
    };
  } catch (error) {
    if (error instanceof TokenRenewalError) throw new HubError(error.message);
    throw error;
  }
}
