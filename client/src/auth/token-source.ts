/**
 * Where the client's bearer tokens come from. The hub connection asks for one at every
 * (re)connect and the REST calls for each request.
 */
export interface TokenSource {
  /**
   * A token believed valid now; may fetch one. With `replacing` (an in-band renewal of the
   * connection's token), a source that can make a newer token than that one does.
   */
  token(replacing?: string): Promise<string>;
  /**
   * The server refused `token` (401, or closed the connection because it expired or was
   * revoked): do not hand it out again.
   */
  invalidate(token: string | undefined): void;
  /** Whether a refused token can be replaced by another (false for a fixed `token`). */
  readonly renewable: boolean;
  /** Stops background renewal. */
  close(): void;
}

/** A fixed token given by the caller: used until the server refuses it. */
export class FixedTokenSource implements TokenSource {
  readonly renewable = false;

  constructor(private readonly value: string) {}

  async token(): Promise<string> {
    return this.value;
  }

  invalidate(): void {
    // Nothing to renew: the next refusal ends the client (TokenRefusedError).
  }

  close(): void {}
}
