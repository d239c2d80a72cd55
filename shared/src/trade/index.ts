export * from './primitives.js';
export * from './payloads.js';
export * from './events.js';
export * from './topics.js';
export * from './hub-contract.js';
export * from './hub-methods.js';
export * from './hub-schemas.js';
export * from './http-contract.js';
