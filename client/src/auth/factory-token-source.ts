import { TokenUnavailableError } from '../errors.js';
import type { Redactor } from '../logger.js';
import { withTimeout } from '../util/timeout.js';
import type { TokenSource } from './token-source.js';

/**
 * Tokens from the caller's `tokenFactory` (a backend endpoint, a token store...). The factory
 * is asked at every (re)connect; after a refusal it is told which token was refused, so that it
 * can drop it from any cache of its own.
 */
export class FactoryTokenSource implements TokenSource {
  readonly renewable = true;

  constructor(
    private readonly factory: (context: { refused: string | undefined }) => string | Promise<string>,
    private readonly redactor: Redactor,
    private readonly timeoutMs: number,
  ) {}

  private refused: string | undefined;

  async token(): Promise<string> {
    let token: unknown;
    try {
      token = await withTimeout(Promise.resolve().then(() => this.factory({ refused: this.refused })), this.timeoutMs, 'The token factory');
    } catch (error) {
      throw new TokenUnavailableError('The token factory failed.', error);
    }
    if (typeof token !== 'string' || token === '') throw new TokenUnavailableError('The token factory did not return a token.');
    this.redactor.add(token);
    return token;
  }

  invalidate(token: string | undefined): void {
    if (token !== undefined) this.refused = token;
  }

  close(): void {}
}
