import type { AccountStateView, DeviceView, OrganizationStateBody, OrganizationStateView } from '@tradehub/shared';
import type { Directory } from '../config/directory.js';
import type { AccessPolicy, EffectiveState } from './access-policy.js';
import type { AccessStateRecord, AccessSubject } from './access-subject.js';
import { AdminRequestError } from './admin-request-error.js';
import { hasScope, type Principal } from './principal.js';
import type { RevocationBus } from './revocation-bus.js';
import { Scope } from './scopes.js';
import type { TokenStore } from './token-store.js';

/**
 * What admins change about devices, accounts and organizations. An organization's admin
 * (`admin` scope) approves and revokes its devices and enables and disables its accounts, on the
 * platforms its token reaches; only an operator (`operator` scope) disables or expires an
 * organization, and never its own (it would lock itself out). Whatever is not the caller's to
 * see is answered as unknown (404). Each change is stored, then told to every node.
 */
export class AccessAdmin {
  constructor(
    private readonly store: TokenStore,
    private readonly policy: AccessPolicy,
    private readonly bus: RevocationBus,
    private readonly directory: Directory,
  ) {}

  /**
   * Devices of the admin's organization: those its terminal tokens on the platforms the admin
   * reaches are bound to (tokens are never deleted, so a device stays listed), with their state.
   */
  async listDevices(admin: Principal): Promise<DeviceView[]> {
    const [tokens, states] = await Promise.all([this.store.listTerminalTokens(admin.organization), this.store.listAccessStates(admin.organization)]);
    const devices = new Map<string, DeviceView>();
    for (const token of tokens) {
      if (token.device === undefined || !admin.platforms.includes(token.platform)) continue;
      const view = devices.get(token.device) ?? { id: token.device, state: 'approved', tokens: [], changedAt: null, changedBy: null };
      view.tokens.push(token.id);
      devices.set(token.device, view);
    }
    for (const record of states) {
      const view = record.subject.kind === 'device' ? devices.get(record.subject.device) : undefined;
      if (view) Object.assign(view, { state: record.denied ? 'revoked' : 'approved', changedAt: record.changedAt, changedBy: record.changedBy });
    }
    return [...devices.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Revokes (every token bound to it is refused, its connections close) or approves a listed device. */
  async setDevice(admin: Principal, device: string, revoked: boolean): Promise<DeviceView> {
    const known = (await this.listDevices(admin)).find((view) => view.id === device);
    if (!known) throw new AdminRequestError(404, 'Unknown device: no terminal token of your organization is bound to it.');
    const changedAt = await this.save({ kind: 'device', organization: admin.organization, device }, { denied: revoked, expiresAt: undefined }, admin);
    return { ...known, state: revoked ? 'revoked' : 'approved', changedAt, changedBy: admin.id };
  }

  /** Accounts of the admin's organization that were given a state, on the platforms the admin reaches. */
  async listAccounts(admin: Principal): Promise<AccountStateView[]> {
    const states = await this.store.listAccessStates(admin.organization);
    const views: AccountStateView[] = [];
    for (const record of states) {
      const subject = record.subject;
      if (subject.kind !== 'account' || !admin.platforms.includes(subject.platform)) continue;
      views.push({ platform: subject.platform, login: subject.login, disabled: record.denied, changedAt: record.changedAt, changedBy: record.changedBy });
    }
    return views.sort((a, b) => a.platform.localeCompare(b.platform) || Number(a.login) - Number(b.login));
  }

  /** Disables (tokens restricted to the login and its terminal tokens are refused, their connections close) or enables an account. */
  async setAccount(admin: Principal, platform: string, login: string, disabled: boolean): Promise<AccountStateView> {
    if (this.directory.organizationOfPlatform(platform) !== admin.organization || !admin.platforms.includes(platform)) {
      throw new AdminRequestError(404, `Unknown platform '${platform}'.`);
    }
    const changedAt = await this.save({ kind: 'account', organization: admin.organization, platform, login }, { denied: disabled, expiresAt: undefined }, admin);
    return { platform, login, disabled, changedAt, changedBy: admin.id };
  }

  /** An operator sees any organization's state, an admin its own's. */
  async organization(caller: Principal, id: string): Promise<OrganizationStateView> {
    this.visibleOrganization(caller, id);
    return organizationView(id, await this.policy.state({ kind: 'organization', organization: id }), Date.now());
  }

  async setOrganization(operator: Principal, id: string, change: OrganizationStateBody): Promise<OrganizationStateView> {
    this.visibleOrganization(operator, id);
    if (id === operator.organization && (change.disabled === true || typeof change.expiresAt === 'number')) {
      throw new AdminRequestError(400, 'An operator cannot disable or expire its own organization: its own tokens would stop working.');
    }
    const subject: AccessSubject = { kind: 'organization', organization: id };
    const current = await this.policy.state(subject);
    const next = {
      denied: change.disabled ?? current.denied,
      expiresAt: change.expiresAt === undefined ? current.expiresAt : change.expiresAt ?? undefined,
    };
    const changedAt = await this.save(subject, next, operator);
    return organizationView(id, { ...next, changedAt, changedBy: operator.id }, Date.now());
  }

  private visibleOrganization(caller: Principal, id: string): void {
    const visible = hasScope(caller, Scope.Operator) || caller.organization === id;
    if (!visible || !this.directory.organization(id)) throw new AdminRequestError(404, `Unknown organization '${id}'.`);
  }

  private async save(subject: AccessSubject, state: Pick<EffectiveState, 'denied' | 'expiresAt'>, by: Principal): Promise<number> {
    const record: AccessStateRecord = {
      subject,
      denied: state.denied,
      ...(state.expiresAt !== undefined ? { expiresAt: state.expiresAt } : {}),
      changedAt: Date.now(),
      changedBy: by.id,
    };
    if (!(await this.store.saveAccessState(record))) {
      throw new AdminRequestError(409, 'Your organization has as many device and account states as it may keep.');
    }
    await this.bus.publish(subject);
    return record.changedAt;
  }
}

function organizationView(id: string, state: EffectiveState, now: number): OrganizationStateView {
  return {
    id,
    disabled: state.denied,
    expiresAt: state.expiresAt ?? null,
    active: !state.denied && (state.expiresAt === undefined || state.expiresAt > now),
    changedAt: state.changedAt,
    changedBy: state.changedBy,
  };
}
