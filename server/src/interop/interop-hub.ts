import { InteropClientMethod, InteropHubMethod as M, INTEROP_MAX_DELAY_MS, INTEROP_MAX_STREAM_COUNT } from '@tradehub/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  clientStream, defineHub, hubMethod, streamHubMethod, variadicHubMethod, type HubDefinition,
} from '../hub/hub-definition.js';
import { HubError, InvalidOperationError } from '../hub/hub-error.js';
import { functionalTestMethods } from './functional-test-methods.js';

const delayMs = z.number().int().min(0).max(INTEROP_MAX_DELAY_MS);
const streamCount = z.number().int().min(0).max(INTEROP_MAX_STREAM_COUNT);

/** The interop hub (`/testhub`): every method a SignalR client conformance check needs. */
export function interopHub(): HubDefinition {
  return defineHub({
    methods: {
      [M.Echo]: hubMethod([z.unknown()], (_context, value) => value),
      [M.EchoMany]: variadicHubMethod(z.unknown(), (_context, ...values) => values),
      [M.InvokeWithString]: hubMethod([z.string()], (context, text) =>
        context.clients.caller.send(InteropClientMethod.Message, text)),
      [M.SendToAll]: hubMethod([z.string()], (context, text) =>
        context.clients.all.send(InteropClientMethod.Message, text)),
      [M.JoinGroup]: hubMethod([z.string()], (context, group) => context.groups.add(context.connectionId, group)),
      [M.LeaveGroup]: hubMethod([z.string()], (context, group) => context.groups.remove(context.connectionId, group)),
      [M.SendToGroup]: hubMethod([z.string(), z.string()], (context, group, text) =>
        context.clients.group(group).send(InteropClientMethod.GroupMessage, group, text)),
      // An ordinary exception, named as the .NET test hub's: its text reaches clients only with detailed errors.
      [M.ThrowException]: hubMethod([z.string()], (_context, message) => {
        throw new InvalidOperationError(message);
      }),
      [M.ThrowHubException]: hubMethod([z.string()], (_context, message) => {
        throw new HubError(message);
      }),
      [M.GetConnectionId]: hubMethod([], (context) => context.connectionId),
      [M.GetActiveTransportName]: hubMethod([], (context) => context.transport),
      [M.Add]: hubMethod([z.number(), z.number()], (_context, a, b) => a + b),
      [M.Delay]: hubMethod([delayMs], async (context, ms) => {
        await sleep(ms, undefined, { signal: context.connectionAborted }).catch(() => undefined);
      }),
      [M.Abort]: hubMethod([], (context) => context.abort()),
      [M.GetClientResult]: hubMethod([z.string()], (context, method) => context.clients.caller.invoke(method)),
      [M.GetClientResultFrom]: hubMethod([z.string(), z.string()], (context, connectionId, method) =>
        context.clients.client(connectionId).invoke(method)),
      [M.Counter]: streamHubMethod([streamCount, delayMs], async function* (context, count, ms) {
        for (let index = 0; index < count; index++) {
          // Rejects when the client cancels, which ends the stream as cancelled.
          if (index > 0 && ms > 0) await sleep(ms, undefined, { signal: context.streamAborted });
          yield index;
        }
      }),
      // The client stream is itself an async iterable: streaming it back is all there is to do.
      [M.StreamEcho]: streamHubMethod([clientStream(z.unknown())], (_context, source) => source),
      [M.SumStream]: hubMethod([clientStream(z.number())], async (_context, numbers) => {
        let sum = 0;
        for await (const value of numbers) sum += value;
        return sum;
      }),
      [M.StreamError]: streamHubMethod([streamCount, z.string()], async function* (_context, afterCount, message) {
        for (let index = 0; index < afterCount; index++) yield index;
        throw new HubError(message);
      }),
      ...functionalTestMethods(),
    },
  });
}
