// Migration 0002: tenancy — applications (tenants), their API keys, numbers and SIP URIs,
// trunks and SIP users (see the *Table interfaces in ../schema.ts for each column). Portable
// types only (text, integer, bigint, double precision): booleans are integers 0/1 and
// structured values are JSON text, so it runs unchanged on SQLite and PostgreSQL.
// Never edit a migration that has shipped: add a new one.
import type { Kysely, Migration } from 'kysely';

export const m0002Tenancy: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('applications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('callback_url', 'text')
      // Two active secrets so a rotation never breaks signature checks in flight.
      .addColumn('webhook_secret', 'text', (c) => c.notNull())
      .addColumn('webhook_secret_previous', 'text')
      .addColumn('max_concurrent_calls', 'integer')
      .addColumn('calls_per_second', 'double precision')
      .addColumn('allowed_destination_prefixes', 'text', (c) => c.notNull())
      .addColumn('recording_retention_days', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_application_idx').on('api_keys').column('application_id').execute();

    await db.schema
      .createTable('numbers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.references('applications.id').onDelete('cascade'))
      .addColumn('pattern', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('numbers_application_idx').on('numbers').column('application_id').execute();

    await db.schema
      .createTable('trunks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.references('applications.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('transport', 'text', (c) => c.notNull())
      .addColumn('username', 'text')
      .addColumn('password', 'text')
      .addColumn('register', 'integer', (c) => c.notNull())
      .addColumn('inbound_sources', 'text', (c) => c.notNull())
      .addColumn('caller_id_rules', 'text', (c) => c.notNull())
      .addColumn('codecs', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('trunks_application_idx').on('trunks').column('application_id').execute();

    await db.schema
      .createTable('sip_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.references('applications.id').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password', 'text')
      .addColumn('ha1', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sip_users_application_idx').on('sip_users').column('application_id').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const t of ['sip_users', 'trunks', 'numbers', 'api_keys', 'applications']) await db.schema.dropTable(t).execute();
  },
};
