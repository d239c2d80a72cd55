/**
 * Behaviour built on another branch of issue 9 ("Redis command time-outs / fail-fast 503 on a
 * frozen or OOM Redis"). The fault scenarios run against today's code either way (publishers
 * retry with the same ids until stored); the assertions on the fail-fast behaviour itself are
 * pending until this is true. After merging that branch, set it to true (or run with
 * TRADEHUB_FAULTS_FAIL_FAST=1 to try first).
 */
export const REDIS_FAIL_FAST_MERGED = process.env.TRADEHUB_FAULTS_FAIL_FAST === '1';
