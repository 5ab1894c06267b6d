import { cacheDir } from '../../scripts/paths';
import { provisionTestServer } from '../../scripts/provision';
import { shareWorkflowBundle } from './workflow-bundle';

/**
 * Provisions the time-skipping test server binary into the cache and hands its path to the workflow tests
 * (CBS_TEST_SERVER_PATH). When that fails the tests let the SDK download its own.
 */
export default async function workflowSetup(): Promise<void> {
  const binary = await provisionTestServer(cacheDir(), (line) =>
    process.stderr.write(`[workflow] ${line}\n`),
  );
  if (binary) {
    process.env.CBS_TEST_SERVER_PATH = binary.path;
    process.stderr.write(
      `\n[workflow] time-skipping test server ${binary.version}: ${binary.path} (${binary.source})\n`,
    );
  }
  await shareWorkflowBundle((line) => process.stderr.write(`[workflow] ${line}\n`));
}
