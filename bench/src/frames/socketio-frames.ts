import { decodePacket } from 'engine.io-parser';
import { Decoder, PacketType, type Packet } from 'socket.io-parser';
import { sentMicrosOf } from '../payload.js';
import { startsWithAny } from './payload-sampler.js';

export type SocketIoFrame =
  | { kind: 'open' }
  | { kind: 'ping' }
  | { kind: 'connected' }
  | { kind: 'event'; name: string; args: unknown[] }
  | { kind: 'close'; reason: string }
  | { kind: 'other' };

/** Where a Socket.IO client opens its WebSocket straight away (engine.io 4, no polling first). */
export const SOCKET_IO_PATH = '/socket.io/?EIO=4&transport=websocket';
/** The packet a subscriber sends to join the default namespace after the engine.io open. */
export const SOCKET_IO_CONNECT = '40';
/** The engine.io pong a client must answer each ping with, or the server drops it. */
export const ENGINE_IO_PONG = '3';

/** Reads a Socket.IO WebSocket frame with the libraries Socket.IO itself uses (engine.io-parser, socket.io-parser). */
export class SocketIoFrameReader {
  private readonly decoder = new Decoder();
  private decoded: Packet | undefined;

  constructor() {
    this.decoder.on('decoded', (packet: Packet) => {
      this.decoded = packet;
    });
  }

  read(data: string): SocketIoFrame {
    const packet = decodePacket(data);
    switch (packet.type) {
      case 'open': return { kind: 'open' };
      case 'ping': return { kind: 'ping' };
      case 'close': return { kind: 'close', reason: 'engine.io close' };
      case 'error': return { kind: 'close', reason: `engine.io error: ${String(packet.data)}` };
      case 'message': break;
      default: return { kind: 'other' };
    }
    this.decoded = undefined;
    this.decoder.add(packet.data as string);
    const decoded = this.decoded as Packet | undefined;
    if (!decoded) return { kind: 'other' };
    switch (decoded.type) {
      case PacketType.CONNECT: return { kind: 'connected' };
      case PacketType.CONNECT_ERROR: return { kind: 'close', reason: `connect error: ${JSON.stringify(decoded.data)}` };
      case PacketType.DISCONNECT: return { kind: 'close', reason: 'disconnected by the server' };
      case PacketType.EVENT: {
        const [name, ...args] = decoded.data as unknown[];
        return { kind: 'event', name: String(name), args };
      }
      default: return { kind: 'other' };
    }
  }
}

export function socketIoSendTime(frame: SocketIoFrame): number | undefined {
  return frame.kind === 'event' && frame.name === 'message' ? sentMicrosOf(frame.args[0]) : undefined;
}

/** How a benchmark payload frame begins: engine.io message (4), socket.io EVENT (2), event name 'message'. */
const SOCKET_IO_PAYLOAD_PREFIX = [Buffer.from('42["message",')];

/** Whether a frame is a benchmark payload, told by its first bytes without decoding it. */
export function isSocketIoPayload(frame: Uint8Array): boolean {
  return startsWithAny(frame, SOCKET_IO_PAYLOAD_PREFIX);
}
