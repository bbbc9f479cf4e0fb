// Migration 0009: `legs.muted` and `legs.on_hold`, the participant flags that muteParticipant /
// unmuteParticipant and hold / unhold set on a live leg (src/core/operations). Until now they
// lived only in the node's memory, so GET /v1/calls/{id}, the ACS face's participant list of a
// call not in this node's memory, and a recovered node could not tell. Integers 0/1 (the
// portable boolean, see 0002), NOT NULL DEFAULT 0: every existing row reads as neither muted nor
// held, which is what it was. Additive only; never edit a migration that has shipped.
import type { Kysely, Migration } from 'kysely';

export const m0009LegFlags: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    // One column per statement: SQLite's ALTER TABLE adds one column at a time.
    await db.schema.alterTable('legs').addColumn('muted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('legs').addColumn('on_hold', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('legs').dropColumn('on_hold').execute();
    await db.schema.alterTable('legs').dropColumn('muted').execute();
  },
};
