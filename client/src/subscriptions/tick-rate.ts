import { subscribeOptionsSchema } from '@tradehub/shared';
import { ConfigurationError } from '../errors.js';
import { schemaIssues } from '../util/schema-issues.js';

/**
 * A subscription's `maxRatePerSecond`, checked against the shared contract before anything is sent.
 * @throws ConfigurationError
 */
export function checkedTickRate(maxRatePerSecond: number | undefined): number | undefined {
  const parsed = subscribeOptionsSchema.safeParse({ maxRatePerSecond });
  if (!parsed.success) throw new ConfigurationError(`Invalid subscription options: ${schemaIssues(parsed.error)}`);
  return parsed.data.maxRatePerSecond;
}
