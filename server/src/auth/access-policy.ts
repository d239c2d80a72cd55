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
    const subjects = subjectsOf(principal);
    const records = await this.store.getAccessStates(subjects);
    for (const [index, subject] of subjects.entries()) {
      const denial = this.denialFor(subject, this.effective(subject, records[index]));
      if (denial) throw new AuthError('invalid_token', denial);
    }
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
    const initial = { changedAt: null, changedBy: null, expiresAt: undefined };
    switch (subject.kind) {
      case 'organization': {
        const configured = this.directory.organization(subject.organization);
        return { ...initial, denied: configured?.disabled ?? false, expiresAt: configured?.expiresAt };
      }
      case 'account': {
        const platform = this.directory.platform(subject.platform);
        return { ...initial, denied: platform?.disabledLogins?.includes(subject.login) ?? false };
      }
      case 'device':
        return { ...initial, denied: false };
    }
  }

  /** Why a subject in this state denies its tokens now, or undefined when it does not. */
  denialFor(subject: AccessSubject, state: Pick<EffectiveState, 'denied' | 'expiresAt'>): AccessDenial | undefined {
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
