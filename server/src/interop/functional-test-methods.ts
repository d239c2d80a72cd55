import { InteropClientMethod, InteropHubMethod as M } from '@tradehub/shared';
import { z } from 'zod';
import { clientStream, hubMethod, streamHubMethod, type HubMethod } from '../hub/hub-definition.js';
import { InvalidOperationError } from '../hub/hub-error.js';
import { hubBytes, hubDateTime } from '../hub/hub-values.js';

/**
 * The ComplexObject of ASP.NET's client test hub, with its property names and order as that
 * server writes them (its JSON protocol set to keep .NET's PascalCase names).
 */
const complexObject = z.object({
  String: z.string(),
  IntArray: z.array(z.number().int()),
  ByteArray: hubBytes(),
  Guid: z.guid(),
  DateTime: hubDateTime(),
});

/** What `SendComplexObject` returns: written as base64 and ISO-8601 text to JSON clients, as bin and a Timestamp to MessagePack ones. */
function sentComplexObject(): z.output<typeof complexObject> {
  return {
    String: 'hello world',
    IntArray: [1, 2, 3],
    ByteArray: Uint8Array.of(1, 2, 3),
    Guid: '00010203-0405-0607-0706-050403020100',
    DateTime: new Date(Date.UTC(2000, 0, 1)),
  };
}

/** A header or cookie the request did not carry is null to the client, as a .NET string. */
const orNull = (value: string | undefined): string | null => value ?? null;

/**
 * The methods of ASP.NET Core's own TypeScript client test hub (FunctionalTests/TestHub.cs), by
 * name and behaviour, so that a client conformance suite written against it runs against tradehub.
 */
export function functionalTestMethods(): Record<string, HubMethod> {
  return {
    [M.GetCallerConnectionId]: hubMethod([], (context) => context.connectionId),
    [M.GetNumRedirects]: hubMethod([], (context) => {
      const redirects = Number.parseInt(context.httpRequest.query.get('numRedirects') ?? '', 10);
      return Number.isSafeInteger(redirects) ? redirects : 0;
    }),
    [M.SendCustomObject]: hubMethod([z.record(z.string(), z.unknown())], (context, customObject) =>
      context.clients.caller.send(InteropClientMethod.CustomObject, customObject)),
    [M.Stream]: streamHubMethod([], async function* () {
      yield* ['a', 'b', 'c'];
    }),
    [M.InfiniteStream]: streamHubMethod([], (context) => {
      // Nothing is ever yielded: the stream ends only when the client cancels it (or leaves).
      // The cancellation is watched from the call on, not from the first pull of an item, as
      // ASP.NET's test hub registers on its token when invoked: a CancelInvocation read right after
      // the StreamInvocation, before the pump pulled a first item, still gets its answer.
      const canceled = new Promise<void>((resolve) => {
        if (context.streamAborted.aborted) resolve();
        else context.streamAborted.addEventListener('abort', () => resolve(), { once: true });
      }).then(() => (context.connectionAborted.aborted ? undefined : context.clients.caller.send(InteropClientMethod.StreamCanceled)))
        // A caller that left meanwhile cannot be told; the generator below may never be started
        // to await this, so a failure must not be left unhandled.
        .catch(() => undefined);
      return (async function* () {
        await canceled;
      })();
    }),
    [M.StreamingConcat]: hubMethod([clientStream(z.string())], async (_context, parts) => {
      let text = '';
      for await (const part of parts) text += part;
      return text;
    }),
    [M.EmptyStream]: streamHubMethod([], async function* () {
      // Completes at once, without an item.
    }),
    [M.StreamThrowException]: streamHubMethod([z.string()], (_context, message): AsyncIterable<never> => {
      throw new InvalidOperationError(message);
    }),
    [M.EchoComplexObject]: hubMethod([complexObject], (_context, value) => value),
    [M.SendComplexObject]: hubMethod([], () => sentComplexObject()),
    [M.GetHeader]: hubMethod([z.string()], (context, name) => orNull(context.httpRequest.header(name))),
    [M.GetCookie]: hubMethod([z.string()], (context, name) => orNull(context.httpRequest.cookies.get(name))),
    [M.GetContentTypeHeader]: hubMethod([], (context) => orNull(context.httpRequest.header('content-type'))),
  };
}
