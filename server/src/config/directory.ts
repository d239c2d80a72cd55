import type { ClientConfig, OrganizationConfig, PlatformConfig, TradehubConfig } from './config-schema.js';

/** Read-only view of the configured tenants: organizations, their platforms, and OAuth clients. */
export class Directory {
  private readonly organizations = new Map<string, OrganizationConfig>();
  private readonly platforms = new Map<string, { platform: PlatformConfig; organization: string }>();
  private readonly clients = new Map<string, ClientConfig>();

  constructor(config: TradehubConfig) {
    for (const organization of config.organizations) {
      this.organizations.set(organization.id, organization);
      for (const platform of organization.platforms) this.platforms.set(platform.id, { platform, organization: organization.id });
    }
    for (const client of config.clients) this.clients.set(client.id, client);
  }

  organization(id: string): OrganizationConfig | undefined {
    return this.organizations.get(id);
  }

  platform(id: string): PlatformConfig | undefined {
    return this.platforms.get(id)?.platform;
  }

  organizationOfPlatform(platformId: string): string | undefined {
    return this.platforms.get(platformId)?.organization;
  }

  client(id: string): ClientConfig | undefined {
    return this.clients.get(id);
  }

  allClients(): Iterable<ClientConfig> {
    return this.clients.values();
  }

  /** The platform whose trade server address (or id) is `server`, as `/v1/init` names it. */
  platformByServer(server: string): PlatformConfig | undefined {
    for (const { platform } of this.platforms.values()) if ((platform.server ?? platform.id) === server) return platform;
    return undefined;
  }

  platformIdsOf(organization: string): string[] {
    return this.organizations.get(organization)?.platforms.map((platform) => platform.id) ?? [];
  }
}
