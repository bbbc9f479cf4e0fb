// Call detail records: shapes, builder, and tenant-isolated reading.
export { buildCdrs } from './cdr-builder.ts';
export { CdrService, type CdrListQuery } from './cdr-service.ts';
export { mediaQuality, type CallCdr, type LegCdr, type MediaQuality } from './cdr.ts';
