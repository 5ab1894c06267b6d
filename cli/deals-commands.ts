import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  dealsOf,
  WriteDealInputSchema,
  type DealOperations,
  type DealWriteResult,
  type EditDealInput,
} from '../api/deals';
import { IntegrationRefSchema, parseRequest, type IntegrationRef, type OfferedDealsView } from '../api/types';
import type { DealDecisionDoc } from '../domain/deals/records';
import type { CrmStore } from '../stores/crm-store';
import { INTEGRATION_EXIT, guarded, integrationSubcommand, withOperations } from './integration-commands';
import { fields, table } from './format';

/*
 * `deals`: deal automation (issue 17) from the command line, in-process over the same operations as the HTTP
 * API (api/deals.ts): the integration's rules, writing and editing deals (each signals the deal's workflow),
 * what the automation did — documents and decision records — and deals associated with Books documents
 * (S4.3). Fields or tables by default, JSON with --json.
 */

interface Flags {
  env: string;
  json?: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function refOf(crmOrgId: string, booksOrgId: string, environment: string) {
  return parseRequest(IntegrationRefSchema, { crmOrgId, booksOrgId, environment }, 'integration');
}

const withDeals = <T>(work: (deals: DealOperations) => Promise<T>) =>
  withOperations((ops) => work(dealsOf(ops)));

/** What a deal write or edit did: the deal, whether it was written, the workflow signalled. */
function printWrite(result: DealWriteResult, flags: Flags): void {
  if (flags.json) printJson(result);
  else
    print(
      fields([
        ['deal', result.dealId],
        ['written', result.written],
        ['workflow', result.workflowId],
      ]),
    );
}

/** Decision records as a table: when, rule, stage, what it did and why. */
export function decisionTable(decisions: readonly DealDecisionDoc[]): string {
  return table(
    decisions.map((d) => ({
      time: d.decidedTime.toISOString(),
      deal: d.dealId,
      rule: d.ruleId,
      stage: `${d.inputs.stage} (${d.inputs.probability ?? '—'}%)`,
      outcome: d.fired ? d.action : 'not fired',
      reason: d.reason,
    })),
  );
}

export function registerDealCommands(program: Command): void {
  const group = program
    .command('deals')
    .description('deal-stage automation: rules, deal edits, and the quotes and invoices they make in Books')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused))
    .addHelpText('after', '\nEvery subcommand takes --env production|sandbox and --json.');

  const sub = integrationSubcommand(group);

  sub('rules', "show the integration's deal rules, or replace them with --set <file>")
    .option('--set <file>', 'a JSON file {"rules": [{"id", "mode": "quote"|"invoice", …}]}')
    .action((crm: string, books: string, flags: Flags & { set?: string }) =>
      guarded(async () => {
        const ref = refOf(crm, books, flags.env);
        const body: unknown = flags.set ? JSON.parse(await readFile(flags.set, 'utf8')) : undefined;
        const result = await withDeals((d) => (flags.set ? d.setRules(ref, body) : d.rules(ref)));
        if (flags.json) printJson(result);
        else print(table(result.rules.map((r) => ({ ...r }))));
      }),
    );

  sub('write', 'write a CRM deal (JSON file in the CRM API shape) and run its automation')
    .argument('<file>', 'the deal as JSON')
    .action((crm: string, books: string, file: string, flags: Flags) =>
      guarded(async () => {
        const record: unknown = JSON.parse(await readFile(file, 'utf8'));
        const input = parseRequest(WriteDealInputSchema, { record }, 'deal');
        const result = await withDeals((d) => d.writeDeal(refOf(crm, books, flags.env), input));
        printWrite(result, flags);
      }),
    );

  sub('edit', "change a deal's stage, amount, owner or account and run its automation")
    .argument('<dealId>', 'the CRM deal id')
    .option('--stage <stage>', 'the new stage')
    .option('--amount <amount>', 'the new amount', Number)
    .option('--owner <userId>', 'the new owner (CRM user id)')
    .option('--account <accountId>', 'the new account (CRM account id)')
    .action(
      (
        crm: string,
        books: string,
        dealId: string,
        flags: Flags & { stage?: string; amount?: number; owner?: string; account?: string },
      ) =>
        guarded(async () => {
          const edit: EditDealInput = {
            ...(flags.stage !== undefined && { stage: flags.stage }),
            ...(flags.amount !== undefined && { amount: flags.amount }),
            ...(flags.owner !== undefined && { owner: { id: flags.owner } }),
            ...(flags.account !== undefined && { account: { id: flags.account } }),
          };
          const result = await withDeals((d) => d.editDeal(refOf(crm, books, flags.env), dealId, edit));
          printWrite(result, flags);
        }),
    );

  sub('show', 'a deal: its stage, the Books documents its rules made, its decision records')
    .argument('<dealId>', 'the CRM deal id')
    .action((crm: string, books: string, dealId: string, flags: Flags) =>
      guarded(async () => {
        const view = await withDeals((d) => d.deal(refOf(crm, books, flags.env), dealId));
        if (flags.json) {
          printJson(view);
          return;
        }
        print(
          fields([
            ['deal', `${view.dealId} ${view.deal.Deal_Name}`],
            ['stage', view.deal.Stage],
            ['amount', view.deal.Amount],
            ['documents', view.documents.map((d) => `${d.kind} ${d.number} (rule ${d.ruleId})`).join(', ')],
            ['workflow', `${view.workflowId} (${view.workflow ? view.workflow.phase : 'not running'})`],
          ]),
        );
        print(decisionTable(view.decisions));
      }),
    );

  sub('decisions', "the integration's decision records, newest first")
    .option('--limit <n>', 'at most this many', Number)
    .action((crm: string, books: string, flags: Flags & { limit?: number }) =>
      guarded(async () => {
        const query = flags.limit !== undefined ? { limit: flags.limit } : {};
        const decisions = await withDeals((d) => d.decisions(refOf(crm, books, flags.env), query));
        if (flags.json) printJson(decisions);
        else print(decisionTable(decisions));
      }),
    );

  registerAssociationCommands(sub);
}

