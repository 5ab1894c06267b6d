import {
  booksValues,
  crmValues,
  writeBooksFields,
  writeCrmFields,
  type ResolvedFieldMap,
} from './field-maps';
import { contentHash } from '../hash';
import {
  changeOf,
  decideDeleted,
  newPageResult,
  type DecidePageResult,
  type LinkState,
  type LinkWrite,
  type PageRecord,
} from './decide';
import { accountIdOf, createdRecordId, KIND_SPECS, syncKeyOf } from './kinds';

/**
 * "Accounts and their Contacts" (S2.1): a CRM contact of a synced account becomes a contact person of the
 * account's Business customer in Books. Pure, like decidePage; the written records are the Books customers
 * whose contact persons changed.
 */
export interface DecideContactPersonsInput {
  integrationId: string;
  maps: readonly ResolvedFieldMap[];
  /** CRM contacts changed since the cursor. */
  records: readonly PageRecord[];
  inView: (data: Record<string, unknown>) => boolean;
  /** With orphans included, contacts without an account are left to the Individuals step (not counted). */
  includeOrphans: boolean;
  /** Customer links (CRM account id → Books customer id) of the accounts the contacts belong to. */
  accountLinks: readonly { crmId: string; booksId: string }[];
  /** Contact-person links of the page's contacts. */
  personLinks: readonly LinkState[];
  /** The Books customers those account links point at, and those the persons were last written to. */
  customers: readonly PageRecord[];
  /**
   * ISO start of the run: a person found in place whose link was made since was written with its account's
   * new customer earlier in this run, and counts as added here (the account step does not count it).
   */
  runStartedAt?: string | undefined;
}

type Person = Record<string, unknown>;

