import { Context } from '@temporalio/activity';
import { orphanField } from '../../domain/sync/step-rules';
import type { SyncStep } from '../../domain/sync/plan';
import type { DeltaCursor } from '../../domain/sync-state-schemas';
import { mustScan, trustedToken } from '../../domain/change-markers';
import { MARKER_QUIET_MS } from '../../stores/change-markers';
import { START_CURSOR, compareCursors, settledBoundary, settledCursor } from '../../stores/delta';
import type { ChangedPage, RecordCollection } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';
import type { Data, StepSource, StepWindow, SyncStepInput } from './types';

/*
 * A step's window and cursor (see stores/delta.ts): where its activity starts reading, which page it reads
 * next, and how far its saved cursor may go.
 */

/**
 * Where a step's activity starts reading, and the step's window: a retry resumes from its heartbeat, a
 * later activity of the step from the workflow's cursor, both with the window the step began with; the
 * step's first activity starts from the saved cursor with a new window (settled boundary taken now), or is
 * `quiet` when the source's change marker proves nothing changed since the saved cursor's read to the end
 * (stores/change-markers.ts): then it reads nothing more.
 */
export async function startingPoint(
  state: SyncStateStore,
  input: SyncStepInput,
  cursorModule: string,
  source: StepSource,
  quietMs: number = MARKER_QUIET_MS,
): Promise<{ cursor: DeltaCursor | null; window: StepWindow; quiet?: boolean }> {
  const fresh = (from: DeltaCursor | null, seenThrough: DeltaCursor | null): StepWindow => ({
    settledBefore: settledBoundary(new Date()).toISOString(),
    seenThrough,
    from,
  });
  const heartbeat = Context.current().info.heartbeatDetails as
    { cursor: DeltaCursor | null; window?: StepWindow } | undefined;
  if (heartbeat)
    return { cursor: heartbeat.cursor, window: heartbeat.window ?? input.window ?? fresh(null, null) };
  if (input.cursor !== undefined) return { cursor: input.cursor, window: input.window ?? fresh(null, null) };
  // A targeted step pages through its ids, never the module's delta cursor.
  if (input.step.ids) return { cursor: null, window: fresh(null, null) };
  const saved = await state.getCursorState(input.integrationId, cursorModule, input.step.direction);
  const from = saved?.cursor ?? null;
  // Read before the first page (the clock before the read), so the token can vouch only for what the
  // read then finds.
  const readAt = new Date();
  const marker = await source.records.changeMarker(source.org);
  const quietToken = trustedToken(marker, readAt, quietMs);
  const window = { ...fresh(from, saved?.seenThrough ?? null), ...(quietToken && { quietToken }) };
  return { cursor: from, window, quiet: !mustScan(saved?.quietToken, marker) };
}

/** The step's next page of source records after `cursor`: its targeted ids, or what changed. */
export function readPage(
  source: RecordCollection<Data>,
  org: string,
  step: SyncStep,
  cursor: DeltaCursor | null,
  limit: number,
): Promise<ChangedPage<Data>> {
  if (step.ids) return targetedPage(source, org, step.ids, cursor, limit);
  // The orphans' step reads only contacts without an account: on FerretDB the others are then not sent (the
  // read scans the collection either way), and they are not this step's.
  const withoutField = orphanField(step);
  return source.findChangedSince(org, cursor, limit, withoutField === undefined ? {} : { withoutField });
}

/**
 * A targeted step's records as a page: the ids in chunks, the cursor's `id` holding the offset reached (a
 * targeted run saves no delta cursor, so the cursor only resumes the activity after a retry).
 */
async function targetedPage(
  source: RecordCollection<Data>,
  org: string,
  ids: readonly string[],
  after: DeltaCursor | null,
  limit: number,
): Promise<ChangedPage<Data>> {
  const from = after ? Number(after.id) : 0;
  const slice = ids.slice(from, from + limit);
  const found = await source.findByIds(org, slice);
  const to = from + slice.length;
  const next = to < ids.length ? { modifiedTime: new Date(0).toISOString(), id: String(to) } : null;
  return { records: found, next, position: next };
}

/**
 * Saves the step's cursor after a page, never past the settled boundary: what is newer is read again by the
 * next run (delta.ts), which then knows how far this one had read (seenThrough). After the last page, with
 * the change-marker token the step's window vouches for; a read that never found a record keeps its token at
 * the start of the order. Nothing to save (no position, no token): nothing written.
 */
export async function savePosition(
  state: SyncStateStore,
  input: SyncStepInput,
  cursorModule: string,
  window: StepWindow,
  reached: DeltaCursor | null,
  readToEnd: boolean,
): Promise<void> {
  const token = readToEnd ? window.quietToken : undefined;
  const position = reached ?? (token ? START_CURSOR : null);
  if (!position) return;
  const settled = settledCursor(position, new Date(window.settledBefore), window.from);
  const seenThrough =
    window.seenThrough && compareCursors(window.seenThrough, position) > 0 ? window.seenThrough : position;
  if (settled)
    await state.saveCursor(
      input.integrationId,
      cursorModule,
      input.step.direction,
      settled,
      compareCursors(seenThrough, settled) > 0 ? seenThrough : undefined,
      token,
    );
}
