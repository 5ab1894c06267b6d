/*
 * How a Books org's CRM users become integration users (S6.5, issue 18 item 6), decided once per Books org and
 * recorded, so that every later enable — a retry of the first one included — sees the same answer:
 *
 * - `from_start`: the org's integration was new when first enabled. Its CRM users are integration users from
 *   the start: one acting on a finance module without a Books role is added at that moment (as a one-user
 *   batch, so the 1,000 limit and its reasons hold), and no 3-month window is started.
 * - `migration`: the integration existed before (enabled before integration users came): enabling it starts
 *   the org's 3-month window, after which the users who used the finance modules are migrated.
 */

export const USER_ONBOARDINGS = ['from_start', 'migration'] as const;
export type UserOnboarding = (typeof USER_ONBOARDINGS)[number];

/**
 * The org's onboarding: the recorded one when there is one — whatever this enable sees — else from whether
 * the integration existed before this enable. A retried first enable finds the integration it saved, but also
 * the `from_start` it recorded before saving, so it is not taken for a re-enable.
 */
export function onboardingOf(
  recorded: UserOnboarding | undefined,
  integrationExisted: boolean,
): UserOnboarding {
  return recorded ?? (integrationExisted ? 'migration' : 'from_start');
}

/** Whether enabling the integration starts the org's 3-month migration window. */
export function startsMigrationWindow(onboarding: UserOnboarding): boolean {
  return onboarding === 'migration';
}

/** Whether a CRM user without a Books role is made an integration user at their first finance action. */
export function addsAtFirstFinanceAction(onboarding: UserOnboarding | undefined): boolean {
  return onboarding === 'from_start';
}

/** The batch id of the one-user batch that makes a CRM user an integration user at their first finance action. */
export function firstUseBatchId(crmUserId: string): string {
  return `first-use-${crmUserId}`;
}
