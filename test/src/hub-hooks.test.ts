import assert from 'node:assert/strict';
import { defineHub, HubHost, hubMethod } from '@tradehub/server';
import { officialClient } from './support/official-client.js';
import { waitUntil } from './support/wait.js';

describe('hub connect and disconnect hooks', () => {
  it('a connection whose connect hook failed is closed with an error and never gets the disconnect hook', async () => {
    let disconnects = 0;
    let connects = 0;
    const host = new HubHost();
    host.mapHub({
      path: '/hooks',
      hub: defineHub({
        methods: { Ping: hubMethod([], () => 'pong') },
        onConnected: () => {
          connects++;
          if (connects === 1) throw new Error('not this one');
        },
        onDisconnected: () => {
          disconnects++;
        },
      }),
    });
    const { port } = await host.listen(0);
    try {
      const refused = officialClient(`http://127.0.0.1:${port}/hooks`);
      // The handshake succeeds, then the server closes with the error: the official client's start() fails with it.
      await assert.rejects(refused.start(), /Server returned an error on close: Connection closed with an error\./);
      const accepted = officialClient(`http://127.0.0.1:${port}/hooks`);
      await accepted.start();
      assert.equal(await accepted.invoke('Ping'), 'pong');
      await accepted.stop();
      // The refused connection was closed before the accepted one started: a disconnect hook for it
      // would have run before the one awaited here.
      await waitUntil(() => disconnects >= 1, 'the disconnect hook');
      assert.equal(connects, 2);
      assert.equal(disconnects, 1, 'only the connection whose connect hook succeeded is told it disconnected');
    } finally {
      await host.close();
    }
  });
});
