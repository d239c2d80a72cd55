import { parseTopic } from '@tradehub/shared';
import { ConfigurationError, InvalidTopicError } from '../errors.js';

/** The topics of a subscribe call, checked and without repeats. */
export function topicList(topics: string | readonly string[]): string[] {
  const list = [...new Set(typeof topics === 'string' ? [topics] : topics)];
  if (list.length === 0) throw new ConfigurationError('Subscribe to at least one topic.');
  for (const topic of list) {
    if (typeof topic !== 'string' || !parseTopic(topic)) throw new InvalidTopicError(String(topic));
  }
  return list;
}
