// SIP Digest authentication, server and client (RFC 3261 §22, RFC 7616, RFC 8760).
export { AuthHeaderError, formatAuthValue, parseAuthValues, quote } from './auth-header.ts';
export type { AuthParam, AuthValue } from './auth-header.ts';
export { ALGORITHM_STRENGTH, computeHa1, computeResponse, digestHash, parseAlgorithm } from './digest-hash.ts';
export type { DigestAlgorithm, DigestHash, DigestInputs } from './digest-hash.ts';
export { DigestServer } from './digest-server.ts';
export type { DigestCheckResult, DigestFailure, DigestServerOptions, DigestUserRecord } from './digest-server.ts';
export { DigestClient } from './digest-client.ts';
export type { DigestClientOptions, DigestCredentials } from './digest-client.ts';
export { NonceIssuer } from './nonce.ts';
export { NonceCountCache } from './nonce-count-cache.ts';
