import type { Logger } from 'pino';
import { z } from 'zod';
import { JsonRpcError, JsonRpcErrorCode as Code } from './json-rpc-error.js';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import { printable } from '../text/printable.js';

/** JSON-RPC 2.0 (https://www.jsonrpc.org/specification): the envelope, independent of any transport or method. */
export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; result: unknown; id: JsonRpcId }
  | { jsonrpc: '2.0'; error: JsonRpcErrorObject; id: JsonRpcId };

/** What `-32602 Invalid params` carries as `data`: one entry per problem, by param name. */
export interface ParamProblem {
  /** The param's name (dotted for nested fields), or null for the params as a whole. */
  param: string | null;
  message: string;
}

/** A method with named params; positional params (an array) are given the names in declaration order. */
export interface JsonRpcMethod<C> {
  readonly paramNames: readonly string[];
  invoke(context: C, params: Record<string, unknown>): Promise<unknown>;
}

/** Defines a method whose params are checked against `shape` (unknown params are refused) before `handler` runs. */
export function jsonRpcMethod<C, S extends z.ZodRawShape>(
  shape: S,
  handler: (context: C, params: z.output<z.ZodObject<S>>) => unknown,
): JsonRpcMethod<C> {
  const schema = z.strictObject(shape);
  return {
    paramNames: Object.keys(shape),
    invoke: async (context, params) => {
      const parsed = schema.safeParse(params);
      if (!parsed.success) throw invalidParams(describeParamIssues(parsed.error));
      return handler(context, parsed.data as z.output<z.ZodObject<S>>);
    },
  };
}

/** Requests one batch may hold; a larger batch is refused as a whole. */
export const MAX_JSON_RPC_BATCH = 100;

/** Largest JSON-RPC message (a `POST /rpc` body, a `/ws` frame) a transport reads. */
export const MAX_JSON_RPC_MESSAGE_BYTES = 1024 * 1024;

/** The same methods for callers of another context type, which `contextOf` turns into theirs. */
export function withContext<From, To>(methods: Record<string, JsonRpcMethod<From>>, contextOf: (context: To) => From): Record<string, JsonRpcMethod<To>> {
  return Object.fromEntries(Object.entries(methods).map(([name, method]) => [name, {
    paramNames: method.paramNames,
    invoke: (context: To, params: Record<string, unknown>) => method.invoke(contextOf(context), params),
  }]));
}

type ReadRequest =
  | { ok: true; method: string; params: unknown; id: JsonRpcId; notification: boolean }
  | { ok: false; id: JsonRpcId; error: JsonRpcError };

/**
 * Turns a request body into its answer: parse errors, invalid requests, batches (section 6)
 * and notifications (section 4.1) are handled here; methods only see their checked params.
 */
export class JsonRpcDispatcher<C> {
  private readonly methods: ReadonlyMap<string, JsonRpcMethod<C>>;

  constructor(methods: Record<string, JsonRpcMethod<C>>, private readonly logger: Logger) {
    this.methods = new Map(Object.entries(methods));
  }

