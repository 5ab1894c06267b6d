import { z } from 'zod';
import type {
  CrmOrg,
  CrmPipeline,
  CrmPipelineStage,
  CrmRole,
  CrmUser,
  CrmUserRef,
  CrmView,
} from '../../domain/crm-schemas';
import type {
  BooksCurrency,
  BooksOrganization,
  BooksRole,
  BooksTax,
  BooksUser,
} from '../../domain/books-schemas';
import { RecordIdSchema } from '../../domain/validation';

/*
 * A deterministic, realistic, Zoho-shaped dataset for a CRM org and a Books org (issue 3, "Seeding"). Pure:
 * the same options give the same records, byte for byte, on any machine. Every record is built from its own
 * pseudo-random stream, seeded from (seed, module, index), so a record can be rebuilt alone (a deal names its
 * account without the accounts being kept), and records are produced lazily in bounded batches, so hundreds of
 * thousands of them never sit in memory at once.
 *
 * A chosen fraction of records is deliberately invalid (one defect each, listed in the batch's `defects` with
 * the field a validator must name), and some Books customers, vendors and items carry the same names as CRM
 * records (listed in `duplicates`): the error paths and the duplicate handling of S2.3.
 */

// ---------------------------------------------------------------------------------------------------------
// Options

const count = (max: number) => z.number().int().min(0).max(max);

export const SeedOptionsSchema = z.object({
  seed: z.number().int().min(0).max(0xffffffff),
  crmOrg: RecordIdSchema,
  booksOrg: RecordIdSchema,
  accounts: count(20_000_000),
  orphanContacts: count(100_000_000),
  vendors: count(100_000_000),
  products: count(100_000_000),
  deals: count(100_000_000),
  users: z.number().int().min(1).max(10_000),
  /** Books customers and vendors whose names match no CRM record. */
  booksCustomers: count(100_000_000),
  booksVendors: count(100_000_000),
  booksItems: count(100_000_000),
  /** Books customers, vendors and items named like a CRM account, contact, vendor or product (S2.3). */
  duplicates: count(100_000_000),
  /** Share of records (duplicates aside) generated with one defect each. */
  invalidFraction: z.number().min(0).max(1),
  batchSize: z.number().int().min(1).max(10_000),
  /** The latest time any generated timestamp has. */
  baseTime: z.iso.datetime({ offset: true }),
});
export type SeedOptions = z.infer<typeof SeedOptionsSchema>;

export const DEFAULT_SEED_OPTIONS: SeedOptions = {
  seed: 1,
  crmOrg: '60012345678',
  booksOrg: '700012345',
  accounts: 200,
  orphanContacts: 50,
  vendors: 30,
  products: 100,
  deals: 300,
  users: 8,
  booksCustomers: 100,
  booksVendors: 20,
  booksItems: 50,
  duplicates: 25,
  invalidFraction: 0.02,
  batchSize: 1000,
  baseTime: '2025-06-30T12:00:00Z',
};

/**
 * The defaults overridden by the options `partial` sets (undefined ones are left at their default),
 * validated. Throws a ZodError naming every bad option.
 */
export function seedOptions(partial: Partial<SeedOptions> = {}): SeedOptions {
  const given = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  return SeedOptionsSchema.parse({ ...DEFAULT_SEED_OPTIONS, ...given });
}

// ---------------------------------------------------------------------------------------------------------
// Output shapes

export type SeedRecord = Record<string, unknown>;

export type SeedCrmModule = 'Accounts' | 'Contacts' | 'Vendors' | 'Products' | 'Deals';
export type SeedBooksModule = 'contacts' | 'items';

/** A deliberately invalid record: `field` is the first field a validator reports for it. */
export interface SeedDefect {
  /** Index in the batch's `records`. */
  index: number;
  id: string;
  field: string;
  what: string;
}

/** A Books record named like a CRM record. */
export interface SeedDuplicate {
  index: number;
  id: string;
  crmModule: 'Accounts' | 'Contacts' | 'Vendors' | 'Products';
  crmId: string;
}

interface BatchBase {
  records: SeedRecord[];
  defects: SeedDefect[];
  duplicates: SeedDuplicate[];
}
export type SeedBatch =
  | (BatchBase & { system: 'crm'; module: SeedCrmModule })
  | (BatchBase & { system: 'books'; module: SeedBooksModule });

export interface SeedSettings {
  crmOrg: CrmOrg;
  crmUsers: CrmUser[];
  crmRoles: CrmRole[];
  crmPipelines: CrmPipeline[];
  crmViews: CrmView[];
  booksOrganization: BooksOrganization;
  booksUsers: BooksUser[];
  booksRoles: BooksRole[];
  booksCurrencies: BooksCurrency[];
  booksTaxes: BooksTax[];
}

// ---------------------------------------------------------------------------------------------------------
// Pseudo-random numbers

/** A 32-bit integer hash (the finaliser of MurmurHash3): spreads nearby inputs far apart. */
function mix32(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; good enough for test data, not for secrets. */
export class SeedRng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** An index into `weights`, chosen in proportion to them. */
  weighted(weights: readonly number[]): number {
    let r = this.next() * weights.reduce((a, b) => a + b, 0);
    for (const [i, w] of weights.entries()) {
      if (r < w) return i;
      r -= w;
    }
    return weights.length - 1;
  }
}

/** The stream of one record (or one stream of choices), from the seed, a tag and an index. */
function rngFor(seed: number, tag: number, index: number): SeedRng {
  return new SeedRng(mix32(seed ^ mix32(Math.imul(tag, 0x9e3779b1) ^ mix32(index))));
}