/** Deals offered for a document, or a customer's deals: deleted ones marked (they come last). */
function printOffered(result: OfferedDealsView, flags: Flags): void {
  if (flags.json) printJson(result);
  else
    print(
      table(result.deals.map((d) => ({ deal: d.dealId, name: d.name, deleted: d.deleted ? 'yes' : '' }))),
    );
}

/** `deals associate|dissociate|associations|search|of-customer`: deals with Books documents (S4.3). */
function registerAssociationCommands(sub: ReturnType<typeof integrationSubcommand>): void {
  const KINDS = 'estimate, salesorder, invoice or expense';
  /** A subcommand naming one association: the deal, the document's kind and its Books id. */
  const ofAssociation = (name: string, description: string) =>
    sub(name, description)
      .argument('<dealId>', 'the CRM deal id')
      .argument('<kind>', KINDS)
      .argument('<booksId>', 'the Books document id');

  ofAssociation('associate', 'associate a deal with a Books document of its customer').action(
    (crm: string, books: string, dealId: string, kind: string, booksId: string, flags: Flags) =>
      guarded(async () => {
        const made = await withDeals((d) =>
          d.associate(refOf(crm, books, flags.env), dealId, { kind, booksId }),
        );
        if (flags.json) printJson(made);
        else
          print(
            fields([['associated', `${made.kind} ${made.number} (${made.created ? 'new' : 'already'})`]]),
          );
      }),
  );

  ofAssociation('dissociate', 'undo an association made by a user (a trigger-made one is refused)').action(
    (crm: string, books: string, dealId: string, kind: string, booksId: string, flags: Flags) =>
      guarded(async () => {
        const result = await withDeals((d) =>
          d.dissociate(refOf(crm, books, flags.env), dealId, kind, booksId),
        );
        if (flags.json) printJson(result);
        else print(fields([['dissociated', result.removed ? 'yes' : 'there was no such association']]));
      }),
  );

  sub('associations', "a deal's Books documents: made by its triggers or by users")
    .argument('<dealId>', 'the CRM deal id')
    .action((crm: string, books: string, dealId: string, flags: Flags) =>
      guarded(async () => {
        const result = await withDeals((d) => d.associations(refOf(crm, books, flags.env), dealId));
        if (flags.json) printJson(result);
        else print(table(result.associations.map((a) => ({ ...a }))));
      }),
    );

  sub('search', "live deals of a Books document's customer whose name contains <name>")
    .argument('<kind>', KINDS)
    .argument('<booksId>', 'the Books document id')
    .argument('<name>', 'part of the deal name')
    .option('--limit <n>', 'at most this many', Number)
    .action(
      (
        crm: string,
        books: string,
        kind: string,
        booksId: string,
        name: string,
        flags: Flags & { limit?: number },
      ) =>
        guarded(async () => {
          const query = { kind, booksId, name, ...(flags.limit !== undefined && { limit: flags.limit }) };
          printOffered(await withDeals((d) => d.searchDeals(refOf(crm, books, flags.env), query)), flags);
        }),
    );

  sub('of-customer', 'every deal of a Books customer, deleted deals last')
    .argument('<customerId>', 'the Books customer id')
    .action((crm: string, books: string, customerId: string, flags: Flags) =>
      guarded(async () => {
        printOffered(
          await withDeals((d) => d.customerDeals(refOf(crm, books, flags.env), customerId)),
          flags,
        );
      }),
    );
}