  /**
   * One response, an array of responses for a batch, or undefined when there is nothing to
   * answer (only notifications).
   */
  async handle(body: string, context: C): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return errorResponse(null, new JsonRpcError(Code.ParseError, 'Parse error', 'The request body is not valid JSON.'));
    }
    if (!Array.isArray(message)) return this.handleRequest(message, context);
    if (message.length === 0) return errorResponse(null, invalidRequest('An empty batch is not a request.'));
    if (message.length > MAX_JSON_RPC_BATCH) {
      return errorResponse(null, invalidRequest(`A batch may hold at most ${MAX_JSON_RPC_BATCH} requests.`));
    }
    // In order, one after the other: the answers keep the batch's order and calls see each other's effects.
    const responses: JsonRpcResponse[] = [];
    for (const item of message) {
      const response = await this.handleRequest(item, context);
      if (response) responses.push(response);
    }
    return responses.length > 0 ? responses : undefined;
  }

  private async handleRequest(message: unknown, context: C): Promise<JsonRpcResponse | undefined> {
    const request = readRequest(message);
    if (!request.ok) return errorResponse(request.id, request.error);
    try {
      const result = await this.invoke(request.method, request.params, context);
      return request.notification ? undefined : { jsonrpc: '2.0', result: result ?? null, id: request.id };
    } catch (error) {
      const answer = asJsonRpcError(error);
      if (answer.code === Code.InternalError) this.logger.error({ err: error, method: request.method }, 'JSON-RPC method failed');
      else if (!(error instanceof JsonRpcError)) this.logger.warn({ reason: (error as Error).message, method: request.method }, 'JSON-RPC method unavailable');
      return request.notification ? undefined : errorResponse(request.id, answer);
    }
  }

  private async invoke(name: string, params: unknown, context: C): Promise<unknown> {
    const method = this.methods.get(name);
    if (!method) throw new JsonRpcError(Code.MethodNotFound, 'Method not found', { methods: [...this.methods.keys()] });
    return method.invoke(context, namedParams(method, params));
  }
}

/** Section 4: checks the request object's members; an id is echoed only when it is a valid one. */
function readRequest(message: unknown): ReadRequest {
  if (!isObject(message)) return { ok: false, id: null, error: invalidRequest('A request must be a JSON object.') };
  const hasId = Object.hasOwn(message, 'id');
  if (hasId && !isId(message.id)) return { ok: false, id: null, error: invalidRequest('id must be a string, a number or null.') };
  const id = hasId ? message.id as JsonRpcId : null;
  if (message.jsonrpc !== '2.0') return { ok: false, id, error: invalidRequest('jsonrpc must be "2.0".') };
  if (typeof message.method !== 'string') return { ok: false, id, error: invalidRequest('method must be a string.') };
  if (message.params !== undefined && (typeof message.params !== 'object' || message.params === null)) {
    return { ok: false, id, error: invalidRequest('params must be an object or an array.') };
  }
  return { ok: true, method: message.method, params: message.params, id, notification: !hasId };
}

function namedParams(method: JsonRpcMethod<unknown>, params: unknown): Record<string, unknown> {
  if (params === undefined) return {};
  if (!Array.isArray(params)) return params as Record<string, unknown>;
  const names = method.paramNames;
  if (params.length > names.length) {
    const expected = names.length === 0 ? 'no params' : `at most ${names.length} positional params (${names.join(', ')})`;
    throw invalidParams([{ param: null, message: `This method takes ${expected}.` }]);
  }
  return Object.fromEntries(params.map((value: unknown, index) => [names[index], value]));
}

function describeParamIssues(error: z.ZodError): ParamProblem[] {
  return error.issues.flatMap((issue): ParamProblem[] => issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => ({ param: printable(key, 64), message: 'is not a parameter of this method' }))
    : [{ param: issue.path.length > 0 ? issue.path.map(String).join('.') : null, message: issue.message }]);
}

function invalidRequest(why: string): JsonRpcError {
  return new JsonRpcError(Code.InvalidRequest, 'Invalid Request', why);
}

function invalidParams(problems: ParamProblem[]): JsonRpcError {
  return new JsonRpcError(Code.InvalidParams, 'Invalid params', problems);
}

function errorResponse(id: JsonRpcId, error: JsonRpcError): JsonRpcResponse {
  return { jsonrpc: '2.0', error: { code: error.code, message: error.message, ...(error.data !== undefined ? { data: error.data } : {}) }, id };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}


/** A dependency that cannot answer now is the unavailability code (retry later), never an internal error. */
function asJsonRpcError(error: unknown): JsonRpcError {
  if (error instanceof JsonRpcError) return error;
  if (error instanceof ServiceUnavailableError) {
    return new JsonRpcError(Code.Unavailable, error.message, { retryAfterSeconds: error.retryAfterSeconds });
  }
  return new JsonRpcError(Code.InternalError, 'Internal error');
}
