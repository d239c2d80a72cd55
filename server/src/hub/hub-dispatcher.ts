import type { Logger } from 'pino';
import {
  MessageType, type CancelInvocationMessage, type CompletionMessage, type InvocationMessage, type ParsedMessage,
  type StreamInvocationMessage, type StreamItemMessage,
} from '../protocol/messages.js';
import { bindArguments } from './argument-binder.js';
import { ErrorMessages, withErrorDetail } from './error-messages.js';
import type { HubConnectionContext } from './hub-connection-context.js';
import type { HubDefinition } from './hub-definition.js';
import { HubError } from './hub-error.js';
import { HubMethodRegistry, type RegisteredMethod } from './hub-method-registry.js';
import type { HubOptions } from './hub-options.js';
import { InvocationRunner, type BoundInvocation } from './invocation-runner.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import type { HubInstruments } from '../observability/hub-metrics.js';

/** Binds incoming hub messages to hub methods and to the streams they feed (DefaultHubDispatcher). */
export class HubDispatcher {
  private readonly registry: HubMethodRegistry;
  private readonly runner: InvocationRunner;

  constructor(
    readonly hub: HubDefinition,
    private readonly options: Pick<HubOptions, 'detailedErrors' | 'streamBackpressureBytes' | 'maximumStreamsPerClient' | 'maximumClientStreamsPerClient'>,
    private readonly logger: Logger,
    private readonly metrics: TradehubMetrics,
    private readonly instruments: HubInstruments,
  ) {
    this.registry = new HubMethodRegistry(hub);
    this.runner = new InvocationRunner(options.detailedErrors, options.streamBackpressureBytes, logger);
  }

  dispatch(connection: HubConnectionContext, message: ParsedMessage): void {
    switch (message.type) {
      case 'invalid':
        if (message.invocationId !== undefined) {
          const prefix = message.target !== undefined
            ? ErrorMessages.bindingFailed(message.target)
            : 'Failed to read an invocation.';
          connection.writeCompletionError(message.invocationId, `${prefix} InvalidDataException: ${message.reason}`);
        }
        return;
      case MessageType.Invocation:
      case MessageType.StreamInvocation:
        this.invoke(connection, message);
        return;
      case MessageType.StreamItem:
        this.receiveStreamItem(connection, message);
        return;
      case MessageType.Completion:
        this.receiveCompletion(connection, message);
        return;
      case MessageType.CancelInvocation:
        this.cancel(connection, message);
        return;
      case MessageType.Close:
        // The client is leaving; nothing to answer.
        connection.close({});
        return;
      default:
        // Ping only proves liveness (already noted on receipt). The stateful-reconnect messages
        // are handled by later layers.
        return;
    }
  }

