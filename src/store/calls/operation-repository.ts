// Durable operations (answer, play, recognize …): one row per execute(), written when it starts
// and when it ends, each time with the event it causes (Store.transaction).
import type { Kysely, Selectable } from 'kysely';
import type { Schema } from '../schema.ts';
import { parseJson } from './json-column.ts';
import type { JsonObject, OperationRecord } from './records.ts';
import type { OperationsTable } from './tables.ts';

export class OperationRepository {
  /** `db` may be a Transaction: then every method runs inside it (see Store.transaction). */
  constructor(private readonly db: Kysely<Schema>) {}

  async insert(o: OperationRecord): Promise<void> {
    await this.db.insertInto('operations').values({
      id: o.id, call_id: o.callId, application_id: o.applicationId, name: o.name, state: o.state,
      operation_context: o.operationContext, params: JSON.stringify(o.params),
      result: o.result === null ? null : JSON.stringify(o.result), created_at: o.createdAt, updated_at: o.updatedAt,
    }).execute();
  }

  async get(id: string): Promise<OperationRecord | undefined> {
    const r = await this.db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  /** Sets the final state and result; false when there is no such operation. */
  async finish(id: string, state: string, result: JsonObject, updatedAt: number): Promise<boolean> {
    const r = await this.db.updateTable('operations')
      .set({ state, result: JSON.stringify(result), updated_at: updatedAt })
      .where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** A call's operations, oldest first. */
  async listByCall(callId: string): Promise<OperationRecord[]> {
    const rows = await this.db.selectFrom('operations').selectAll().where('call_id', '=', callId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: Selectable<OperationsTable>): OperationRecord {
  return {
    id: r.id, callId: r.call_id, applicationId: r.application_id, name: r.name, state: r.state,
    operationContext: r.operation_context, params: parseJson<JsonObject>('operations', r.id, 'params', r.params),
    result: r.result === null ? null : parseJson<JsonObject>('operations', r.id, 'result', r.result),
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}
