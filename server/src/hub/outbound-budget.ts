/**
 * Decides when a client that does not read is too slow to keep: more than `limitBytes` waiting
 * to be sent to it, beyond the largest single message queued since it last caught up (had no
 * more than the limit waiting).
 *
 * Why the allowance: the server itself writes some large messages on purpose, such as a Subscribe
 * answer that resumes a topic with everything the client missed. On a slow link such an answer
 * alone can exceed the limit; without the allowance the next live event would close the
 * connection, the client would resume with the same large answer, and never get through. The
 * allowance is bounded by what the server chose to send, never by what a client sends.
 */
export class OutboundBudget {
  private largestSinceCaughtUp = 0;

  constructor(private readonly limitBytes: number) {}

  /** Whether a message of `size` bytes may be queued behind `buffered` waiting bytes; false: the client is too slow. */
  admit(buffered: number, size: number): boolean {
    if (buffered <= this.limitBytes) this.largestSinceCaughtUp = 0;
    else if (buffered > this.limitBytes + this.largestSinceCaughtUp) return false;
    this.largestSinceCaughtUp = Math.max(this.largestSinceCaughtUp, size);
    return true;
  }
}
