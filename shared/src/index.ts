export * from './interop-hub.js';
export * from './server-info.js';
export * from './trade/index.js';
export * from './interop-server.js';
export * from './access-admin.js';