export function decideContactPersons(input: DecideContactPersonsInput): DecidePageResult {
  const { result, decide } = newPageResult();
  const customerOfAccount = new Map(input.accountLinks.map((l) => [l.crmId, l.booksId]));
  const personLink = new Map(input.personLinks.map((l) => [l.crmId, l]));
  const customers = new Map(input.customers.map((c) => [c.id, c]));
  const working = new Map<string, Record<string, unknown>>();
  /** The customer's data as this page has left it (a copy: the input is never changed). */
  const dataOf = (customerId: string): Record<string, unknown> | undefined => {
    const current = working.get(customerId);
    if (current) return current;
    const customer = customers.get(customerId);
    if (!customer || customer.deleted) return undefined;
    const copy = JSON.parse(JSON.stringify(customer.data)) as Record<string, unknown>;
    working.set(customerId, copy);
    return copy;
  };
  const personsOf = (data: Record<string, unknown>): Person[] =>
    Array.isArray(data.contact_persons) ? (data.contact_persons as Person[]) : [];
  /**
   * A contact that moved to another account, or lost its account, leaves the customer it was written to:
   * its person is taken out there (a primary person hands the flag to the first one left). True if it was.
   */
  const leavePrevious = (link: LinkState | undefined, customerId: string | undefined): boolean => {
    const previous = link?.parentBooksId;
    if (!link || previous === undefined || previous === customerId) return false;
    const data = dataOf(previous);
    if (!data) return false;
    const persons = personsOf(data);
    const index = persons.findIndex((p) => p.contact_person_id === link.booksId);
    if (index < 0) return false;
    const [removed] = persons.splice(index, 1);
    if (removed?.is_primary_contact === true && persons.length > 0)
      persons[0] = { ...persons[0], is_primary_contact: true };
    data.contact_persons = persons;
    return true;
  };
  /** The link as it is, without a customer. */
  const unlinked = (link: LinkState): LinkWrite => ({
    crmId: link.crmId,
    booksId: link.booksId,
    lastSynced: link.lastSynced,
    contentHash: {
      crm: link.contentHash.crm ?? contentHash(link.lastSynced.crm),
      books: link.contentHash.books ?? contentHash(link.lastSynced.books),
    },
  });

  for (const record of input.records) {
    const link = personLink.get(record.id);
    if (record.deleted) {
      decideDeleted(result, decide, record.id, link, 'deleted in the CRM; not propagated');
      continue;
    }
    const accountId = accountIdOf(record.data);
    if (!accountId) {
      // Taken off its account: no longer that customer's contact person.
      if (link && leavePrevious(link, undefined)) {
        result.links.push(unlinked(link));
        decide({
          recordId: record.id,
          outcome: 'updated',
          targetId: link.booksId,
          detail: `no longer has an account: removed from customer ${link.parentBooksId}`,
        });
        continue;
      }
      if (!input.includeOrphans)
        decide({
          recordId: record.id,
          outcome: 'skipped',
          skip: 'no_account',
          detail: 'contact has no account (orphans not included)',
        });
      continue;
    }
    if (!input.inView(record.data)) {
      decide({
        recordId: record.id,
        outcome: 'skipped',
        skip: 'not_in_view',
        detail: 'not in the selected contact view',
      });
      continue;
    }
    const customerId = customerOfAccount.get(accountId);
    const customer = customerId ? customers.get(customerId) : undefined;
    if (!customerId || !customer || customer.deleted) {
      decide({
        recordId: record.id,
        outcome: 'skipped',
        skip: 'parent_not_synced',
        detail: `its account ${accountId} is not synced to Books`,
      });
      continue;
    }
    const values = crmValues(input.maps, record.data);
    if (values.Last_Name === null) {
      result.failures.push({
        recordId: record.id,
        field: 'Last_Name',
        reason: 'the last name is required',
        payload: record.data,
      });
      decide({ recordId: record.id, outcome: 'failed', detail: 'Last_Name: required' });
      continue;
    }
    const hash = contentHash(values);
    const personId =
      link?.booksId ?? createdRecordId(input.integrationId, 'contact_person', 'books', record.id);
    const moved = leavePrevious(link, customerId);
    const data = dataOf(customerId)!;
    const persons = personsOf(data);
    const index = persons.findIndex((p) => p.contact_person_id === personId);
    if (link && index >= 0 && link.contentHash.crm === hash) {
      // In place and unchanged; a link from before customers were recorded on links learns its customer.
      if (link.parentBooksId !== customerId)
        result.links.push({ ...unlinked(link), parentBooksId: customerId });
      const addedThisRun =
        input.runStartedAt !== undefined &&
        link.createdTime !== undefined &&
        link.createdTime >= input.runStartedAt;
      decide(
        addedThisRun
          ? {
              recordId: record.id,
              outcome: 'added',
              targetId: personId,
              detail: 'added with its account earlier in this run',
            }
          : { recordId: record.id, outcome: 'unchanged', targetId: personId },
      );
      continue;
    }
    const base: Person = index >= 0 ? persons[index]! : { contact_person_id: personId };
    const person = writeBooksFields(input.maps, base, values, Object.keys(values));
    person.contact_person_id = personId;
    if (index >= 0) persons[index] = person;
    else {
      person.is_primary_contact = !persons.some((p) => p.is_primary_contact === true);
      persons.push(person);
    }
    data.contact_persons = persons;
    result.links.push({
      crmId: record.id,
      booksId: personId,
      lastSynced: { crm: values, books: values },
      contentHash: { crm: hash, books: hash },
      parentBooksId: customerId,
    });
    decide({
      recordId: record.id,
      outcome: index >= 0 || link ? 'updated' : 'added',
      targetId: personId,
      ...(moved ? { detail: `moved from customer ${link?.parentBooksId} to ${customerId}` } : {}),
    });
  }
  // Only the customers whose persons changed are written (a copy made for a no-op is dropped).
  for (const [id, data] of working) {
    const before = customers.get(id);
    if (before && JSON.stringify(before.data) === JSON.stringify(data)) continue;
    result.writes.push(before ? changeOf(before, data) : { id, data });
  }
  return result;
}

/**
 * Both ways under "Accounts and their Contacts": the contact persons of a Business customer in Books go to
 * CRM Contacts under the customer's account. Input: the Books contacts changed since the cursor, the links
 * of the Business ones to CRM accounts, the persons' links and the CRM contacts those point at.
 */
export interface DecidePersonContactsInput {
  integrationId: string;
  maps: readonly ResolvedFieldMap[];
  /** Books contacts changed since the cursor (customers of both types and vendors; only Business ones count). */
  records: readonly PageRecord[];
  /** Customer links (Books customer id → CRM account id) of the page's Business customers. */
  accountLinks: readonly { crmId: string; booksId: string }[];
  /** Contact-person links of the persons on those customers (by Books person id). */
  personLinks: readonly LinkState[];
  /** The CRM contacts those links point at. */
  contacts: readonly PageRecord[];
}

