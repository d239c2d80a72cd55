/**
 * Socket.IO 4.8 as a Node user would set it up: `io.emit('message', payload)` for every publisher event,
 * acknowledged once the broadcast call returned. With REDIS_URL, nodes share broadcasts through
 * `@socket.io/redis-adapter` (channel prefix SOCKET_IO_KEY, unique per run so parallel runs do not mix).
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { exitOnSignal, portFromEnvironment } from './port.js';

const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });
const closers: Array<() => Promise<unknown>> = [];

const redisUrl = process.env.REDIS_URL;
if (redisUrl) {
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient, { key: process.env.SOCKET_IO_KEY ?? 'socket.io' }));
  closers.push(() => pubClient.quit(), () => subClient.quit());
}

io.on('connection', (socket) => {
  socket.on('publish', (payload: unknown, ack?: () => void) => {
    io.emit('message', payload);
    if (typeof ack === 'function') ack();
  });
});

httpServer.listen(portFromEnvironment(), '127.0.0.1', () => {
  const address = httpServer.address();
  console.log(`Socket.IO ${redisUrl ? 'with the redis adapter ' : ''}listening on port ${typeof address === 'string' ? address : address?.port}`);
});
exitOnSignal(async () => {
  await new Promise<void>((resolve) => io.close(() => resolve()));
  await Promise.allSettled(closers.map((close) => close()));
});
