import type { Logger } from 'pino';
import { MessageType } from '../protocol/messages.js';
import type { ClientStreamChannel } from './client-stream.js';
import { ErrorMessages, withErrorDetail } from './error-messages.js';
import type { HubConnectionContext } from './hub-connection-context.js';
import type { HubMethod } from './hub-definition.js';
import type { MethodInstruments } from '../observability/hub-metrics.js';
import { InvocationScope } from './invocation-scope.js';
import { pumpStream } from './stream-pump.js';

/** An invocation whose method was found, allowed and bound: everything needed to run it. */
export interface BoundInvocation {
  readonly connection: HubConnectionContext;
  /** The method name as the client wrote it: error texts repeat it. */
  readonly target: string;
  /** The method name as the hub declared it, for logs. */
  readonly name: string;
  readonly method: HubMethod;
  readonly invocationId: string | undefined;
  readonly args: unknown[];
  /** The client streams opened for the method's stream parameters, in order. */
  readonly streams: ReadonlyArray<ClientStreamChannel<unknown>>;
  /** Where the call is counted and timed. */
  readonly instruments: MethodInstruments;
}

/**
 * Runs bound invocations and answers them: one Completion for an invocation, StreamItems then a
 * Completion for a stream (DefaultHubDispatcher's Invoke and StreamAsync). Cleans up what the
 * dispatcher registered for the call once it ends.
 */
export class InvocationRunner {
  constructor(
    private readonly detailedErrors: boolean,
    private readonly streamBackpressureBytes: number,
    private readonly logger: Logger,
  ) {}

  async invoke(call: BoundInvocation): Promise<void> {
    const { connection, invocationId, target } = call;
    const scope = new InvocationScope(connection);
    const startedAt = performance.now();
    try {
      const result: unknown = await call.method.call(scope, call.args, call.streams);
      call.instruments.ok.value++;
      if (invocationId !== undefined) {
        connection.writeMessage({ type: MessageType.Completion, invocationId, ...(result !== undefined ? { result } : {}) });
      }
    } catch (error) {
      call.instruments.error.value++;
      this.logFailure(call, error, 'hub method failed');
      if (invocationId !== undefined) {
        connection.writeCompletionError(invocationId, withErrorDetail(ErrorMessages.unexpected(target), error, this.detailedErrors));
      }
    } finally {
      call.instruments.observe((performance.now() - startedAt) / 1000);
      this.cleanUp(call);
      scope.completed();
    }
  }

  /**
   * Streams the method's items. The final Completion carries an error when the method failed,
   * and none when it finished or the client cancelled (ASP.NET writes one in both cases; the
   * official clients ignore it after a cancel).
   */
  async stream(call: BoundInvocation & { invocationId: string }, cancellation: AbortController): Promise<void> {
    const { connection, invocationId, target } = call;
    const scope = new InvocationScope(connection, cancellation.signal);
    const startedAt = performance.now();
    let error: string | undefined;
    try {
      let items: unknown;
      try {
        items = await call.method.call(scope, call.args, call.streams);
        if (!isAsyncIterable(items)) throw new TypeError(ErrorMessages.notAsyncIterable(call.name));
      } catch (failure) {
        // Nothing was streamed yet: the method itself failed.
        this.logFailure(call, failure, 'streaming hub method failed to start');
        error = withErrorDetail(ErrorMessages.unexpected(target), failure, this.detailedErrors);
        return;
      }
      try {
        await pumpStream(items, invocationId, connection, {
          backpressureBytes: this.streamBackpressureBytes, signal: cancellation.signal, logger: this.logger,
        });
      } catch (failure) {
        // A producer that stops on the signal by throwing (an AbortError) was cancelled, not failing.
        if (!cancellation.signal.aborted) {
          this.logFailure(call, failure, 'streaming hub method failed');
          error = withErrorDetail(ErrorMessages.streamingFailed, failure, this.detailedErrors);
        }
      }
    } finally {
      // Whatever still listens to the stream's signal learns that it ended.
      cancellation.abort();
      (error === undefined ? call.instruments.ok : call.instruments.error).value++;
      call.instruments.observe((performance.now() - startedAt) / 1000);
      if (connection.serverStreams.get(invocationId) === cancellation) connection.serverStreams.delete(invocationId);
      this.cleanUp(call);
      connection.writeMessage({ type: MessageType.Completion, invocationId, ...(error !== undefined ? { error } : {}) });
      scope.completed();
    }
  }

  private cleanUp(call: BoundInvocation): void {
    call.connection.clientStreams.close(call.streams);
    if (call.invocationId !== undefined) call.connection.pendingInvocationIds.delete(call.invocationId);
  }

  private logFailure(call: BoundInvocation, error: unknown, message: string): void {
    const { connection, name } = call;
    // Methods reading a client stream fail when the connection goes: that is no server problem.
    const level = connection.phase === 'closed' ? 'debug' : 'warn';
    connection.logger[level]({ target: name, err: error }, message);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
    && typeof (value as { [Symbol.asyncIterator]: unknown })[Symbol.asyncIterator] === 'function';
}
