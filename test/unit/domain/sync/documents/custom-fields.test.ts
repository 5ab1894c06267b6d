import {
  crmFieldOfCustomField,
  customFieldsToBooks,
  customFieldsToCrm,
} from '../../../../../domain/sync/documents/custom-fields';

describe('crmFieldOfCustomField', () => {
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['its API name', { api_name: 'cf_delivery', label: 'Ignored' }, 'cf_delivery'],
    [
      'from its label, the way Books names it',
      { label: 'Delivery Window (days)' },
      'cf_delivery_window_days',
    ],
    [
      'from its label when the API name is no custom-field name',
      { api_name: 'Bad-Name', label: 'Zone' },
      'cf_zone',
    ],
    ['none from a label of no letters or digits', { label: ' -- ' }, undefined],
    ['none from an id alone', { customfield_id: 'f1' }, undefined],
  ])('%s', (_name, field, expected) => {
    expect(crmFieldOfCustomField(field)).toBe(expected);
  });
});

describe('customFieldsToCrm', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['no custom fields', { total: 5 }, {}],
    [
      'each value by its CRM name, empty as null',
      {
        custom_fields: [
          { api_name: 'cf_delivery', value: 'Courier' },
          { api_name: 'cf_boxes', value: 3 },
          { label: 'Site Code' },
          'not a field',
        ],
      },
      { cf_delivery: 'Courier', cf_boxes: 3, cf_site_code: null },
    ],
  ])('%s', (_name, books, expected) => {
    expect(customFieldsToCrm(books)).toEqual(expected);
  });
});

describe('customFieldsToBooks', () => {
  const existing = {
    custom_fields: [
      { customfield_id: 'f1', api_name: 'cf_delivery', label: 'Delivery', value: 'Post' },
      { customfield_id: 'f2', api_name: 'cf_zone', label: 'Zone', value: 'A' },
    ],
  };
  it.each<[string, Record<string, unknown>, Record<string, unknown> | undefined, unknown]>([
    ['none on either side', { Subject: 'Q' }, undefined, undefined],
    [
      'the CRM fields of custom-field names only',
      { cf_delivery: 'Courier', Region: 'N' },
      undefined,
      [{ api_name: 'cf_delivery', value: 'Courier' }],
    ],
    [
      "the CRM's values over Books' own, Books' others kept, new ones added",
      { cf_delivery: 'Courier', cf_boxes: null },
      existing,
      [
        { customfield_id: 'f1', api_name: 'cf_delivery', label: 'Delivery', value: 'Courier' },
        { customfield_id: 'f2', api_name: 'cf_zone', label: 'Zone', value: 'A' },
        { api_name: 'cf_boxes', value: null },
      ],
    ],
    ["Books' own when the CRM sets none", {}, existing, existing.custom_fields],
  ])('%s', (_name, crm, books, expected) => {
    expect(customFieldsToBooks(crm, books)).toEqual(expected);
  });
});
