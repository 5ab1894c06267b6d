/*
 * When a step may trust a module's change marker instead of scanning (stores/change-markers.ts gives the
 * argument, the README's "Why a quiet step skips nothing" the short version). Pure: the clock and the settle
 * time come in.
 */

/** What a reader sees of one org's module: a token every write command replaces, and when it was last set. */
export interface ChangeMarker {
  token: string;
  changedAt: Date;
}

/**
 * The token a step may save with a scan that started after `readAt` and read to the end: the marker's, once it
 * has been quiet for `settleMs` before `readAt` (every write command that set it, or an earlier token, is then
 * visible to the scan); undefined when the marker is missing or too recent to vouch for the scan.
 */
export function trustedToken(
  marker: ChangeMarker | undefined,
  readAt: Date,
  settleMs: number,
): string | undefined {
  if (!marker) return undefined;
  return marker.changedAt.getTime() <= readAt.getTime() - settleMs ? marker.token : undefined;
}

/**
 * Whether a step must scan: unless the marker still holds the token its last complete scan saved, something
 * may have changed since. A missing marker or token always scans.
 */
export function mustScan(savedToken: string | undefined, marker: ChangeMarker | undefined): boolean {
  return savedToken === undefined || marker === undefined || marker.token !== savedToken;
}
