import {
  booksSourceOf,
  booksValues,
  checkProductTypeValue,
  crmValues,
  FieldMapError,
  mappedCrmFields,
  normalizeValue,
  ownerOf,
  readBooksField,
  resolveFieldMaps,
  writeBooksFields,
  writeCrmFields,
  type BooksCustomFieldDef,
  type FieldMapSpec,
  type ResolvedFieldMap,
} from '../../../../domain/sync/field-maps';
import { KIND_SPECS, type SyncKind } from '../../../../domain/sync/kinds';

/** The default maps each kind's spec declares. */
const defaultsOf = (kind: SyncKind) => KIND_SPECS[kind].defaultFieldMaps;

const KINDS: SyncKind[] = ['account', 'contact', 'contact_person', 'vendor', 'item'];

/** The problems resolveFieldMaps reports, or [] when it accepts the maps. */
function problemsOf(
  kind: SyncKind,
  userMaps: readonly FieldMapSpec[],
  custom: readonly BooksCustomFieldDef[] = [],
): string[] {
  try {
    resolveFieldMaps(kind, userMaps, custom);
    return [];
  } catch (err) {
    if (err instanceof FieldMapError) return err.problems;
    throw err;
  }
}

const map = (
  crmField: string,
  booksField: string,
  extra: Partial<ResolvedFieldMap> = {},
): ResolvedFieldMap => ({
  crmField,
  booksField,
  owner: 'latest',
  mandatory: false,
  custom: false,
  ...extra,
});

describe('default field maps (S2.5)', () => {
  it.each<[SyncKind, string, string]>([
    ['account', 'Account_Name', 'contact_name'],
    ['contact', 'Last_Name', 'last_name'],
    ['contact_person', 'Last_Name', 'last_name'],
    ['vendor', 'Vendor_Name', 'contact_name'],
    ['item', 'Product_Name', 'name'],
  ])(
    '%s: resolved with no user map, the display field %s → %s is the one mandatory map',
    (kind, crm, books) => {
      const maps = resolveFieldMaps(kind, [], []);
      expect(maps).toHaveLength(defaultsOf(kind).length);
      expect(maps.filter((m) => m.mandatory)).toEqual([
        expect.objectContaining({ crmField: crm, booksField: books, custom: false }),
      ]);
      expect(maps.every((m) => !m.custom)).toBe(true);
    },
  );

  it.each(KINDS)('%s: defaults keep their order, owners default to latest, no Books field twice', (kind) => {
    const maps = resolveFieldMaps(kind, [], []);
    expect(maps.map((m) => m.booksField)).toEqual(defaultsOf(kind).map((d) => d.booksField));
    expect(maps.map((m) => m.owner)).toEqual(defaultsOf(kind).map((d) => d.owner ?? 'latest'));
    expect(new Set(maps.map((m) => m.booksField)).size).toBe(maps.length);
  });

  it.each<[SyncKind, string, string]>([
    ['account', 'Account_Name', 'crm'],
    ['account', 'Currency', 'crm'],
    ['account', 'Phone', 'latest'],
    ['contact', 'Currency', 'crm'],
    ['contact', 'Last_Name', 'latest'],
    ['vendor', 'Vendor_Name', 'crm'],
    ['item', 'Unit_Price', 'latest'],
  ])('%s: the owner rule of %s is %s', (kind, field, owner) => {
    expect(ownerOf(resolveFieldMaps(kind, [], []), field)).toBe(owner);
  });

  it.each<[SyncKind, Record<string, string>]>([
    [
      'account',
      {
        Billing_Street: 'billing_address.address',
        Billing_City: 'billing_address.city',
        Billing_State: 'billing_address.state',
        Billing_Code: 'billing_address.zip',
        Billing_Country: 'billing_address.country',
        Shipping_Street: 'shipping_address.address',
        Shipping_Code: 'shipping_address.zip',
      },
    ],
    [
      'contact',
      {
        Mailing_Street: 'billing_address.address',
        Mailing_Zip: 'billing_address.zip',
        Other_City: 'shipping_address.city',
        Other_Zip: 'shipping_address.zip',
      },
    ],
    [
      'vendor',
      { Street: 'billing_address.address', City: 'billing_address.city', Zip_Code: 'billing_address.zip' },
    ],
  ])('%s: address fields map to the right address paths', (kind, expected) => {
    const maps = resolveFieldMaps(kind, [], []);
    for (const [crm, books] of Object.entries(expected))
      expect(maps.find((m) => m.crmField === crm)?.booksField).toBe(books);
  });
});

