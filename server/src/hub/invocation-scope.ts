import type { HubHttpRequest } from '../connections/connection-request.js';
import type { TransportType } from '../connections/transport.js';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
import type { GroupManager, HubCallerClients } from './hub-clients.js';
import type { HubConnectionContext } from './hub-connection-context.js';
import type { HubUser, StreamingHubContext } from './hub-definition.js';

/** The context of one invocation: the connection's, plus its own abort signal and callbacks to run after its Completion. */
export class InvocationScope implements StreamingHubContext {
  private readonly afterCompletionCallbacks: Array<() => void> = [];

  constructor(
    private readonly context: HubConnectionContext,
    /** A stream's own signal; other invocations end with the connection. */
    readonly streamAborted: AbortSignal = context.connectionAborted,
  ) {}

  get connectionId(): string { return this.context.connectionId; }
  get user(): HubUser | undefined { return this.context.user; }
  get items(): Map<string, unknown> { return this.context.items; }
  get transport(): TransportType { return this.context.transport; }
  get httpRequest(): HubHttpRequest { return this.context.httpRequest; }
  get connectionAborted(): AbortSignal { return this.context.connectionAborted; }
  get clients(): HubCallerClients { return this.context.clients; }
  get groups(): GroupManager { return this.context.groups; }
  get connection(): HubConnectionSink { return this.context; }

  abort(): void {
    this.context.abort();
  }

  renewUser(user: HubUser): void {
    this.context.renewUser(user);
  }

  afterCompletion(callback: () => void): void {
    this.afterCompletionCallbacks.push(callback);
  }

  /** Called by the dispatcher once the Completion (or nothing, for a send) was written. */
  completed(): void {
    for (const callback of this.afterCompletionCallbacks.splice(0)) callback();
  }
}
