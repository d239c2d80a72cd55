import { AccessDenial } from '@tradehub/shared';
import type { Directory } from '../config/directory.js';
import { AuthError } from './auth-error.js';
import { subjectsOf, type AccessStateRecord, type AccessSubject } from './access-subject.js';
import type { Principal } from './principal.js';
import type { TokenStore } from './token-store.js';

/** A subject's state as it holds now: the stored one, or else the configuration's. */
export interface EffectiveState {
  denied: boolean;
  expiresAt: number | undefined;
  /** Null while the configuration's initial state holds. */
  changedAt: number | null;
  changedBy: string | null;
}

/**
 * Decides whether a token may act by the state of its organization, its accounts and its
 * device: the state stored by admins (file or Redis, shared by every node), or where none is
 * stored, the configuration's initial state (organizations' `disabled` and `expiresAt`,
 * platforms' `disabledLogins`; devices are approved).
 */
export class AccessPolicy {
  constructor(
    private readonly store: TokenStore,
    private readonly directory: Directory,
    private readonly now: () => number = Date.now,
  ) {}

  /** @throws AuthError `invalid_token` when the token's organization, account or device is switched off. */
  async check(principal: Principal): Promise<void> {
    const denial = await this.denialOfPrincipal(principal);
    if (denial) throw new AuthError('invalid_token', denial);
  }

  /**
   * Why a principal's tokens are refused now (the first of its subjects that denies them), or
   * undefined. Runs on every authenticated connect, so it reads the states without building
   * EffectiveState objects.
   */
  async denialOfPrincipal(principal: Principal): Promise<AccessDenial | undefined> {
    const subjects = subjectsOf(principal);
    const records = await this.store.getAccessStates(subjects);
    for (let index = 0; index < subjects.length; index++) {
      const subject = subjects[index] as AccessSubject;
      const denial = this.denialFor(subject, records[index] ?? this.initialState(subject));
      if (denial) return denial;
    }
    return undefined;
  }

  /** Why a subject denies its tokens now, or undefined when it does not. */
  async denial(subject: AccessSubject): Promise<AccessDenial | undefined> {
    return this.denialFor(subject, await this.state(subject));
  }

  async state(subject: AccessSubject): Promise<EffectiveState> {
    const [record] = await this.store.getAccessStates([subject]);
    return this.effective(subject, record);
  }

  effective(subject: AccessSubject, record: AccessStateRecord | undefined): EffectiveState {
    if (record) return { denied: record.denied, expiresAt: record.expiresAt, changedAt: record.changedAt, changedBy: record.changedBy };
    return { ...this.initialState(subject), changedAt: null, changedBy: null };
  }

  /** The configuration's state of a subject that has none stored. */
  private initialState(subject: AccessSubject): { denied: boolean; expiresAt: number | undefined } {
    switch (subject.kind) {
      case 'organization': {
        const configured = this.directory.organization(subject.organization);
        return { denied: configured?.disabled ?? false, expiresAt: configured?.expiresAt };
      }
      case 'account':
        return { denied: this.directory.platform(subject.platform)?.disabledLogins?.includes(subject.login) ?? false, expiresAt: undefined };
      case 'device':
        return { denied: false, expiresAt: undefined };
    }
  }

  /** Why a subject in this state denies its tokens now, or undefined when it does not. */
  denialFor(subject: AccessSubject, state: { readonly denied: boolean; readonly expiresAt?: number | undefined }): AccessDenial | undefined {
    switch (subject.kind) {
      case 'organization':
        if (state.denied) return AccessDenial.OrganizationDisabled;
        return state.expiresAt !== undefined && state.expiresAt <= this.now() ? AccessDenial.OrganizationExpired : undefined;
      case 'account':
        return state.denied ? AccessDenial.AccountDisabled : undefined;
      case 'device':
        return state.denied ? AccessDenial.DeviceRevoked : undefined;
    }
  }
}
