import type { z, ZodType } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Scope } from '../auth/scopes.js';
import type { HubHttpRequest } from '../connections/connection-request.js';
import type { TransportType } from '../connections/transport.js';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
import type { ClientStream } from './client-stream.js';
import type { HubCallerClients, GroupManager } from './hub-clients.js';

/** The authenticated caller of a connection; user-targeted sends address every connection with the same `id`. */
export type HubUser = Principal;

/** What a hub method knows of its caller and can do with the hub (SignalR's Context, Clients, Groups). */
export interface HubContext {
  readonly connectionId: string;
  readonly user: HubUser | undefined;
  /** Per-connection storage that lives as long as the connection. */
  readonly items: Map<string, unknown>;
  readonly transport: TransportType;
  /**
   * The HTTP request that opened the connection (ASP.NET's `Context.GetHttpContext().Request`):
   * headers, query and cookies of the WebSocket upgrade, the Server-Sent Events GET or the first
   * long poll. Read only what you need; never log its token carriers (its own `toJSON` hides them).
   */
  readonly httpRequest: HubHttpRequest;
  /** Aborted when the connection ends, so that long work can stop early. */
  readonly connectionAborted: AbortSignal;
  /** Ends the caller's connection from the server. */
  abort(): void;
  /**
   * Moves the connection to a renewed token of the same caller, which the hub checked: from now
   * on `user`, the close at its expiry and revocation (by its token id, no longer the old one)
   * follow `user`.
   */
  renewUser(user: HubUser): void;
  readonly clients: HubCallerClients;
  readonly groups: GroupManager;
  /** The caller's connection as fan-out code addresses it: messages written here are framed once per protocol. */
  readonly connection: HubConnectionSink;
  /**
   * Runs `callback` right after this invocation's Completion was written, so that messages it
   * sends reach the caller after the method's result (e.g. live events after a snapshot).
   */
  afterCompletion(callback: () => void): void;
}

/** What a hook that runs outside an invocation (connect, disconnect) gets: everything but afterCompletion. */
export type HubConnectionHookContext = Omit<HubContext, 'afterCompletion'>;

/** The context of a streaming hub method: it should stop producing once `streamAborted` aborts. */
export interface StreamingHubContext extends HubContext {
  /**
   * Aborted when the client cancels the stream (CancelInvocation), the connection ends, or the
   * stream ended; for methods that do not stream, when the connection ends.
   */
  readonly streamAborted: AbortSignal;
}

/**
 * Marks a parameter that the client fills with a stream rather than a value: the handler gets a
 * `ClientStream` of items, each checked against `item`.
 */
export class ClientStreamParameter<S extends ZodType = ZodType> {
  readonly kind = 'clientStream';
  constructor(readonly item: S) {}
}

/** A parameter the client sends as a stream (an Observable or `Subject` on the official clients). */
export function clientStream<S extends ZodType>(item: S): ClientStreamParameter<S> {
  return new ClientStreamParameter(item);
}

/** A value parameter (its schema) or a client stream parameter. */
export type HubParameter = ZodType | ClientStreamParameter;

type ArgumentOf<P> = P extends ClientStreamParameter<infer S> ? ClientStream<z.output<S>> : P extends ZodType ? z.output<P> : never;
type InferArgs<A extends readonly HubParameter[]> = { -readonly [K in keyof A]: ArgumentOf<A[K]> };

/** A method as the dispatcher sees it: its argument schemas and a type-erased call. */
export interface HubMethod {
  /** Schemas of the values the invocation carries in `arguments`: every parameter but client streams, in order. */
  readonly parameters: readonly ZodType[];
  /** Trailing parameters declared `.optional()` may be left out by the caller. */
  readonly requiredParameterCount: number;
  /** Schema of every argument past `parameters`, for methods taking any number of them. */
  readonly rest: ZodType | undefined;
  /** Item schemas of the parameters the client fills with streams (the invocation's `streamIds`), in order. */
  readonly streamParameters: readonly ZodType[];
  /** Whether the method answers a StreamInvocation with a stream of items rather than an Invocation with one result. */
  readonly streamsResult: boolean;
  /** Calls the handler with the bound values and the opened client streams, each in its declared place. */
  readonly call: (context: StreamingHubContext, args: unknown[], streams: ReadonlyArray<ClientStream<unknown>>) => unknown;
  /** Scope the caller's token must hold; anyone connected may call the method when unset. */
  readonly requiredScope: Scope | undefined;
}

