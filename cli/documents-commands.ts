import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { documentsOf } from '../api/documents';
import { historyLine } from '../domain/sync/documents/history';
import { IntegrationRefSchema, parseRequest, type DocumentOperations } from '../api/types';
import { INTEGRATION_EXIT, guarded, integrationSubcommand, withOperations } from './integration-commands';
import { fields } from './format';

/*
 * `documents`: CRM finance documents (issue 16) from the command line, in-process over the same operations as
 * the HTTP API (api/documents.ts): write one (its workflow pushes it to Books), show where one stands, start
 * the integration's poller. Fields by default, one JSON document with --json.
 */

interface Flags {
  env: string;
  json?: boolean;
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const show = (value: unknown) => (value === undefined || value === null ? '' : String(value));

function refOf(crmOrgId: string, booksOrgId: string, environment: string) {
  return parseRequest(IntegrationRefSchema, { crmOrgId, booksOrgId, environment }, 'integration');
}

const withDocuments = <T>(work: (documents: DocumentOperations) => Promise<T>) =>
  withOperations((ops) => work(documentsOf(ops)));

export function registerDocumentCommands(program: Command): void {
  const group = program
    .command('documents')
    .description('CRM finance documents (quotes, sales orders, invoices, purchase orders) pushed to Books')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused))
    .addHelpText('after', '\nEvery subcommand takes --env production|sandbox and --json.');

  const sub = integrationSubcommand(group);

  sub('write', 'write a CRM document (JSON file in the CRM API shape) and push it to Books at once')
    .argument('<module>', 'Quotes, Sales_Orders, Invoices or Purchase_Orders')
    .argument('<file>', 'the record as JSON')
    .action((crm: string, books: string, module: string, file: string, flags: Flags) =>
      guarded(async () => {
        const record: unknown = JSON.parse(await readFile(file, 'utf8'));
        const result = await withDocuments((d) =>
          d.writeDocument(refOf(crm, books, flags.env), { module, record } as never),
        );
        if (flags.json) printJson(result);
        else
          print(
            fields([
              ['document', `${result.module} ${result.crmId}`],
              ['written', result.written],
              ['workflow', result.workflowId],
            ]),
          );
      }),
    );

  sub('show', 'where a CRM document stands: its Books document, status, balance and workflow')
    .argument('<module>', 'Quotes, Sales_Orders, Invoices or Purchase_Orders')
    .argument('<id>', 'the CRM record id')
    .action((crm: string, books: string, module: string, id: string, flags: Flags) =>
      guarded(async () => {
        const view = await withDocuments((d) => d.document(refOf(crm, books, flags.env), module, id));
        if (flags.json) printJson(view);
        else
          print(
            fields([
              ['document', `${view.module} ${view.crmId}`],
              ['Books document', show(view.booksId)],
              ['status', show(view.crm.Status)],
              ['total', show(view.crm.Grand_Total)],
              ['balance', show(view.crm.Balance)],
              ['paid', show(view.crm.Payment_Made)],
              ['workflow', `${view.workflowId} (${view.workflow ? view.workflow.phase : 'not running'})`],
              ['history', view.history.length === 0 ? '(none)' : ''],
              ...view.history.map((entry): [string, string] => ['', historyLine(entry)]),
            ]),
          );
      }),
    );

  sub('poller', "start the integration's poller of the CRM finance modules (idempotent)").action(
    (crm: string, books: string, flags: Flags) =>
      guarded(async () => {
        const result = await withDocuments((d) => d.startPoller(refOf(crm, books, flags.env)));
        if (flags.json) printJson(result);
        else print(`${result.workflowId} ${result.started ? 'started' : 'already running'}`);
      }),
  );
}
