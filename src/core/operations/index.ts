// Operations: one file each, one lifecycle (operation.ts), registered in registry.ts.
export { OPERATIONS } from './registry.ts';
export { Operation, type OperationDefinition, type OperationContext, type OperationEnv, type OperationInfo, type OperationState } from './operation.ts';
export { SUBCODE, type OperationResult, type OperationOutcome } from './operation-result.ts';
export type { PlaySource } from './media.ts';
