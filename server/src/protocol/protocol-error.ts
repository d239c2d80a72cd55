/**
 * Input a protocol cannot accept at all: the connection is closed with this message
 * (named after ASP.NET's InvalidDataException so clients see familiar wording).
 */
export class InvalidDataError extends Error {
  override readonly name = 'InvalidDataException';
}

/** A message longer than the hub's `maximumReceiveMessageSize`: a limit, counted as such. */
export class MessageTooLargeError extends InvalidDataError {}
