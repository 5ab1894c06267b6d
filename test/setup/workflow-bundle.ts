import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';

/** Where a jest run's global setup leaves the bundled workflows for its test files to share. */
const BUNDLE_ENV = 'CBS_TEST_WORKFLOW_BUNDLE';

function bundle(): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
}

/**
 * Bundles the workflows once for the whole jest run (a global setup's step) and hands the file to the test
 * files through CBS_TEST_WORKFLOW_BUNDLE. Bundling takes 3–6 s on this machine; the workflow and integration
 * projects create some 40 workers, each of which used to bundle on its own. The file is removed when jest's
 * process exits. A second project's setup in the same run finds it already there.
 */
export async function shareWorkflowBundle(progress: (line: string) => void): Promise<void> {
  if (process.env[BUNDLE_ENV]) return;
  const t0 = Date.now();
  const file = path.join(tmpdir(), `crm-books-sync-workflows-${process.pid}.js`);
  writeFileSync(file, (await bundle()).code);
  process.on('exit', () => rmSync(file, { force: true }));
  process.env[BUNDLE_ENV] = file;
  progress(`workflows bundled once for this run in ${Date.now() - t0} ms: ${file}`);
}

let ownBundle: Promise<{ code: string }> | undefined;

/**
 * The bundle a test's worker runs: the run's shared file, or — for a file run outside the projects' global
 * setup — one bundle made for this test file and kept for its other workers.
 */
export function testWorkflowBundle(): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const shared = process.env[BUNDLE_ENV];
  if (shared) return Promise.resolve({ codePath: shared });
  ownBundle ??= bundle();
  return ownBundle;
}
