/**
 * Input a protocol cannot accept at all: the connection is closed with this message
 * (named after ASP.NET's InvalidDataException so clients see familiar wording).
 */
export class InvalidDataError extends Error {
  override readonly name = 'InvalidDataException';
}