export interface HubMethodOptions {
  requiredScope?: Scope;
}

/**
 * A hub method taking exactly the arguments described by `parameters`. Arguments arriving
 * from clients are checked against the schemas before the handler runs; `clientStream(item)`
 * parameters receive the streams the client sends, in order.
 */
export function hubMethod<const A extends readonly HubParameter[]>(
  parameters: A,
  handler: (context: HubContext, ...args: InferArgs<A>) => unknown,
  options: HubMethodOptions = {},
): HubMethod {
  return methodOf(parameters, false, (context, args) => handler(context, ...(args as InferArgs<A>)), options);
}

/**
 * A hub method that streams its result: the client calls it with `stream()`, and receives every
 * item the returned iterable yields, then a completion. Errors thrown before the iterable is
 * returned fail the invocation; errors while iterating end the stream with an error. Items are
 * pulled only as fast as the client reads them; stop producing when `context.streamAborted` aborts.
 */
export function streamHubMethod<const A extends readonly HubParameter[], T>(
  parameters: A,
  handler: (context: StreamingHubContext, ...args: InferArgs<A>) => AsyncIterable<T> | Promise<AsyncIterable<T>>,
  options: HubMethodOptions = {},
): HubMethod {
  return methodOf(parameters, true, (context, args) => handler(context, ...(args as InferArgs<A>)), options);
}

/** A hub method taking any number of arguments, each matching `item`. */
export function variadicHubMethod<S extends ZodType>(
  item: S,
  handler: (context: HubContext, ...args: Array<z.output<S>>) => unknown,
  options: HubMethodOptions = {},
): HubMethod {
  return {
    parameters: [],
    requiredParameterCount: 0,
    rest: item,
    streamParameters: [],
    streamsResult: false,
    call: (context, args) => handler(context, ...(args as Array<z.output<S>>)),
    requiredScope: options.requiredScope,
  };
}

/**
 * Splits the declared parameters into values (from `arguments`) and client streams (from
 * `streamIds`), as the protocol carries them, and puts them back in declared order for the handler.
 */
function methodOf(
  declared: readonly HubParameter[],
  streamsResult: boolean,
  invoke: (context: StreamingHubContext, args: unknown[]) => unknown,
  options: HubMethodOptions,
): HubMethod {
  const parameters: ZodType[] = [];
  const streamParameters: ZodType[] = [];
  for (const parameter of declared) {
    if (parameter instanceof ClientStreamParameter) streamParameters.push(parameter.item);
    else parameters.push(parameter);
  }
  return {
    parameters,
    requiredParameterCount: requiredCount(parameters),
    rest: undefined,
    streamParameters,
    streamsResult,
    call: (context, args, streams) => {
      if (streamParameters.length === 0) return invoke(context, args);
      let value = 0;
      let stream = 0;
      return invoke(context, declared.map((parameter) =>
        parameter instanceof ClientStreamParameter ? streams[stream++] : args[value++]));
    },
    requiredScope: options.requiredScope,
  };
}

/** Parameters declared `.optional()` at the end may be left out; `z.unknown()` still must be given, as in ASP.NET. */
function requiredCount(parameters: readonly ZodType[]): number {
  let count = parameters.length;
  while (count > 0 && parameters[count - 1]?._zod.optin === 'optional') count--;
  return count;
}

export interface HubDefinition {
  /** Methods by name; clients match names case-insensitively. */
  readonly methods: Readonly<Record<string, HubMethod>>;
  onConnected?(context: HubConnectionHookContext): void | Promise<void>;
  onDisconnected?(context: HubConnectionHookContext, error: Error | undefined): void | Promise<void>;
}

export function defineHub(definition: HubDefinition): HubDefinition {
  return definition;
}
