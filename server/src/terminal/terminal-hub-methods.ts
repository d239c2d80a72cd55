import { mtId, type TerminalRequestName } from '@tradehub/shared';
import { z } from 'zod';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import { hubMethod, type HubMethod } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';
import type { TerminalGateway } from './terminal-gateway.js';
import { TerminalGatewayError } from './terminal-gateway-error.js';

/**
 * A trade hub method forwarding to the caller's terminal: `(platform, login, request)`, answered
 * with the terminal's result, or a HubError saying why not (the gateway checks the request).
 */
export function terminalHubMethod(gateway: TerminalGateway, name: TerminalRequestName): HubMethod {
  return hubMethod([z.string().min(1).max(64), mtId, z.unknown()], async (context, platform, login, request) => {
    if (!context.user) throw new HubError('Terminal requests need a terminal token.');
    try {
      return await gateway.request(context.user, platform, login, name, request);
    } catch (error) {
      // Presence that cannot be read now (Redis): the caller may retry, as with any unavailable store.
      if (error instanceof ServiceUnavailableError) throw new HubError(error.message);
      if (!(error instanceof TerminalGatewayError)) throw error;
      const details = error.problems?.map((problem) => `${problem.field || 'request'}: ${problem.message}`).join('; ');
      throw new HubError(details ? `${error.message} ${details}` : error.message);
    }
  });
}
