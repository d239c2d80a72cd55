import type { Logger } from 'pino';
import { MessageType, type InvocationMessage, type ParsedMessage, type StreamInvocationMessage } from '../protocol/messages.js';
import { bindArguments } from './argument-binder.js';
import { ErrorMessages, withErrorDetail } from './error-messages.js';
import type { HubConnectionContext } from './hub-connection-context.js';
import type { HubDefinition } from './hub-definition.js';
import { HubMethodRegistry } from './hub-method-registry.js';
import { InvocationScope } from './invocation-scope.js';

/** Binds incoming hub messages to hub methods and answers them (DefaultHubDispatcher). */
export class HubDispatcher {
  private readonly registry: HubMethodRegistry;

  constructor(
    readonly hub: HubDefinition,
    private readonly detailedErrors: boolean,
    private readonly logger: Logger,
  ) {
    this.registry = new HubMethodRegistry(hub);
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
        this.invoke(connection, message);
        return;
      case MessageType.StreamInvocation:
        this.refuseStreamInvocation(connection, message);
        return;
      case MessageType.Close:
        // The client is leaving; nothing to answer.
        connection.close({});
        return;
      default:
        // Ping only proves liveness (already noted on receipt). Client stream items, client
        // results, cancellation and the stateful-reconnect messages are handled by later layers.
        return;
    }
  }

  private invoke(connection: HubConnectionContext, message: InvocationMessage): void {
    const { invocationId, target } = message;
    if (invocationId !== undefined && connection.pendingInvocationIds.has(invocationId)) {
      connection.writeCompletionError(invocationId, ErrorMessages.invocationIdInUse(invocationId));
      return;
    }
    const registered = this.registry.find(target);
    if (!registered) {
      this.logger.debug({ connectionId: connection.connectionId, target }, 'unknown hub method');
      if (invocationId !== undefined) {
        connection.writeCompletionError(invocationId, `${ErrorMessages.bindingFailed(target)} ${ErrorMessages.methodDoesNotExist}`);
      }
      return;
    }
    const { requiredScope } = registered.method;
    if (requiredScope !== undefined && !connection.user?.scopes.includes(requiredScope)) {
      this.logger.info({ connectionId: connection.connectionId, target: registered.name, requiredScope }, 'hub method refused: missing scope');
      if (invocationId !== undefined) connection.writeCompletionError(invocationId, ErrorMessages.unauthorized(target));
      return;
    }
    const binding = bindArguments(registered.method, message.arguments);
    if (!binding.ok) {
      if (invocationId !== undefined) {
        connection.writeCompletionError(invocationId, `${ErrorMessages.bindingFailed(target)} InvalidDataException: ${binding.reason}`);
      }
      return;
    }
    if (invocationId !== undefined) connection.pendingInvocationIds.add(invocationId);
    const accepted = connection.invocations.enqueue(async () => {
      const scope = new InvocationScope(connection);
      try {
        const result: unknown = await registered.method.call(scope, binding.args);
        if (invocationId !== undefined) {
          connection.writeMessage({ type: MessageType.Completion, invocationId, ...(result !== undefined ? { result } : {}) });
        }
      } catch (error) {
        this.logger.warn({ connectionId: connection.connectionId, target: registered.name, err: error }, 'hub method failed');
        if (invocationId !== undefined) {
          connection.writeCompletionError(invocationId, withErrorDetail(ErrorMessages.unexpected(target), error, this.detailedErrors));
        }
      } finally {
        if (invocationId !== undefined) connection.pendingInvocationIds.delete(invocationId);
        scope.completed();
      }
    });
    if (!accepted) {
      connection.close({
        error: `${ErrorMessages.connectionClosedWithError} InvalidDataException: Too many hub method calls waiting to run.`,
      });
    }
  }

  private refuseStreamInvocation(connection: HubConnectionContext, message: StreamInvocationMessage): void {
    const error = this.registry.find(message.target)
      ? ErrorMessages.nonStreamingWithStream(message.target)
      : `${ErrorMessages.bindingFailed(message.target)} ${ErrorMessages.methodDoesNotExist}`;
    connection.writeCompletionError(message.invocationId, error);
  }
}
