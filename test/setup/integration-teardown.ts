/** Stops the servers integration-setup started (nothing, when they were external). */
export default async function integrationTeardown(): Promise<void> {
  const services = (globalThis as { __cbsServices?: { stop(): Promise<void> } }).__cbsServices;
  await services?.stop();
}