describe('user maps on top of the defaults', () => {
  it('a user map replaces the default of the same Books field', () => {
    const maps = resolveFieldMaps(
      'account',
      [{ crmField: 'Main_Phone', booksField: 'phone', owner: 'books' }],
      [],
    );
    const phone = maps.filter((m) => m.booksField === 'phone');
    expect(phone).toEqual([
      { crmField: 'Main_Phone', booksField: 'phone', owner: 'books', mandatory: false, custom: true },
    ]);
    expect(mappedCrmFields(maps)).not.toContain('Phone');
    expect(maps).toHaveLength(defaultsOf('account').length);
  });

  it('a user map of the mandatory Books field stays mandatory', () => {
    const maps = resolveFieldMaps('vendor', [{ crmField: 'Legal_Name', booksField: 'contact_name' }], []);
    expect(maps.find((m) => m.booksField === 'contact_name')).toEqual(
      expect.objectContaining({ crmField: 'Legal_Name', mandatory: true, custom: true }),
    );
  });

  it('new user maps follow the defaults in their order', () => {
    const maps = resolveFieldMaps(
      'account',
      [
        { crmField: 'Fax', booksField: 'billing_address.fax' },
        { crmField: 'Description', booksField: 'notes' },
      ],
      [],
    );
    expect(maps.slice(-2).map((m) => [m.crmField, m.booksField, m.custom])).toEqual([
      ['Fax', 'billing_address.fax', true],
      ['Description', 'notes', true],
    ]);
  });

  // Expected (the doc comment of resolveFieldMaps: "the defaults, with a user map replacing the default of the
  // same Books field, followed by the user's other maps"): a replacing map takes its default's place, so the
  // default `phone` stays the first-mapped Books field of Phone and is the one pushed to the CRM (S2.5).
  it('a replacing user map keeps its default’s place, so the first-mapped rule is unchanged', () => {
    const maps = resolveFieldMaps(
      'account',
      [
        { crmField: 'Phone', booksField: 'billing_address.phone' },
        { crmField: 'Phone', booksField: 'phone', owner: 'crm' },
      ],
      [],
    );
    expect(booksSourceOf(maps).get('Phone')?.booksField).toBe('phone');
    const defaultIndex = defaultsOf('account').findIndex((d) => d.booksField === 'phone');
    expect(maps.findIndex((m) => m.booksField === 'phone')).toBe(defaultIndex);
  });
});

