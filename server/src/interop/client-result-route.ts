import type { RequestHandler } from 'express';
import { CLIENT_RESULT_METHOD } from '@tradehub/shared';
import type { HubClients } from '../hub/hub-clients.js';

/**
 * `GET /clientresult/{connectionId}`: invokes the client handler `Result()` on that connection of
 * the interop hub (on any of its endpoints) and answers what it returned, as text; when the client
 * answers an error, does not answer, or the connection does not exist, answers the error's message
 * instead (200 either way, as the ASP.NET test server does: the caller reads the text).
 */
export function clientResultRoute(clients: HubClients): RequestHandler {
  return (req, res) => {
    const connectionId = String(req.params.id);
    clients.client(connectionId).invoke(CLIENT_RESULT_METHOD).then(
      (result) => res.type('text/plain').send(typeof result === 'string' ? result : JSON.stringify(result) ?? ''),
      (error: unknown) => res.type('text/plain').send(error instanceof Error ? error.message : String(error)),
    );
  };
}
