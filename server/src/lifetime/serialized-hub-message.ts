import type { HubProtocol } from '../protocol/hub-protocol.js';
import type { HubMessage } from '../protocol/messages.js';

/**
 * A message sent to many connections is framed once per protocol, not once per recipient.
 */
export class SerializedHubMessage {
  private readonly framed = new Map<HubProtocol, string | Uint8Array>();

  constructor(readonly message: HubMessage) {}

  for(protocol: HubProtocol): string | Uint8Array {
    let payload = this.framed.get(protocol);
    if (payload === undefined) {
      payload = protocol.writeMessage(this.message);
      this.framed.set(protocol, payload);
    }
    return payload;
  }
}
