import type { SystemId, WorkloadKind } from '../results.js';

export interface ServerNode {
  port: number;
  pid: number;
}

/** What the orchestrator asks one load-generator process to do (passed as JSON in argv). */
export interface DriverSpec {
  kind: WorkloadKind;
  system: SystemId;
  nodes: ServerNode[];
  /** Subscribers (fan-out), connections (idle memory) or the most connects to open (connect rate). */
  connections: number;
  warmupSeconds: number;
  windowSeconds: number;
  /** Fixed rate: total deliveries/s offered (publishes/s = this ÷ subscribers). */
  offeredDeliveriesPerSecond?: number;
  /** Saturation: publishes awaiting their acknowledgement at most. */
  maxInFlight: number;
  /** Connects in progress at most. */
  connectConcurrency: number;
  /** Source addresses start at 127.0.0.(2 + this), so consecutive workloads do not reuse 4-tuples in TIME_WAIT. */
  addressOffset: number;
}

export const CONNECTIONS_PER_SOURCE_ADDRESS = 5000;

/** The source address of the index-th connection: 127.0.0.2 and up, a few thousand connections each. */
export function sourceAddressFor(index: number, addressOffset: number): string {
  const host = 2 + ((addressOffset + Math.floor(index / CONNECTIONS_PER_SOURCE_ADDRESS)) % 250);
  return `127.0.0.${host}`;
}
