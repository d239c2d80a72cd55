/**
 * The one way tests (and the bench's local Redis Cluster) wait: poll a condition until it holds, or fail naming what was awaited.
 * Never returns silently on time-out, so a test cannot pass by waiting out a deadline.
 *
 * `what` may be a function: it is called at the time-out, so that a description with state in it
 * ("reader-1: 4960/4961") tells what was still missing at the end, not what was missing when
 * the wait began (a template string is evaluated at the call, before anything was awaited).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
