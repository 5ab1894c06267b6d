import type { Command } from 'commander';
import { CreateSandboxInputSchema, sandboxOf, type SandboxOperations } from '../api/sandbox';
import { IntegrationRefSchema, parseRequest } from '../api/types';
import { INTEGRATION_EXIT, guarded, integrationSubcommand, withOperations } from './integration-commands';

/*
 * `sandboxes`: the sandbox (S8) from the command line, in-process over the same operations as the HTTP API
 * (api/sandbox.ts): create a CRM or Books sandbox of a production org, and the deployment that is refused.
 * A sandbox integration itself is enabled like any other: `integrations enable … --env sandbox`.
 */

const EXIT_HELP =
  '\nExit status: 0 done; 2 invalid input, not found or refused (nothing changed); 1 failure.';

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const withSandbox = <T>(work: (sandbox: SandboxOperations) => Promise<T>) =>
  withOperations((ops) => work(sandboxOf(ops)));

export function registerSandboxCommands(program: Command): void {
  const group = program
    .command('sandboxes')
    .description(
      'sandbox orgs (S8): one Books sandbox per Books org; a sandbox integrates only with a sandbox',
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused))
    .addHelpText('after', EXIT_HELP);

  group
    .command('create')
    .description('create the sandbox of a production org: its settings, no records, no integration (S8.5)')
    .argument('<side>', 'crm or books')
    .argument('<parentOrg>', 'the production org id')
    .argument('<sandboxOrg>', "the sandbox's own org id")
    .option('--json', 'print one JSON document')
    .action((side: string, parentOrgId: string, sandboxOrgId: string, flags: { json?: boolean }) =>
      guarded(async () => {
        const input = parseRequest(CreateSandboxInputSchema, { side, parentOrgId, sandboxOrgId }, 'sandbox');
        const result = await withSandbox((sandbox) => sandbox.createSandbox(input));
        if (flags.json) printJson(result);
        else
          print(
            `${result.created ? 'created' : 'already there:'} ${side} sandbox ${result.sandboxOrgId} of ` +
              `${result.parentOrgId}`,
          );
      }),
    );

  integrationSubcommand(group, EXIT_HELP)(
    'deploy',
    'refused: a sandbox integration is never deployed to production, nor production copied in (S8.4, S8.5)',
  ).action((crmOrgId: string, booksOrgId: string, flags: { env: string }) =>
    guarded(async () => {
      const ref = parseRequest(
        IntegrationRefSchema,
        { crmOrgId, booksOrgId, environment: flags.env },
        'integration',
      );
      await withSandbox((sandbox) => sandbox.deploy(ref));
    }),
  );
}
