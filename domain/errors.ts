/**
 * The named failure types of the product. Workflows and activities throw
 * `ApplicationFailure.nonRetryable(message, ErrorType.X)` with these, so operators can filter on them
 * in the Temporal UI and callers can branch on `failure.type`.
 */
export const ErrorType = {
  /** A record or request failed schema validation; retrying cannot help. */
  ValidationFailed: 'ValidationFailed',
  /** The configuration given to the process or to an integration is invalid. */
  ConfigInvalid: 'ConfigInvalid',
  /** A prerequisite of S1.2 (edition, base currency) is not met. */
  PrerequisiteFailed: 'PrerequisiteFailed',
  /**
   * The caller is known but not allowed what it asked (a billing user without the permission to create
   * subscriptions, a CRM user whose profile refuses a finance write): unlike a failed authentication, asking
   * again as the same user cannot help.
   */
  Forbidden: 'Forbidden',
  /** An org, integration or record named by a request does not exist. */
  NotFound: 'NotFound',
  /**
   * The request conflicts with the integration's state (a pause of a disabled integration, found after the
   * update waited its turn) or with another integration's (S1.1: one two-way Books org per CRM org).
   */
  Conflict: 'Conflict',
  /**
   * A request was accepted but not carried out: a targeted run dropped by a pause or disable before it ran,
   * or an activity's refusal that named no type of its own.
   */
  Refused: 'Refused',
  /** A request reached the workflow after its deadline: its caller had given up, so it was not applied. */
  RequestExpired: 'RequestExpired',
  /** A write read back something other than what it wrote. */
  StoreMismatch: 'StoreMismatch',
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Configuration problems, all of them at once, in one readable message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The message of an error's innermost cause: what actually went wrong under the wrapping failures. */
export function rootCauseMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
