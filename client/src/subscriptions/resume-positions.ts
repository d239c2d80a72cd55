import type { ResumePositions } from '@tradehub/shared';
import type { TopicTracker } from './topic-tracker.js';

/** Resume positions one Subscribe may carry: the hub refuses messages over 32 KiB. */
const MAX_RESUME_BYTES = 24_000;

/**
 * The positions to resume the trackers from, within the hub's message size limit: a wildcard
 * may cover thousands of topics. Account, status and margin topics come first; ticks last,
 * since a tick topic that starts over from a snapshot loses nothing but old quotes. A tracker
 * left out is told why it may start over.
 */
export function resumePositions(trackers: readonly TopicTracker[]): ResumePositions {
  const resume: ResumePositions = {};
  let size = 0;
  const ordered = [...trackers].sort((a, b) => Number(a.state.topic.kind === 'ticks') - Number(b.state.topic.kind === 'ticks'));
  for (const tracker of ordered) {
    if (!tracker.position || tracker.needsSnapshot) continue;
    size += tracker.topic.length + tracker.position.epoch.length + 40;
    if (size > MAX_RESUME_BYTES) {
      tracker.resetReason = 'history_gone';
      continue;
    }
    resume[tracker.topic] = tracker.position;
  }
  return resume;
}