describe('validation of user maps', () => {
  const customDefs: BooksCustomFieldDef[] = [
    { api_name: 'cf_tier', label: 'Tier', data_type: 'string' },
    { api_name: 'cf_region', label: 'Region', data_type: 'string' },
  ];

  it('accepts a map to a Books custom field that exists', () => {
    const maps = resolveFieldMaps(
      'account',
      [{ crmField: 'Region', booksField: 'custom_fields.cf_region' }],
      customDefs,
    );
    expect(maps.at(-1)).toEqual({
      crmField: 'Region',
      booksField: 'custom_fields.cf_region',
      owner: 'latest',
      mandatory: false,
      custom: true,
    });
  });

  it('refuses a custom field that does not exist, naming it and listing the defined ones', () => {
    const err = (() => {
      try {
        resolveFieldMaps(
          'account',
          [{ crmField: 'Region', booksField: 'custom_fields.cf_reigon' }],
          customDefs,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(FieldMapError);
    const e = err as FieldMapError;
    expect(e.kind).toBe('account');
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain('"cf_reigon" does not exist');
    expect(e.problems[0]).toContain('(defined: cf_region, cf_tier)');
    expect(e.message).toContain('Invalid field mapping for account');
    expect(e.message).toContain('cf_reigon');
  });

  it('says when the Books org defines no custom field at all', () => {
    expect(problemsOf('item', [{ crmField: 'Region', booksField: 'custom_fields.cf_region' }])).toEqual([
      expect.stringContaining('(none is defined)'),
    ]);
  });

  it.each<[string, SyncKind, FieldMapSpec, string]>([
    [
      'an unknown Books field',
      'account',
      { crmField: 'Fax', booksField: 'fax_number' },
      '"fax_number" is not a Books field of accounts',
    ],
    [
      'an item field on a vendor',
      'vendor',
      { crmField: 'Code', booksField: 'sku' },
      '"sku" is not a Books field of vendors',
    ],
    [
      'a contact field on an item',
      'item',
      { crmField: 'Email', booksField: 'email' },
      '"email" is not a Books field of items',
    ],
    [
      'an unknown address part',
      'contact',
      { crmField: 'X', booksField: 'billing_address.county' },
      'is not a Books field',
    ],
    [
      'product type on accounts',
      'account',
      { crmField: 'Kind', booksField: 'product_type' },
      'product type can be mapped only for items',
    ],
    [
      'product type on contacts',
      'contact',
      { crmField: 'Kind', booksField: 'product_type' },
      'product type can be mapped only for items',
    ],
    [
      'product type on vendors',
      'vendor',
      { crmField: 'Kind', booksField: 'product_type' },
      'product type can be mapped only for items',
    ],
    [
      'a CRM name starting with a digit',
      'account',
      { crmField: '1Field', booksField: 'notes' },
      'is not a CRM field API name',
    ],
    [
      'a CRM name with a dash',
      'account',
      { crmField: 'My-Field', booksField: 'notes' },
      'is not a CRM field API name',
    ],
    ['an empty CRM name', 'account', { crmField: '', booksField: 'notes' }, 'is not a CRM field API name'],
    [
      'a CRM name with a dot',
      'account',
      { crmField: 'a.b', booksField: 'notes' },
      'is not a CRM field API name',
    ],
  ])('refuses %s', (_what, kind, userMap, message) => {
    const problems = problemsOf(kind, [userMap]);
    expect(problems).toEqual([expect.stringContaining(message)]);
    expect(problems[0]).toContain('map 1');
  });

  it.each<[SyncKind, FieldMapSpec]>([
    ['item', { crmField: 'Product_Kind', booksField: 'product_type' }],
    ['item', { crmField: 'Usage_Unit', booksField: 'unit' }],
    ['account', { crmField: 'Billing_Street2', booksField: 'billing_address.street2' }],
    ['contact_person', { crmField: 'Title', booksField: 'designation', owner: 'books' }],
    ['vendor', { crmField: 'Payment_Terms', booksField: 'payment_terms' }],
  ])('%s accepts %o', (kind, userMap) => {
    expect(problemsOf(kind, [userMap])).toEqual([]);
  });

  it('refuses one Books field mapped twice', () => {
    expect(
      problemsOf('account', [
        { crmField: 'Website', booksField: 'website' },
        { crmField: 'Secondary_Website', booksField: 'website' },
      ]),
    ).toEqual(['the Books field "website" is mapped more than once']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      'account',
      [
        { crmField: 'Region', booksField: 'custom_fields.cf_missing' },
        { crmField: 'Fax', booksField: 'fax_number' },
        { crmField: 'Kind', booksField: 'product_type' },
        { crmField: 'bad name', booksField: 'notes' },
        { crmField: 'A', booksField: 'website' },
        { crmField: 'B', booksField: 'website' },
      ],
      [{ api_name: 'cf_region' }],
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toEqual(
      expect.stringMatching(
        /map 1 .*cf_missing.*\n.*map 2 .*fax_number.*\n.*map 3 .*product type.*\n.*map 4 .*bad name.*\n.*"website" is mapped more than once/s,
      ),
    );
  });
});

describe('the multi-map rule (S2.5): one Books source per CRM field', () => {
  it.each<[string, ResolvedFieldMap[], string]>([
    ['the first mapped when none is mandatory', [map('X', 'a'), map('X', 'b'), map('X', 'c')], 'a'],
    ['the mandatory one even when mapped later', [map('X', 'a'), map('X', 'b', { mandatory: true })], 'b'],
    [
      'the first mandatory one among several',
      [map('X', 'a'), map('X', 'b', { mandatory: true }), map('X', 'c', { mandatory: true })],
      'b',
    ],
  ])('picks %s', (_what, maps, books) => {
    expect(booksSourceOf(maps).get('X')?.booksField).toBe(books);
  });

  it.each<['account' | 'vendor', string]>([
    ['account', 'Account_Name'],
    ['vendor', 'Vendor_Name'],
  ])('%s: the display name, not the company name, is pushed to the CRM', (kind, field) => {
    const maps = resolveFieldMaps(kind, [], []);
    expect(booksSourceOf(maps).get(field)?.booksField).toBe('contact_name');
    expect(booksValues(maps, { contact_name: 'Display Name', company_name: 'Company Ltd' })[field]).toBe(
      'Display Name',
    );
  });

  it('a user map to a CRM field that is already mapped does not take over as source', () => {
    const maps = resolveFieldMaps(
      'contact',
      [{ crmField: 'Phone', booksField: 'billing_address.phone' }],
      [],
    );
    expect(booksSourceOf(maps).get('Phone')?.booksField).toBe('phone');
    expect(booksValues(maps, { phone: '111', billing_address: { phone: '222' } }).Phone).toBe('111');
  });

  it('a mandatory user map takes over as source', () => {
    const maps = resolveFieldMaps(
      'contact',
      [{ crmField: 'Phone', booksField: 'billing_address.phone', mandatory: true }],
      [],
    );
    expect(booksValues(maps, { phone: '111', billing_address: { phone: '222' } }).Phone).toBe('222');
  });

  it('CRM → Books writes the value to every Books field mapped from the CRM field', () => {
    const maps = resolveFieldMaps('account', [], []);
    const out = writeBooksFields(maps, {}, { Account_Name: 'Zylker' }, ['Account_Name']);
    expect(out).toEqual({ contact_name: 'Zylker', company_name: 'Zylker' });
  });

  it('booksValues has one key per mapped CRM field', () => {
    for (const kind of KINDS) {
      const maps = resolveFieldMaps(kind, [], []);
      expect(Object.keys(booksValues(maps, {})).sort()).toEqual(mappedCrmFields(maps).sort());
      expect(Object.values(booksValues(maps, {})).every((v) => v === null)).toBe(true);
    }
  });

  it.each<[string, ResolvedFieldMap[], string, string]>([
    ['crm beats latest', [map('X', 'a'), map('X', 'b', { owner: 'crm' })], 'X', 'crm'],
    ['books beats latest', [map('X', 'a', { owner: 'books' }), map('X', 'b')], 'X', 'books'],
    ['all latest', [map('X', 'a'), map('X', 'b')], 'X', 'latest'],
    ['an unmapped field', [map('X', 'a', { owner: 'crm' })], 'Y', 'latest'],
  ])('ownerOf: %s', (_what, maps, field, owner) => {
    expect(ownerOf(maps, field)).toBe(owner);
  });
});

describe('value conversions', () => {
  const itemMaps = resolveFieldMaps('item', [{ crmField: 'Product_Kind', booksField: 'product_type' }], []);

  it.each<[boolean, string]>([
    [true, 'active'],
    [false, 'inactive'],
  ])('Product_Active %s ↔ status %s round trips', (crm, books) => {
    const written = writeBooksFields(itemMaps, {}, { Product_Active: crm }, ['Product_Active']);
    expect(written).toEqual({ status: books });
    expect(booksValues(itemMaps, written).Product_Active).toBe(crm);
  });

  it.each<[string, string]>([
    ['Goods', 'goods'],
    ['Services', 'service'],
  ])('product type %s ↔ %s round trips', (crm, books) => {
    const written = writeBooksFields(itemMaps, {}, { Product_Kind: crm }, ['Product_Kind']);
    expect(written).toEqual({ product_type: books });
    expect(booksValues(itemMaps, written).Product_Kind).toBe(crm);
  });

  it.each<[unknown, unknown]>([
    ['digital_service', 'Services'],
    ['', null],
    [undefined, null],
  ])('Books product type %j reads as %j', (books, crm) => {
    expect(booksValues(itemMaps, { product_type: books }).Product_Kind).toBe(crm);
  });

  it.each<[unknown, string | undefined]>([
    ['Goods', undefined],
    ['Services', undefined],
    [null, undefined],
    [
      'Hardware',
      'Product_Kind: "Hardware" is neither Goods nor Services, so it cannot be the item\'s product type',
    ],
    [
      'goods',
      'Product_Kind: "goods" is neither Goods nor Services, so it cannot be the item\'s product type',
    ],
  ])('checkProductTypeValue(%j)', (value, message) => {
    expect(checkProductTypeValue(itemMaps, { Product_Kind: value as string | null })).toBe(message);
  });

  it('checkProductTypeValue passes when product type is not mapped', () => {
    expect(
      checkProductTypeValue(resolveFieldMaps('item', [], []), { Product_Kind: 'Hardware' }),
    ).toBeUndefined();
  });

  it('other values pass through both ways (numbers, booleans)', () => {
    const written = writeBooksFields(itemMaps, {}, { Unit_Price: 12.5, Taxable: false }, [
      'Unit_Price',
      'Taxable',
    ]);
    expect(written).toEqual({ rate: 12.5, is_taxable: false });
    expect(booksValues(itemMaps, written)).toEqual(
      expect.objectContaining({ Unit_Price: 12.5, Taxable: false }),
    );
  });
});

describe('Books field paths', () => {
  it.each<[string, unknown]>([
    ['phone', '555'],
    ['billing_address.city', 'Pleasanton'],
    ['billing_address.zip', '94588'],
    ['shipping_address.city', undefined],
    ['custom_fields.cf_region', 'West'],
    ['custom_fields.cf_missing', undefined],
    ['website', undefined],
  ])('readBooksField(%s)', (path, expected) => {
    const record = {
      phone: '555',
      billing_address: { city: 'Pleasanton', zip: '94588' },
      shipping_address: null,
      custom_fields: [
        { api_name: 'cf_tier', value: 'Gold' },
        { api_name: 'cf_region', value: 'West' },
      ],
    };
    expect(readBooksField(record, path)).toEqual(expected);
  });

  it('reads nothing from a non-object address or a non-array custom_fields', () => {
    expect(readBooksField({ billing_address: 'text' }, 'billing_address.city')).toBeUndefined();
    expect(
      readBooksField({ custom_fields: { cf_region: 'West' } }, 'custom_fields.cf_region'),
    ).toBeUndefined();
  });

  it('writes address parts without touching the other parts, and deletes a part set to null', () => {
    const maps = resolveFieldMaps('account', [], []);
    const record = {
      billing_address: { attention: 'AP', address: 'Old street', street2: 'Suite 310', city: 'Old' },
    };
    const out = writeBooksFields(
      maps,
      record,
      { Billing_City: 'Pleasanton', Billing_Street: null, Shipping_Code: '94588' },
      ['Billing_City', 'Billing_Street', 'Shipping_Code'],
    );
    expect(out).toEqual({
      billing_address: { attention: 'AP', street2: 'Suite 310', city: 'Pleasanton' },
      shipping_address: { zip: '94588' },
    });
    // The input record is not changed.
    expect(record.billing_address).toEqual({
      attention: 'AP',
      address: 'Old street',
      street2: 'Suite 310',
      city: 'Old',
    });
  });

  it('contact Mailing_Zip and vendor Zip_Code land in billing_address.zip', () => {
    const contact = resolveFieldMaps('contact', [], []);
    const vendor = resolveFieldMaps('vendor', [], []);
    expect(writeBooksFields(contact, {}, { Mailing_Zip: '73301' }, ['Mailing_Zip'])).toEqual({
      billing_address: { zip: '73301' },
    });
    expect(writeBooksFields(vendor, {}, { Zip_Code: '80202' }, ['Zip_Code'])).toEqual({
      billing_address: { zip: '80202' },
    });
  });

  it('writes only the asked fields, and deletes a top-level field set to null', () => {
    const maps = resolveFieldMaps('account', [], []);
    const out = writeBooksFields(
      maps,
      { phone: '1', website: 'w', contact_id: 'b1' },
      { Phone: null, Website: 'new' },
      ['Phone'],
    );
    expect(out).toEqual({ website: 'w', contact_id: 'b1' });
  });

  describe('custom fields', () => {
    const maps = resolveFieldMaps(
      'account',
      [
        { crmField: 'Region', booksField: 'custom_fields.cf_region' },
        { crmField: 'Tier', booksField: 'custom_fields.cf_tier' },
      ],
      [{ api_name: 'cf_region' }, { api_name: 'cf_tier' }],
    );

    it('updates an existing entry in place, keeping its other properties and the other entries', () => {
      const record = {
        custom_fields: [
          { api_name: 'cf_other', value: 'x', customfield_id: '9' },
          { api_name: 'cf_region', value: 'East', label: 'Region', customfield_id: '1' },
        ],
      };
      const out = writeBooksFields(maps, record, { Region: 'West' }, ['Region']);
      expect(out.custom_fields).toEqual([
        { api_name: 'cf_other', value: 'x', customfield_id: '9' },
        { api_name: 'cf_region', value: 'West', label: 'Region', customfield_id: '1' },
      ]);
      expect(record.custom_fields[1]?.value).toBe('East');
    });

    it('adds a missing entry and creates the list when absent', () => {
      const out = writeBooksFields(maps, {}, { Region: 'West', Tier: 'Gold' }, ['Region', 'Tier']);
      expect(out.custom_fields).toEqual([
        { api_name: 'cf_region', value: 'West' },
        { api_name: 'cf_tier', value: 'Gold' },
      ]);
      expect(booksValues(maps, out)).toEqual(expect.objectContaining({ Region: 'West', Tier: 'Gold' }));
    });

    it('keeps an emptied custom field as a null value, read back as null', () => {
      const out = writeBooksFields(maps, { custom_fields: [{ api_name: 'cf_region', value: 'West' }] }, {}, [
        'Region',
      ]);
      expect(out.custom_fields).toEqual([{ api_name: 'cf_region', value: null }]);
      expect(booksValues(maps, out).Region).toBeNull();
    });
  });
});

describe('CRM side', () => {
  it('crmValues takes the mapped fields only, normalised, absent ones as null', () => {
    const maps = resolveFieldMaps('vendor', [], []);
    const values = crmValues(maps, {
      id: 'v1',
      Vendor_Name: '  Acme Supplies ',
      Email: '',
      GL_Account: 'Sales',
      Website: 'https://acme.example',
    });
    expect(Object.keys(values).sort()).toEqual(mappedCrmFields(maps).sort());
    expect(values).toEqual(
      expect.objectContaining({
        Vendor_Name: 'Acme Supplies',
        Email: null,
        Website: 'https://acme.example',
        City: null,
      }),
    );
    expect(values).not.toHaveProperty('GL_Account');
  });

  it('mappedCrmFields lists each CRM field once, in map order', () => {
    expect(mappedCrmFields(resolveFieldMaps('account', [], [])).slice(0, 3)).toEqual([
      'Account_Name',
      'Phone',
      'Website',
    ]);
  });

  it('writeCrmFields sets the asked fields, null for a missing value, and copies the record', () => {
    const record = { id: 'c1', Phone: '1', Website: 'w', Owner: { id: 'u1' } };
    const out = writeCrmFields(record, { Phone: '2' }, ['Phone', 'Email']);
    expect(out).toEqual({ id: 'c1', Phone: '2', Website: 'w', Owner: { id: 'u1' }, Email: null });
    expect(record.Phone).toBe('1');
    expect(out.Owner).not.toBe(record.Owner);
  });
});

describe('normalizeValue', () => {
  it.each<[string, unknown, unknown]>([
    ['undefined', undefined, null],
    ['null', null, null],
    ['empty text', '', null],
    ['blank text', ' \t\n ', null],
    ['padded text', '  Acme  ', 'Acme'],
    ['inner spaces kept', 'A  B', 'A  B'],
    ['zero', 0, 0],
    ['a number', 12.5, 12.5],
    ['false', false, false],
    ['true', true, true],
    ['an array', [' a ', '', 1], ['a', null, 1]],
    ['an object', { a: ' x ', b: '', c: { d: ' ' } }, { a: 'x', b: null, c: { d: null } }],
    ['a function', () => 1, null],
    ['a symbol', Symbol('s'), null],
  ])('%s', (_what, input, expected) => {
    expect(normalizeValue(input)).toEqual(expected);
  });
});
