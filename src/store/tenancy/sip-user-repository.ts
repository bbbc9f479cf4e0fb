// SIP users: phones that REGISTER and place calls with digest credentials. Usernames are
// unique across the node because the registrar's realm is one per node.
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Schema } from '../schema.ts';
import type { OwnerFilter, SipUserRecord } from './records.ts';
import type { SipUsersTable } from './tables.ts';
import { mapUnique } from './unique-violation.ts';

type Row = Selectable<SipUsersTable>;

export interface SipUserPatch {
  applicationId?: string | null;
  password?: string | null;
  ha1?: string | null;
  updatedAt: number;
}

export class SipUserRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Throws UniqueViolationError('sip_users') when the username exists. */
  async insert(u: SipUserRecord): Promise<void> {
    await mapUnique('sip_users', () => this.db.insertInto('sip_users').values({
      id: u.id,
      application_id: u.applicationId,
      username: u.username,
      password: u.password,
      ha1: u.ha1,
      created_at: u.createdAt,
      updated_at: u.updatedAt,
    }).execute());
  }

  async get(id: string): Promise<SipUserRecord | undefined> {
    const r = await this.db.selectFrom('sip_users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && fromRow(r);
  }

  /** What the registrar's digest check looks up. */
  async getByUsername(username: string): Promise<SipUserRecord | undefined> {
    const r = await this.db.selectFrom('sip_users').selectAll().where('username', '=', username).executeTakeFirst();
    return r && fromRow(r);
  }

  /** Sorted by username. */
  async list(filter: OwnerFilter = {}): Promise<SipUserRecord[]> {
    let q = this.db.selectFrom('sip_users').selectAll();
    if (filter.applicationId === null) q = q.where('application_id', 'is', null);
    else if (filter.applicationId !== undefined) q = q.where('application_id', '=', filter.applicationId);
    const rows = await q.orderBy('username').execute();
    return rows.map(fromRow);
  }

  async update(id: string, p: SipUserPatch): Promise<SipUserRecord | undefined> {
    const set: Updateable<SipUsersTable> = { updated_at: p.updatedAt };
    if (p.applicationId !== undefined) set.application_id = p.applicationId;
    if (p.password !== undefined) set.password = p.password;
    if (p.ha1 !== undefined) set.ha1 = p.ha1;
    const r = await this.db.updateTable('sip_users').set(set).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 0 ? undefined : this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sip_users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

function fromRow(r: Row): SipUserRecord {
  return {
    id: r.id,
    applicationId: r.application_id,
    username: r.username,
    password: r.password,
    ha1: r.ha1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
