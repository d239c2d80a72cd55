export * from './interop-hub.js';
export * from './server-info.js';
