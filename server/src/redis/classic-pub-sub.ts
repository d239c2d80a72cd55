import type { RedisClientType } from 'redis';
import type { ChannelListener, RedisPubSub } from './redis-pub-sub.js';

/** Classic pub/sub on one Redis: PUBLISH on the command connection, SUBSCRIBE on a connection of its own. */
export class ClassicPubSub implements RedisPubSub {
  readonly publishCommand = 'PUBLISH';
  readonly patterns = true;
  private readonly resubscribedListeners: Array<() => void> = [];

  constructor(private readonly publisher: RedisClientType, private readonly subscriber: RedisClientType) {
    // After an outage the subscriptions come back by themselves, but what was published meanwhile was not heard.
    let wasDown = false;
    subscriber.on('error', () => {
      wasDown = true;
    });
    subscriber.on('ready', () => {
      if (!wasDown) return;
      wasDown = false;
      for (const listener of this.resubscribedListeners) listener();
    });
  }

  get ready(): boolean {
    return this.subscriber.isReady;
  }

  publish(channel: string, message: string | Buffer): Promise<unknown> {
    return this.publisher.publish(channel, message);
  }

  subscribe<T extends boolean = false>(channels: string | string[], listener: ChannelListener<T>, bufferMode?: T): Promise<void> {
    return this.subscriber.subscribe(channels, listener, bufferMode);
  }

  unsubscribe<T extends boolean = false>(channels: string | string[], listener?: ChannelListener<T>, bufferMode?: T): Promise<void> {
    return this.subscriber.unsubscribe(channels, listener, bufferMode);
  }

  pSubscribe(pattern: string, listener: ChannelListener<false>): Promise<void> {
    return this.subscriber.pSubscribe(pattern, listener);
  }

  pUnsubscribe(pattern: string, listener?: ChannelListener<false>): Promise<void> {
    return this.subscriber.pUnsubscribe(pattern, listener);
  }

  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }
}
