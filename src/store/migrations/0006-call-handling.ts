// Migration 0006: `applications.call_handling`, one JSON column (nullable) with what the node
// does with the application's calls when the application does not (unanswered-call timeout
// and status, the status sent when a limit refuses a call, the webhook-failure fallback).
// See ApplicationCallHandling in ../tenancy/records.ts. NULL = every default. Additive only:
// older rows and older code keep working. Never edit a migration that has shipped.
import type { Kysely, Migration } from 'kysely';

export const m0006CallHandling: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('applications').addColumn('call_handling', 'text').execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('applications').dropColumn('call_handling').execute();
  },
};
