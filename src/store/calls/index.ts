// Call-model repositories (calls, legs, operations, recordings, CDRs — migration 0005),
// re-exported by the store's index.ts; other layers import them from there.
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.ts';
import { CallRepository } from './call-repository.ts';
import { CdrRepository } from './cdr-repository.ts';
import { OperationRepository } from './operation-repository.ts';
import { RecordingRepository } from './recording-repository.ts';

export type { CallsTable, LegsTable, OperationsTable, RecordingsTable, CdrsTable } from './tables.ts';
export type {
  CallRecord, LegRecord, CallPatch, LegPatch, OperationRecord, RecordingRecord, RecordingPatch, CdrRecord,
  TimePageQuery, JsonObject, EndFields,
} from './records.ts';
export { CallRepository, type CallListQuery } from './call-repository.ts';
export { OperationRepository } from './operation-repository.ts';
export { RecordingRepository } from './recording-repository.ts';
export { CdrRepository, type CdrQuery } from './cdr-repository.ts';

/** The call-model repositories of a Store (or of one transaction). */
export interface CallRepositories {
  calls: CallRepository;
  operations: OperationRepository;
  recordings: RecordingRepository;
  cdrs: CdrRepository;
}

/** Builds them over `db` (a Kysely or a Transaction). */
export function callRepositories(db: Kysely<Schema>): CallRepositories {
  return {
    calls: new CallRepository(db),
    operations: new OperationRepository(db),
    recordings: new RecordingRepository(db),
    cdrs: new CdrRepository(db),
  };
}
