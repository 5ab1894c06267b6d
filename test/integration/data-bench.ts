import { createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { openDataStores, runExport, type DataStores, type ExportReport } from '../../cli/data/commands';
import type { RecordCollection } from '../../stores/record-store';
import { integrationEndpoints, unique } from '../helpers';

type Data = Record<string, unknown>;

/**
 * The CRM and Books stores over fresh databases of the real Mongo-wire server, a temp dir, and what the
 * import/export tests read back with. `open` in a beforeAll, `close` in an afterAll.
 */
export interface DataBench {
  mongo: MongoClient;
  mongoUri: string;
  stores: DataStores;
  dbs: { crm: string; books: string };
  dir: string;
  /** Orgs that exist: CRM with multi-currency on (currencies unchecked); Books in USD with EUR enabled. */
  withOrgs(system: 'crm' | 'books', ...orgs: string[]): Promise<void>;
  /** Every live record's data of a module and org, by id, exactly as stored (modified times included). */
  contentOf(system: 'crm' | 'books', module: string, org: string): Promise<Record<string, Data>>;
  /** Exports a module of an org to a file of the temp dir, two records per page read. */
  exportToFile(
    system: 'crm' | 'books',
    module: string,
    org: string,
    format: 'api' | 'ndjson',
  ): Promise<{ report: ExportReport; file: string; text: string }>;
  close(): Promise<void>;
}

export async function openDataBench(prefix: string): Promise<DataBench> {
  const { mongoUri } = integrationEndpoints();
  const dbs = {
    crm: unique(`${prefix}_crm`).replace(/-/g, '_'),
    books: unique(`${prefix}_books`).replace(/-/g, '_'),
  };
  const mongo = await MongoClient.connect(mongoUri);
  const stores = await openDataStores(mongo, { crmDb: dbs.crm, booksDb: dbs.books });
  const dir = await fs.mkdtemp(path.join(tmpdir(), `cbs-${prefix}-`));

  const collectionOf = (system: 'crm' | 'books', module: string) =>
    (system === 'crm'
      ? stores.crm.module(module as 'Accounts')
      : stores.books.module(module as 'contacts')) as unknown as RecordCollection<Data>;

  return {
    mongo,
    mongoUri,
    stores,
    dbs,
    dir,
    async withOrgs(system, ...orgs) {
      for (const org of orgs) {
        if (system === 'crm')
          await stores.crm.saveOrg({
            id: org,
            company_name: 'Zylker Inc',
            edition: 'ENTERPRISE',
            mc_status: true,
            iso_code: 'USD',
          });
        else {
          await stores.books.saveOrganization({ organization_id: org, name: 'Zylker', currency_code: 'USD' });
          await stores.books.saveCurrencies(org, [
            { currency_id: 'c-usd', currency_code: 'USD', price_precision: 2, is_base_currency: true },
            { currency_id: 'c-eur', currency_code: 'EUR', price_precision: 2, is_base_currency: false },
          ]);
        }
      }
    },
    async contentOf(system, module, org) {
      const out: Record<string, Data> = {};
      let after = null;
      for (;;) {
        const page = await collectionOf(system, module).findChangedSince(org, after, 2);
        for (const r of page.records) if (!r.deleted) out[r.id] = r.data;
        if (!page.next) return out;
        after = page.next;
      }
    },
    async exportToFile(system, module, org, format) {
      const file = path.join(dir, `${system}-${module}-${org}.${format === 'api' ? 'json' : 'ndjson'}`);
      const out = createWriteStream(file);
      const report = await runExport({ system, module, org, format, out, stores, pageSize: 2 });
      out.end();
      await once(out, 'finish');
      return { report, file, text: await fs.readFile(file, 'utf8') };
    },
    async close() {
      await mongo.db(dbs.crm).dropDatabase();
      await mongo.db(dbs.books).dropDatabase();
      await mongo.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
