import * as z from 'zod';

/**
 * The admin API for device, account and organization state (`/api/devices`, `/api/accounts`,
 * `/api/organizations/{id}/state`): bodies as the server validates them, answers as it sends them.
 */

/** Longest device id a terminal token may be bound to (and an admin may name). */
export const MAX_DEVICE_ID_LENGTH = 200;

/** What a refused token's `error_description` says (and a closed connection's Close error) when its state refuses it. */
export const AccessDenial = {
  DeviceRevoked: 'device revoked',
  OrganizationDisabled: 'organization disabled',
  OrganizationExpired: 'organization expired',
  AccountDisabled: 'account disabled',
} as const;
export type AccessDenial = (typeof AccessDenial)[keyof typeof AccessDenial];

/** `PUT /api/accounts/{platform}/{login}`. */
export const accountStateBody = z.strictObject({ disabled: z.boolean() });
export type AccountStateBody = z.infer<typeof accountStateBody>;

/** `PUT /api/organizations/{id}/state`: what is given changes; `expiresAt: null` removes the expiry. */
export const organizationStateBody = z.strictObject({
  disabled: z.boolean().optional(),
  /** Milliseconds since the epoch. */
  expiresAt: z.number().int().positive().nullable().optional(),
}).refine((body) => body.disabled !== undefined || body.expiresAt !== undefined, { message: 'give disabled, expiresAt or both' });
export type OrganizationStateBody = z.infer<typeof organizationStateBody>;

/** Who changed a state last and when; null while the configuration's initial state holds. */
interface StateChange {
  changedAt: number | null;
  changedBy: string | null;
}

/** `GET /api/devices`, and the answer to approve and revoke. */
export interface DeviceView extends StateChange {
  id: string;
  state: 'approved' | 'revoked';
  /** Ids of the organization's terminal tokens bound to the device (that the admin can see). */
  tokens: string[];
}

/** `GET /api/accounts` (accounts whose state was set), and the answer to `PUT`. */
export interface AccountStateView extends StateChange {
  platform: string;
  login: string;
  disabled: boolean;
}

/** `GET` and `PUT /api/organizations/{id}/state`. */
export interface OrganizationStateView extends StateChange {
  id: string;
  disabled: boolean;
  expiresAt: number | null;
  /** Disabled, or past its expiry: every token of it is refused. */
  active: boolean;
}