/**
 * A new person becomes a CRM contact (id derived from the person, so a retry converges) with the customer's
 * account; a linked person moves to the CRM only the fields Books changed since the last sync, and takes its
 * contact along when it moved to another customer. A person the last sync wrote is unchanged (no echo).
 * Persons removed in Books are not deleted in the CRM (S3.8). Decisions are per person, under the customer's
 * id (the source record, which a reprocess re-reads).
 */
export function decidePersonContacts(input: DecidePersonContactsInput): DecidePageResult {
  const { result, decide } = newPageResult();
  const accountOf = new Map(input.accountLinks.map((l) => [l.booksId, l.crmId]));
  const linkOf = new Map(input.personLinks.map((l) => [l.booksId, l]));
  const contacts = new Map(input.contacts.map((c) => [c.id, c]));
  const isBusiness = KIND_SPECS.account.booksInScope;

  for (const record of input.records) {
    if (record.deleted || !isBusiness(record.data)) continue;
    const persons = Array.isArray(record.data.contact_persons)
      ? (record.data.contact_persons as Person[]).filter((p) => typeof p.contact_person_id === 'string')
      : [];
    const accountId = accountOf.get(record.id);
    for (const person of persons) {
      const personId = person.contact_person_id as string;
      const name = [person.first_name, person.last_name].filter((v) => typeof v === 'string').join(' ');
      if (!accountId) {
        decide({
          recordId: record.id,
          outcome: 'skipped',
          skip: 'parent_not_synced',
          detail: `person ${personId} (${name}): its customer is not synced to the CRM`,
        });
        continue;
      }
      const values = booksValues(input.maps, person);
      const hash = contentHash(values);
      const link = linkOf.get(personId);
      const moved = link?.parentBooksId !== undefined && link.parentBooksId !== record.id;
      if (link && link.contentHash.books === hash && !moved) {
        decide({ recordId: record.id, outcome: 'unchanged', targetId: link.crmId });
        continue;
      }
      const accountRef = {
        id: accountId,
        name: typeof record.data.contact_name === 'string' ? record.data.contact_name : null,
      };
      if (link) {
        const contact = contacts.get(link.crmId);
        if (!contact || contact.deleted) {
          decide({
            recordId: record.id,
            outcome: 'skipped',
            skip: 'target_deleted',
            targetId: link.crmId,
            detail: `person ${personId} (${name}): its CRM contact was deleted; not recreated (S3.8)`,
          });
          continue;
        }
        const changed = Object.keys(values).filter(
          (f) => stableValue(values[f]) !== stableValue(link.lastSynced.books[f]),
        );
        let data = writeCrmFields(contact.data, values, changed);
        if (moved) data = { ...data, Account_Name: accountRef };
        const crmSide = crmValues(input.maps, data);
        result.writes.push(changeOf(contact, data));
        result.links.push({
          crmId: link.crmId,
          booksId: personId,
          lastSynced: { crm: crmSide, books: values },
          contentHash: { crm: contentHash(crmSide), books: hash },
          parentBooksId: record.id,
        });
        decide({
          recordId: record.id,
          outcome: 'updated',
          targetId: link.crmId,
          detail: moved ? `person ${personId} moved to account ${accountId}` : undefined,
        });
        continue;
      }
      if (values.Last_Name === null || values.Last_Name === '') {
        result.failures.push({
          recordId: record.id,
          field: `contact_persons.${personId}.last_name`,
          reason: `person ${personId} (${name || 'no name'}): the last name is required (CRM contacts require it)`,
          payload: record.data,
        });
        decide({ recordId: record.id, outcome: 'failed', detail: `person ${personId}: last_name required` });
        continue;
      }
      const crmId = createdRecordId(input.integrationId, 'contact_person', 'crm', personId);
      const data = writeCrmFields({ id: crmId, Account_Name: accountRef }, values, Object.keys(values));
      const crmSide = crmValues(input.maps, data);
      result.writes.push({
        id: crmId,
        data,
        syncKey: syncKeyOf(input.integrationId, 'contact_person', `books_to_crm:${personId}`),
      });
      result.links.push({
        crmId,
        booksId: personId,
        lastSynced: { crm: crmSide, books: values },
        contentHash: { crm: contentHash(crmSide), books: hash },
        parentBooksId: record.id,
      });
      decide({ recordId: record.id, outcome: 'added', targetId: crmId });
    }
  }
  return result;
}

function stableValue(value: unknown): string {
  return JSON.stringify(value ?? null);
}