/** What the demo's deal-to-invoice step shows: the invoice that appeared and the decision that made it. */
export interface DealDemoResult {
  dealId: string;
  invoice: string | null;
  decision: string | null;
  elapsedMs: number;
}

/** The demo deal's pipeline: won and lost by probability (S5.5). */
const DEMO_PIPELINE = {
  id: 'demo-pipeline',
  display_value: 'Demo',
  default: true,
  maps: [
    { display_value: 'Qualification', probability: 10 },
    { display_value: 'Closed Won', probability: 100 },
    { display_value: 'Closed Lost', probability: 0 },
  ],
};

/**
 * The demo's deal-to-invoice step (for cli/demo.ts): an invoice rule, a deal of `accountId` written and then
 * won through the operations, and the wait until its invoice is in Books. Not idempotent across runs by
 * design of the demo (a new deal id each time); fails only on an operation's refusal.
 */
export async function demoDealToInvoice(input: {
  deals: DealOperations;
  crm: Pick<CrmStore, 'savePipelines'>;
  ref: IntegrationRef;
  accountId: string;
  timeoutMs?: number;
}): Promise<DealDemoResult> {
  const { deals, ref } = input;
  const started = Date.now();
  // Its own pipeline, named by the deal, whatever pipelines the org has (saved idempotently).
  await input.crm.savePipelines(ref.crmOrgId, [DEMO_PIPELINE]);
  await deals.setRules(ref, { rules: [{ id: 'demo', mode: 'invoice' }] });
  const dealId = `demo-deal-${started}`;
  await deals.writeDeal(ref, {
    record: {
      id: dealId,
      Deal_Name: 'Demo: 12 seats',
      Stage: 'Qualification',
      Pipeline: DEMO_PIPELINE.display_value,
      Amount: 4800,
      Account_Name: { id: input.accountId },
    },
  });
  await deals.editDeal(ref, dealId, { stage: 'Closed Won' });
  const deadline = started + (input.timeoutMs ?? 60_000);
  for (;;) {
    const view = await deals.deal(ref, dealId);
    const invoice = view.documents.find((d) => d.kind === 'invoice' && d.written);
    const decision = view.decisions.find((d) => d.fired) ?? view.decisions[0];
    if (invoice || Date.now() > deadline)
      return {
        dealId,
        invoice: invoice?.number ?? null,
        decision: decision ? `${decision.fired ? decision.action : 'not fired'}: ${decision.reason}` : null,
        elapsedMs: Date.now() - started,
      };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
