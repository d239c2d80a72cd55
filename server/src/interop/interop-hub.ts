import { InteropClientMethod, InteropHubMethod as M, INTEROP_MAX_DELAY_MS } from '@tradehub/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineHub, hubMethod, variadicHubMethod, type HubDefinition } from '../hub/hub-definition.js';
import { HubError } from '../hub/hub-error.js';

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
      [M.ThrowException]: hubMethod([z.string()], (_context, message) => {
        throw new Error(message);
      }),
      [M.ThrowHubException]: hubMethod([z.string()], (_context, message) => {
        throw new HubError(message);
      }),
      [M.GetConnectionId]: hubMethod([], (context) => context.connectionId),
      [M.GetActiveTransportName]: hubMethod([], (context) => context.transport),
      [M.Add]: hubMethod([z.number(), z.number()], (_context, a, b) => a + b),
      [M.Delay]: hubMethod([z.number().int().min(0).max(INTEROP_MAX_DELAY_MS)], async (context, ms) => {
        await sleep(ms, undefined, { signal: context.connectionAborted }).catch(() => undefined);
      }),
      [M.Abort]: hubMethod([], (context) => context.abort()),
    },
  });
}
