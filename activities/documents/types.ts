import type { FinanceKind } from '../../domain/finance/documents';
import type { BooksOrgSettings } from '../../domain/finance/posting-checks';
import type { CrmFinanceModule } from '../../domain/sync/documents';
import type { BooksChangeModule } from '../../domain/sync/documents/books-changes';
import type { StepTarget } from '../../domain/sync/plan';
import type { FieldProblem } from '../../domain/validation';
import type { RecordCollection } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';

/*
 * The document activities' inputs, results and dependencies (issue 16). Workflows import these types
 * (workflows/document-sync.ts): a field may be added, never renamed.
 */

export type Data = Record<string, unknown>;

/** What the document activities need from the stores; built in workers/deps.ts. */
export interface DocumentDeps {
  syncState: SyncStateStore;
  crm: {
    /** The finance modules, and Accounts, which carry their customer's receivables (S10.1). */
    records(module: CrmFinanceModule | 'Accounts'): RecordCollection<Data>;
  };
  financeBooks: {
    /** The finance documents, and the payments and credit notes whose changes the poller follows. */
    records(module: BooksChangeModule): RecordCollection<Data>;
    /** The org's base currency, enabled currencies and taxes: what the posting checks read. */
    orgSettings(booksOrgId: string): Promise<BooksOrgSettings | undefined>;
    /** A customer's payments (those applied to an invoice settle it), each listing its refunds. */
    paymentsOf(booksOrgId: string, customerId: string): Promise<Data[]>;
    /** A customer's invoices, each listing the credits applied to it: what its receivables add up. */
    invoicesOf(booksOrgId: string, customerId: string): Promise<Data[]>;
  };
  /** Today (YYYY-MM-DD) and now: injectable for tests. */
  now?: () => Date;
}

/** Names one CRM finance document. */
export interface DocumentRef {
  integrationId: string;
  crmModule: CrmFinanceModule;
  crmId: string;
}

export type ReadDocumentDependenciesInput = DocumentRef;

export type ReadDocumentDependenciesResult =
  | {
      ok: true;
      kind: FinanceKind;
      /** What is not yet in Books: the targets of a dependency run, empty when everything is linked. */
      targets: StepTarget[];
    }
  | { ok: false; problems: FieldProblem[] };

export interface PushDocumentInput extends DocumentRef {
  /** The workflow pushing it: named in the failure it records when refused. */
  workflowId: string;
  /**
   * Whether a dependency not yet in Books that a sync run could bring is returned (`dependencies`) instead of
   * refusing the document: the first push of a workflow asks, the one after the dependency run does not.
   */
  askForDependencies?: boolean;
}

export type PushDocumentResult =
  | {
      ok: true;
      booksId: string;
      /** Whether this push created the Books document (false when it existed: a retry, or a later change). */
      created: boolean;
      status: string;
      final: boolean;
      /** The CRM record's modifiedTime (ISO) this push read: changes up to it are in Books. */
      version?: string;
      /** When Books may change it by itself (epoch ms), null when only a write can (domain selfChangeAt). */
      followAt?: number | null;
    }
  | { ok: false; problems: FieldProblem[] }
  /** Asked for (`askForDependencies`): nothing was written; a dependency run of these targets comes first. */
  | { ok: false; dependencies: StepTarget[] };

export interface FollowDocumentInput extends DocumentRef {
  workflowId: string;
  booksId: string;
}

export type FollowDocumentResult =
  | {
      ok: true;
      status: string;
      final: boolean;
      /** Whether the CRM copy was written (its Books figures had changed). */
      changed: boolean;
      /** As PushDocumentResult's. */
      followAt?: number | null;
    }
  | { ok: false; status: string; problems: FieldProblem[] };
