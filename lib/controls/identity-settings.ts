/** Tunables of the identity controls (configuration: lib/config.ts DW_IDENTITY_*). */
export interface IdentitySettings {
  /** directory role template ids that count as privileged */
  privilegedRoleIds: string[];
  /** highest sign-in frequency allowed for privileged roles and the configured apps, in hours */
  sessionMaxHours: number;
  /** apps whose sessions must time out (patient portal, scheduling): app id and a name for messages */
  sessionApps: { name: string; appId: string }[];
  /** an access review instance must have completed within this many days */
  accessReviewMaxAgeDays: number;
  /** a recurring review's period may be at most this many months (quarterly = 3) */
  accessReviewMaxIntervalMonths: number;
}

/**
 * Microsoft's "Require MFA for administrators" template roles (Entra Conditional Access
 * templates; also Secure Score's "MFA for admin roles"): template ids, stable across tenants.
 */
export const DEFAULT_PRIVILEGED_ROLES: Readonly<Record<string, string>> = Object.freeze({
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
  '194ae4cb-b126-40b2-bd5b-6091b380977d': 'Security Administrator',
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9': 'Conditional Access Administrator',
  'c4e39bd9-1100-46d3-8c65-fb160da0071f': 'Authentication Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  '729827e3-9c14-49f7-bb1b-9608f156bbb8': 'Helpdesk Administrator',
  '29232cdf-9323-42fd-ade2-1d097af3e4de': 'Exchange Administrator',
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c': 'SharePoint Administrator',
  'b0f54661-2d74-4c50-afa3-1ec803f12efe': 'Billing Administrator',
  '3a2c62db-5318-420d-8d74-23affee5d9d5': 'Intune Administrator',
});

export const defaultIdentitySettings: Readonly<IdentitySettings> = Object.freeze({
  privilegedRoleIds: Object.keys(DEFAULT_PRIVILEGED_ROLES),
  sessionMaxHours: 12,
  sessionApps: [],
  accessReviewMaxAgeDays: 92,
  accessReviewMaxIntervalMonths: 3,
});

/** Identity settings from validated configuration (unset values: the defaults). */
export function identitySettingsFromConfig(config: {
  privilegedRoles: string[] | null;
  sessionMaxHours: number | null;
  sessionApps: { name: string; appId: string }[];
  accessReviewMaxAgeDays: number | null;
}): IdentitySettings {
  return {
    privilegedRoleIds: config.privilegedRoles ?? [...defaultIdentitySettings.privilegedRoleIds],
    sessionMaxHours: config.sessionMaxHours ?? defaultIdentitySettings.sessionMaxHours,
    sessionApps: config.sessionApps.map((app) => ({ ...app })),
    accessReviewMaxAgeDays: config.accessReviewMaxAgeDays ?? defaultIdentitySettings.accessReviewMaxAgeDays,
    accessReviewMaxIntervalMonths: defaultIdentitySettings.accessReviewMaxIntervalMonths,
  };
}
