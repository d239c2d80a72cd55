import { MessageType } from '../protocol/messages.js';

/** Messages that need delivery are numbered; Ping, Close, Ack and Sequence are not (TransportProtocols.md, stateful reconnect). */
export function needsDelivery(type: number): boolean {
  return type === MessageType.Invocation || type === MessageType.StreamItem || type === MessageType.Completion
    || type === MessageType.StreamInvocation || type === MessageType.CancelInvocation;
}

interface Unacknowledged {
  sequenceId: number;
  payload: string | Uint8Array;
}

/**
 * The server's half of stateful reconnect: it numbers what it sends and keeps it until the
 * client acknowledges it, so that it can be sent again on the client's next transport; and it
 * numbers what it receives, so that what the client sends again is not handled twice.
 */
export class StatefulMessageBuffer {
  private sentCount = 0;
  private readonly unacknowledged: Unacknowledged[] = [];
  private unacknowledgedBytes = 0;
  private nextReceivingId = 1;
  private latestReceivedId = 0;
  private acknowledgementDue = false;

  constructor(private readonly maximumBytes: number) {}

  /** Bytes sent and not yet acknowledged by the client. */
  get pendingBytes(): number {
    return this.unacknowledgedBytes;
  }

  /** Keeps a numbered copy of an outgoing message; false when the client left too much unacknowledged. */
  sent(type: number, payload: string | Uint8Array): boolean {
    if (!needsDelivery(type)) return true;
    this.sentCount++;
    this.unacknowledged.push({ sequenceId: this.sentCount, payload });
    this.unacknowledgedBytes += payload.length;
    return this.unacknowledgedBytes <= this.maximumBytes;
  }

  /** The client has everything up to and including `sequenceId`. */
  acknowledged(sequenceId: number): void {
    let drop = 0;
    while (drop < this.unacknowledged.length && (this.unacknowledged[drop] as Unacknowledged).sequenceId <= sequenceId) {
      this.unacknowledgedBytes -= (this.unacknowledged[drop] as Unacknowledged).payload.length;
      drop++;
    }
    this.unacknowledged.splice(0, drop);
  }

  /** Whether an incoming message is new, and not one the client sends again after a reconnect. */
  received(type: number): boolean {
    if (!needsDelivery(type)) return true;
    const id = this.nextReceivingId++;
    if (id <= this.latestReceivedId) return false;
    this.latestReceivedId = id;
    this.acknowledgementDue = true;
    return true;
  }

  /**
   * The client's Sequence message: the id of the first message it is about to send again.
   * False when it claims more than was received, which cannot be repaired.
   */
  resumeReceivingAt(sequenceId: number): boolean {
    if (sequenceId > this.nextReceivingId) return false;
    this.nextReceivingId = sequenceId;
    return true;
  }

  /** The id to acknowledge, once after something new arrived. */
  takeAcknowledgement(): number | undefined {
    if (!this.acknowledgementDue) return undefined;
    this.acknowledgementDue = false;
    return this.latestReceivedId;
  }

  /** For the client's new transport: the first id sent again, and the payloads to send again in order. */
  resend(): { sequenceId: number; payloads: Array<string | Uint8Array> } {
    return {
      sequenceId: this.unacknowledged[0]?.sequenceId ?? this.sentCount + 1,
      payloads: this.unacknowledged.map((item) => item.payload),
    };
  }
}