  /**
   * Checks an invocation (method, rights, invocation kind, arguments, streams), answers the first
   * problem with a Completion error, and otherwise starts it. Streams and calls
   * that take client streams run outside the invocation queue, as in ASP.NET: they may last long,
   * and must not hold up the connection's other calls.
   */
  private invoke(connection: HubConnectionContext, message: InvocationMessage | StreamInvocationMessage): void {
    const { invocationId, target } = message;
    const streamResponse = message.type === MessageType.StreamInvocation;
    // Refusals count under the method's declared name once it is known, under the unknown one before.
    let instruments = this.instruments.method(undefined);
    const refuse = (error: string): void => {
      instruments.refused.value++;
      // Without an id (a send), the client expects no answer, not even an error.
      if (invocationId !== undefined) connection.writeCompletionError(invocationId, error);
    };
    if (invocationId !== undefined && connection.pendingInvocationIds.has(invocationId)) {
      return refuse(ErrorMessages.invocationIdInUse(invocationId));
    }
    const registered = this.registry.find(target);
    if (!registered) {
      connection.logger.debug({ target }, 'unknown hub method');
      return refuse(`${ErrorMessages.bindingFailed(target)} ${ErrorMessages.methodDoesNotExist}`);
    }
    const { method } = registered;
    instruments = this.instruments.method(registered.name);
    if (method.requiredScope !== undefined && !connection.user?.scopes.includes(method.requiredScope)) {
      connection.logger.info({ target: registered.name, requiredScope: method.requiredScope }, 'hub method refused: missing scope');
      return refuse(ErrorMessages.unauthorized(target));
    }
    if (method.streamsResult !== streamResponse) {
      return refuse(method.streamsResult ? ErrorMessages.streamingWithInvoke(target) : ErrorMessages.nonStreamingWithStream(target));
    }
    const binding = bindArguments(method, message.arguments);
    if (!binding.ok) {
      return refuse(`${ErrorMessages.bindingFailed(target)} InvalidDataException: ${binding.reason}`);
    }
    const streamIds = message.streamIds ?? [];
    const streamProblem = this.checkStreams(connection, registered, streamIds, streamResponse);
    if (streamProblem !== undefined) {
      connection.logger.debug({ target: registered.name, reason: streamProblem }, 'stream refused');
      return refuse(withErrorDetail(ErrorMessages.unexpected(target), new HubError(streamProblem), this.options.detailedErrors));
    }

    if (invocationId !== undefined) connection.pendingInvocationIds.add(invocationId);
    const call: BoundInvocation = {
      connection, target, name: registered.name, method, invocationId, args: binding.args, instruments,
      streams: connection.clientStreams.open(streamIds, method.streamParameters),
    };
    if (streamResponse) {
      const cancellation = new AbortController();
      connection.serverStreams.set(message.invocationId, cancellation);
      void this.runner.stream({ ...call, invocationId: message.invocationId }, cancellation);
      return;
    }
    if (streamIds.length > 0) {
      void this.runner.invoke(call);
      return;
    }
    if (!connection.invocations.enqueue(() => this.runner.invoke(call))) {
      // Not reached while reading pauses on a full queue (below); kept as the bound's last guard.
      this.metrics.limitHit('queued_invocations');
      connection.close({
        error: `${ErrorMessages.connectionClosedWithError} InvalidDataException: Too many hub method calls waiting to run.`,
      });
      return;
    }
    // A full queue stops reading the connection until a call ends: the client is slowed down, not cut off.
    connection.updateReading();
  }

  /** Why the invocation's streams cannot be opened, if they cannot. */
  private checkStreams(
    connection: HubConnectionContext, registered: RegisteredMethod, streamIds: readonly string[], streamResponse: boolean,
  ): string | undefined {
    const expected = registered.method.streamParameters.length;
    if (streamIds.length !== expected) return ErrorMessages.streamCountMismatch(streamIds.length, expected);
    const seen = new Set<string>();
    for (const streamId of streamIds) {
      if (seen.has(streamId) || connection.clientStreams.has(streamId)) return ErrorMessages.streamIdInUse(streamId);
      seen.add(streamId);
    }
    const opening = streamIds.length + (streamResponse ? 1 : 0);
    const limit = this.options.maximumStreamsPerClient;
    if (opening > 0 && connection.openStreamCount + opening > limit) {
      this.metrics.limitHit('streams_per_connection');
      return ErrorMessages.tooManyStreams(limit);
    }
    const clientLimit = this.options.maximumClientStreamsPerClient;
    if (streamIds.length > 0 && connection.clientStreams.size + streamIds.length > clientLimit) {
      this.metrics.limitHit('streams_per_connection');
      return ErrorMessages.tooManyClientStreams(clientLimit);
    }
    return undefined;
  }

  private receiveStreamItem(connection: HubConnectionContext, message: StreamItemMessage): void {
    // 'full' pauses reading the connection (the tracker tells the connection). 'ignored': an item
    // of a stream that ended or never opened (its invocation was refused), which the official
    // server ignores too.
    connection.clientStreams.push(message.invocationId, message.item);
  }

  /** A client's Completion answers a server-to-client invocation (a client result) or ends a client stream. */
  private receiveCompletion(connection: HubConnectionContext, message: CompletionMessage): void {
    if (connection.clientResults.complete(message.invocationId, message.result, message.error)) return;
    if (!connection.clientStreams.complete(message.invocationId, message.error)) {
      connection.logger.debug({ invocationId: message.invocationId }, 'unexpected completion');
    }
  }

  private cancel(connection: HubConnectionContext, message: CancelInvocationMessage): void {
    const stream = connection.serverStreams.get(message.invocationId);
    if (stream) stream.abort();
    // Otherwise the stream has ended already: the cancel crossed its Completion.
  }
}
