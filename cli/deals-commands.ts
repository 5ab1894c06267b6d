import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  dealsOf,
  WriteDealInputSchema,
  type DealOperations,
  type DealWriteResult,
  type EditDealInput,
} from '../api/deals';
import { IntegrationRefSchema, parseRequest } from '../api/types';
import type { DealDecisionDoc } from '../domain/deals/records';
import { INTEGRATION_EXIT, guarded, withOperations } from './integration-commands';
import { fields, table } from './format';

/*
 * `deals`: deal automation (issue 17) from the command line, in-process over the same operations as the HTTP
 * API (api/deals.ts): the integration's rules, writing and editing deals (each signals the deal's workflow),
 * and what the automation did — documents and decision records. Fields or tables by default, JSON with --json.
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

  const sub = (name: string, description: string) =>
    group
      .command(name)
      .description(description)
      .argument('<crmOrg>', 'the CRM org id')
      .argument('<booksOrg>', 'the Books org id')
      .option('--env <environment>', 'production or sandbox', 'production')
      .option('--json', 'print one JSON document');

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
}
