import {
  type CrmComparator,
  type CrmCriteria,
  type CrmCriteriaCondition,
  type CrmCriteriaValue,
  type CrmView,
} from '../../../domain/crm-schemas';
import {
  compileView,
  RECENT_WINDOW_DAYS,
  ViewError,
  viewMatchesAll,
  type ViewContext,
} from '../../../domain/views';

const OWNER = '4150868000000225013';
const ctx: ViewContext = { module: 'Accounts', currentUserId: OWNER, now: '2024-06-30T12:00:00Z' };

const cond = (
  api_name: string,
  comparator: CrmComparator,
  value: CrmCriteriaValue,
): CrmCriteriaCondition => ({
  field: { api_name },
  comparator,
  value,
});

const customView = (criteria: CrmCriteria | null, extra: Partial<CrmView> = {}): CrmView => ({
  id: '4150868000000300021',
  name: 'Test view',
  module: 'Accounts',
  system_name: null,
  predefined: false,
  criteria,
  ...extra,
});

const systemView = (system_name: string | null, extra: Partial<CrmView> = {}): CrmView => ({
  id: '4150868000000300001',
  name: 'System view',
  module: 'Accounts',
  system_name,
  predefined: true,
  criteria: null,
  ...extra,
});

/** An account as the API gives it, with custom fields (a multi-select picklist, a date, a boolean). */
const account: Record<string, unknown> = {
  id: '4150868000000224005',
  Account_Name: 'Zylker Traders',
  Owner: { id: OWNER, name: 'Patricia Boyle', email: 'patricia.boyle@example.com' },
  Parent_Account: { id: '4150868000000224001', name: 'Zylker Group' },
  Billing_State: 'CA',
  Billing_Code: '94588',
  Annual_Revenue: 1250000,
  Employees: 42,
  Industry: 'Retail',
  Phone: null,
  Fax: '',
  Customer_Tier: ' Gold ',
  Is_Partner: true,
  Regions: ['West', 'North'],
  Tag: [{ name: 'VIP' }],
  Created_Time: '2024-06-10T09:20:41+05:30',
  Modified_Time: '2024-04-01T10:02:13+05:30',
  Onboarded_On: '2024-03-15',
  Revenue_Text: '1500',
};

const matches = (criteria: CrmCriteria, record: Record<string, unknown> = account) =>
  compileView(customView(criteria), ctx).matches(record);

