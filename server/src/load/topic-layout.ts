import type { LoadOptions } from './options.js';

/** Which topics the publisher writes and which each subscriber follows. */
export interface TopicLayoutPlan {
  /** Symbols the publisher publishes ticks for, round robin. */
  symbols: string[];
  /** Concrete topics published to (for their heads). */
  topics: string[];
  subscriptionsOf(index: number): string[];
}

export function tickTopic(platform: string, symbol: string): string {
  return `platforms/${platform}/ticks/${symbol}`;
}

/** hot: one topic for all; many: `topicsPerConnection` consecutive topics each; wildcard: every subscriber on ticks/*. */
export function planTopics(options: Pick<LoadOptions, 'platform' | 'topics' | 'topicCount' | 'topicsPerConnection'>): TopicLayoutPlan {
  const count = options.topics === 'hot' ? 1 : options.topicCount;
  const symbols = Array.from({ length: count }, (_, index) => `LOAD${index}`);
  const topics = symbols.map((symbol) => tickTopic(options.platform, symbol));
  switch (options.topics) {
    case 'hot':
      return { symbols, topics, subscriptionsOf: () => [topics[0] as string] };
    case 'wildcard':
      return { symbols, topics, subscriptionsOf: () => [`platforms/${options.platform}/ticks/*`] };
    case 'many':
      return {
        symbols,
        topics,
        subscriptionsOf: (index) => Array.from({ length: options.topicsPerConnection }, (_, offset) => topics[(index * options.topicsPerConnection + offset) % count] as string),
      };
  }
}
