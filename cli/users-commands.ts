import type { Command } from 'commander';
import { IntegrationRefSchema, parseRequest } from '../api/types';
import { usersOf, type UserOperations } from '../api/users';
import {
  INTEGRATION_EXIT,
  cliActor,
  guarded,
  integrationSubcommand,
  shortTime,
  withOperations,
} from './integration-commands';
import { fields, table } from './format';
import { groupDigits } from '../domain/sync/labels';
import type { MigrationProgress } from '../domain/users/migration';
import { PROFILE_LABELS } from '../domain/users/profiles';

/*
 * `users`: integration users and their migration (issue 18) from the command line, in-process over the same
 * operations as the HTTP API (api/users.ts). Tables by default, one JSON document with --json; `migrate
 * --wait` prints a progress line per window until the batch ends.
 */

const EXIT_HELP =
  '\nExit status: 0 done; 2 invalid input, not found or refused (nothing changed); ' +
  '3 no worker is running (start it with `npm start`); 4 done, but some users failed; 1 failure.';

/** How often `migrate --wait` asks the batch for its progress. */
const POLL_MS = 1_000;

interface Flags {
  env: string;
  json?: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const progressLine = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const collect = (value: string, previous: string[] = []) => [...previous, value];

function refOf(crmOrgId: string, booksOrgId: string, environment: string) {
  return parseRequest(IntegrationRefSchema, { crmOrgId, booksOrgId, environment }, 'integration');
}

const withUsers = <T>(work: (users: UserOperations) => Promise<T>) =>
  withOperations((ops) => work(usersOf(ops)));

/** "400 done, 2 failed, 598 remaining of 1,000 (window 2 of 5)". */
function progressText(p: MigrationProgress): string {
  return (
    `${p.status}: ${groupDigits(p.done)} done, ${groupDigits(p.failed)} failed, ` +
    `${groupDigits(p.remaining)} remaining of ${groupDigits(p.total)} (window ${p.windowsDone} of ${p.windows})`
  );
}

/** A batch's progress and the users who failed, with their reasons. */
function formatProgress(p: MigrationProgress): string {
  const failed = p.outcomes.filter((o) => o.outcome === 'failed');
  const head = fields([
    ['batch', `${p.booksOrgId}/${p.batchId}`],
    ['status', p.status],
    ['progress', progressText(p)],
  ]);
  if (failed.length === 0) return head;
  return `${head}\n\n${table(failed.map((o) => ({ user: o.crmUserId, reason: o.reason })))}`;
}

/** 4 when users failed: the batch is done, but not everyone moved. */
const exitOf = (p: MigrationProgress) =>
  p.failed > 0 ? INTEGRATION_EXIT.recordsFailed : INTEGRATION_EXIT.ok;

async function waitForBatch(users: UserOperations, ref: ReturnType<typeof refOf>, batchId: string) {
  let last = '';
  for (;;) {
    const p = await users.migrationProgress(ref, batchId);
    const line = progressText(p);
    if (line !== last) progressLine(line);
    last = line;
    if (p.status === 'completed' || p.status === 'cancelled') return p;
    await sleep(POLL_MS);
  }
}

export function registerUserCommands(program: Command): void {
  const group = program
    .command('users')
    .description('integration users, their profile and permissions, and user-migration batches')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused))
    .addHelpText('after', `\nEvery subcommand takes --env production|sandbox and --json.${EXIT_HELP}`);

  const sub = integrationSubcommand(group);

  sub('list', 'the integration users of the Books org, with their role and since when').action(
    (crm: string, books: string, flags: Flags) =>
      guarded(async () => {
        const view = await withUsers((u) => u.listUsers(refOf(crm, books, flags.env)));
        if (flags.json) {
          printJson(view);
          return;
        }
        print(
          fields([
            ['profile', `${view.profile} (${PROFILE_LABELS[view.profile]})`],
            ['places left', groupDigits(view.placesLeft)],
          ]),
        );
        print(
          table(
            view.users.map((u) => ({
              user: u.crmUserId,
              name: u.name,
              email: u.email,
              role: u.role,
              since: shortTime(u.since),
            })),
          ),
        );
      }),
  );

  sub('add', 'make CRM users integration users, by user or by role (at most 1,000 per Books org)')
    .option('--user <id>', 'a CRM user id (repeatable)', collect)
    .option('--role <id>', 'a CRM role id: its users (repeatable)', collect)
    .action((crm: string, books: string, flags: Flags & { user?: string[]; role?: string[] }) =>
      guarded(async () => {
        const ref = refOf(crm, books, flags.env);
        const input = { userIds: flags.user, roleIds: flags.role, actor: cliActor() };
        const p = await withUsers((u) => u.addUsers(ref, input));
        if (flags.json) printJson(p);
        else
          print(table(p.outcomes.map((o) => ({ user: o.crmUserId, outcome: o.outcome, reason: o.reason }))));
        return exitOf(p);
      }),
    );

  sub('remove', 'remove integration users: deletes them from the Books org')
    .requiredOption('--user <id>', 'a CRM user id (repeatable)', collect)
    .action((crm: string, books: string, flags: Flags & { user: string[] }) =>
      guarded(async () => {
        const ref = refOf(crm, books, flags.env);
        const result = await withUsers((u) => u.removeUsers(ref, { userIds: flags.user, actor: cliActor() }));
        if (flags.json) printJson(result);
        else print(`removed ${result.removed} integration user${result.removed === 1 ? '' : 's'}`);
      }),
    );

  sub('profile', "select the org's integration-user profile: finance_default or estimates_legacy")
    .argument(
      '<profile>',
      Object.entries(PROFILE_LABELS)
        .map(([p, l]) => `${p} (${l})`)
        .join('; '),
    )
    .action((crm: string, books: string, profile: string, flags: Flags) =>
      guarded(async () => {
        const result = await withUsers((u) => u.setProfile(refOf(crm, books, flags.env), { profile }));
        if (flags.json) printJson(result);
        else print(`profile ${result.profile}: ${PROFILE_LABELS[result.profile]}`);
      }),
    );

  sub('can', 'may this CRM user do this to a finance module (and these fields)? who, what and why')
    .argument('<crmUserId>', 'the CRM user')
    .argument('<action>', 'view, create, edit or delete')
    .argument('<module>', 'estimates, salesorders, invoices or purchaseorders')
    .option('--field <name>', 'a field the action sets (repeatable)', collect)
    .action(
      (
        crm: string,
        books: string,
        crmUserId: string,
        action: string,
        module: string,
        flags: Flags & { field?: string[] },
      ) =>
        guarded(async () => {
          const input = { crmUserId, action, module, fields: flags.field } as Parameters<
            UserOperations['checkPermission']
          >[1];
          const decision = await withUsers((u) => u.checkPermission(refOf(crm, books, flags.env), input));
          if (flags.json) printJson(decision);
          else
            print(
              decision.allowed
                ? `allowed: ${decision.who} may ${decision.what}${decision.approvalRequired ? ' (approval required)' : ''}`
                : `refused: ${decision.who} may not ${decision.what}: ${decision.why}`,
            );
          return decision.allowed ? INTEGRATION_EXIT.ok : INTEGRATION_EXIT.refused;
        }),
    );

  sub(
    'migrate',
    'start a user-migration batch (at most 1,000 users) under user-migration/{booksOrg}/{batchId}',
  )
    .argument('<batchId>', 'the batch id: a re-run under the same id migrates nobody twice')
    .option('--user <id>', 'a CRM user id (repeatable)', collect)
    .option('--role <id>', 'a CRM role id: its users (repeatable)', collect)
    .option('--window-size <n>', 'users per window (10..1,000; default 200)', Number)
    .option('--wait', 'print a progress line per window until the batch ends')
    .action(
      (
        crm: string,
        books: string,
        batchId: string,
        flags: Flags & { user?: string[]; role?: string[]; windowSize?: number; wait?: boolean },
      ) =>
        guarded(async () => {
          const ref = refOf(crm, books, flags.env);
          const input = {
            batchId,
            userIds: flags.user,
            roleIds: flags.role,
            ...(flags.windowSize !== undefined && { windowSize: flags.windowSize }),
            actor: cliActor(),
          };
          return withUsers(async (u) => {
            const started = await u.startMigration(ref, input);
            if (!flags.wait) {
              if (flags.json) printJson(started);
              else print(`started ${started.workflowId}: ${groupDigits(started.total)} users`);
              return;
            }
            progressLine(`started ${started.workflowId}: ${groupDigits(started.total)} users`);
            const p = await waitForBatch(u, ref, batchId);
            if (flags.json) printJson(p);
            else print(formatProgress(p));
            return exitOf(p);
          });
        }),
    );

  sub('progress', "a batch's progress: done, failed, remaining, and each failed user's reason")
    .argument('<batchId>', 'the batch id')
    .action((crm: string, books: string, batchId: string, flags: Flags) =>
      guarded(async () => {
        const p = await withUsers((u) => u.migrationProgress(refOf(crm, books, flags.env), batchId));
        if (flags.json) printJson(p);
        else print(formatProgress(p));
      }),
    );

  for (const [name, description] of [
    ['pause', 'pause a batch: the window in flight finishes, the next waits for resume'],
    ['resume', 'resume a paused batch'],
    ['cancel', 'cancel a batch: the window in flight finishes, the rest are left untouched'],
  ] as const)
    sub(name, description)
      .argument('<batchId>', 'the batch id')
      .action((crm: string, books: string, batchId: string, flags: Flags) =>
        guarded(async () => {
          const ref = refOf(crm, books, flags.env);
          const result = await withUsers<MigrationProgress | { cancelled: true }>((u) =>
            name === 'pause'
              ? u.pauseMigration(ref, batchId)
              : name === 'resume'
                ? u.resumeMigration(ref, batchId)
                : u.cancelMigration(ref, batchId),
          );
          if (flags.json) printJson(result);
          else print('status' in result ? progressText(result) : `cancel requested for ${batchId}`);
        }),
      );

  sub('window', "start the org's 3-month migration window, or end it now (--now) to migrate early")
    .option('--now', "end the window now: migrate the window's finance users at once")
    .action((crm: string, books: string, flags: Flags & { now?: boolean }) =>
      guarded(async () => {
        const ref = refOf(crm, books, flags.env);
        const state = await withUsers((u) => (flags.now ? u.migrateNow(ref) : u.startMigrationWindow(ref)));
        if (flags.json) printJson(state);
        else
          print(
            fields([
              ['books org', state.booksOrgId],
              ['phase', state.phase],
              ['started', shortTime(state.startedAt)],
              ['ends', shortTime(state.endsAt)],
              ['finance users', state.financeUsers],
              ['batches', state.batches.join(', ')],
            ]),
          );
      }),
    );
}
