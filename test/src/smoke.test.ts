import assert from 'node:assert/strict';
import { officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';

describe('interop hub with the official client', () => {
  let server: RunningInteropServer;
  before(async () => {
    server = await startInteropServer();
  });
  after(async () => {
    await server.close();
  });

  it('connects over WebSockets and echoes a value', async () => {
    const connection = officialClient(server.hubUrl);
    await connection.start();
    try {
      assert.deepEqual(await connection.invoke('Echo', { n: 1, s: 'x' }), { n: 1, s: 'x' });
    } finally {
      await connection.stop();
    }
  });
});
