/** An admin API request that cannot be done as asked: answered with its status and message. */
export class AdminRequestError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }

  /** The `error` code of the answer's body. */
  get code(): 'invalid_request' | 'not_found' | 'conflict' {
    return this.status === 404 ? 'not_found' : this.status === 409 ? 'conflict' : 'invalid_request';
  }
}
