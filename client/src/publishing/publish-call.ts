import { MAX_PUBLISH_BATCH, publishBatchSchema, type PublishResult, type TradeEventInput } from '@tradehub/shared';
import type { Backoff } from '../connection/backoff.js';
import { ConnectionLostError, HubMethodError, InvalidEventError, ServerUnreachableError, TimeoutError } from '../errors.js';
import type { TypedHub } from '../hub/typed-hub.js';
import { sleep } from '../util/timeout.js';

export interface PublishOptions {
  /**
   * Retry after a lost connection, a time-out or an unreachable event store. Default: when every
   * event has an `id`, since the hub then stores each once however often it is sent; without ids
   * a retry could store an event twice, so a lost answer is an error (`ConnectionLostError`).
   */
  retry?: boolean;
  /** How long to keep trying, in ms (default 60,000). */
  timeoutMs?: number;
}

/**
 * Publishes events with the hub's `Publish`: checked against the shared schema first (nothing is
 * sent when one is invalid), in order, in batches the hub takes (`batchesOf`), retried as
 * `PublishOptions` says.
 */
export async function publishEvents(hub: TypedHub, backoff: Backoff, events: readonly TradeEventInput[], options: PublishOptions = {}): Promise<PublishResult> {
  const checked = checkEvents(events);
  const retry = options.retry ?? checked.every((event) => event.id !== undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const results: PublishResult['results'] = [];
  for (const batch of batchesOf(checked)) {
    results.push(...(await publishBatch(hub, backoff, batch, retry, deadline, timeoutMs)).results);
  }
  return { results };
}

/**
 * Splits events into `Publish` calls that the hub takes: at most 1,000 events, and a message
 * under its 32 KiB limit (a larger message closes the connection).
 * @throws InvalidEventError for an event too large to be sent at all
 */
export function batchesOf(events: readonly TradeEventInput[]): TradeEventInput[][] {
  const batches: TradeEventInput[][] = [];
  let batch: TradeEventInput[] = [];
  let size = 0;
  for (const [index, event] of events.entries()) {
    const eventSize = new TextEncoder().encode(JSON.stringify(event)).length + 1;
    if (eventSize > MAX_MESSAGE_BYTES) throw new InvalidEventError([`event ${index} is larger than the hub's message limit (${eventSize} bytes)`]);
    if (batch.length === MAX_PUBLISH_BATCH || size + eventSize > MAX_MESSAGE_BYTES) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(event);
    size += eventSize;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Bytes of events one `Publish` may carry: the hub's default 32 KiB message limit, less the invocation's framing. */
const MAX_MESSAGE_BYTES = 30_000;

async function publishBatch(
  hub: TypedHub, backoff: Backoff, batch: TradeEventInput[], retry: boolean, deadline: number, timeoutMs: number,
): Promise<PublishResult> {
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - Date.now();
    try {
      if (remaining <= 0) throw new TimeoutError('Publishing', timeoutMs);
      return await hub.invokeWithin(remaining, 'Publish', batch);
    } catch (error) {
      if (!retry || !isPassing(error) || Date.now() >= deadline) throw error;
      await sleep(Math.min(Math.max(50, backoff.delay(attempt + 1)), Math.max(0, deadline - Date.now())));
    }
  }
}

/** Failures after which the same events may be sent again. */
function isPassing(error: unknown): boolean {
  return error instanceof ConnectionLostError || error instanceof TimeoutError || error instanceof ServerUnreachableError
    || (error instanceof HubMethodError && error.retryable);
}

/** @throws InvalidEventError naming the first problems by event index and field */
export function checkEvents(events: readonly TradeEventInput[]): TradeEventInput[] {
  if (events.length === 0) throw new InvalidEventError(['there are no events to publish']);
  const issues: string[] = [];
  const checked: TradeEventInput[] = [];
  for (let start = 0; start < events.length; start += MAX_PUBLISH_BATCH) {
    const parsed = publishBatchSchema.safeParse(events.slice(start, start + MAX_PUBLISH_BATCH));
    if (parsed.success) {
      checked.push(...parsed.data);
      continue;
    }
    for (const issue of parsed.error.issues) {
      const [index, ...field] = issue.path;
      const where = typeof index === 'number' ? `event ${start + index}${field.length > 0 ? ` (${field.map(String).join('.')})` : ''}` : 'events';
      issues.push(`${where}: ${issue.message}`);
    }
  }
  if (issues.length > 0) throw new InvalidEventError(issues);
  return checked;
}
