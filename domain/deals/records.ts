import { z } from 'zod';
import { DocIdSchema, IsoInstantSchema, KeyPartSchema, TriggerActionSchema } from '../sync-state-schemas';
import { DealRuleSchema } from './rules';

/*
 * What deal automation stores (issue 17): an integration's rules, one decision record per evaluation (fired
 * or not, S5.6), and the business key of each document a rule created for a deal — the `_id` is derived from
 * org, deal, rule and document kind, so however many workers, retries or replays try, one document exists.
 */

const IntegrationIdSchema = z.string().min(1).max(400);

export const DealRulesDocSchema = z.object({
  _id: IntegrationIdSchema,
  rules: z.array(DealRuleSchema),
  version: z.number().int().min(1),
  updatedTime: z.date(),
});
export type DealRulesDoc = z.output<typeof DealRulesDocSchema>;

export const DealDocumentKindSchema = z.enum(['estimate', 'invoice']);

const DocumentRefSchema = z.object({
  kind: DealDocumentKindSchema,
  booksId: KeyPartSchema,
  number: z.string().min(1).max(200),
});

/** What the decision saw: the "inputs" of a decision record. */
export const DecisionInputsSchema = z.object({
  stage: z.string().min(1).max(200),
  probability: z.number().min(0).max(100).nullable(),
  amount: z.number().nullable(),
  accountId: z.string().nullable(),
  contactId: z.string().nullable(),
  /** `quote QT-1 draft, invoice INV-1 sent`, or null when the rule created nothing yet. */
  documents: z.string().max(400).nullable(),
  /**
   * The version of the deal read (its modified time in the CRM store): the poller leaves out a deal whose
   * latest version was decided on already. Absent on records written before it was kept.
   */
  modifiedTime: IsoInstantSchema.optional(),
});
export type DecisionInputs = z.infer<typeof DecisionInputsSchema>;

export const DealDecisionDocSchema = z
  .object({
    /** Derived from the workflow run and its evaluation: a retried write finds its record. */
    _id: DocIdSchema,
    integrationId: IntegrationIdSchema,
    crmOrgId: KeyPartSchema,
    dealId: KeyPartSchema,
    ruleId: KeyPartSchema,
    decidedTime: z.date(),
    inputs: DecisionInputsSchema,
    action: TriggerActionSchema,
    fired: z.boolean(),
    reason: z.string().min(1).max(1000),
    document: DocumentRefSchema.optional(),
  })
  .refine((d) => d.action !== 'none' || !d.fired, {
    path: ['fired'],
    message: 'a decision with no action cannot have fired',
  });
export type DealDecisionDoc = z.output<typeof DealDecisionDocSchema>;
/** A decision as the workflow sends it: plain JSON, its time an ISO string. */
export type DealDecisionInput = Omit<DealDecisionDoc, 'decidedTime'> & { decidedTime: string };

export const DealDocumentLinkDocSchema = z.object({
  /** dealDocumentKey(): the business key. */
  _id: DocIdSchema,
  integrationId: IntegrationIdSchema,
  crmOrgId: KeyPartSchema,
  dealId: KeyPartSchema,
  ruleId: KeyPartSchema,
  kind: DealDocumentKindSchema,
  booksId: KeyPartSchema,
  number: z.string().min(1).max(200),
  createdTime: z.date(),
  /** False until the Books document is known written: a claim left by a crash is finished by the next try. */
  written: z.boolean(),
});
export type DealDocumentLinkDoc = z.output<typeof DealDocumentLinkDocSchema>;

/** `{crmOrg}|{deal}|{rule}|{kind}`: the one document of its kind a rule makes for a deal. */
export function dealDocumentKey(crmOrgId: string, dealId: string, ruleId: string, kind: string): string {
  return [crmOrgId, dealId, ruleId, kind].map((p) => KeyPartSchema.parse(p)).join('|');
}

/** The Books number of a deal's document: readable, and the same on every retry. */
export function dealDocumentNumber(kind: 'estimate' | 'invoice', dealId: string, ruleId: string): string {
  return `${kind === 'estimate' ? 'QT' : 'INV'}-${dealId}-${ruleId}`;
}
