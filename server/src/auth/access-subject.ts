import type { Principal } from './principal.js';

/**
 * What an admin can switch off, below the single token: a whole organization, one account (a
 * login on a platform) or one device, each within its organization.
 */
export type AccessSubject =
  | { kind: 'organization'; organization: string }
  | { kind: 'account'; organization: string; platform: string; login: string }
  | { kind: 'device'; organization: string; device: string };

/** The stored state of a subject; a subject without one has its configured (or default) state. */
export interface AccessStateRecord {
  subject: AccessSubject;
  /** An organization or account that is disabled, a device that is revoked. */
  denied: boolean;
  /** Organizations only: from this time (ms since the epoch) on, it is denied. */
  expiresAt?: number;
  changedAt: number;
  changedBy: string;
}

/** One string per subject, for store keys; parts are URI-encoded, so that no part can pose as another. */
export function subjectKey(subject: AccessSubject): string {
  return keysOfKnownSubjects.get(subject) ?? keyOf(subject);
}

function keyOf(subject: AccessSubject): string {
  const parts = subject.kind === 'organization' ? [subject.organization]
    : subject.kind === 'account' ? [subject.organization, subject.platform, subject.login]
      : [subject.organization, subject.device];
  return [subject.kind, ...parts.map(encodeURIComponent)].join(':');
}

/**
 * Whether a token's principal belongs to a subject: every token of an organization; tokens
 * restricted to an account's login (terminal tokens included); tokens bound to a device.
 */
export function principalBelongsTo(subject: AccessSubject, principal: Principal): boolean {
  if (principal.organization !== subject.organization) return false;
  switch (subject.kind) {
    case 'organization':
      return true;
    case 'account':
      return principal.logins !== undefined && principal.logins.includes(subject.login) && principal.platforms.includes(subject.platform);
    case 'device':
      return principal.device === subject.device;
  }
}

/**
 * The subjects of principals seen before, and their store keys: every authenticated connect asks
 * for them, and a token that connects again (from the verified-token cache) is the same principal
 * object. Both are frozen, so that a remembered key can never describe another subject.
 */
const subjectsOfPrincipals = new WeakMap<Principal, readonly AccessSubject[]>();
const keysOfKnownSubjects = new WeakMap<AccessSubject, string>();

/** The subjects whose state decides whether a principal may act: its organization, its accounts, its device. */
export function subjectsOf(principal: Principal): readonly AccessSubject[] {
  const known = subjectsOfPrincipals.get(principal);
  if (known) return known;
  const organization = principal.organization;
  const subjects: AccessSubject[] = [{ kind: 'organization', organization }];
  for (const login of principal.logins ?? []) {
    for (const platform of principal.platforms) subjects.push({ kind: 'account', organization, platform, login });
  }
  if (principal.device !== undefined) subjects.push({ kind: 'device', organization, device: principal.device });
  for (const subject of subjects) keysOfKnownSubjects.set(Object.freeze(subject), keyOf(subject));
  const frozen = Object.freeze(subjects);
  subjectsOfPrincipals.set(principal, frozen);
  return frozen;
}
