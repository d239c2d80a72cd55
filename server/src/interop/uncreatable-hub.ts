import { UNCREATABLE_HUB_ERROR } from '@tradehub/shared';
import { defineHub, type HubDefinition } from '../hub/hub-definition.js';
import { InvalidOperationError } from '../hub/hub-error.js';

/**
 * The hub behind `/uncreatable`, standing in for the ASP.NET test server's UncreatableHub, whose
 * constructor needs a service nobody registered: .NET fails to activate it for every connection,
 * after the handshake, and closes the connection with that InvalidOperationException. Here the
 * connect hook throws the same error, which the hub host turns into the same Close message
 * (its text only with detailed errors, as there).
 */
export function uncreatableHub(): HubDefinition {
  return defineHub({
    methods: {},
    onConnected: () => {
      throw new InvalidOperationError(UNCREATABLE_HUB_ERROR);
    },
  });
}
