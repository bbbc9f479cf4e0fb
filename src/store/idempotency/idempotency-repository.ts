// Durable request-idempotency records: claims a (scope, key) atomically with an in-flight
// marker, stores the finished response for replay, and forgets rows once expired. Works the
// same on SQLite and PostgreSQL, and across nodes sharing one PostgreSQL database, because the
// primary key is the only arbiter: "insert if absent" either creates the row or finds the
// winner's — there is no check-then-insert window.
//
// It never decides policy (what makes requests equal, which windows apply, what to replay):
// the HTTP layer does (src/http/idempotency).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { IdempotencyKeysTable } from './tables.ts';
import type { ClaimRequest, ClaimResult, IdempotencyRecord, StoredResponse } from './idempotency-record.ts';

/** Rounds of insert → look → clear-expired before giving up (each loss means the row changed under us). */
const CLAIM_ATTEMPTS = 5;

export class IdempotencyRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /**
   * Claims the key, or returns the live record that holds it. An expired row is deleted and
   * the claim retried, so a key is reusable once its window is over even before a purge.
   */
  async claim(req: ClaimRequest): Promise<ClaimResult> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const token = randomUUID();
      const inserted = await this.db
        .insertInto('idempotency_keys')
        .values({
          scope: req.scope, key: req.key, token, fingerprint: req.fingerprint, state: 'in_flight',
          status_code: null, response_headers: null, response_body: null, body_encoding: null,
          created_at: req.now, expires_at: req.expiresAt,
        })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { claimed: true, token };

      const row = await this.db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('scope', '=', req.scope)
        .where('key', '=', req.key)
        .executeTakeFirst();
      if (!row) continue; // released or purged between our insert and our look: try again
      if (row.expires_at > req.now) return { claimed: false, record: toRecord(row) };
      // Only the dead row is deleted (same token), never a fresh claim another node just made.
      await this.db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', req.scope)
        .where('key', '=', req.key)
        .where('token', '=', row.token)
        .execute();
    }
    throw new Error(`idempotency claim for ${req.key} lost ${CLAIM_ATTEMPTS} races in a row`);
  }

  /** Stores the finished response; false when the claim is no longer ours (expired and re-claimed). */
  async complete(scope: string, key: string, token: string, response: StoredResponse): Promise<boolean> {
    const r = await this.db
      .updateTable('idempotency_keys')
      .set({
        state: 'completed',
        status_code: response.status,
        response_headers: JSON.stringify(response.headers),
        response_body: response.body,
        body_encoding: response.bodyEncoding,
      })
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('token', '=', token)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives the key back (the request failed in a way worth re-executing); no-op if not ours. */
  async release(scope: string, key: string, token: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', scope)
      .where('key', '=', key)
      .where('token', '=', token)
      .execute();
  }

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Deletes every row expired at `now`; returns how many. */
  async purgeExpired(now: number): Promise<number> {
    const r = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toRecord(row: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  const record: IdempotencyRecord = {
    scope: row.scope,
    key: row.key,
    fingerprint: row.fingerprint,
    state: row.state === 'completed' ? 'completed' : 'in_flight',
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
  if (record.state === 'completed' && row.status_code !== null) {
    let headers: Record<string, string> = {};
    try {
      headers = JSON.parse(row.response_headers ?? '{}') as Record<string, string>;
    } catch (err) {
      throw new Error(`idempotency_keys row ${row.scope}/${row.key}: response_headers is not JSON`, { cause: err });
    }
    record.response = {
      status: row.status_code,
      headers,
      body: row.response_body ?? '',
      bodyEncoding: row.body_encoding === 'base64' ? 'base64' : 'utf8',
    };
  }
  return record;
}
