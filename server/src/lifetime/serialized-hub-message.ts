import type { HubProtocol } from '../protocol/hub-protocol.js';
import type { HubMessage } from '../protocol/messages.js';

/**
 * A message sent to many connections is framed and UTF-8 encoded once per protocol, not once
 * per recipient: every transport writes the same bytes, and budgets count those bytes.
 */
export class SerializedHubMessage {
  // Almost every message meets one protocol only: a second one gets the map.
  private firstProtocol: HubProtocol | undefined;
  private firstBytes: Uint8Array | undefined;
  private others: Map<HubProtocol, Uint8Array> | undefined;

  constructor(readonly message: HubMessage) {}

  for(protocol: HubProtocol): Uint8Array {
    if (this.firstProtocol === protocol) return this.firstBytes as Uint8Array;
    let bytes = this.others?.get(protocol);
    if (bytes === undefined) {
      bytes = encode(protocol.writeMessage(this.message));
      if (this.firstProtocol === undefined) {
        this.firstProtocol = protocol;
        this.firstBytes = bytes;
      } else {
        (this.others ??= new Map()).set(protocol, bytes);
      }
    }
    return bytes;
  }
}

function encode(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}
