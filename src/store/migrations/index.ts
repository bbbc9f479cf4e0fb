// Every migration of the store, in order, as a static list: no filesystem scanning, so the
// list is the same in a source checkout, a bundle or a package, and a typo is a compile error.
// Names sort in the order they must run ("NNNN_what"); append, never reorder or rename.
import type { Migration } from 'kysely';
import { m0001Registrations } from './0001-registrations.ts';
import { m0002Tenancy } from './0002-tenancy.ts';
import { m0003Outbox } from './0003-outbox.ts';
import { m0004Idempotency } from './0004-idempotency.ts';
import { m0005Calls } from './0005-calls.ts';
import { m0006CallHandling } from './0006-call-handling.ts';
import { m0007AcsKeys } from './0007-acs-keys.ts';
import { m0008TrunkRegistrations } from './0008-trunk-registrations.ts';
import { m0009LegFlags } from './0009-leg-flags.ts';

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_registrations': m0001Registrations,
  '0002_tenancy': m0002Tenancy,
  '0003_outbox': m0003Outbox,
  '0004_idempotency': m0004Idempotency,
  '0005_calls': m0005Calls,
  '0006_call_handling': m0006CallHandling,
  '0007_acs_keys': m0007AcsKeys,
  '0008_trunk_registrations': m0008TrunkRegistrations,
  '0009_leg_flags': m0009LegFlags,
});
