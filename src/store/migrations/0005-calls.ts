// Migration 0005: the call model — `calls`, `legs`, `operations`, `recordings` (metadata; the
// audio lives in the data directory or a bucket) and `cdrs` (one per call and one per leg,
// written when the call ends). See calls/tables.ts for each column. Portable types only, as
// in 0001. Never edit a migration that has shipped: add a new one.
// (0004 is reserved for the idempotency table; Kysely orders by name, so the gap is harmless.)
import type { Kysely, Migration } from 'kysely';

export const m0005Calls: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('calls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('from_party', 'text', (c) => c.notNull())
      .addColumn('to_party', 'text', (c) => c.notNull())
      .addColumn('callback_url', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('ringing_at', 'bigint')
      .addColumn('answered_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('end_reason', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('sip_status', 'integer')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('calls_app_created_idx').on('calls').columns(['application_id', 'created_at', 'id']).execute();
    await db.schema.createIndex('calls_state_idx').on('calls').columns(['state']).execute();

    await db.schema
      .createTable('legs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('participant', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('ringing_at', 'bigint')
      .addColumn('answered_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('end_reason', 'text')
      .addColumn('ended_by', 'text')
      .addColumn('sip_status', 'integer')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('legs_call_idx').on('legs').columns(['call_id', 'created_at']).execute();

    await db.schema
      .createTable('operations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('operation_context', 'text')
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operations_call_idx').on('operations').columns(['call_id', 'created_at']).execute();

    await db.schema
      .createTable('recordings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('channels', 'integer', (c) => c.notNull())
      .addColumn('duration_ms', 'bigint')
      .addColumn('size_bytes', 'bigint')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('access_token_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // No foreign key to calls: a recording outlives its call's row if calls are ever pruned.
    await db.schema.createIndex('recordings_app_created_idx').on('recordings').columns(['application_id', 'created_at', 'id']).execute();
    await db.schema.createIndex('recordings_call_idx').on('recordings').columns(['call_id']).execute();

    await db.schema
      .createTable('cdrs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('leg_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cdrs_app_started_idx').on('cdrs').columns(['application_id', 'started_at', 'id']).execute();
    await db.schema.createIndex('cdrs_call_idx').on('cdrs').columns(['call_id']).execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const t of ['cdrs', 'recordings', 'operations', 'legs', 'calls']) await db.schema.dropTable(t).execute();
  },
};
