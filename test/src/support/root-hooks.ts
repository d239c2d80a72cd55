import type { RootHookObject } from 'mocha';

/**
 * The server runs inside the test process, so an unhandled rejection or uncaught exception
 * anywhere in it fails the test during which it happened.
 */
const problems: unknown[] = [];
process.on('unhandledRejection', (reason) => problems.push(reason));
process.on('uncaughtException', (error) => problems.push(error));

export const mochaHooks: RootHookObject = {
  afterEach() {
    if (problems.length > 0) {
      const found = problems.splice(0);
      throw new Error(`unhandled error(s) in the process: ${found.map(String).join('; ')}`);
    }
  },
};
