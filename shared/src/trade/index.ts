export * from './primitives.js';
export * from './payloads.js';
export * from './events.js';
export * from './topics.js';
export * from './hub-contract.js';
