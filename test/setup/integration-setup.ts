import { provisionChromium } from '../../scripts/provision';
import { startEphemeralServices } from '../../scripts/services';
import { loadConfig } from '../../workers/config';
import { shareWorkflowBundle } from './workflow-bundle';

/**
 * Starts a real Temporal dev server and a real Mongo-wire server for the integration tests (free ports, data in
 * a temp dir), unless TEMPORAL_ADDRESS / MONGODB_URI point at servers already. Tests read the endpoints from
 * CBS_TEST_TEMPORAL_ADDRESS and CBS_TEST_MONGODB_URI. The pages the service serves are checked in a headless
 * Chromium, provisioned here too (CHROMIUM_PATH).
 */
export default async function integrationSetup(): Promise<void> {
  const { app } = loadConfig();
  const t0 = Date.now();
  const progress = (line: string) => process.stderr.write(`[integration] ${line}\n`);
  // First, so that a machine without one fails before any server is started (and left running).
  process.env.CHROMIUM_PATH = await provisionChromium(progress);
  const services = await startEphemeralServices({
    config: app,
    need: { temporal: true, mongo: true },
    progress,
  });
  (globalThis as { __cbsServices?: typeof services }).__cbsServices = services;
  process.env.CBS_TEST_TEMPORAL_ADDRESS = services.temporal?.address;
  process.env.CBS_TEST_MONGODB_URI = services.mongo?.uri;
  process.stderr.write(
    `\n[integration] servers ready in ${Date.now() - t0} ms\n` +
      `[integration] Temporal: ${services.temporal?.description}\n` +
      `[integration] MongoDB:  ${services.mongo?.description}\n`,
  );
  await shareWorkflowBundle(progress);
}
