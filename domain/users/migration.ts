import { groupDigits } from '../sync/labels';
import type { AddOutcome } from './integration-users';
import { FINANCE_MODULES } from './permissions';

/*
 * The user-migration batch (S6.5): existing integrations move their users to integration users, up to 1,000
 * per batch, in windows; automatically after a 3-month window for the users who used the finance modules.
 * The rules are pure so the workflow (deterministic) and the operations share them.
 */

export const MAX_BATCH_USERS = 1_000;
/** Users per window: one activity reads once per collection and writes in commands of at most 50. */
export const DEFAULT_WINDOW_SIZE = 200;
/**
 * Fewest users per window: a batch then has at most 100 windows, about 6 history events each, so its single
 * execution stays far below 2,000 events without continue-as-new.
 */
export const MIN_WINDOW_SIZE = 10;
export const MIGRATION_WINDOW_MONTHS = 3;

export type MigrationOutcomeName = 'migrated' | 'already_migrated' | 'failed';
export interface UserOutcome {
  crmUserId: string;
  outcome: MigrationOutcomeName;
  reason?: string;
}

export type MigrationStatus = 'running' | 'paused' | 'completed' | 'cancelled';

export interface MigrationProgress {
  booksOrgId: string;
  batchId: string;
  status: MigrationStatus;
  total: number;
  /** Migrated now or before (already integration users). */
  done: number;
  failed: number;
  remaining: number;
  windowsDone: number;
  windows: number;
  /** Every user handled so far, in order, with their outcome and the reason of a failure. */
  outcomes: UserOutcome[];
}

/** Why a batch of these users is refused (too many); undefined when it may run. */
export function batchProblem(userIds: readonly string[]): string | undefined {
  const count = new Set(userIds).size;
  if (count === 0) return 'the batch names no users';
  if (count <= MAX_BATCH_USERS) return undefined;
  return (
    `a batch takes at most ${groupDigits(MAX_BATCH_USERS)} users, this one has ${groupDigits(count)}: ` +
    `split it into ${Math.ceil(count / MAX_BATCH_USERS)} batches of up to ${groupDigits(MAX_BATCH_USERS)}`
  );
}

/** Consecutive slices of at most `size` (windows of a batch, batches of an automatic migration). */
export function slicesOf<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices;
}

/** The window size a batch runs with: the one asked for, kept within MIN_WINDOW_SIZE..MAX_BATCH_USERS. */
export function windowSizeOf(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return DEFAULT_WINDOW_SIZE;
  return Math.min(MAX_BATCH_USERS, Math.max(MIN_WINDOW_SIZE, Math.trunc(requested)));
}

/** A requested user's migration outcome from the add rule's. */
export function migrationOutcomeOf(add: AddOutcome): UserOutcome {
  if (add.outcome === 'added') return { crmUserId: add.crmUserId, outcome: 'migrated' };
  if (add.outcome === 'already_integration_user')
    return { crmUserId: add.crmUserId, outcome: 'already_migrated' };
  return { crmUserId: add.crmUserId, outcome: 'failed', reason: add.reason };
}

/** The progress of a batch from its outcomes so far. */
export function progressOf(input: {
  booksOrgId: string;
  batchId: string;
  status: MigrationStatus;
  total: number;
  windows: number;
  windowsDone: number;
  outcomes: UserOutcome[];
}): MigrationProgress {
  const failed = input.outcomes.filter((o) => o.outcome === 'failed').length;
  const done = input.outcomes.length - failed;
  return { ...input, done, failed, remaining: input.total - input.outcomes.length };
}

/** The batch's current details in the Temporal UI. */
export function migrationDetails(p: MigrationProgress): string {
  const head =
    p.status === 'running'
      ? `Migrating users: window ${Math.min(p.windowsDone + 1, p.windows)} of ${p.windows}`
      : `${p.status[0]!.toUpperCase()}${p.status.slice(1)}`;
  const lines = [
    `${head} · ${groupDigits(p.done)} done, ${groupDigits(p.failed)} failed, ${groupDigits(p.remaining)} remaining of ${groupDigits(p.total)}`,
  ];
  const failures = p.outcomes.filter((o) => o.outcome === 'failed').slice(0, 10);
  for (const f of failures) lines.push(`- ${f.crmUserId}: ${f.reason ?? 'failed'}`);
  return lines.join('\n');
}

/** A window's activity summary: "users 201–400 of 1,000". */
export function windowSummary(first: number, count: number, total: number): string {
  return `users ${groupDigits(first + 1)}–${groupDigits(first + count)} of ${groupDigits(total)}`;
}

/**
 * The end of the migration window that started at `startIso`: three calendar months later (UTC), clamped to
 * the month's last day (30 Nov + 3 months = 28/29 Feb).
 */
export function migrationWindowEnd(startIso: string, months = MIGRATION_WINDOW_MONTHS): string {
  const start = new Date(startIso);
  if (Number.isNaN(start.getTime())) throw new Error(`not an ISO time: ${JSON.stringify(startIso)}`);
  const end = new Date(start);
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return end.toISOString();
}

/** An audit entry as the finance-usage rule reads it. */
export interface UsageEntry {
  actor: { type: string; id: string };
  entity?: string | undefined;
  outcome: string;
}

const FINANCE_ENTITIES = new Set<string>(FINANCE_MODULES);

/**
 * The CRM users who used the finance modules, from audit entries of the window: entries a user (not the
 * system or a workflow) made on a finance module's document (entity estimates, salesorders, invoices or
 * purchaseorders), whatever their outcome — a refused attempt is use too. In first-use order.
 */
export function financeUsersIn(entries: readonly UsageEntry[]): string[] {
  const users = entries
    .filter((e) => e.actor.type === 'user' && e.entity !== undefined && FINANCE_ENTITIES.has(e.entity))
    .map((e) => e.actor.id);
  return [...new Set(users)];
}
