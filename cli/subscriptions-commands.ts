import type { Command } from 'commander';
import { subscriptionsOf } from '../api/subscriptions';
import { IntegrationRefSchema, parseRequest, type SubscriptionOperations } from '../api/types';
import { SEED_PLANS, SEED_USERS, seedSubscriptions } from '../domain/billing/seed';
import { servicesUp } from '../scripts/services';
import { loadConfig } from '../workers/config';
import { createDeps } from '../workers/deps';
import { fields, table } from './format';
import { INTEGRATION_EXIT, guarded, integrationSubcommand, withOperations } from './integration-commands';

/*
 * `subscriptions`: subscriptions in the CRM (issue 19) from the command line, in-process over the same
 * operations as the HTTP API (api/subscriptions.ts): sync billing into the CRM, an account's or a contact's
 * related list or a predefined view, create one from the CRM, the overview and insights reports, and `seed`
 * for the billing side. Tables by default, one JSON document with --json.
 */

interface Flags {
  env: string;
  json?: boolean;
  user?: string;
  account?: string;
  contact?: string;
  view?: string;
  plan?: string;
  quantity?: string;
  trialDays?: string;
  reference?: string;
  asOf?: string;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const perCurrency = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([c, v]) => `${c} ${v}`)
    .join(' · ') || '—';

const refOf = (crmOrgId: string, booksOrgId: string, environment: string) =>
  parseRequest(IntegrationRefSchema, { crmOrgId, booksOrgId, environment }, 'integration');

const withSubscriptions = <T>(work: (subs: SubscriptionOperations) => Promise<T>) =>
  withOperations((ops) => work(subscriptionsOf(ops)));

/** The same JSON as the API with --json, else the text given. */
const output = (flags: Flags, value: unknown, text: () => string) =>
  flags.json ? printJson(value) : print(text());