const TAG = {
  account: 1,
  accountContacts: 2,
  contact: 3,
  orphan: 4,
  vendor: 5,
  product: 6,
  deal: 7,
  user: 8,
  booksCustomer: 9,
  booksVendor: 10,
  booksItem: 11,
  duplicate: 12,
  defect: 13,
  org: 14,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Vocabulary. CRM names and Books-only names use different suffixes and surnames, so a Books record matches a
// CRM name only when it was made a duplicate on purpose.

// prettier-ignore
const COMPANY_ROOTS = [
  'Zylker', 'Northwind', 'Bluecrest', 'Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Sakura',
  'Oakridge', 'Silverline', 'Redwood', 'Ironbridge', 'Brightwater', 'Summit', 'Pioneer', 'Evergreen', 'Lakeside',
  'Highland', 'Crescent', 'Harbor', 'Granite', 'Maple', 'Falcon', 'Atlas', 'Nova', 'Orion', 'Vertex', 'Quantum',
  'Meridian', 'Cobalt', 'Amber', 'Cedar', 'Willow', 'Sterling', 'Horizon', 'Pacific', 'Alpine', 'Coastal',
] as const;
// prettier-ignore
const COMPANY_TRADES = [
  'Traders', 'Logistics', 'Foods', 'Systems', 'Software', 'Textiles', 'Motors', 'Pharma', 'Energy', 'Consulting',
  'Media', 'Robotics', 'Analytics', 'Builders', 'Outfitters', 'Supplies', 'Labs', 'Networks', 'Farms', 'Apparel',
  'Electronics', 'Freight', 'Health', 'Hospitality', 'Metals', 'Plastics', 'Printing', 'Security', 'Travel', 'Water',
] as const;
const REGIONS = ['', '', '', 'North', 'Global', 'United', 'International', 'West'] as const;
const CRM_SUFFIXES = ['Inc', 'LLC', 'Ltd', 'GmbH', 'Corp', 'Co', 'PLC', 'SA', 'Pty Ltd', 'KK'] as const;
const BOOKS_ONLY_SUFFIXES = ['Partners', 'Cooperative', 'Associates', 'Collective', 'Holdings AG'] as const;
const VENDOR_TRADES = ['Components', 'Packaging', 'Wholesale', 'Parts', 'Materials', 'Distribution'] as const;

// prettier-ignore
const FIRST_NAMES = [
  'Amelia', 'Noah', 'Olivia', 'Liam', 'Emma', 'Mateo', 'Ava', 'Lucas', 'Sophia', 'Arjun', 'Priya', 'Kenji',
  'Yuki', 'Chinwe', 'Tunde', 'Fatima', 'Omar', 'Elena', 'Marco', 'Ingrid', 'Lars', 'Sofia', 'Diego', 'Mei',
  'Wei', 'Hana', 'Jonas', 'Clara', 'Patricia', 'Samuel',
] as const;
// prettier-ignore
const CRM_LAST_NAMES = [
  'Burrows', 'Okafor', 'Weber', 'Tanaka', 'Garcia', 'Patel', 'Kim', 'Rossi', 'Novak', 'Larsen', 'Silva',
  'Chen', 'Nguyen', 'Dubois', 'Schmidt', 'Boyle', 'Haddad', 'Kowalski', 'Moreau', 'Fischer', 'Santos', 'Ito',
  'Müller', 'Jensen', 'Costa',
] as const;
// prettier-ignore
const BOOKS_ONLY_LAST_NAMES = [
  'Abernathy', 'Quintero', 'Vasquez-Hale', 'Thornbury', 'Lindqvist', 'Oyelaran', 'Marchetti', 'Halvorsen',
] as const;
const TITLES = ['CEO', 'CFO', 'Head of Purchasing', 'Buyer', 'Accounts Payable', 'Operations Manager', 'CTO'];
const DEPARTMENTS = ['Procurement', 'Finance', 'Operations', 'IT', 'Management', 'Sales'];
const INDUSTRIES = [
  'Retail',
  'Manufacturing',
  'Technology',
  'Healthcare',
  'Finance',
  'Logistics',
  'Education',
];
const ACCOUNT_TYPES = ['Customer', 'Prospect', 'Partner', 'Reseller', 'Investor'];
const LOCATIONS = [
  { city: 'Pleasanton', state: 'CA', code: '94588', country: 'USA', currency: 'USD' },
  { city: 'Austin', state: 'TX', code: '73301', country: 'USA', currency: 'USD' },
  { city: 'New York', state: 'NY', code: '10001', country: 'USA', currency: 'USD' },
  { city: 'Chicago', state: 'IL', code: '60601', country: 'USA', currency: 'USD' },
  { city: 'Berlin', state: null, code: '10117', country: 'Germany', currency: 'EUR' },
  { city: 'Lyon', state: null, code: '69002', country: 'France', currency: 'EUR' },
  { city: 'London', state: null, code: 'EC1A 1BB', country: 'United Kingdom', currency: 'GBP' },
  { city: 'Toronto', state: 'ON', code: 'M5H 2N2', country: 'Canada', currency: 'USD' },
] as const;
const STREETS = ['Hopyard Rd', 'Main St', 'Market St', 'Friedrichstraße', 'Rue de la République', 'High St'];
const PRODUCT_ADJECTIVES = ['Pro', 'Lite', 'Max', 'Ultra', 'Eco', 'Smart', 'Prime', 'Classic'] as const;
const GOODS = ['Widget', 'Sensor', 'Router', 'Printer', 'Cable Kit', 'Monitor', 'Valve', 'Pump'] as const;
const SERVICES = ['Onboarding', 'Support Plan', 'Consulting Hours', 'Training', 'Maintenance'] as const;
const BOOKS_ONLY_GOODS = ['Gasket', 'Bracket', 'Caster', 'Hinge'] as const;
const CATEGORIES = ['Hardware', 'Software', 'Services', 'Accessories'];
const LEAD_SOURCES = ['Web Site', 'Cold Call', 'Partner', 'Trade Show', 'Employee Referral', 'Advertisement'];
const DEAL_KINDS = ['Renewal', 'Expansion', 'New Business', 'Pilot', 'Upgrade', 'Annual Contract'];
const NEXT_STEPS = ['Send proposal', 'Schedule demo', 'Follow-up call', 'Negotiate terms', null];

/** The Standard pipeline's stages (S5.5): each with its probability and what a deal in it means. */
export const SEED_STAGES: readonly {
  name: string;
  probability: number;
  forecast: CrmPipelineStage['forecast_type'];
}[] = [
  { name: 'Qualification', probability: 10, forecast: 'Open' },
  { name: 'Needs Analysis', probability: 20, forecast: 'Open' },
  { name: 'Value Proposition', probability: 40, forecast: 'Open' },
  { name: 'Identify Decision Makers', probability: 60, forecast: 'Open' },
  { name: 'Proposal/Price Quote', probability: 75, forecast: 'Open' },
  { name: 'Negotiation/Review', probability: 90, forecast: 'Open' },
  { name: 'Closed Won', probability: 100, forecast: 'Closed Won' },
  { name: 'Closed Lost', probability: 0, forecast: 'Closed Lost' },
  { name: 'Closed Lost to Competition', probability: 0, forecast: 'Closed Lost' },
];
const STAGE_WEIGHTS = [14, 12, 12, 10, 10, 8, 18, 12, 4];

const CURRENCIES = [
  { code: 'USD', name: 'US Dollar', symbol: '$', precision: 2, rate: 0, base: true },
  { code: 'EUR', name: 'Euro', symbol: '€', precision: 2, rate: 1.08, base: false },
  { code: 'GBP', name: 'Pound Sterling', symbol: '£', precision: 2, rate: 1.27, base: false },
  { code: 'JPY', name: 'Japanese Yen', symbol: '¥', precision: 0, rate: 0.0067, base: false },
] as const;

// ---------------------------------------------------------------------------------------------------------
// Ids, times, small helpers

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** A Zoho-CRM-like 19-digit id: org-ish prefix, module code, number. */
const crmId = (code: number, n: number) => `41508680${pad(code, 2)}${pad(n, 9)}`;
/** A Zoho-Books-like 16-digit id. */
const booksId = (code: number, n: number) => `46000${pad(code, 2)}${pad(n, 9)}`;

const CODE = {
  account: 11,
  contact: 12,
  orphan: 13,
  vendor: 14,
  product: 15,
  deal: 16,
  user: 17,
  role: 18,
  pipeline: 19,
  stage: 20,
  view: 21,
} as const;
const BOOKS_CODE = {
  customer: 31,
  vendor: 32,
  item: 33,
  duplicate: 34,
  user: 35,
  role: 36,
  currency: 37,
  tax: 38,
} as const;

const DAY_MS = 86_400_000;
const isoSeconds = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const crmTime = (ms: number) => `${isoSeconds(ms)}+00:00`;
const booksTime = (ms: number) => `${isoSeconds(ms)}+0000`;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const money = (cents: number) => Math.round(cents) / 100;
const slug = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-');
const ascii = (name: string) => slug(name).replace(/-/g, '.');

interface Times {
  created: number;
  modified: number;
}
function timesOf(rng: SeedRng, base: number): Times {
  const created = base - rng.int(1, 730) * DAY_MS - rng.int(0, DAY_MS / 1000) * 1000;
  return { created, modified: created + rng.int(0, Math.floor((base - created) / 1000)) * 1000 };
}

function companyName(rng: SeedRng, suffixes: readonly string[]): string {
  const region = rng.pick(REGIONS);
  return [rng.pick(COMPANY_ROOTS), rng.pick(COMPANY_TRADES), region, rng.pick(suffixes)]
    .filter(Boolean)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------------------
// Settings: org, users, roles, pipeline, views; Books organization, users, roles, currencies, taxes

/** The small, settings-like part of the dataset. Pure and deterministic. */
export function seedSettings(partial: Partial<SeedOptions> = {}): SeedSettings {
  const o = seedOptions(partial);
  const rng = rngFor(o.seed, TAG.org, 0);
  const company = `${rng.pick(COMPANY_ROOTS)} ${rng.pick(COMPANY_TRADES)} Corp`;
  const domain = `${slug(company)}.example`;

  const roles: CrmRole[] = [
    { id: crmId(CODE.role, 1), name: 'CEO', display_label: 'CEO', reporting_to: null, admin_user: true },
    {
      id: crmId(CODE.role, 2),
      name: 'Manager',
      display_label: 'Manager',
      reporting_to: { id: crmId(CODE.role, 1), name: 'CEO' },
      admin_user: false,
    },
    {
      id: crmId(CODE.role, 3),
      name: 'Sales Representative',
      display_label: 'Sales Representative',
      reporting_to: { id: crmId(CODE.role, 2), name: 'Manager' },
      admin_user: false,
    },
  ];
  const people = seedPeople(o);
  const crmUsers: CrmUser[] = people.map((p, i) => {
    const role = roles[Math.min(i, 2)] as CrmRole;
    return {
      id: p.id,
      full_name: p.name,
      first_name: p.first,
      last_name: p.last,
      email: p.email,
      status: p.status,
      role: { id: role.id, name: role.name },
      profile: { id: crmId(CODE.role, i === 0 ? 91 : 92), name: i === 0 ? 'Administrator' : 'Standard' },
      zuid: String(70_000_000 + i),
      confirm: true,
      created_time: crmTime(p.times.created),
      Modified_Time: crmTime(p.times.modified),
    };
  });

  const pipeline: CrmPipeline = {
    id: crmId(CODE.pipeline, 1),
    display_value: 'Standard',
    actual_value: 'Standard',
    default: true,
    maps: SEED_STAGES.map((stage, i) => ({
      id: crmId(CODE.stage, i + 1),
      display_value: stage.name,
      actual_value: stage.name,
      sequence_number: i + 1,
      probability: stage.probability,
      forecast_type: stage.forecast,
      forecast_category: {
        name: stage.forecast === 'Open' ? 'Pipeline' : stage.forecast === 'Closed Won' ? 'Closed' : 'Omitted',
      },
    })),
  };

  let viewNumber = 0;
  const view = (module: string, name: string, extra: Partial<CrmView>): CrmView => ({
    id: crmId(CODE.view, ++viewNumber),
    name,
    module,
    display_value: name,
    predefined: true,
    default: false,
    ...extra,
  });
  const crmViews: CrmView[] = (['Accounts', 'Contacts', 'Deals', 'Products', 'Vendors'] as const).flatMap(
    (module) => [
      view(module, `All ${module}`, { system_name: 'ALLVIEWS', default: true }),
      view(module, `My ${module}`, { system_name: `MY${module.toUpperCase()}` }),
      view(module, `Recently Created ${module}`, { system_name: 'RECENTLYCREATED' }),
    ],
  );
  crmViews.push(
    view('Accounts', 'US Customers', {
      predefined: false,
      system_name: null,
      criteria: {
        group_operator: 'and',
        group: [
          { field: { api_name: 'Billing_Country' }, comparator: 'equal', value: 'USA' },
          { field: { api_name: 'Account_Type' }, comparator: 'equal', value: 'Customer' },
        ],
      },
    }),
    view('Contacts', 'Purchasing Contacts', {
      predefined: false,
      system_name: null,
      criteria: { field: { api_name: 'Department' }, comparator: 'equal', value: 'Procurement' },
    }),
  );

  const currencyId = (code: string) =>
    booksId(BOOKS_CODE.currency, CURRENCIES.findIndex((c) => c.code === code) + 1);
  const booksRoles: BooksRole[] = [
    { role_id: booksId(BOOKS_CODE.role, 1), role_name: 'Admin', is_system_role: true },
    { role_id: booksId(BOOKS_CODE.role, 2), role_name: 'Staff', is_system_role: true },
  ];
  const booksUsers: BooksUser[] = people.map((p, i) => ({
    user_id: booksId(BOOKS_CODE.user, i + 1),
    name: p.name,
    email: p.email,
    status: p.status === 'active' ? 'active' : 'inactive',
    role_id: (booksRoles[i === 0 ? 0 : 1] as BooksRole).role_id,
    user_role: i === 0 ? 'admin' : 'staff',
    user_type: 'zoho',
    is_current_user: i === 0,
    created_time: booksTime(p.times.created),
    last_modified_time: booksTime(p.times.modified),
  }));

  return {
    crmOrg: {
      id: o.crmOrg,
      company_name: company,
      edition: 'PROFESSIONAL',
      mc_status: true,
      iso_code: 'USD',
      currency_symbol: '$',
      currency: 'US Dollar',
      country: 'United States',
      country_code: 'US',
      time_zone: 'America/Los_Angeles',
      primary_email: `admin@${domain}`,
      domain_name: slug(company),
    },
    crmUsers,
    crmRoles: roles,
    crmPipelines: [pipeline],
    crmViews,
    booksOrganization: {
      organization_id: o.booksOrg,
      name: company,
      currency_code: 'USD',
      currency_id: currencyId('USD'),
      currency_symbol: '$',
      email: `books@${domain}`,
      contact_name: crmUsers[0]?.full_name ?? 'Admin',
      country: 'U.S.A',
      country_code: 'US',
      time_zone: 'America/Los_Angeles',
      price_precision: 2,
      is_default_org: true,
      is_quote_to_invoice_enabled: true,
      quote_to_invoice_mode: 'draft',
      tax_rounding: 'entity_level',
    },
    booksUsers,
    booksRoles,
    booksCurrencies: CURRENCIES.map((c) => ({
      currency_id: currencyId(c.code),
      currency_code: c.code,
      currency_name: c.name,
      currency_symbol: c.symbol,
      price_precision: c.precision,
      currency_format: c.precision === 0 ? '1,234,567' : '1,234,567.89',
      is_base_currency: c.base,
      exchange_rate: c.rate,
    })),
    booksTaxes: [
      { tax_id: booksId(BOOKS_CODE.tax, 1), tax_name: 'Sales Tax', tax_percentage: 8.25, tax_type: 'tax' },
      { tax_id: booksId(BOOKS_CODE.tax, 2), tax_name: 'VAT', tax_percentage: 19, tax_type: 'tax' },
      { tax_id: booksId(BOOKS_CODE.tax, 3), tax_name: 'GST', tax_percentage: 5, tax_type: 'tax' },
    ],
  };
}

interface Person {
  id: string;
  first: string;
  last: string;
  name: string;
  email: string;
  status: 'active' | 'inactive';
  times: Times;
}

function seedPeople(o: SeedOptions): Person[] {
  const base = Date.parse(o.baseTime);
  return Array.from({ length: o.users }, (_, i) => {
    const rng = rngFor(o.seed, TAG.user, i);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(CRM_LAST_NAMES);
    return {
      id: crmId(CODE.user, i + 1),
      first,
      last,
      name: `${first} ${last}`,
      email: `${ascii(first)}.${ascii(last)}${i}@crm-users.example`,
      // The last of several users has left: a realistic inactive user for the migration paths.
      status: i > 0 && i === o.users - 1 ? 'inactive' : 'active',
      times: timesOf(rng, base),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Records

interface Built {
  record: SeedRecord;
  /** The defect to apply when the record is chosen to be invalid. */
  defect: (record: SeedRecord) => { field: string; what: string };
}

const removeField =
  (field: string) =>
  (record: SeedRecord): { field: string; what: string } => {
    delete record[field];
    return { field, what: `${field} missing` };
  };
const setField =
  (field: string, value: unknown, what: string, reported = field) =>
  (record: SeedRecord): { field: string; what: string } => {
    record[field] = value;
    return { field: reported, what };
  };

/** Chooses one of several defects with the record's own defect stream. */
function oneOf(seed: number, tag: number, index: number, defects: Built['defect'][]): Built['defect'] {
  return defects[rngFor(seed, TAG.defect, Math.imul(tag, 1_000_003) + index).int(0, defects.length - 1)]!;
}

class SeedGenerator {
  readonly o: SeedOptions;
  readonly base: number;
  readonly owners: CrmUserRef[];
  /** Ids of CRM records generated invalid (never written): lookups avoid them. Small: a fraction of ids. */
  readonly invalidIds = new Set<string>();

  constructor(options: SeedOptions) {
    this.o = options;
    this.base = Date.parse(options.baseTime);
    this.owners = seedPeople(options)
      .filter((p) => p.status === 'active')
      .map((p) => ({ id: p.id, name: p.name, email: p.email }));
  }

  private owner(rng: SeedRng): CrmUserRef {
    return rng.pick(this.owners);
  }

  private crmStamps(rng: SeedRng): SeedRecord {
    const t = timesOf(rng, this.base);
    const owner = this.owner(rng);
    return {
      Owner: owner,
      Created_By: owner,
      Modified_By: owner,
      Created_Time: crmTime(t.created),
      Modified_Time: crmTime(t.modified),
    };
  }

  accountName(i: number): string {
    return companyName(rngFor(this.o.seed, TAG.account, i), CRM_SUFFIXES);
  }

  account(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.account, i);
    const name = companyName(rng, CRM_SUFFIXES);
    const loc = rng.pick(LOCATIONS);
    const street = `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;
    const currency = loc.currency;
    const record: SeedRecord = {
      id: crmId(CODE.account, i + 1),
      Account_Name: name,
      Account_Number: `ACC-${pad(i + 1, 7)}`,
      Account_Type: rng.pick(ACCOUNT_TYPES),
      Industry: rng.pick(INDUSTRIES),
      Phone: `+1 ${rng.int(200, 999)} 555 ${pad(rng.int(0, 9999), 4)}`,
      Fax: null,
      Website: `https://www.${slug(name)}.example`,
      Billing_Street: street,
      Billing_City: loc.city,
      Billing_State: loc.state,
      Billing_Code: loc.code,
      Billing_Country: loc.country,
      Shipping_Street: street,
      Shipping_City: loc.city,
      Shipping_State: loc.state,
      Shipping_Code: loc.code,
      Shipping_Country: loc.country,
      Parent_Account: null,
      Annual_Revenue: rng.int(50, 50_000) * 1000,
      Employees: rng.int(1, 5000),
      Currency: currency,
      Exchange_Rate: CURRENCIES.find((c) => c.code === currency)?.rate || 1,
      Description: rng.chance(0.3) ? `Customer since ${2010 + rng.int(0, 14)}.` : null,
      Tag: [],
      ...this.crmStamps(rng),
    };
    return {
      record,
      defect: oneOf(this.o.seed, TAG.account, i, [
        removeField('Account_Name'),
        setField('Employees', -rng.int(1, 50), 'negative Employees'),
        setField('Currency', 'usd', 'lower-case currency code'),
      ]),
    };
  }

  /** 0–4 contacts per account. */
  contactsOf(account: number): number {
    return rngFor(this.o.seed, TAG.accountContacts, account).weighted([15, 25, 30, 20, 10]);
  }

  contactId(account: number, k: number): string {
    return crmId(CODE.contact, account * 5 + k + 1);
  }

  private person(rng: SeedRng, lastNames: readonly string[]) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(lastNames);
    return { first, last };
  }

  private contactRecord(rng: SeedRng, id: string, account: { id: string; name: string } | null): SeedRecord {
    const { first, last } = this.person(rng, CRM_LAST_NAMES);
    const domain = account ? `${slug(account.name)}.example` : rng.pick(['mail.example', 'post.example']);
    const loc = rng.pick(LOCATIONS);
    return {
      id,
      Salutation: rng.pick(['Mr.', 'Ms.', 'Mrs.', 'Dr.', null]),
      First_Name: first,
      Last_Name: last,
      Full_Name: `${first} ${last}`,
      Email: `${ascii(first)}.${ascii(last)}@${domain}`,
      Secondary_Email: null,
      Phone: `+1 ${rng.int(200, 999)} 555 ${pad(rng.int(0, 9999), 4)}`,
      Mobile: rng.chance(0.6) ? `+1 ${rng.int(200, 999)} 555 ${pad(rng.int(0, 9999), 4)}` : null,
      Title: rng.pick(TITLES),
      Department: rng.pick(DEPARTMENTS),
      Account_Name: account,
      Mailing_Street: `${rng.int(1, 999)} ${rng.pick(STREETS)}`,
      Mailing_City: loc.city,
      Mailing_State: loc.state,
      Mailing_Zip: loc.code,
      Mailing_Country: loc.country,
      Description: null,
      ...this.crmStamps(rng),
    };
  }

  private contactDefects(tag: number, index: number): Built['defect'] {
    return oneOf(this.o.seed, tag, index, [
      removeField('Last_Name'),
      setField('Email', 'not-an-email', 'bad Email'),
      setField('Account_Name', { name: 'no id' }, 'lookup without id', 'Account_Name.id'),
    ]);
  }

  contact(account: number, k: number): Built {
    const id = this.contactId(account, k);
    const rng = rngFor(this.o.seed, TAG.contact, account * 5 + k);
    const accountId = crmId(CODE.account, account + 1);
    // A contact of an account generated invalid (never written) keeps no dangling lookup.
    const ref = this.invalidIds.has(accountId) ? null : { id: accountId, name: this.accountName(account) };
    return {
      record: this.contactRecord(rng, id, ref),
      defect: this.contactDefects(TAG.contact, account * 5 + k),
    };
  }

  orphanContact(j: number): Built {
    const rng = rngFor(this.o.seed, TAG.orphan, j);
    return {
      record: this.contactRecord(rng, crmId(CODE.orphan, j + 1), null),
      defect: this.contactDefects(TAG.orphan, j),
    };
  }

  vendor(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.vendor, i);
    const name = `${rng.pick(COMPANY_ROOTS)} ${rng.pick(VENDOR_TRADES)} ${rng.pick(CRM_SUFFIXES)}`;
    const loc = rng.pick(LOCATIONS);
    return {
      record: {
        id: crmId(CODE.vendor, i + 1),
        Vendor_Name: name,
        Email: `orders@${slug(name)}.example`,
        Phone: `+1 ${rng.int(200, 999)} 555 ${pad(rng.int(0, 9999), 4)}`,
        Website: `https://${slug(name)}.example`,
        GL_Account: rng.pick(['Cost of Goods Sold', 'Purchases', 'Office Supplies']),
        Category: rng.pick(CATEGORIES),
        Street: `${rng.int(1, 999)} ${rng.pick(STREETS)}`,
        City: loc.city,
        State: loc.state,
        Zip_Code: loc.code,
        Country: loc.country,
        Currency: loc.currency,
        Description: null,
        ...this.crmStamps(rng),
      },
      defect: oneOf(this.o.seed, TAG.vendor, i, [
        removeField('Vendor_Name'),
        setField('Email', 'orders at example', 'bad Email'),
      ]),
    };
  }

  product(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.product, i);
    const goods = rng.chance(0.65);
    const name = goods
      ? `${rng.pick(GOODS)} ${rng.pick(PRODUCT_ADJECTIVES)} ${rng.int(1, 99) * 10}`
      : `${rng.pick(SERVICES)} ${rng.pick(PRODUCT_ADJECTIVES)}`;
    let vendor: { id: string; name: string } | null = null;
    if (goods && this.o.vendors > 0 && rng.chance(0.6)) {
      const v = rng.int(0, this.o.vendors - 1);
      const id = crmId(CODE.vendor, v + 1);
      if (!this.invalidIds.has(id)) vendor = { id, name: this.vendor(v).record.Vendor_Name as string };
    }
    return {
      record: {
        id: crmId(CODE.product, i + 1),
        Product_Name: name,
        Product_Code: `SKU-${pad(i + 1, 6)}`,
        Product_Active: rng.chance(0.95),
        Product_Category: goods ? rng.pick(['Hardware', 'Accessories']) : 'Services',
        Product_Type: goods ? 'Goods' : 'Services',
        Unit_Price: money(rng.int(5, 500_000) * (goods ? 1 : 10)),
        Usage_Unit: goods ? rng.pick(['Each', 'Box', 'Pack']) : rng.pick(['Hours', 'License', 'Month']),
        Taxable: goods,
        Tax: goods ? ['Sales Tax'] : [],
        Vendor_Name: vendor,
        Qty_in_Stock: goods ? rng.int(0, 5000) : null,
        Description: goods ? `The ${name}.` : `${name}, billed per ${goods ? 'unit' : 'engagement'}.`,
        ...this.crmStamps(rng),
      },
      defect: oneOf(this.o.seed, TAG.product, i, [
        setField('Unit_Price', -money(rng.int(1, 10_000)), 'negative Unit_Price'),
        setField('Product_Type', 'Hardware', 'unknown Product_Type'),
        removeField('Product_Name'),
      ]),
    };
  }

  /** Up to `tries` picks of a valid record id, or null. */
  private pickValid(rng: SeedRng, size: number, idOf: (n: number) => string, tries = 8): number | null {
    if (size <= 0) return null;
    for (let t = 0; t < tries; t++) {
      const n = rng.int(0, size - 1);
      if (!this.invalidIds.has(idOf(n))) return n;
    }
    return null;
  }

  deal(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.deal, i);
    const stage = SEED_STAGES[rng.weighted(STAGE_WEIGHTS)]!;
    const a = rng.chance(0.85)
      ? this.pickValid(rng, this.o.accounts, (n) => crmId(CODE.account, n + 1))
      : null;
    const accountName = a === null ? null : this.accountName(a);
    let contact: { id: string; name: string } | null = null;
    if (a !== null) {
      const contacts = this.contactsOf(a);
      const k = this.pickValid(rng, contacts, (n) => this.contactId(a, n), 3);
      if (k !== null) {
        const full = this.contact(a, k).record.Full_Name as string;
        contact = { id: this.contactId(a, k), name: full };
      }
    }
    const amount = money(rng.int(500, 250_000) * 100);
    const closing = this.base + rng.int(-180, 180) * DAY_MS;
    return {
      record: {
        id: crmId(CODE.deal, i + 1),
        Deal_Name: `${accountName ?? 'Walk-in'} – ${rng.pick(DEAL_KINDS)} ${i + 1}`,
        Stage: stage.name,
        Probability: stage.probability,
        Amount: amount,
        Expected_Revenue: money(Math.round(amount * stage.probability)),
        Closing_Date: isoDate(closing),
        Account_Name: a === null ? null : { id: crmId(CODE.account, a + 1), name: accountName },
        Contact_Name: contact,
        Pipeline: 'Standard',
        Type: rng.pick(['New Business', 'Existing Business']),
        Lead_Source: rng.pick(LEAD_SOURCES),
        Next_Step: stage.forecast === 'Open' ? rng.pick(NEXT_STEPS) : null,
        Currency: 'USD',
        Description: null,
        ...this.crmStamps(rng),
      },
      defect: oneOf(this.o.seed, TAG.deal, i, [
        setField('Probability', 150, 'Probability above 100'),
        removeField('Stage'),
        setField('Closing_Date', '2025-02-30', 'not a calendar date'),
      ]),
    };
  }

  // ----- Books

  private booksStamps(rng: SeedRng): SeedRecord {
    const t = timesOf(rng, this.base);
    return { created_time: booksTime(t.created), last_modified_time: booksTime(t.modified) };
  }

  private address(rng: SeedRng, attention = '') {
    const loc = rng.pick(LOCATIONS);
    return {
      attention,
      address: `${rng.int(1, 9999)} ${rng.pick(STREETS)}`,
      street2: '',
      city: loc.city,
      state: loc.state ?? '',
      zip: loc.code,
      country: loc.country,
      fax: '',
      phone: '',
    };
  }

  private booksContact(
    rng: SeedRng,
    id: string,
    type: 'customer' | 'vendor',
    name: string,
    person: { first: string; last: string } | null,
  ): SeedRecord {
    const currency = rng.pick(CURRENCIES.slice(0, 3));
    const persons = person
      ? [{ first: person.first, last: person.last }]
      : Array.from({ length: rng.int(0, 3) }, () => this.person(rng, BOOKS_ONLY_LAST_NAMES));
    const domain = `${slug(name) || 'contact'}.example`;
    const terms = rng.pick([0, 15, 30, 45]);
    const billing = this.address(rng, person ? `${person.first} ${person.last}` : 'Accounts Payable');
    return {
      contact_id: id,
      contact_name: name,
      company_name: person ? '' : name,
      contact_type: type,
      ...(type === 'customer' ? { customer_sub_type: person ? 'individual' : 'business' } : {}),
      status: rng.chance(0.92) ? 'active' : 'inactive',
      first_name: persons[0]?.first ?? '',
      last_name: persons[0]?.last ?? '',
      email: persons[0] ? `${ascii(persons[0].first)}.${ascii(persons[0].last)}@${domain}` : '',
      phone: `+1 ${rng.int(200, 999)} 555 ${pad(rng.int(0, 9999), 4)}`,
      currency_id: booksId(BOOKS_CODE.currency, CURRENCIES.indexOf(currency) + 1),
      currency_code: currency.code,
      payment_terms: terms,
      payment_terms_label: terms === 0 ? 'Due on Receipt' : `Net ${terms}`,
      billing_address: billing,
      shipping_address: { ...billing, attention: '' },
      contact_persons: persons.map((p, k) => ({
        contact_person_id: `${id}${k + 1}`,
        salutation: '',
        first_name: p.first,
        last_name: p.last,
        email: `${ascii(p.first)}.${ascii(p.last)}@${domain}`,
        phone: '',
        mobile: '',
        designation: rng.pick(TITLES),
        department: rng.pick(DEPARTMENTS),
        is_primary_contact: k === 0,
      })),
      custom_fields: [],
      notes: '',
      outstanding_receivable_amount: type === 'customer' ? money(rng.int(0, 500_000)) : 0,
      unused_credits_receivable_amount: 0,
      ...this.booksStamps(rng),
    };
  }

  private booksContactDefects(index: number): Built['defect'] {
    return oneOf(this.o.seed, TAG.booksCustomer, index, [
      setField('email', 'billing@', 'bad email'),
      setField('contact_type', 'lead', 'unknown contact_type'),
      removeField('contact_name'),
    ]);
  }

  booksCustomer(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.booksCustomer, i);
    const person = rng.chance(0.25) ? this.person(rng, BOOKS_ONLY_LAST_NAMES) : null;
    const name = person ? `${person.first} ${person.last}` : companyName(rng, BOOKS_ONLY_SUFFIXES);
    return {
      record: this.booksContact(rng, booksId(BOOKS_CODE.customer, i + 1), 'customer', name, person),
      defect: this.booksContactDefects(i),
    };
  }

  booksVendor(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.booksVendor, i);
    const name = `${rng.pick(COMPANY_ROOTS)} ${rng.pick(VENDOR_TRADES)} ${rng.pick(BOOKS_ONLY_SUFFIXES)}`;
    return {
      record: this.booksContact(rng, booksId(BOOKS_CODE.vendor, i + 1), 'vendor', name, null),
      defect: this.booksContactDefects(1_000_000_000 + i),
    };
  }

  private booksItem(rng: SeedRng, id: string, name: string, service: boolean): SeedRecord {
    const rate = money(rng.int(5, 500_000));
    return {
      item_id: id,
      name,
      rate,
      sku: `BK-${id.slice(-6)}`,
      description: `${name}.`,
      unit: service ? 'hrs' : 'pcs',
      product_type: service ? 'service' : 'goods',
      status: rng.chance(0.95) ? 'active' : 'inactive',
      item_type: rng.pick(['sales', 'sales_and_purchases']),
      tax_id: booksId(BOOKS_CODE.tax, 1),
      tax_name: 'Sales Tax',
      tax_percentage: 8.25,
      is_taxable: !service,
      purchase_rate: service ? 0 : money(Math.round(rate * 60)),
      custom_fields: [],
      ...this.booksStamps(rng),
    };
  }

  booksOnlyItem(i: number): Built {
    const rng = rngFor(this.o.seed, TAG.booksItem, i);
    const name = `${rng.pick(BOOKS_ONLY_GOODS)} ${rng.pick(PRODUCT_ADJECTIVES)} ${rng.int(1, 999)}`;
    return {
      record: this.booksItem(rng, booksId(BOOKS_CODE.item, i + 1), name, false),
      defect: oneOf(this.o.seed, TAG.booksItem, i, [
        setField('rate', -money(rng.int(1, 10_000)), 'negative rate'),
        setField('product_type', 'hardware', 'unknown product_type'),
      ]),
    };
  }

  /**
   * The i-th duplicate: a Books record named like a CRM record, the kinds taken in turn. Sources are spread
   * over their module and never an invalid (unwritten) CRM record. Some names differ in case or spacing only:
   * they normalise equal, as S2.3 matching does.
   */
  duplicate(
    i: number,
  ): { module: SeedBooksModule; record: SeedRecord; dup: Omit<SeedDuplicate, 'index'> } | null {
    const kinds = (
      [
        ['Accounts', this.o.accounts],
        ['Contacts', this.o.orphanContacts],
        ['Vendors', this.o.vendors],
        ['Products', this.o.products],
      ] as const
    ).filter(([, size]) => size > 0);
    if (kinds.length === 0) return null;
    const [crmModule, size] = kinds[i % kinds.length]!;
    const rng = rngFor(this.o.seed, TAG.duplicate, i);
    const idOf = {
      Accounts: (n: number) => crmId(CODE.account, n + 1),
      Contacts: (n: number) => crmId(CODE.orphan, n + 1),
      Vendors: (n: number) => crmId(CODE.vendor, n + 1),
      Products: (n: number) => crmId(CODE.product, n + 1),
    }[crmModule];
    let n = (Math.floor(i / kinds.length) * 7919 + rng.int(0, 6)) % size;
    for (let t = 0; t < size && this.invalidIds.has(idOf(n)); t++) n = (n + 1) % size;
    if (this.invalidIds.has(idOf(n))) return null;
    const vary = (name: string) =>
      i % 3 === 1 ? name.toUpperCase() : i % 3 === 2 ? name.replace(' ', '  ') : name;
    const id = booksId(BOOKS_CODE.duplicate, i + 1);
    const dup = { id, crmModule, crmId: idOf(n) };
    switch (crmModule) {
      case 'Accounts':
        return {
          module: 'contacts',
          record: this.booksContact(rng, id, 'customer', vary(this.accountName(n)), null),
          dup,
        };
      case 'Contacts': {
        const source = this.orphanContact(n).record;
        const person = { first: source.First_Name as string, last: source.Last_Name as string };
        return {
          module: 'contacts',
          record: this.booksContact(rng, id, 'customer', vary(`${person.first} ${person.last}`), person),
          dup,
        };
      }
      case 'Vendors':
        return {
          module: 'contacts',
          record: this.booksContact(
            rng,
            id,
            'vendor',
            vary(this.vendor(n).record.Vendor_Name as string),
            null,
          ),
          dup,
        };
      case 'Products': {
        const source = this.product(n).record;
        const name = vary(source.Product_Name as string);
        return {
          module: 'items',
          record: this.booksItem(rng, id, name, source.Product_Type === 'Services'),
          dup,
        };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Batching

/** Decides, record by record, which records of a module are invalid: exactly ⌊n·f⌋ or ⌈n·f⌉ of n, spread out. */
class DefectPicker {
  private ordinal = 0;
  private readonly phase: number;
  constructor(
    private readonly fraction: number,
    seed: number,
    tag: number,
  ) {
    this.phase = mix32(seed ^ Math.imul(tag, 0x27d4eb2d)) / 4294967296;
  }
  next(): boolean {
    const r = this.ordinal++;
    return Math.floor((r + 1) * this.fraction + this.phase) > Math.floor(r * this.fraction + this.phase);
  }
}

interface Item {
  record: SeedRecord;
  defect?: { field: string; what: string };
  duplicate?: Omit<SeedDuplicate, 'index'>;
}

function* batches<M extends SeedBatch['module']>(
  system: SeedBatch['system'],
  module: M,
  items: Iterable<Item>,
  size: number,
): Generator<SeedBatch> {
  let batch: BatchBase = { records: [], defects: [], duplicates: [] };
  const flush = () => {
    const out = { system, module, ...batch } as SeedBatch;
    batch = { records: [], defects: [], duplicates: [] };
    return out;
  };
  for (const item of items) {
    const index = batch.records.length;
    batch.records.push(item.record);
    const id = String(item.record.id ?? item.record.contact_id ?? item.record.item_id);
    if (item.defect) batch.defects.push({ index, id, ...item.defect });
    if (item.duplicate) batch.duplicates.push({ index, ...item.duplicate });
    if (batch.records.length >= size) yield flush();
  }
  if (batch.records.length > 0) yield flush();
}

/**
 * The records of the dataset, lazily, in batches of at most `batchSize` records of one module each, in the
 * order CRM Accounts, Contacts, Vendors, Products, Deals, then Books contacts (customers and vendors) and
 * items. Deterministic: the same options yield the same batches. Throws a ZodError for bad options.
 */
export function* generateSeed(partial: Partial<SeedOptions> = {}): Generator<SeedBatch> {
  const o = seedOptions(partial);
  const g = new SeedGenerator(o);
  const size = o.batchSize;

  function* module(tag: number, built: Iterable<Built>): Generator<Item> {
    const picker = new DefectPicker(o.invalidFraction, o.seed, tag);
    for (const b of built) {
      if (!picker.next()) {
        yield { record: b.record };
        continue;
      }
      const defect = b.defect(b.record);
      g.invalidIds.add(String(b.record.id ?? b.record.contact_id ?? b.record.item_id));
      yield { record: b.record, defect };
    }
  }
  function* range<T>(n: number, build: (i: number) => T): Generator<T> {
    for (let i = 0; i < n; i++) yield build(i);
  }

  yield* batches(
    'crm',
    'Accounts',
    module(
      TAG.account,
      range(o.accounts, (i) => g.account(i)),
    ),
    size,
  );
  yield* batches(
    'crm',
    'Contacts',
    module(
      TAG.contact,
      (function* () {
        for (let a = 0; a < o.accounts; a++) for (let k = 0; k < g.contactsOf(a); k++) yield g.contact(a, k);
        for (let j = 0; j < o.orphanContacts; j++) yield g.orphanContact(j);
      })(),
    ),
    size,
  );
  yield* batches(
    'crm',
    'Vendors',
    module(
      TAG.vendor,
      range(o.vendors, (i) => g.vendor(i)),
    ),
    size,
  );
  yield* batches(
    'crm',
    'Products',
    module(
      TAG.product,
      range(o.products, (i) => g.product(i)),
    ),
    size,
  );
  yield* batches(
    'crm',
    'Deals',
    module(
      TAG.deal,
      range(o.deals, (i) => g.deal(i)),
    ),
    size,
  );

  const duplicates = (wanted: SeedBooksModule): Generator<Item> =>
    (function* () {
      for (let i = 0; i < o.duplicates; i++) {
        const d = g.duplicate(i);
        if (d && d.module === wanted) yield { record: d.record, duplicate: d.dup };
      }
    })();
  yield* batches(
    'books',
    'contacts',
    (function* () {
      yield* module(
        TAG.booksCustomer,
        range(o.booksCustomers, (i) => g.booksCustomer(i)),
      );
      yield* module(
        TAG.booksVendor,
        range(o.booksVendors, (i) => g.booksVendor(i)),
      );
      yield* duplicates('contacts');
    })(),
    size,
  );
  yield* batches(
    'books',
    'items',
    (function* () {
      yield* module(
        TAG.booksItem,
        range(o.booksItems, (i) => g.booksOnlyItem(i)),
      );
      yield* duplicates('items');
    })(),
    size,
  );
}

/**
 * How many records `generateSeed` yields per module, without building them (for progress reports). Exact,
 * except that a duplicate is dropped in the rare case that every candidate source was generated invalid.
 */
export function plannedSeedCounts(partial: Partial<SeedOptions> = {}): {
  crm: Record<SeedCrmModule, number>;
  books: Record<SeedBooksModule, number>;
  total: number;
} {
  const o = seedOptions(partial);
  const g = new SeedGenerator(o);
  let contacts = o.orphanContacts;
  for (let a = 0; a < o.accounts; a++) contacts += g.contactsOf(a);
  const kinds = [o.accounts, o.orphanContacts, o.vendors, o.products].map((n) => n > 0);
  const active = kinds.filter(Boolean).length;
  // Duplicates cycle over the kinds that have sources, products (the items) last.
  const itemDuplicates = kinds[3] ? Math.floor(o.duplicates / active) : 0;
  const crm = {
    Accounts: o.accounts,
    Contacts: contacts,
    Vendors: o.vendors,
    Products: o.products,
    Deals: o.deals,
  };
  const books = {
    contacts: o.booksCustomers + o.booksVendors + (active === 0 ? 0 : o.duplicates - itemDuplicates),
    items: o.booksItems + itemDuplicates,
  };
  const total = Object.values(crm).reduce((a, b) => a + b, 0) + books.contacts + books.items;
  return { crm, books, total };
}
