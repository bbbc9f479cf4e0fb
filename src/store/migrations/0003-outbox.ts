// Migration 0003: the transactional event outbox — `events` (what happened, written in the
// same transaction as the state change) and `deliveries` (one row per event and webhook
// endpoint, the retry state machine of src/store/outbox/delivery-record.ts). See EventsTable
// and DeliveriesTable in ../schema.ts for each column. Portable types only, as in 0001.
// Never edit a migration that has shipped: add a new one.
import { sql, type Kysely, type Migration } from 'kysely';

export const m0003Outbox: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text')
      .addColumn('seq', 'bigint')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    // Per-call order: two events of one call can never share a position.
    await db.schema.createIndex('events_call_seq_idx').on('events').columns(['call_id', 'seq']).unique().execute();
    // Replay by time or id, for one application or all.
    await db.schema.createIndex('events_app_time_idx').on('events').columns(['application_id', 'occurred_at', 'id']).execute();
    await db.schema.createIndex('events_time_idx').on('events').columns(['occurred_at', 'id']).execute();

    await db.schema
      .createTable('deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text')
      .addColumn('seq', 'bigint')
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // Partial indexes: delivered rows pile up, the hot queries only ever look at pending ones.
    await db.schema
      .createIndex('deliveries_due_idx')
      .on('deliveries')
      .column('next_attempt_at')
      .where(sql.ref('state'), '=', 'pending')
      .execute();
    await db.schema
      .createIndex('deliveries_order_idx')
      .on('deliveries')
      .columns(['call_id', 'url', 'seq'])
      .where(sql.ref('state'), '=', 'pending')
      .execute();
    await db.schema.createIndex('deliveries_event_idx').on('deliveries').column('event_id').execute();
    await db.schema.createIndex('deliveries_app_state_idx').on('deliveries').columns(['application_id', 'state', 'updated_at']).execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('deliveries').execute();
    await db.schema.dropTable('events').execute();
  },
};