export function registerSubscriptionCommands(program: Command): void {
  const group = program
    .command('subscriptions')
    .description('billing subscriptions in the CRM: sync, related lists, views, creation, reports')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused));
  const sub = integrationSubcommand(
    group,
    '\n--user is the CRM user (email) whose billing scope applies (S7.3).',
  );

  sub('sync', 'sync every billing subscription into the CRM Subscriptions module (idempotent)').action(
    (crm: string, books: string, flags: Flags) =>
      guarded(async () => {
        const result = await withSubscriptions((s) => s.syncSubscriptions(refOf(crm, books, flags.env)));
        output(flags, result, () => fields(Object.entries(result)));
      }),
  );

  sub('list', "an account's or a contact's subscriptions, or a predefined view")
    .requiredOption('--user <email>', 'the CRM user asking')
    .option('--account <id>', 'the CRM account (its related list)')
    .option('--contact <id>', 'the CRM contact (its related list)')
    .option('--view <name>', 'all, live, trials, non-renewing or cancelled-this-month', 'all')
    .action((crm: string, books: string, flags: Flags) =>
      guarded(async () => {
        const query = { user: flags.user!, account: flags.account, contact: flags.contact, view: flags.view };
        const list = await withSubscriptions((s) =>
          s.listSubscriptions(refOf(crm, books, flags.env), query as never),
        );
        output(flags, list, () =>
          table(
            list.subscriptions.map((r) => ({
              number: r.Subscription_Number,
              status: r.Status,
              account: r.Account_Name?.name ?? '',
              plan: r.Plan_Name,
              amount: `${r.Currency ?? ''} ${r.Amount ?? ''}`,
              mrr: r.MRR,
              next: r.Next_Billing_Date ?? '',
            })),
          ),
        );
      }),
    );

  sub('create', 'create a subscription in billing for a CRM account (the user needs the permission)')
    .requiredOption('--user <email>', 'the CRM user creating it')
    .requiredOption('--account <id>', 'the CRM account, synced to a Books customer')
    .requiredOption('--plan <code>', 'the billing plan code')
    .option('--contact <id>', 'the CRM contact')
    .option('--quantity <n>', 'units of the plan', '1')
    .option('--trial-days <n>', 'days of free trial')
    .option('--reference <key>', 'your key for this creation: the same key again creates nothing')
    .action((crm: string, books: string, flags: Flags) =>
      guarded(async () => {
        const input = {
          user: flags.user!,
          account: flags.account!,
          contact: flags.contact,
          planCode: flags.plan!,
          quantity: Number(flags.quantity),
          trialDays: flags.trialDays === undefined ? undefined : Number(flags.trialDays),
          reference: flags.reference,
        };
        const result = await withSubscriptions((s) =>
          s.createSubscription(refOf(crm, books, flags.env), input),
        );
        output(flags, result, () =>
          fields([
            ['billing id', result.billingId],
            ['CRM id', result.crmId],
            ['written', result.written],
            ['status', result.record.Status],
            ['MRR', `${result.record.Currency ?? ''} ${result.record.MRR ?? ''}`],
          ]),
        );
      }),
    );

  for (const report of ['overview', 'insights'] as const)
    sub(report, `the ${report} report of the last 12 months (S7.2), within the user's scope`)
      .requiredOption('--user <email>', 'the CRM user asking')
      .option('--as-of <date>', 'the report day (YYYY-MM-DD), default today')
      .action((crm: string, books: string, flags: Flags) =>
        guarded(async () => {
          const query = { user: flags.user!, ...(flags.asOf && { asOf: flags.asOf }) };
          if (report === 'overview') {
            const o = await withSubscriptions((s) => s.overview(refOf(crm, books, flags.env), query));
            output(flags, o, () =>
              [
                fields([
                  ['as of', o.asOf],
                  ['active', o.current.active],
                  ['MRR', perCurrency(o.current.mrr)],
                  ['ARR', perCurrency(o.current.arr)],
                ]),
                table(o.months.map((m) => ({ ...m, mrr: perCurrency(m.mrr), arr: perCurrency(m.arr) }))),
              ].join('\n\n'),
            );
          } else {
            const i = await withSubscriptions((s) => s.insights(refOf(crm, books, flags.env), query));
            output(flags, i, () =>
              [
                fields([
                  ['from', i.from],
                  ['churn rate', `${i.churnRate.percent ?? '—'} %`],
                  ['trial conversion', `${i.trialConversion.percent ?? '—'} %`],
                ]),
                table(Object.entries(i.movement).map(([currency, m]) => ({ currency, ...m }))),
                table(i.topPlans.map((p) => ({ ...p }))),
              ].join('\n\n'),
            );
          }
        }),
      );

  group
    .command('seed')
    .description('seed the billing side of a Books org: plans, users, one subscription per Books customer')
    .argument('<booksOrg>', 'the Books org id')
    .option('--count <n>', 'how many subscriptions (one per customer, placeholders past the org’s)', '50')
    .option('--as-of <date>', 'the day they are seeded up to', new Date().toISOString().slice(0, 10))
    .option('--json', 'print one JSON document')
    .action((booksOrg: string, flags: { count: string; asOf: string; json?: boolean }) =>
      guarded(async () => {
        const result = await seedBilling(booksOrg, Number(flags.count), flags.asOf);
        if (flags.json) printJson(result);
        else print(fields(Object.entries(result)));
      }),
    );
}

/** Writes the seed (idempotent: a second seed writes nothing) over the configured or local MongoDB. */
async function seedBilling(booksOrg: string, count: number, asOf: string) {
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error('--count must be 1 … 100000');
  const { app } = loadConfig();
  const uri = app.mongo.uri ?? (await servicesUp(app, (line) => process.stderr.write(`${line}\n`))).mongo.uri;
  const deps = await createDeps({ ...app.mongo, uri });
  try {
    const customers = (
      await deps.booksStore.module('contacts').findChangedSince(booksOrg, null, count)
    ).records
      .filter((c) => !c.deleted && c.data.contact_type === 'customer')
      .map((c) => c.id);
    const ids = Array.from({ length: count }, (_, i) => customers[i] ?? `seed-customer-${i + 1}`);
    const billing = deps.billingStore;
    const plans = await billing.plans.upsertMany(
      booksOrg,
      SEED_PLANS.map((p) => ({ id: p.plan_code, data: p })),
    );
    await billing.users.saveMany(booksOrg, SEED_USERS);
    const subs = await billing.subscriptions.upsertMany(
      booksOrg,
      seedSubscriptions(ids, asOf).map((s) => ({ id: s.subscription_id, data: s })),
    );
    return {
      plans: plans.inserted + plans.updated,
      subscriptions: subs.inserted + subs.updated,
      unchanged: subs.unchanged,
    };
  } finally {
    await deps.close();
  }
}
