// The native face: Switchboard's own REST API. The server mounts it with registerNativeApi.
export { registerNativeApi, type NativeApiOptions } from './native-api.ts';
export { toHttpError } from './tenancy-errors.ts';
