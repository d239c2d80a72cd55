import type { HubDefinition, HubMethod } from './hub-definition.js';

export interface RegisteredMethod {
  /** The name as the hub declared it. */
  readonly name: string;
  readonly method: HubMethod;
}

/** Hub methods by name, matched case-insensitively as ASP.NET does. */
export class HubMethodRegistry {
  private readonly methods = new Map<string, RegisteredMethod>();

  constructor(hub: HubDefinition) {
    for (const [name, method] of Object.entries(hub.methods)) {
      const key = name.toLowerCase();
      const existing = this.methods.get(key);
      if (existing) {
        throw new Error(`Duplicate definitions of '${name}' and '${existing.name}': method names are matched case-insensitively.`);
      }
      this.methods.set(key, { name, method });
    }
  }

  find(target: string): RegisteredMethod | undefined {
    return this.methods.get(target.toLowerCase());
  }
}
