/**
 * The one way tests wait. It lives in the bench package, which tests already depend on, because the
 * local Redis Cluster that tests and the benchmark both start waits for its nodes the same way.
 */
export { waitUntil } from '@tradehub/bench/wait-until';
