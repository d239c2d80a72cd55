import type { z, ZodType } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { Scope } from '../auth/scopes.js';
import type { TransportType } from '../connections/transport.js';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
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
  /** Aborted when the connection ends, so that long work can stop early. */
  readonly connectionAborted: AbortSignal;
  /** Ends the caller's connection from the server. */
  abort(): void;
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

type InferArgs<A extends readonly ZodType[]> = { -readonly [K in keyof A]: z.output<A[K]> };

/** A method as the dispatcher sees it: its argument schemas and a type-erased call. */
export interface HubMethod {
  readonly parameters: readonly ZodType[];
  /** Trailing parameters declared `.optional()` may be left out by the caller. */
  readonly requiredParameterCount: number;
  /** Schema of every argument past `parameters`, for methods taking any number of them. */
  readonly rest: ZodType | undefined;
  readonly call: (context: HubContext, args: unknown[]) => unknown;
  /** Scope the caller's token must hold; anyone connected may call the method when unset. */
  readonly requiredScope: Scope | undefined;
}

export interface HubMethodOptions {
  requiredScope?: Scope;
}

/**
 * A hub method taking exactly the arguments described by `parameters`. Arguments arriving
 * from clients are checked against the schemas before the handler runs.
 */
export function hubMethod<const A extends readonly ZodType[]>(
  parameters: A,
  handler: (context: HubContext, ...args: InferArgs<A>) => unknown,
  options: HubMethodOptions = {},
): HubMethod {
  return {
    parameters,
    requiredParameterCount: requiredCount(parameters),
    rest: undefined,
    call: (context, args) => handler(context, ...(args as InferArgs<A>)),
    requiredScope: options.requiredScope,
  };
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
    call: (context, args) => handler(context, ...(args as Array<z.output<S>>)),
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
