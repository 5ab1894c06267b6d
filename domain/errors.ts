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
