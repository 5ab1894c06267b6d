import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import {
  DATA_EXIT,
  formatImportReport,
  registerDataCommands,
  runImport,
  type DataStores,
  type ImportOptions,
} from '../../cli/data/commands';
import { BOOKS_ID_KEYS, BOOKS_RECORD_KEYS } from '../../domain/books-schemas';
import { idsAsText, readImportFile, type ImportShape } from '../../domain/import-files';
import { splitDollarKeys } from '../../domain/safe-keys';
import { LATE_WRITE_MS } from '../../stores/delta';
import { createBooksStore } from '../../stores/books-store';
import { openDataBench, type DataBench } from './data-bench';

const SHAPES = path.join(__dirname, '..', 'fixtures', 'shapes');

// FerretDB v1 writes are slow (ARCHITECTURE §3).
jest.setTimeout(120_000);

type Data = Record<string, unknown>;

/**
 * Real Zoho payloads in and out without loss (issue 14), and an import that checks its org (issue 15): every
 * response shape, merged over fuller records, the source's modified time kept, every problem reported, ids
 * given as numbers, currencies checked; on the real Mongo-wire server.
 */
describe('importing real API payloads', () => {
  let data: DataBench;
  let stores: DataStores;
  let dir: string;

  beforeAll(async () => {
    data = await openDataBench('shp');
    ({ stores, dir } = data);
  });

  afterAll(async () => {
    await data?.close();
  });

  const withOrgs = (system: 'crm' | 'books', ...orgs: string[]) => data.withOrgs(system, ...orgs);

  const shapeOf = (system: 'crm' | 'books', module: string): ImportShape =>
    system === 'crm'
      ? { system, module, idKey: 'id' }
      : {
          system,
          module,
          idKey: BOOKS_ID_KEYS[module as 'contacts'],
          listKey: module,
          recordKey: BOOKS_RECORD_KEYS[module as 'contacts'],
        };

  /** The records of a fixture as the API means them: ids as strings, no CRM `$` metadata. */
  async function meaningOf(system: 'crm' | 'books', module: string, file: string) {
    const { records } = readImportFile(await fs.readFile(file, 'utf8'), shapeOf(system, module));
    const out: Record<string, Data> = {};
    for (const raw of records as Data[]) {
      const record = idsAsText(system === 'crm' ? splitDollarKeys(raw).record : raw).record;
      out[String(record[shapeOf(system, module).idKey])] = record;
    }
    return out;
  }

  const importInto = (over: Partial<ImportOptions> & Pick<ImportOptions, 'system' | 'module' | 'file'>) =>
    runImport({ org: 'shapes-org', stores, ...over });

  describe.each([
    ['books', 'contacts', 'books-contact-single.json', 'books_record'],
    ['books', 'invoices', 'books-invoice-single.json', 'books_record'],
    ['books', 'invoices', 'books-invoices-summary.json', 'books'],
    ['books', 'items', 'books-item-single.json', 'books_record'],
    ['books', 'items', 'books-item-bare.json', 'object'],
    ['crm', 'Products', 'crm-product-single.json', 'crm'],
    ['crm', 'Vendors', 'crm-vendor-bare.json', 'object'],
    ['crm', 'Contacts', 'crm-contacts-pretty.ndjson', 'ndjson'],
  ] as const)('%s %s from %s', (system, module, fixture, format) => {
    const org = `rt-${fixture.replace(/[^a-z]/g, '')}`;
    const file = path.join(SHAPES, fixture);

    beforeAll(() => withOrgs(system, org, `${org}-copy`, `${org}-nd`));

    it('imports every record as the API means it, its modified time included', async () => {
      const report = await importInto({ system, module, file, org });
      const meaning = await meaningOf(system, module, file);
      const n = Object.keys(meaning).length;
      expect(report).toMatchObject({ exitCode: DATA_EXIT.ok, format, invalid: [], warnings: [], read: n });
      expect(report).toMatchObject({ inserted: n, imported: n });
      expect(await data.contentOf(system, module, org)).toEqual(meaning);
    });

    it('exports what was imported, which imports again with the same meaning; nothing changes twice', async () => {
      const { file: exported } = await data.exportToFile(system, module, org, 'api');
      const n = Object.keys(await meaningOf(system, module, file)).length;
      expect(await importInto({ system, module, file: exported, org: `${org}-copy` })).toMatchObject({
        exitCode: DATA_EXIT.ok,
        inserted: n,
      });
      expect(await data.contentOf(system, module, `${org}-copy`)).toEqual(
        await data.contentOf(system, module, org),
      );
      expect(await importInto({ system, module, file: exported, org })).toMatchObject({ unchanged: n });
      expect(await importInto({ system, module, file, org })).toMatchObject({ unchanged: n, updated: 0 });

      const { file: ndjson } = await data.exportToFile(system, module, org, 'ndjson');
      expect(await importInto({ system, module, file: ndjson, org: `${org}-nd` })).toMatchObject({
        format: n === 1 ? 'object' : 'ndjson', // one line of NDJSON is one record object
        inserted: n,
      });
      expect(await data.contentOf(system, module, `${org}-nd`)).toEqual(
        await data.contentOf(system, module, org),
      );
    });
  });

  describe('a list summary over a fuller record', () => {
    const org = 'merge-org';
    beforeAll(() => withOrgs('books', org));

    it("keeps the invoice's line items and every field the list leaves out; takes what the list changed", async () => {
      const single = path.join(SHAPES, 'books-invoice-single.json');
      const summary = path.join(SHAPES, 'books-invoices-summary.json');
      const full = (await meaningOf('books', 'invoices', single))['982000000567114']!;
      expect(await importInto({ system: 'books', module: 'invoices', file: single, org })).toMatchObject({
        inserted: 1,
      });

      const report = await importInto({ system: 'books', module: 'invoices', file: summary, org });
      expect(report).toMatchObject({ exitCode: DATA_EXIT.ok, inserted: 1, updated: 1, invalid: [] });
      const listed = (await meaningOf('books', 'invoices', summary))['982000000567114']!;
      const stored = (await data.contentOf('books', 'invoices', org))['982000000567114']!;
      expect(stored).toEqual({ ...full, ...listed });
      expect(stored.line_items).toHaveLength(2);
      expect(stored).toMatchObject({
        status: 'sent',
        notes: 'Looking forward to your business.',
        last_modified_time: '2013-11-19T09:30:12-0800',
      });

      // The list again changes nothing; the export carries the line items.
      expect(await importInto({ system: 'books', module: 'invoices', file: summary, org })).toMatchObject({
        unchanged: 2,
      });
      const exported = JSON.parse((await data.exportToFile('books', 'invoices', org, 'api')).text);
      expect(
        (exported as { invoices: Data[] }).invoices.find((i) => i.invoice_id === '982000000567114'),
      ).toMatchObject({ line_items: full.line_items });
    });
  });

  describe("the source's modified time and the store's write time", () => {
    const org = 'times-org';
    beforeAll(() => withOrgs('books', org));

    it('keeps the source time on the record, stamps the envelope with the write time, which delta reads follow', async () => {
      const items = stores.books.module('items');
      const before = await items.findChangedSince(org, null, 10);
      const start = Date.now();
      await importInto({
        system: 'books',
        module: 'items',
        file: path.join(SHAPES, 'books-item-single.json'),
        org,
      });
      const [stored] = await items.findByIds(org, ['982000000030049']);
      expect(stored?.data.last_modified_time).toBe('2013-11-02T14:20:11-0700');
      expect(stored!.modifiedTime.getTime()).toBeGreaterThanOrEqual(start - 1000);
      const delta = await items.findChangedSince(org, before.position, 10);
      expect(delta.records.map((r) => r.id)).toEqual(['982000000030049']);

      // The same record again: unchanged, the envelope does not move. A newer source time is a change.
      await importInto({
        system: 'books',
        module: 'items',
        file: path.join(SHAPES, 'books-item-single.json'),
        org,
      });
      expect((await items.findByIds(org, ['982000000030049']))[0]?.modifiedTime).toEqual(
        stored!.modifiedTime,
      );
      const newer = path.join(dir, 'item-newer.json');
      await fs.writeFile(
        newer,
        JSON.stringify({ ...stored!.data, last_modified_time: '2013-11-03T09:00:00-0700' }),
      );
      expect(await importInto({ system: 'books', module: 'items', file: newer, org })).toMatchObject({
        updated: 1,
      });
      const [again] = await items.findByIds(org, ['982000000030049']);
      expect(again?.data.last_modified_time).toBe('2013-11-03T09:00:00-0700');
      expect(again!.modifiedTime.getTime()).toBeGreaterThan(stored!.modifiedTime.getTime());
    });

    it('a record without a modified time gets the write time, as any other write', async () => {
      const file = path.join(dir, 'no-time.json');
      await fs.writeFile(file, JSON.stringify({ item_id: 'nt1', name: 'Untimed', rate: 5 }));
      await importInto({ system: 'books', module: 'items', file, org });
      const [stored] = await stores.books.module('items').findByIds(org, ['nt1']);
      expect(stored?.data.last_modified_time).toBe(`${stored!.modifiedTime.toISOString().slice(0, 19)}+0000`);
    });

    it('a late import command stamps its envelope again and leaves the source time alone', async () => {
      const stamp = new Date('2026-01-02T10:00:00.000Z');
      const acknowledged = new Date(stamp.getTime() + LATE_WRITE_MS + 1);
      const restamp = new Date(acknowledged.getTime() + 5);
      const ticks = [stamp, acknowledged, restamp, restamp];
      let last = stamp;
      const books = createBooksStore(data.mongo.db(data.dbs.books), {
        now: () => (last = ticks.shift() ?? last),
      });
      const record = {
        item_id: 'late1',
        name: 'Late',
        rate: 1,
        last_modified_time: '2013-01-01T00:00:00+0000',
      };
      await books.collections.items.importMany(org, [{ id: 'late1', data: record }]);
      const [stored] = await books.module('items').findByIds(org, ['late1']);
      expect(stored?.modifiedTime.toISOString()).toBe(restamp.toISOString());
      expect(stored?.data.last_modified_time).toBe('2013-01-01T00:00:00+0000');
    });
  });

  describe('every problem of a record', () => {
    const org = 'problems-org';
    beforeAll(() => withOrgs('crm', org));

    it('reports each defect of a record with several, with field and reason, in the report and as text', async () => {
      const file = path.join(dir, 'defects.json');
      const broken = {
        id: '4150868000000231099',
        First_Name: 'Many',
        Email: 'not an email',
        Phone: 5550100,
        Account_Name: { name: 'no id' },
        Currency: 'usd',
        Modified_Time: '2024-02-30T10:00:00+00:00',
        Owner: { $oid: '1' },
      };
      const fine = { id: '4150868000000231100', Last_Name: 'Fine' };
      await fs.writeFile(file, JSON.stringify({ data: [fine, broken] }));
      const report = await importInto({ system: 'crm', module: 'Contacts', file, org });
      expect(report).toMatchObject({ exitCode: DATA_EXIT.invalidRecords, imported: 1 });
      expect(report.invalid).toHaveLength(1);
      expect(report.invalid[0]).toMatchObject({ index: 1, id: '4150868000000231099', field: 'Owner.$oid' });
      expect(report.invalid[0]!.problems).toEqual([
        { field: 'Owner.$oid', reason: 'key "$oid" starts with "$" (reserved for MongoDB operators)' },
        { field: 'Last_Name', reason: 'required' },
        { field: 'Owner.id', reason: 'required' },
        { field: 'Modified_Time', reason: 'is not a calendar date' },
        { field: 'Currency', reason: 'must be a 3-letter ISO 4217 currency code' },
        { field: 'Email', reason: 'must be an email address' },
        { field: 'Phone', reason: 'expected string, got number' },
        { field: 'Account_Name.id', reason: 'required' },
      ]);
      // --json prints the report as it is; the text lists every problem on the record's line.
      expect(JSON.parse(JSON.stringify(report)).invalid[0].problems).toHaveLength(8);
      expect(formatImportReport(report)).toMatch(
        /invalid #1 \(id 4150868000000231099\) Owner\.\$oid: .*; Last_Name: required; .*; Account_Name\.id: required/,
      );
    });
  });

  describe('ids given as numbers', () => {
    const org = 'numeric-org';
    beforeAll(() => withOrgs('books', org));

    it('takes safe integers as their decimal strings and refuses larger numbers with the reason', async () => {
      const file = path.join(SHAPES, 'books-contacts-numeric-ids.json');
      const report = await importInto({ system: 'books', module: 'contacts', file, org });
      expect(report).toMatchObject({ exitCode: DATA_EXIT.invalidRecords, read: 3, imported: 1 });
      const [first] = await stores.books.module('contacts').findByIds(org, ['460000000026049']);
      expect(first?.data).toMatchObject({
        contact_id: '460000000026049',
        currency_id: '460000000000097',
        contact_persons: [{ contact_person_id: '460000000026051' }],
      });
      const beyond = expect.stringMatching(/beyond 2\^53 .*give the id as a string/);
      expect(report.invalid).toEqual([
        {
          index: 1,
          field: 'contact_id',
          reason: beyond,
          problems: [
            { field: 'contact_id', reason: beyond },
            { field: 'currency_id', reason: beyond },
          ],
        },
        {
          index: 2,
          id: '460000000026077',
          field: 'contact_persons.0.contact_person_id',
          reason: beyond,
          problems: [{ field: 'contact_persons.0.contact_person_id', reason: beyond }],
        },
      ]);
      expect(await stores.books.module('contacts').count(org)).toBe(1);
    });
  });

  describe("the org's currencies", () => {
    const books = 'cur-books';
    const crmOff = 'cur-crm-single';
    beforeAll(async () => {
      await withOrgs('books', books);
      await stores.crm.saveOrg({
        id: crmOff,
        company_name: 'Single currency',
        edition: 'PROFESSIONAL',
        mc_status: false,
        iso_code: 'USD',
      });
    });

    const contacts = async (name: string, records: Data[]) => {
      const file = path.join(dir, `${name}.json`);
      await fs.writeFile(file, JSON.stringify(records));
      return file;
    };

    it('imports a Books record in a currency the org has not enabled with a warning, or refuses it when strict', async () => {
      const file = await contacts('inr', [
        {
          contact_id: 'inr1',
          contact_name: 'Mumbai Traders',
          contact_type: 'customer',
          currency_code: 'INR',
        },
        { contact_id: 'eur1', contact_name: 'Lyon SARL', contact_type: 'customer', currency_code: 'EUR' },
      ]);
      const reason = `currency INR is not enabled in Books org ${books} (enabled: EUR, USD)`;
      const strict = await importInto({
        system: 'books',
        module: 'contacts',
        file,
        org: books,
        strict: true,
      });
      expect(strict).toMatchObject({ exitCode: DATA_EXIT.invalidRecords, imported: 1, warnings: [] });
      const inr = { index: 0, id: 'inr1', field: 'currency_code', reason };
      expect(strict.invalid).toEqual([{ ...inr, problems: [{ field: 'currency_code', reason }] }]);
      expect(await stores.books.module('contacts').findByIds(books, ['inr1'])).toEqual([]);

      const lenient = await importInto({ system: 'books', module: 'contacts', file, org: books });
      expect(lenient).toMatchObject({ exitCode: DATA_EXIT.ok, imported: 2, invalid: [] });
      expect(lenient.warnings).toEqual([{ ...inr, problems: [{ field: 'currency_code', reason }] }]);
      expect(formatImportReport(lenient)).toMatch(/warning #0 \(id inr1\) currency_code: currency INR/);
    });

    it("checks a CRM record against the org's base currency while multi-currency is off", async () => {
      const file = await contacts('crm-eur', [{ id: 'k1', Last_Name: 'Weber', Currency: 'EUR' }]);
      const report = await importInto({ system: 'crm', module: 'Contacts', file, org: crmOff, strict: true });
      expect(report.invalid[0]).toMatchObject({
        field: 'Currency',
        reason: `currency EUR is not enabled in CRM org ${crmOff} (enabled: USD)`,
      });
      await withOrgs('crm', 'cur-crm-multi');
      const multi = await importInto({ system: 'crm', module: 'Contacts', file, org: 'cur-crm-multi' });
      expect(multi).toMatchObject({ exitCode: DATA_EXIT.ok, imported: 1, warnings: [] });
      expect(multi.currencyCheck).toMatch(/not checked: multi-currency is on/);
    });
  });

  describe('the org to import into (issue 15)', () => {
    const file = path.join(SHAPES, 'books-item-bare.json');

    it('an unknown org is refused with exit status 2 and nothing is written', async () => {
      const report = await importInto({ system: 'books', module: 'items', file, org: 'no-such-org' });
      expect(report).toMatchObject({
        exitCode: DATA_EXIT.unusable,
        error: expect.stringMatching(/org no-such-org does not exist in the Books store.*--create-org/),
        imported: 0,
      });
      expect(await stores.books.collections.items.countAll('no-such-org')).toBe(0);
      expect(await stores.books.getOrganization('no-such-org')).toBeUndefined();
      const crm = await importInto({
        system: 'crm',
        module: 'Vendors',
        file: path.join(SHAPES, 'crm-vendor-bare.json'),
        org: 'no-such-org',
      });
      expect(crm).toMatchObject({ exitCode: DATA_EXIT.unusable, error: expect.stringMatching(/CRM store/) });
      expect(await stores.crm.collections.Vendors.countAll('no-such-org')).toBe(0);
    });

    it('with createOrg the org is created in the given base currency and the records written', async () => {
      const report = await importInto({
        system: 'books',
        module: 'items',
        file,
        org: 'new-books-org',
        createOrg: true,
        baseCurrency: 'EUR',
      });
      expect(report).toMatchObject({ exitCode: DATA_EXIT.ok, orgCreated: true, imported: 1 });
      expect(await stores.books.getOrganization('new-books-org')).toMatchObject({ currency_code: 'EUR' });
      expect(
        await importInto({ system: 'books', module: 'items', file, org: 'new-books-org' }),
      ).toMatchObject({
        orgCreated: false,
        unchanged: 1,
      });
    });

    it.each<[string, string, RegExp]>([
      ['an empty file', '', /nothing to import: .* holds no records/],
      ['an empty list', '{"code": 0, "message": "success", "items": []}', /nothing to import/],
    ])('%s is nothing to import: exit status 2, the stores not even opened', async (_name, body, error) => {
      const empty = path.join(dir, `empty-${body.length}.json`);
      await fs.writeFile(empty, body);
      const opened = jest.fn(async () => stores);
      const report = await runImport({
        system: 'books',
        module: 'items',
        file: empty,
        org: 'x',
        stores: opened,
        createOrg: true,
      });
      expect(report).toMatchObject({ exitCode: DATA_EXIT.unusable, error: expect.stringMatching(error) });
      expect(opened).not.toHaveBeenCalled();
    });
  });

  describe('the import command', () => {
    const env = { ...process.env };
    let out: string[];
    let err: string[];

    beforeAll(() => {
      process.env.MONGODB_URI = data.mongoUri;
      process.env.CBS_CRM_DB = data.dbs.crm;
      process.env.CBS_BOOKS_DB = data.dbs.books;
    });
    afterAll(() => {
      process.env = env;
    });
    beforeEach(() => {
      out = [];
      err = [];
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
      process.exitCode = undefined;
    });
    afterEach(() => {
      jest.restoreAllMocks();
      process.exitCode = undefined;
    });

    /** Runs `crm-books-sync <args>` in process; a usage error's process.exit becomes the returned status. */
    async function cli(...args: string[]): Promise<number | undefined> {
      const program = new Command().name('crm-books-sync');
      registerDataCommands(program);
      jest.spyOn(process, 'exit').mockImplementation((code) => {
        throw new Error(`exit ${String(code)}`);
      });
      try {
        await program.parseAsync(['node', 'cli', ...args]);
        return typeof process.exitCode === 'number' ? process.exitCode : 0;
      } catch (e) {
        const m = /^exit (\d+)$/.exec((e as Error).message);
        if (!m) throw e;
        return Number(m[1]);
      }
    }

    it('exits 2 without --org, for an unknown org, for an empty file, and for an unknown option', async () => {
      const file = path.join(SHAPES, 'books-item-bare.json');
      expect(await cli('import', 'books', 'items', file)).toBe(DATA_EXIT.unusable);
      expect(err.join('')).toMatch(/the org to import into is missing: give it with --org/);
      expect(await cli('import', 'books', 'items', file, '--org', 'cli-unknown')).toBe(DATA_EXIT.unusable);
      expect(err.join('')).toMatch(/org cli-unknown does not exist/);
      const empty = path.join(dir, 'cli-empty.json');
      await fs.writeFile(empty, '');
      expect(await cli('import', 'books', 'items', empty, '--org', 'cli-unknown')).toBe(DATA_EXIT.unusable);
      expect(err.join('')).toMatch(/nothing to import/);
      expect(await cli('import', 'books', 'items', file, '--org', 'x', '--no-such-flag')).toBe(
        DATA_EXIT.unusable,
      );
      expect(await cli('export', 'books', 'items')).toBe(DATA_EXIT.unusable);
      expect(await stores.books.collections.items.countAll('cli-unknown')).toBe(0);
    });

    it('--create-org creates the org; --json prints one report listing every problem', async () => {
      const file = path.join(SHAPES, 'books-contacts-numeric-ids.json');
      const code = await cli(
        'import',
        'books',
        'contacts',
        file,
        '--org',
        'cli-new',
        '--create-org',
        '--json',
      );
      expect(code).toBe(DATA_EXIT.invalidRecords);
      const report = JSON.parse(out.join('')) as { orgCreated: boolean; invalid: { problems: unknown[] }[] };
      expect(report.orgCreated).toBe(true);
      expect(report.invalid.map((f) => f.problems.length)).toEqual([2, 1]);
      expect(await stores.books.getOrganization('cli-new')).toMatchObject({ currency_code: 'USD' });
    });
  });
});