describe('compileView: comparators', () => {
  it.each<[string, CrmCriteriaCondition, boolean]>([
    // equal / not_equal
    ['equal text, case-insensitive and trimmed', cond('Customer_Tier', 'equal', 'gold'), true],
    ['equal text, other value', cond('Customer_Tier', 'equal', 'Silver'), false],
    ['equal number', cond('Employees', 'equal', 42), true],
    ['equal number, other value', cond('Employees', 'equal', 41), false],
    ['equal number given as text', cond('Employees', 'equal', '42'), true],
    ['equal number against numeric text in the record', cond('Revenue_Text', 'equal', 1500), true],
    ['equal boolean', cond('Is_Partner', 'equal', true), true],
    ['equal boolean, other value', cond('Is_Partner', 'equal', false), false],
    ['equal boolean given as text', cond('Is_Partner', 'equal', 'TRUE'), true],
    ['equal a date', cond('Onboarded_On', 'equal', '2024-03-15'), true],
    ['equal a date, other day', cond('Onboarded_On', 'equal', '2024-03-16'), false],
    ['equal the same instant in another offset', cond('Created_Time', 'equal', '2024-06-10T03:50:41Z'), true],
    ['equal a date against a date-time, by its day', cond('Created_Time', 'equal', '2024-06-10'), true],
    ['equal text does not compare numerically', cond('Billing_Code', 'equal', '094588'), false],
    ['not_equal text', cond('Industry', 'not_equal', 'Banking'), true],
    ['not_equal text, same value', cond('Industry', 'not_equal', 'retail'), false],
    ['not_equal number', cond('Employees', 'not_equal', 42), false],
    // in / not_in
    ['in text', cond('Billing_State', 'in', ['NV', 'ca']), true],
    ['in text, absent', cond('Billing_State', 'in', ['NV', 'OR']), false],
    ['in numbers', cond('Employees', 'in', [10, 42]), true],
    ['not_in text', cond('Billing_State', 'not_in', ['NV', 'OR']), true],
    ['not_in text, present', cond('Billing_State', 'not_in', ['CA']), false],
    // greater / less
    ['greater_than number', cond('Annual_Revenue', 'greater_than', 1000000), true],
    ['greater_than number, equal', cond('Annual_Revenue', 'greater_than', 1250000), false],
    ['greater_equal number, equal', cond('Annual_Revenue', 'greater_equal', 1250000), true],
    ['greater_equal number, above', cond('Annual_Revenue', 'greater_equal', 1250001), false],
    ['less_than number', cond('Employees', 'less_than', 50), true],
    ['less_than number, equal', cond('Employees', 'less_than', 42), false],
    ['less_equal number, equal', cond('Employees', 'less_equal', 42), true],
    ['less_equal number, below', cond('Employees', 'less_equal', 41), false],
    ['greater_than number given as text', cond('Annual_Revenue', 'greater_than', '1e6'), true],
    [
      'greater_than number against numeric text in the record',
      cond('Revenue_Text', 'greater_than', 1000),
      true,
    ],
    ['greater_than on text that is not a number', cond('Industry', 'greater_than', 5), false],
    ['greater_than a date', cond('Onboarded_On', 'greater_than', '2024-03-14'), true],
    ['greater_than a date, same day', cond('Onboarded_On', 'greater_than', '2024-03-15'), false],
    ['less_than an instant', cond('Created_Time', 'less_than', '2024-06-10T04:00:00Z'), true],
    ['less_than an instant, just before', cond('Created_Time', 'less_than', '2024-06-10T03:50:41Z'), false],
    [
      'greater_equal an instant given in another offset',
      cond('Created_Time', 'greater_equal', '2024-06-10T09:20:41+05:30'),
      true,
    ],
    [
      'less_equal a date on a date-time field, same day',
      cond('Created_Time', 'less_equal', '2024-06-10'),
      true,
    ],
    [
      'greater_than a date on a date-time field, same day',
      cond('Created_Time', 'greater_than', '2024-06-10'),
      false,
    ],
    // between / not_between
    ['between numbers, inclusive low', cond('Employees', 'between', [42, 100]), true],
    ['between numbers, inclusive high', cond('Employees', 'between', [1, 42]), true],
    ['between numbers, outside', cond('Employees', 'between', [43, 100]), false],
    ['between dates', cond('Onboarded_On', 'between', ['2024-03-01', '2024-03-31']), true],
    ['between dates, outside', cond('Onboarded_On', 'between', ['2024-04-01', '2024-04-30']), false],
    [
      'between dates keeps the whole last day of a date-time',
      cond('Created_Time', 'between', ['2024-06-01', '2024-06-10']),
      true,
    ],
    [
      'between instants',
      cond('Created_Time', 'between', ['2024-06-10T00:00:00Z', '2024-06-10T23:59:59Z']),
      true,
    ],
    ['not_between numbers', cond('Employees', 'not_between', [43, 100]), true],
    ['not_between numbers, inside', cond('Employees', 'not_between', [1, 100]), false],
    // text
    ['contains', cond('Account_Name', 'contains', 'ker tr'), true],
    ['contains, absent', cond('Account_Name', 'contains', 'Acme'), false],
    ['not_contains', cond('Account_Name', 'not_contains', 'Acme'), true],
    ['not_contains, present', cond('Account_Name', 'not_contains', 'ZYLKER'), false],
    ['starts_with', cond('Account_Name', 'starts_with', 'zyl'), true],
    ['starts_with, elsewhere', cond('Account_Name', 'starts_with', 'Traders'), false],
    ['ends_with', cond('Account_Name', 'ends_with', 'TRADERS'), true],
    ['ends_with, elsewhere', cond('Account_Name', 'ends_with', 'Zylker'), false],
    ['contains a number on a number field', cond('Annual_Revenue', 'contains', 125), true],
    ['contains text with regex characters, literally', cond('Account_Name', 'contains', '.*'), false],
  ])('%s', (_, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });
});

