import type { Command } from 'commander';
import { IntegrationRefSchema, parseRequest } from '../api/types';
import type { VerifyProblem, VerifyReport } from '../domain/verify';
import { guarded, INTEGRATION_EXIT, withOperations } from './integration-commands';

/*
 * `crm-books-sync verify <crmOrg> <booksOrg>`: the integration's stores compared under its mapping
 * (domain/verify.ts), for operators and scripts. A summary and one line per problem, or the report as one
 * JSON document with --json.
 */

/** Problems listed in the human output; --json has them all. */
export const VERIFY_LIST_LIMIT = 50;

const VERIFY_HELP =
  '\nExit status: 0 the stores agree (nothing unlinked, unequal, linked twice or dangling); 1 problems found ' +
  '(or a server failure); 2 invalid input or no such integration.';

/** One problem on one line: its kind and module, then the detail (which names the records and values). */
function problemLine(p: VerifyProblem): string {
  return `${p.problem.padEnd(13)} ${p.module}: ${p.detail}`;
}

/** The report for a person: the verdict, what was looked at, what rules left out, then the problems. */
export function formatVerifyReport(report: VerifyReport, limit = VERIFY_LIST_LIMIT): string {
  const { checked } = report;
  const counts = new Map<string, number>();
  for (const p of report.problems) counts.set(p.problem, (counts.get(p.problem) ?? 0) + 1);
  const lines = [
    `${report.integrationId}: ${
      report.ok
        ? 'the stores agree'
        : `${report.problems.length} problem(s) (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')})`
    }`,
    `checked ${checked.crm} CRM record(s), ${checked.books} Books record(s), ${checked.links} link(s)`,
  ];
  const rules = Object.entries(report.excluded);
  if (rules.length > 0) {
    lines.push('excluded by rule:');
    for (const [rule, n] of rules) lines.push(`  ${rule} ${n}: ${report.rules[rule] ?? ''}`.trimEnd());
  }
  if (report.problems.length > 0) {
    lines.push('', ...report.problems.slice(0, limit).map(problemLine));
    const more = report.problems.length - limit;
    if (more > 0) lines.push(`… and ${more} more (--json lists them all)`);
  }
  return lines.join('\n');
}

/** Adds `verify` to the CLI. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      "compare the CRM and Books stores under the integration's mapping: unlinked, unequal, doubly linked " +
        "and dangling records (the sync's own decisions are not used to judge)",
    )
    .argument('<crmOrg>', 'the CRM org id')
    .argument('<booksOrg>', 'the Books org id')
    .option('--env <environment>', 'production or sandbox', 'production')
    .option('--json', 'print the report as one JSON document')
    .addHelpText('after', VERIFY_HELP)
    .action((crmOrg: string, booksOrg: string, flags: { env: string; json?: boolean }) =>
      guarded(async () => {
        const ref = parseRequest(
          IntegrationRefSchema,
          { crmOrgId: crmOrg, booksOrgId: booksOrg, environment: flags.env },
          'integration',
        );
        const report = await withOperations((ops) => ops.verify(ref));
        process.stdout.write(`${flags.json ? JSON.stringify(report) : formatVerifyReport(report)}\n`);
        return report.ok ? INTEGRATION_EXIT.ok : INTEGRATION_EXIT.failed;
      }),
    );
}
