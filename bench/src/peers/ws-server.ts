/**
 * The naive ws broadcast loop: every message a publisher sends is written to every connection, one socket
 * write per frame per subscriber, then acknowledged to the publisher so it can bound what it has in flight.
 */
import { WebSocketServer } from 'ws';
import { WS_ACK } from '../frames/ws-frames.js';
import { exitOnSignal, portFromEnvironment } from './port.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: portFromEnvironment(), perMessageDeflate: false, maxPayload: 32 * 1024 });
wss.on('connection', (socket, request) => {
  socket.on('error', () => socket.terminate());
  // Publishers connect on /publish; subscribers never send anything.
  if (request.url !== '/publish') return;
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) client.send(data, { binary: isBinary });
    socket.send(WS_ACK);
  });
});
wss.on('listening', () => {
  const address = wss.address();
  console.log(`ws broadcast loop listening on port ${typeof address === "string" ? address : address?.port}`);
});
exitOnSignal(() => new Promise((resolve) => {
  for (const client of wss.clients) client.terminate();
  wss.close(() => resolve());
}));
