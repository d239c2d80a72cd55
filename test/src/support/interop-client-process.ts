/**
 * A program of its own, for tests that need a fresh process: connects to an interop server with
 * the official client on every transport and prints one JSON line per check (`{check, value}` or
 * `{check, error}`), then exits. Run it with NODE_EXTRA_CA_CERTS to trust a test's self-signed
 * HTTPS certificate, which cannot be given to the official client any other way.
 *
 *   node interop-client-process.js <base URL>
 */
import { HttpTransportType } from '@microsoft/signalr';
import { INTEROP_HUB_PATH, InteropRoute } from '@tradehub/shared';
import { officialClient } from './official-client.js';
import { openRaw } from './raw-connection.js';
import { waitUntil } from './wait.js';

const TRANSPORTS = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];

async function check(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    console.log(JSON.stringify({ check: name, value: await run() }));
  } catch (error) {
    console.log(JSON.stringify({ check: name, error: error instanceof Error ? error.message : String(error) }));
  }
}

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error('usage: interop-client-process.js <base URL>');
  process.exit(2);
}
for (const transport of TRANSPORTS) {
  const name = HttpTransportType[transport];
  await check(`hub ${name}`, async () => {
    const connection = officialClient(`${baseUrl}${INTEROP_HUB_PATH}`, { transport });
    await connection.start();
    try {
      return [await connection.invoke('Echo', 'hub'), await connection.invoke('GetActiveTransportName')];
    } finally {
      await connection.stop();
    }
  });
  await check(`echo ${name}`, async () => {
    const session = await openRaw(`${baseUrl}${InteropRoute.Echo}`, transport);
    try {
      await session.connection.send('raw');
      await waitUntil(() => session.received.length > 0, 'the echo');
      return session.received;
    } finally {
      await session.connection.stop();
    }
  });
  await check(`authorized ${name}`, async () => {
    const token = await (await fetch(`${baseUrl}${InteropRoute.GenerateJwtToken}`)).text();
    const connection = officialClient(`${baseUrl}${InteropRoute.AuthorizedHub}`, { transport, accessTokenFactory: () => token });
    await connection.start();
    try {
      return await connection.invoke('Echo', 'authorized');
    } finally {
      await connection.stop();
    }
  });
}
