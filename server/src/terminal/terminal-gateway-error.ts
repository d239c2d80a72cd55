/** Why a request for a terminal was not answered with its result; the message is meant for the caller. */
export type TerminalGatewayFailure = 'forbidden' | 'invalid_request' | 'offline' | 'timeout' | 'bad_answer' | 'refused' | 'busy';

export class TerminalGatewayError extends Error {
  override readonly name = 'TerminalGatewayError';
  constructor(readonly failure: TerminalGatewayFailure, message: string, readonly problems?: ReadonlyArray<{ field: string; message: string }>) {
    super(message);
  }
}
