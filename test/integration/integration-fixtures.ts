/** Fixtures shared by the integration-lifecycle tests (operations, HTTP API, CLI). */

/** A valid CRM account in USD, with `extra` fields over it (e.g. a currency Books lacks, to make it fail). */
export const account = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  Account_Name: name,
  Phone: '+1 555 0100',
  Billing_City: 'Springfield',
  Billing_Country: 'USA',
  Currency: 'USD',
  ...extra,
});

/** Accounts both ways (skip duplicates), vendors fetched, items both ways (overwrite). */
export const INTEGRATION_CONFIG = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: { extent: 'both_ways', duplicatePolicy: 'overwrite' },
} as const;

/** Polls `probe` until it returns a value; fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
