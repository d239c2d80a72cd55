import { mapToRecord, type ConnectFigures } from '../report.js';
import type { ConnectOutcome } from '../swarm.js';

export function connectFigures(target: number, outcome: ConnectOutcome): ConnectFigures {
  const seconds = outcome.elapsedMs / 1000;
  return {
    target,
    opened: outcome.opened,
    failed: outcome.failed,
    failures: mapToRecord(outcome.failures),
    seconds,
    connectsPerSecond: seconds > 0 ? outcome.opened / seconds : 0,
    connectTime: outcome.connectTime.summary(),
  };
}
