import { createHash } from 'node:crypto';
import { ZodError } from 'zod';
import {
  BOOKS_ID_KEYS,
  BooksCurrencyDocSchema,
  BooksOrganizationDocSchema,
  BooksRoleDocSchema,
  BooksTaxDocSchema,
  BooksUserDocSchema,
  BOOKS_MODULES,
} from '../../../../domain/books-schemas';
import {
  CRM_MODULES,
  CrmOrgDocSchema,
  CrmPipelineDocSchema,
  CrmRoleDocSchema,
  CrmUserDocSchema,
  CrmViewDocSchema,
} from '../../../../domain/crm-schemas';
import { DISPLAY_NAME_OF } from '../../../../domain/sync/kinds';
import { normalizeName } from '../../../../domain/sync/names';
import {
  SEED_STAGES,
  SeedRng,
  generateSeed,
  plannedSeedCounts,
  seedOptions,
  seedSettings,
  type SeedBatch,
  type SeedOptions,
} from '../../../../cli/data/seed';
import { validateRecords } from '../../../../domain/validation';

const small: Partial<SeedOptions> = {
  seed: 11,
  accounts: 120,
  orphanContacts: 30,
  vendors: 25,
  products: 60,
  deals: 150,
  booksCustomers: 40,
  booksVendors: 10,
  booksItems: 30,
  duplicates: 21,
  invalidFraction: 0.1,
  batchSize: 37,
};

const digest = (batches: Iterable<SeedBatch>) => {
  const hash = createHash('sha256');
  for (const batch of batches) hash.update(JSON.stringify(batch));
  return hash.digest('hex');
};

const schemaOf = (batch: SeedBatch) =>
  batch.system === 'crm' ? CRM_MODULES[batch.module] : BOOKS_MODULES[batch.module];
const idKeyOf = (batch: SeedBatch) => (batch.system === 'crm' ? 'id' : BOOKS_ID_KEYS[batch.module]);

