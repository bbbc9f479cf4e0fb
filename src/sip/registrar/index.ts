// SIP registrar: REGISTER processing into bindings and location lookups (RFC 3261 §10.3).
export { aorKey, isSipUri } from './aor.ts';
export type { Binding, BindingSource, BindingStore } from './binding.ts';
export { MemoryBindingStore } from './memory-binding-store.ts';
export { Registrar } from './registrar.ts';
export type { RegistrarAuthResult, RegistrarOptions } from './registrar.ts';
export { sameUri } from './uri-equal.ts';
