// Trunks (carrier gateways). The password is stored as given: SIP digest needs the plain
// secret (or an HA1 per realm, which a carrier's realm makes unknowable in advance).
// Encrypting it at rest is future work (docs/tenancy.md).
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { CallerIdRule, OwnerFilter, TrunkRecord, TrunkTransport } from './records.ts';
import type { TrunksTable } from './tables.ts';
import { mapUnique, parseJsonColumn } from './unique-violation.ts';

type Row = Selectable<TrunksTable>;

/** Every field but id and createdAt may change; absent = unchanged. */
export type TrunkPatch = Partial<Omit<TrunkRecord, 'id' | 'createdAt' | 'updatedAt'>> & { updatedAt: number };

export class TrunkRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Throws UniqueViolationError('trunks') when the name exists. */
  async insert(t: TrunkRecord): Promise<void> {
    await mapUnique('trunks', () => this.db.insertInto('trunks').values({
      id: t.id,
      application_id: t.applicationId,
      name: t.name,
      host: t.host,
      port: t.port,
      transport: t.transport,
      username: t.username,
      password: t.password,
      register: t.register ? 1 : 0,
      inbound_sources: JSON.stringify(t.inboundSources),
      caller_id_rules: JSON.stringify(t.callerIdRules),
      codecs: JSON.stringify(t.codecs),
      created_at: t.createdAt,
      updated_at: t.updatedAt,
    }).execute());
  }

  async get(id: string): Promise<TrunkRecord | undefined> {
    const r = await this.db.selectFrom('trunks').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  async getByName(name: string): Promise<TrunkRecord | undefined> {
    const r = await this.db.selectFrom('trunks').selectAll().where('name', '=', name).executeTakeFirst();
    return r && fromRow(r);
  }

  /** Sorted by name. */
  async list(filter: OwnerFilter = {}): Promise<TrunkRecord[]> {
    let q = this.db.selectFrom('trunks').selectAll();
    if (filter.applicationId === null) q = q.where('application_id', 'is', null);
    else if (filter.applicationId !== undefined) q = q.where('application_id', '=', filter.applicationId);
    const rows = await q.orderBy('name').execute();
    return rows.map(fromRow);
  }

  /** Throws UniqueViolationError('trunks') on a rename to an existing name. */
  async update(id: string, p: TrunkPatch): Promise<TrunkRecord | undefined> {
    const set: Updateable<TrunksTable> = { updated_at: p.updatedAt };
    if (p.applicationId !== undefined) set.application_id = p.applicationId;
    if (p.name !== undefined) set.name = p.name;
    if (p.host !== undefined) set.host = p.host;
    if (p.port !== undefined) set.port = p.port;
    if (p.transport !== undefined) set.transport = p.transport;
    if (p.username !== undefined) set.username = p.username;
    if (p.password !== undefined) set.password = p.password;
    if (p.register !== undefined) set.register = p.register ? 1 : 0;
    if (p.inboundSources !== undefined) set.inbound_sources = JSON.stringify(p.inboundSources);
    if (p.callerIdRules !== undefined) set.caller_id_rules = JSON.stringify(p.callerIdRules);
    if (p.codecs !== undefined) set.codecs = JSON.stringify(p.codecs);
    const r = await mapUnique('trunks', () => this.db.updateTable('trunks').set(set).where('id', '=', id).executeTakeFirst());
    return Number(r.numUpdatedRows) === 0 ? undefined : this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('trunks').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function fromRow(r: Row): TrunkRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    name: r.name,
    host: r.host,
    port: Number(r.port),
    transport: r.transport as TrunkTransport,
    username: r.username,
    password: r.password,
    register: Number(r.register) === 1,
    inboundSources: parseJsonColumn<string[]>('trunks', r.id, 'inbound_sources', r.inbound_sources),
    callerIdRules: parseJsonColumn<CallerIdRule[]>('trunks', r.id, 'caller_id_rules', r.caller_id_rules),
    codecs: parseJsonColumn<string[]>('trunks', r.id, 'codecs', r.codecs),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