describe('compileView: lookup and multi-value fields', () => {
  it.each<[string, CrmCriteriaCondition, boolean]>([
    ['lookup by id given as text', cond('Parent_Account', 'equal', '4150868000000224001'), true],
    ['lookup by another id', cond('Parent_Account', 'equal', '4150868000000224999'), false],
    ['lookup by id given as an object', cond('Parent_Account', 'equal', { id: '4150868000000224001' }), true],
    [
      'lookup by object id wins over its name',
      cond('Parent_Account', 'equal', { id: '1', name: 'Zylker Group' }),
      false,
    ],
    ['lookup by name', cond('Parent_Account', 'equal', 'zylker group'), true],
    ['lookup by another name', cond('Parent_Account', 'equal', 'Acme Group'), false],
    ['lookup by name given as an object', cond('Parent_Account', 'equal', { name: 'Zylker Group' }), true],
    ['lookup not_equal by id', cond('Parent_Account', 'not_equal', '4150868000000224001'), false],
    ['lookup in ids and names', cond('Parent_Account', 'in', ['4150868000000224999', 'Zylker Group']), true],
    ['lookup contains, by name', cond('Parent_Account', 'contains', 'group'), true],
    ['owner by id', cond('Owner', 'equal', OWNER), true],
    ['owner by name', cond('Owner', 'equal', 'Patricia Boyle'), true],
    ['multi-select equal, any value', cond('Regions', 'equal', 'north'), true],
    ['multi-select equal, no value', cond('Regions', 'equal', 'South'), false],
    ['multi-select not_equal, a value present', cond('Regions', 'not_equal', 'West'), false],
    ['multi-select in', cond('Regions', 'in', ['South', 'West']), true],
    ['multi-select not_in', cond('Regions', 'not_in', ['South', 'East']), true],
    ['multi-select starts_with', cond('Regions', 'starts_with', 'nor'), true],
    ['tags by name', cond('Tag', 'equal', 'vip'), true],
  ])('%s', (_, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  it('compares a lookup on a Contact by the account id or the account name', () => {
    const contactView = customView(cond('Account_Name', 'equal', '4150868000000224005'), {
      module: 'Contacts',
    });
    const byName = customView(cond('Account_Name', 'equal', 'Zylker Traders'), { module: 'Contacts' });
    const contact = {
      id: '4150868000000231001',
      Last_Name: 'Burrows',
      Account_Name: { name: 'Zylker Traders', id: '4150868000000224005' },
    };
    const orphan = { id: '4150868000000231007', Last_Name: 'Okafor', Account_Name: null };
    const contactCtx = { ...ctx, module: 'Contacts' };
    expect(compileView(contactView, contactCtx).matches(contact)).toBe(true);
    expect(compileView(byName, contactCtx).matches(contact)).toBe(true);
    expect(compileView(contactView, contactCtx).matches(orphan)).toBe(false);
  });
});

describe('compileView: empty and missing fields', () => {
  it.each<[string, CrmCriteriaCondition, boolean]>([
    ['equal null on a null field', cond('Phone', 'equal', null), true],
    ['equal null on a missing field', cond('Website', 'equal', null), true],
    ['equal null on blank text', cond('Fax', 'equal', null), true],
    ['equal ${EMPTY} on a null field', cond('Phone', 'equal', '${EMPTY}'), true],
    ['equal null on a filled field', cond('Industry', 'equal', null), false],
    ['equal null on false', cond('Is_Partner', 'equal', null), false],
    ['not_equal null on a filled field', cond('Industry', 'not_equal', null), true],
    ['not_equal ${EMPTY} on a missing field', cond('Website', 'not_equal', '${EMPTY}'), false],
    ['equal a value on a missing field', cond('Website', 'equal', 'zylker.com'), false],
    ['not_equal a value on a missing field', cond('Website', 'not_equal', 'zylker.com'), true],
    ['in on a missing field', cond('Website', 'in', ['a', 'b']), false],
    ['in with null on a missing field', cond('Website', 'in', ['a', null as unknown as string]), true],
    ['not_in on a missing field', cond('Website', 'not_in', ['a', 'b']), true],
    ['greater_than on a null field', cond('Phone', 'greater_than', 0), false],
    ['less_than on a missing field', cond('Rating', 'less_than', 10), false],
    ['between on a missing field', cond('Rating', 'between', [0, 10]), false],
    ['not_between on a missing field', cond('Rating', 'not_between', [0, 10]), true],
    ['contains on a missing field', cond('Website', 'contains', 'z'), false],
    ['starts_with on a null field', cond('Phone', 'starts_with', '+1'), false],
    ['ends_with on blank text', cond('Fax', 'ends_with', '0'), false],
    ['not_contains on a missing field', cond('Website', 'not_contains', 'z'), true],
    [
      'a field inherited from Object.prototype is missing',
      cond('constructor', 'contains', 'function'),
      false,
    ],
  ])('%s', (_, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  it('treats an empty multi-select as empty', () => {
    expect(matches(cond('Regions', 'equal', null), { ...account, Regions: [] })).toBe(true);
    expect(matches(cond('Regions', 'in', ['West']), { ...account, Regions: [] })).toBe(false);
  });
});

describe('compileView: and / or groups', () => {
  const gold = cond('Customer_Tier', 'equal', 'Gold');
  const inCa = cond('Billing_State', 'equal', 'CA');
  const inNv = cond('Billing_State', 'equal', 'NV');
  const big = cond('Annual_Revenue', 'greater_than', 1000000);
  const small = cond('Annual_Revenue', 'less_than', 1000);

  it.each<[string, CrmCriteria, boolean]>([
    ['and, all true', { group_operator: 'and', group: [gold, inCa] }, true],
    ['and, one false', { group_operator: 'and', group: [gold, inNv] }, false],
    ['or, one true', { group_operator: 'or', group: [inNv, inCa] }, true],
    ['or, none true', { group_operator: 'or', group: [inNv, small] }, false],
    [
      'and over a nested or, true',
      { group_operator: 'and', group: [gold, { group_operator: 'or', group: [inNv, big] }] },
      true,
    ],
    [
      'and over a nested or, false',
      { group_operator: 'and', group: [gold, { group_operator: 'or', group: [inNv, small] }] },
      false,
    ],
    [
      'or over a nested and',
      { group_operator: 'or', group: [inNv, { group_operator: 'and', group: [gold, big] }] },
      true,
    ],
    ['a single condition without a group', gold, true],
  ])('%s', (_, criteria, expected) => {
    expect(matches(criteria)).toBe(expected);
  });

  it('describes the tree with its nesting', () => {
    const filter = compileView(
      customView({ group_operator: 'and', group: [gold, { group_operator: 'or', group: [inNv, big] }] }),
      ctx,
    );
    expect(filter.describe).toBe(
      '"Test view" (id 4150868000000300021, Accounts): Customer_Tier equal "Gold" and (Billing_State equal "NV" or Annual_Revenue greater_than 1000000)',
    );
  });
});

describe('compileView: predefined views', () => {
  const daysBefore = (days: number) => new Date(Date.parse(ctx.now) - days * 24 * 3600 * 1000).toISOString();
  const other = { ...account, Owner: { id: '4150868000000225021', name: 'Jonas Weber' } };
  const fresh = { ...account, Created_Time: daysBefore(1), Modified_Time: daysBefore(1) };
  const edge = { ...account, Created_Time: daysBefore(RECENT_WINDOW_DAYS), Modified_Time: daysBefore(30) };
  const stale = { ...account, Created_Time: daysBefore(31), Modified_Time: daysBefore(31) };
  const undated = { ...account, Created_Time: null, Modified_Time: 'not a date' };

  it.each<[string, CrmView, Record<string, unknown>, boolean]>([
    ['ALLVIEWS keeps everything', systemView('ALLVIEWS'), other, true],
    ['ALL keeps everything', systemView('all'), stale, true],
    ['"All Accounts" keeps everything', systemView('All Accounts'), undated, true],
    ['an All view known only by its name', systemView(null, { name: 'All Accounts' }), other, true],
    ['MY keeps the current user\u2019s records', systemView('MY'), account, true],
    ['MY drops another user\u2019s records', systemView('MY'), other, false],
    ['MYVIEWS', systemView('MYVIEWS'), account, true],
    ['"My Accounts"', systemView('My Accounts'), other, false],
    ['MY drops a record without an owner', systemView('MYACCOUNTS'), { ...account, Owner: null }, false],
    ['a My view known only by its name', systemView(null, { name: 'My Accounts' }), account, true],
    ['RECENTLY_CREATED keeps yesterday', systemView('RECENTLY_CREATED'), fresh, true],
    ['RECENTLYCREATED keeps exactly 30 days ago', systemView('RECENTLYCREATED'), edge, true],
    ['"Recently Created Accounts" drops 31 days ago', systemView('Recently Created Accounts'), stale, false],
    ['RECENTLY_CREATED drops a record without Created_Time', systemView('RECENTLY_CREATED'), undated, false],
    ['RECENTLY_MODIFIED keeps yesterday', systemView('RECENTLY_MODIFIED'), fresh, true],
    ['"Recently Modified Accounts" keeps 30 days ago', systemView('Recently Modified Accounts'), edge, true],
    ['RECENTLYMODIFIED drops 31 days ago', systemView('RECENTLYMODIFIED'), stale, false],
    ['RECENTLY_MODIFIED drops an invalid Modified_Time', systemView('RECENTLY_MODIFIED'), undated, false],
    [
      'a predefined view without system_name is evaluated by its criteria',
      systemView(null, { name: 'Key Accounts', criteria: cond('Customer_Tier', 'equal', 'Gold') }),
      account,
      true,
    ],
    [
      'a predefined view without system_name is evaluated by its criteria, no match',
      systemView(null, { name: 'Key Accounts', criteria: cond('Customer_Tier', 'equal', 'Bronze') }),
      account,
      false,
    ],
    [
      'a system view with criteria keeps records that satisfy both',
      systemView('ALLVIEWS', { name: 'All Open Accounts', criteria: cond('Is_Partner', 'equal', false) }),
      account,
      false,
    ],
    [
      'a My view with criteria keeps records that satisfy both',
      systemView('MYVIEWS', { criteria: cond('Is_Partner', 'equal', true) }),
      account,
      true,
    ],
    ['a user view without criteria keeps everything', customView(null), other, true],
  ])('%s', (_, view, record, expected) => {
    expect(compileView(view, ctx).matches(record)).toBe(expected);
  });

  it('describes the recent window', () => {
    expect(compileView(systemView('RECENTLYCREATED'), ctx).describe).toBe(
      '"System view" (id 4150868000000300001, Accounts): Created_Time within the last 30 days (since 2024-05-31T12:00:00.000Z)',
    );
  });

  it('matches modules case-insensitively', () => {
    expect(compileView(systemView('ALLVIEWS'), { ...ctx, module: 'accounts' }).matches(account)).toBe(true);
  });
});

describe('viewMatchesAll', () => {
  it.each<[string, CrmView, boolean]>([
    ['ALLVIEWS', systemView('ALLVIEWS'), true],
    ['"All Accounts"', systemView('All Accounts'), true],
    ['an All view known by its name', systemView(null, { name: 'All Accounts' }), true],
    ['a user view without criteria', customView(null), true],
    [
      'an All view with criteria',
      systemView('ALLVIEWS', { criteria: cond('Is_Partner', 'equal', true) }),
      false,
    ],
    ['MYVIEWS', systemView('MYVIEWS'), false],
    ['RECENTLYMODIFIED', systemView('RECENTLYMODIFIED'), false],
    ['an unknown system view', systemView('UNREADVIEWS'), false],
    ['a user view with criteria', customView(cond('Industry', 'equal', 'Retail')), false],
  ])('%s', (_, view, expected) => {
    expect(viewMatchesAll(view)).toBe(expected);
  });
});

describe('compileView: rejections', () => {
  it.each<[string, CrmView, ViewContext, RegExp]>([
    [
      'a view of another module',
      systemView('ALLVIEWS', { name: 'All Contacts', module: 'Contacts' }),
      ctx,
      /^view "All Contacts" \(id 4150868000000300001, Contacts\): is a view of Contacts, not of Accounts$/,
    ],
    ['an unknown system_name', systemView('UNREADVIEWS'), ctx, /unknown predefined view "UNREADVIEWS"/],
    ['Zoho\u2019s "today" view', systemView('today'), ctx, /unknown predefined view "today"/],
    [
      'a predefined view known by neither system_name nor criteria',
      systemView(null, { name: 'Mailing Labels' }),
      ctx,
      /unknown predefined view "Mailing Labels"/,
    ],
    [
      'between with one value',
      customView(cond('Employees', 'between', [1])),
      ctx,
      /field Employees: between needs a \[low, high\] pair, got \[1\]/,
    ],
    [
      'between with a scalar',
      customView(cond('Employees', 'between', 5)),
      ctx,
      /between needs a \[low, high\] pair, got 5/,
    ],
    [
      'between with three values',
      customView(cond('Employees', 'not_between', [1, 2, 3])),
      ctx,
      /not_between needs a \[low, high\] pair/,
    ],
    [
      'between with reversed bounds',
      customView(cond('Employees', 'between', [100, 1])),
      ctx,
      /low bound 100 is above high bound 1/,
    ],
    [
      'between a number and a date',
      customView(cond('Employees', 'between', [1, '2024-01-01'])),
      ctx,
      /both be numbers or both be dates/,
    ],
    [
      'between text',
      customView(cond('Employees', 'between', ['a', 'b'])),
      ctx,
      /between needs a number or an ISO date/,
    ],
    [
      'an invalid date',
      customView(cond('Onboarded_On', 'greater_than', '2024-02-30')),
      ctx,
      /field Onboarded_On: greater_than: "2024-02-30" is not a valid ISO date/,
    ],
    [
      'a date-time without a zone',
      customView(cond('Created_Time', 'less_than', '2024-06-01T10:00:00')),
      ctx,
      /is not a valid ISO date/,
    ],
    [
      'an invalid date in equal',
      customView(cond('Onboarded_On', 'equal', '2024-13-01')),
      ctx,
      /"2024-13-01" is not a valid ISO date/,
    ],
    [
      'an invalid date in between',
      customView(cond('Onboarded_On', 'between', ['2024-01-01', '2024-01-32'])),
      ctx,
      /"2024-01-32" is not a valid ISO date/,
    ],
    [
      'a non-ISO date',
      customView(cond('Onboarded_On', 'less_than', 'June 1, 2024')),
      ctx,
      /less_than needs a number or an ISO date/,
    ],
    [
      'greater_than a boolean',
      customView(cond('Employees', 'greater_than', true)),
      ctx,
      /greater_than needs a number/,
    ],
    [
      'in with a scalar',
      customView(cond('Billing_State', 'in', 'CA')),
      ctx,
      /in needs a non-empty list of values, got "CA"/,
    ],
    [
      'in with an empty list',
      customView(cond('Billing_State', 'not_in', [])),
      ctx,
      /not_in needs a non-empty list/,
    ],
    [
      'equal with a list',
      customView(cond('Billing_State', 'equal', ['CA'])),
      ctx,
      /equal needs a single value/,
    ],
    [
      'equal with an empty object',
      customView(cond('Parent_Account', 'equal', {})),
      ctx,
      /needs a lookup value with an id or a name/,
    ],
    [
      'contains a boolean',
      customView(cond('Account_Name', 'contains', true)),
      ctx,
      /contains needs text, got true/,
    ],
    [
      'contains blank text',
      customView(cond('Account_Name', 'starts_with', '  ')),
      ctx,
      /starts_with needs non-empty text/,
    ],
    [
      'contains ${EMPTY}',
      customView(cond('Account_Name', 'contains', '${EMPTY}')),
      ctx,
      /does not take the placeholder/,
    ],
    [
      'an unsupported placeholder',
      customView(cond('Closing_Date', 'equal', '${TODAY}')),
      ctx,
      /placeholder "\$\{TODAY\}" is not supported/,
    ],
    [
      'an unknown comparator',
      customView(cond('Industry', 'like' as CrmComparator, 'Re%')),
      ctx,
      /field Industry: unknown comparator "like"/,
    ],
    [
      'a field-to-field criterion',
      customView({ ...cond('Industry', 'equal', 'Retail'), type: 'field' }),
      ctx,
      /criteria of type "field" are not supported/,
    ],
    [
      'a condition without api_name',
      customView({ field: { api_name: '' }, comparator: 'equal', value: 'x' }),
      ctx,
      /a condition has no field api_name/,
    ],
    ['an empty group', customView({ group_operator: 'or', group: [] }), ctx, /a criteria group is empty/],
    [
      'a bad group operator',
      customView({ group_operator: 'xor' as 'or', group: [cond('Industry', 'equal', 'Retail')] }),
      ctx,
      /group_operator must be "and" or "or", got "xor"/,
    ],
    [
      'a malformed condition deep in the tree',
      customView({
        group_operator: 'and',
        group: [
          cond('Industry', 'equal', 'Retail'),
          { group_operator: 'or', group: [cond('Annual_Revenue', 'between', [5])] },
        ],
      }),
      ctx,
      /field Annual_Revenue: between needs/,
    ],
    [
      'a My view without a current user',
      systemView('MYVIEWS'),
      { ...ctx, currentUserId: ' ' },
      /needs the CRM user it is for/,
    ],
    [
      'a now that is not a timestamp',
      systemView('RECENTLYCREATED'),
      { ...ctx, now: '2024-06-30' },
      /now "2024-06-30" is not an ISO 8601 timestamp/,
    ],
  ])('refuses %s', (_, view, context, message) => {
    expect(() => compileView(view, context)).toThrow(ViewError);
    expect(() => compileView(view, context)).toThrow(message);
  });

  it('names the view and the field on the error', () => {
    let caught: unknown;
    try {
      compileView(customView(cond('Employees', 'between', [1])), ctx);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ViewError);
    expect(caught).toMatchObject({
      name: 'ViewError',
      view: '"Test view" (id 4150868000000300021, Accounts)',
      field: 'Employees',
    });
  });
});

describe('compileView: evaluation never throws', () => {
  it.each<[string, unknown]>([
    ['an object where text is expected', { nested: true }],
    ['a number', 7],
    ['a boolean', false],
    ['a list of objects', [{ value: 'x' }]],
    ['a lookup without an id', { name: 'Zylker' }],
  ])('on %s', (_, value) => {
    const criteria: CrmCriteria = {
      group_operator: 'or',
      group: [
        cond('Odd', 'equal', 'x'),
        cond('Odd', 'in', ['x', '4150868000000224001']),
        cond('Odd', 'greater_than', '2024-01-01'),
        cond('Odd', 'between', [1, 2]),
        cond('Odd', 'contains', 'x'),
        cond('Odd', 'equal', { id: '1' }),
      ],
    };
    expect(() => matches(criteria, { ...account, Odd: value })).not.toThrow();
  });
});
