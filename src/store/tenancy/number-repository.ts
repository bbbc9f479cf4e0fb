// Numbers and SIP URIs that route inbound calls. The pattern is unique across the node: one
// inbound address must lead to exactly one place, whoever owns it.
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { NumberKind, NumberRecord, NumberTargetType, OwnerFilter } from './records.ts';
import type { NumbersTable } from './tables.ts';
import { mapUnique } from './unique-violation.ts';

type Row = Selectable<NumbersTable>;

export interface NumberPatch {
  targetType?: NumberTargetType;
  target?: string | null;
  applicationId?: string | null;
  updatedAt: number;
}

export class NumberRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Throws UniqueViolationError('numbers') when the pattern exists. */
  async insert(n: NumberRecord): Promise<void> {
    await mapUnique('numbers', () => this.db.insertInto('numbers').values({
      id: n.id,
      application_id: n.applicationId,
      pattern: n.pattern,
      kind: n.kind,
      target_type: n.targetType,
      target: n.target,
      created_at: n.createdAt,
      updated_at: n.updatedAt,
    }).execute());
  }

  async get(id: string): Promise<NumberRecord | undefined> {
    const r = await this.db.selectFrom('numbers').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  async getByPattern(pattern: string): Promise<NumberRecord | undefined> {
    const r = await this.db.selectFrom('numbers').selectAll().where('pattern', '=', pattern).executeTakeFirst();
    return r && fromRow(r);
  }

  /**
   * The DID block (kind 'e164-prefix', "+4930123*") whose prefix is the longest one `number`
   * starts with, if any — what inbound routing wants after no exact match. One look-up on the
   * unique pattern index, never a scan: the only patterns that can match are the number's own
   * prefixes followed by "*" (at most 17 for an E.164 number), so they are the IN list.
   * Same rule as filtering every block by number.startsWith(prefix) and taking the longest.
   */
  async longestPrefixFor(number: string): Promise<NumberRecord | undefined> {
    const candidates: string[] = [];
    for (let i = number.length; i >= 0; i--) candidates.push(`${number.slice(0, i)}*`);
    const rows = await this.db.selectFrom('numbers').selectAll()
      .where('kind', '=', 'e164-prefix').where('pattern', 'in', candidates).execute();
    // Patterns are unique, so matching blocks differ in length: the longest is the one.
    rows.sort((a, b) => b.pattern.length - a.pattern.length);
    return rows[0] && fromRow(rows[0]);
  }

  /** Sorted by pattern. */
  async list(filter: OwnerFilter = {}): Promise<NumberRecord[]> {
    let q = this.db.selectFrom('numbers').selectAll();
    if (filter.applicationId === null) q = q.where('application_id', 'is', null);
    else if (filter.applicationId !== undefined) q = q.where('application_id', '=', filter.applicationId);
    const rows = await q.orderBy('pattern').execute();
    return rows.map(fromRow);
  }

  async update(id: string, patch: NumberPatch): Promise<NumberRecord | undefined> {
    const set: Updateable<NumbersTable> = { updated_at: patch.updatedAt };
    if (patch.targetType !== undefined) set.target_type = patch.targetType;
    if (patch.target !== undefined) set.target = patch.target;
    if (patch.applicationId !== undefined) set.application_id = patch.applicationId;
    const r = await this.db.updateTable('numbers').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 0 ? undefined : this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('numbers').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function fromRow(r: Row): NumberRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    pattern: r.pattern,
    kind: r.kind as NumberKind,
    targetType: r.target_type as NumberTargetType,
    target: r.target,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
