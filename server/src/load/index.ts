// The load tool's pure parts, for its unit tests and for the benchmark harness.
export { LoadUsageError, isLoopbackHost, parseTargetUrl, parseSourceAddresses, defaultSourceAddresses, sourceAddressFor, randomLoopbackBlock, CONNECTIONS_PER_SOURCE_ADDRESS, DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS } from './loopback.js';
export { openFileLimit } from './fd-limit.js';
export { parseLoadOptions, HELP, SCENARIOS, MAX_CONNECTIONS, type LoadOptions, type ScenarioName } from './options.js';
export { TopicSeqTracker, SubscriberLedger, emptyCounts, addCounts, type SeqCounts } from './seq-ledger.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';
export { renderMarkdown } from './markdown-report.js';
export { slope, type LoadReport } from './report.js';
export { readProc } from './proc-sampler.js';
export { planTopics } from './topic-layout.js';
