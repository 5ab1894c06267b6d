/** Deterministic workflow ids: the same business request always maps to the same id. */

const SAFE_PART = /^[A-Za-z0-9._:-]{1,128}$/;

function part(name: string, value: string): string {
  if (!SAFE_PART.test(value)) {
    throw new Error(
      `${name} must be 1-128 characters of letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** `wiring-check/{checkId}`: the end-to-end check of worker, Temporal and MongoDB wiring. */
export function wiringCheckWorkflowId(checkId: string): string {
  return `wiring-check/${part('checkId', checkId)}`;
}
