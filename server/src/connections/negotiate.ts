import type { TransferFormat } from '../protocol/hub-protocol.js';
import type { TransportType } from './transport.js';

export interface AvailableTransport {
  transport: TransportType;
  transferFormats: TransferFormat[];
}

export interface NegotiateResponse {
  connectionId: string;
  connectionToken?: string;
  negotiateVersion: number;
  availableTransports: AvailableTransport[];
  useStatefulReconnect?: boolean;
}

/** Highest negotiate version this server speaks; higher requests are answered with it. */
export const LATEST_NEGOTIATE_VERSION = 1;

/** `negotiateVersion` query value: missing or unreadable means 0 (TransportProtocols.md, "POST [endpoint-base]/negotiate"). */
export function requestedNegotiateVersion(raw: unknown): number {
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return 0;
  return Math.min(Number(raw), LATEST_NEGOTIATE_VERSION);
}

export const TRANSPORT_FORMATS: Record<TransportType, TransferFormat[]> = {
  WebSockets: ['Text', 'Binary'],
  ServerSentEvents: ['Text'],
  LongPolling: ['Text', 'Binary'],
};

export function negotiateResponse(
  connectionId: string,
  connectionToken: string,
  negotiateVersion: number,
  transports: readonly TransportType[],
  statefulReconnect: boolean,
): NegotiateResponse {
  return {
    connectionId,
    ...(negotiateVersion >= 1 ? { connectionToken } : {}),
    negotiateVersion,
    availableTransports: transports.map((transport) => ({ transport, transferFormats: TRANSPORT_FORMATS[transport] })),
    // Only when the client asked: the official client refuses a stateful answer it did not ask for.
    ...(statefulReconnect ? { useStatefulReconnect: true } : {}),
  };
}
