import { EventEmitter } from 'node:events';
import { accountKey, type TerminalHolder, type TerminalPresence } from './terminal-presence.js';

/** Presence for a single node: the terminals connected to this process. */
export class InMemoryTerminalPresence implements TerminalPresence {
  private readonly holders = new Map<string, TerminalHolder>();
  private readonly events = new EventEmitter();

  async claim(holder: TerminalHolder): Promise<TerminalHolder | undefined> {
    const key = accountKey(holder.platform, holder.login);
    const previous = this.holders.get(key);
    this.holders.set(key, holder);
    return previous;
  }

  async release(platform: string, login: string, connectionId: string): Promise<boolean> {
    const key = accountKey(platform, login);
    if (this.holders.get(key)?.connectionId !== connectionId) return false;
    this.holders.delete(key);
    return true;
  }

  async find(platform: string, login: string): Promise<TerminalHolder | undefined> {
    return this.holders.get(accountKey(platform, login));
  }

  async displace(holder: TerminalHolder): Promise<void> {
    this.events.emit('displaced', holder);
  }

  onDisplaced(listener: (holder: TerminalHolder) => void): void {
    this.events.on('displaced', listener);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
    this.holders.clear();
  }
}
