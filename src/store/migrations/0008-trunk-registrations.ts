// Migration 0008: `trunk_registrations`, the state of each trunk's REGISTER binding at its
// carrier (register: true), written by the node that keeps it alive and read by
// GET /v1/trunks/{id} on any node. One row per trunk, dropped with the trunk. Column types in
// ../tenancy/trunk-registration-repository.ts. Additive only; never edit a migration that has shipped.
import type { Kysely, Migration } from 'kysely';

export const m0008TrunkRegistrations: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('trunk_registrations')
      .addColumn('trunk_id', 'text', (c) => c.primaryKey().references('trunks.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('registered_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('trunk_registrations').execute();
  },
};
