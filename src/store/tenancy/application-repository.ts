// Durable applications (tenants). Stores and reads; every rule about what a valid application
// is lives in core (src/core/tenancy). Deleting an application cascades to its API keys,
// numbers, trunks and SIP users (foreign keys, enforced on SQLite by PRAGMA foreign_keys).
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { ApplicationCallHandling, ApplicationLimits, ApplicationRecord } from './records.ts';
import type { ApplicationsTable } from './tables.ts';
import { mapUnique, parseJsonColumn } from './unique-violation.ts';

type Row = Selectable<ApplicationsTable>;

/** Fields an update may change; absent = unchanged. */
export interface ApplicationPatch {
  name?: string;
  callbackUrl?: string | null;
  webhookSecrets?: string[];
  limits?: Partial<ApplicationLimits>;
  /** Replaces the whole call-handling object; null clears it. */
  callHandling?: ApplicationCallHandling | null;
  updatedAt: number;
}

export class ApplicationRepository {
  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(private readonly db: Kysely<Schema>) {}

  /** Throws UniqueViolationError('applications') when the id or name exists. */
  async insert(app: ApplicationRecord): Promise<void> {
    await mapUnique('applications', () => this.db.insertInto('applications').values(toRow(app)).execute());
  }

  async get(id: string): Promise<ApplicationRecord | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  async getByName(name: string): Promise<ApplicationRecord | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('name', '=', name).executeTakeFirst();
    return r && fromRow(r);
  }

  /** Every application, oldest first (ties by id, so pages are stable). */
  async list(): Promise<ApplicationRecord[]> {
    const rows = await this.db.selectFrom('applications').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  /** Returns the updated record, or undefined when there is no such id. */
  async update(id: string, patch: ApplicationPatch): Promise<ApplicationRecord | undefined> {
    const set: Updateable<ApplicationsTable> = { updated_at: patch.updatedAt };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.callbackUrl !== undefined) set.callback_url = patch.callbackUrl;
    if (patch.webhookSecrets !== undefined) {
      set.webhook_secret = patch.webhookSecrets[0];
      set.webhook_secret_previous = patch.webhookSecrets[1] ?? null;
    }
    const l = patch.limits;
    if (l?.maxConcurrentCalls !== undefined) set.max_concurrent_calls = l.maxConcurrentCalls;
    if (l?.callsPerSecond !== undefined) set.calls_per_second = l.callsPerSecond;
    if (l?.allowedDestinationPrefixes !== undefined) set.allowed_destination_prefixes = JSON.stringify(l.allowedDestinationPrefixes);
    if (l?.recordingRetentionDays !== undefined) set.recording_retention_days = l.recordingRetentionDays;
    if (patch.callHandling !== undefined) set.call_handling = patch.callHandling === null ? null : JSON.stringify(patch.callHandling);
    const r = await mapUnique('applications', () =>
      this.db.updateTable('applications').set(set).where('id', '=', id).executeTakeFirst());
    if (Number(r.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /** True when a row was deleted. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('applications').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function toRow(a: ApplicationRecord): Insertable<ApplicationsTable> {
  return {
    id: a.id,
    name: a.name,
    callback_url: a.callbackUrl,
    webhook_secret: a.webhookSecrets[0],
    webhook_secret_previous: a.webhookSecrets[1] ?? null,
    max_concurrent_calls: a.limits.maxConcurrentCalls,
    calls_per_second: a.limits.callsPerSecond,
    allowed_destination_prefixes: JSON.stringify(a.limits.allowedDestinationPrefixes),
    recording_retention_days: a.limits.recordingRetentionDays,
    call_handling: a.callHandling ? JSON.stringify(a.callHandling) : null,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

function fromRow(r: Row): ApplicationRecord {
  return {
    id: r.id,
    name: r.name,
    callbackUrl: r.callback_url,
    webhookSecrets: r.webhook_secret_previous === null ? [r.webhook_secret] : [r.webhook_secret, r.webhook_secret_previous],
    limits: {
      maxConcurrentCalls: r.max_concurrent_calls === null ? null : Number(r.max_concurrent_calls),
      callsPerSecond: r.calls_per_second === null ? null : Number(r.calls_per_second),
      allowedDestinationPrefixes: parseJsonColumn<string[]>('applications', r.id, 'allowed_destination_prefixes', r.allowed_destination_prefixes),
      recordingRetentionDays: r.recording_retention_days === null ? null : Number(r.recording_retention_days),
    },
    ...(r.call_handling ? { callHandling: parseJsonColumn<ApplicationCallHandling>('applications', r.id, 'call_handling', r.call_handling) } : {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