describe('the seeded dataset', () => {
  const batches = [...generateSeed(small)];

  it('is the same for the same options, and different for another seed', () => {
    expect(digest(generateSeed(small))).toBe(digest(batches));
    expect(digest(generateSeed({ ...small, seed: 12 }))).not.toBe(digest(batches));
    expect(seedSettings(small)).toEqual(seedSettings(small));
    expect(seedSettings({ ...small, seed: 12 })).not.toEqual(seedSettings(small));
  });

  it('comes in bounded batches of one module each, in the documented order', () => {
    expect(batches.every((b) => b.records.length >= 1 && b.records.length <= 37)).toBe(true);
    const order = [...new Set(batches.map((b) => `${b.system}:${b.module}`))];
    expect(order).toEqual([
      'crm:Accounts',
      'crm:Contacts',
      'crm:Vendors',
      'crm:Products',
      'crm:Deals',
      'books:contacts',
      'books:items',
    ]);
    const planned = plannedSeedCounts(small);
    const counted = (system: string, module: string) =>
      batches
        .filter((b) => b.system === system && b.module === module)
        .reduce((n, b) => n + b.records.length, 0);
    for (const [module, n] of Object.entries(planned.crm)) expect(counted('crm', module)).toBe(n);
    for (const [module, n] of Object.entries(planned.books)) expect(counted('books', module)).toBe(n);
    expect(planned.total).toBe(batches.reduce((n, b) => n + b.records.length, 0));
  });

  it('is produced lazily: the first batch comes without building the rest', () => {
    const huge = generateSeed({ ...small, accounts: 5_000_000, batchSize: 1000 });
    const first = huge.next();
    expect(first.done).toBe(false);
    expect(first.value?.records).toHaveLength(1000);
  });

  it('has every record valid for its schema except the marked defects, each failing on the field it names', () => {
    for (const batch of batches) {
      const { invalid } = validateRecords(schemaOf(batch), batch.records, { idKey: idKeyOf(batch) });
      expect(invalid.map((f) => [f.index, f.id, f.field])).toEqual(
        batch.defects.map((d) => [d.index, d.id, d.field]),
      );
    }
  });

  it('honours the invalid fraction in every module (duplicates aside)', () => {
    for (const fraction of [0, 0.02, 0.1, 0.5]) {
      const sets = [...generateSeed({ ...small, invalidFraction: fraction })];
      const perModule = new Map<string, { records: number; defects: number; duplicates: number }>();
      for (const b of sets) {
        const m = perModule.get(b.module) ?? { records: 0, defects: 0, duplicates: 0 };
        m.records += b.records.length;
        m.defects += b.defects.length;
        m.duplicates += b.duplicates.length;
        perModule.set(b.module, m);
      }
      for (const [module, m] of perModule) {
        // Books contacts draw from two streams (customers, vendors): one rounding each.
        const slack = module === 'contacts' ? 2 : 1;
        expect(Math.abs(m.defects - fraction * (m.records - m.duplicates))).toBeLessThanOrEqual(slack);
      }
      if (fraction === 0) expect(sets.every((b) => b.defects.length === 0)).toBe(true);
    }
  });

  it('has exactly the chosen number of Books duplicates, and no other Books name equals a CRM name', () => {
    const crmNames = new Map<string, Set<string>>();
    for (const b of batches.filter((x) => x.system === 'crm')) {
      const refused = new Set(b.defects.map((d) => d.index));
      const names = crmNames.get(b.module) ?? new Set<string>();
      b.records.forEach((r, i) => {
        const display = DISPLAY_NAME_OF[b.module as 'Accounts' | 'Contacts' | 'Vendors' | 'Products'];
        if (!refused.has(i) && display) names.add(normalizeName(display(r)));
      });
      crmNames.set(b.module, names);
    }
    const all = new Set([...crmNames.values()].flatMap((s) => [...s]));
    let matching = 0;
    let marked = 0;
    for (const b of batches.filter((x) => x.system === 'books')) {
      const dupIndexes = new Map(b.duplicates.map((d) => [d.index, d]));
      marked += b.duplicates.length;
      b.records.forEach((r, i) => {
        const name = normalizeName(String(b.module === 'contacts' ? r.contact_name : r.name));
        const dup = dupIndexes.get(i);
        if (dup) expect(crmNames.get(dup.crmModule)?.has(name)).toBe(true);
        else expect(all.has(name)).toBe(false);
        if (all.has(name)) matching++;
      });
    }
    expect(marked).toBe(21);
    expect(matching).toBe(21);
    // The kinds are taken in turn: accounts, orphan contacts, vendors, products.
    const kinds = batches.flatMap((b) => b.duplicates.map((d) => d.crmModule));
    expect(kinds.filter((k) => k === 'Accounts')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'Products')).toHaveLength(5);
  });

  it('links contacts to accounts (0-4 each) and deals to written accounts and contacts, across the stages', () => {
    const written = (module: string) =>
      new Map(
        batches
          .filter((b) => b.module === module)
          .flatMap((b) => b.records.filter((_r, i) => !b.defects.some((d) => d.index === i)))
          .map((r) => [String(r.id), r]),
      );
    const accounts = written('Accounts');
    const contacts = written('Contacts');
    const perAccount = new Map<string, number>();
    for (const c of contacts.values()) {
      const ref = c.Account_Name as { id: string } | null;
      if (ref) perAccount.set(ref.id, (perAccount.get(ref.id) ?? 0) + 1);
    }
    expect(Math.max(...perAccount.values())).toBeLessThanOrEqual(4);
    expect([...contacts.values()].filter((c) => c.Account_Name === null).length).toBeGreaterThanOrEqual(25);
    const deals = [...written('Deals').values()];
    for (const deal of deals) {
      const account = deal.Account_Name as { id: string; name: string } | null;
      if (account) expect(accounts.get(account.id)?.Account_Name).toBe(account.name);
      const contact = deal.Contact_Name as { id: string } | null;
      if (contact) expect(contacts.has(contact.id)).toBe(true);
      const stage = SEED_STAGES.find((s) => s.name === deal.Stage);
      expect(deal.Probability).toBe(stage?.probability);
    }
    expect(new Set(deals.map((d) => d.Stage)).size).toBe(SEED_STAGES.length);
    const types = new Set([...written('Products').values()].map((p) => p.Product_Type));
    expect(types).toEqual(new Set(['Goods', 'Services']));
  });

  it('has settings that pass their schemas: org, users, roles, pipeline, views, Books organization', () => {
    const s = seedSettings(small);
    expect(CrmOrgDocSchema.parse(s.crmOrg)).toMatchObject({ edition: 'PROFESSIONAL', iso_code: 'USD' });
    s.crmUsers.forEach((u) => CrmUserDocSchema.parse(u));
    s.crmRoles.forEach((r) => CrmRoleDocSchema.parse(r));
    s.crmPipelines.forEach((p) => CrmPipelineDocSchema.parse(p));
    s.crmViews.forEach((v) => CrmViewDocSchema.parse(v));
    BooksOrganizationDocSchema.parse(s.booksOrganization);
    s.booksUsers.forEach((u) => BooksUserDocSchema.parse(u));
    s.booksRoles.forEach((r) => BooksRoleDocSchema.parse(r));
    s.booksCurrencies.forEach((c) => BooksCurrencyDocSchema.parse(c));
    s.booksTaxes.forEach((t) => BooksTaxDocSchema.parse(t));

    const forecasts = s.crmPipelines[0]?.maps.map((m) => [m.probability, m.forecast_type]);
    expect(forecasts).toContainEqual([100, 'Closed Won']);
    expect(forecasts).toContainEqual([0, 'Closed Lost']);
    const accountViews = s.crmViews.filter((v) => v.module === 'Accounts');
    expect(accountViews.map((v) => v.name)).toEqual(
      expect.arrayContaining(['All Accounts', 'My Accounts', 'Recently Created Accounts']),
    );
    expect(s.crmViews.some((v) => v.criteria)).toBe(true);
    expect(s.crmUsers).toHaveLength(8);
    expect(new Set(s.crmUsers.map((u) => u.id)).size).toBe(8);
  });

  it('refuses bad options with every problem named', () => {
    const error = (() => {
      try {
        seedOptions({ accounts: -1, invalidFraction: 2, crmOrg: 'a|b' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues.map((i) => i.path[0]).sort()).toEqual([
      'accounts',
      'crmOrg',
      'invalidFraction',
    ]);
    expect(seedOptions({ accounts: undefined }).accounts).toBe(200);
  });

  it('draws from a deterministic PRNG', () => {
    const a = new SeedRng(42);
    const b = new SeedRng(42);
    const draws = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(draws.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
    const ints = Array.from({ length: 500 }, () => a.int(1, 6));
    expect(new Set(ints)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});
