// Core's TenancyError → the HTTP error catalog. The codes are the same names on both sides
// (src/http/errors.ts lists them), so this is a lookup, not a translation table to keep in sync
// by hand; field issues become the catalog's `details`. CallErrors go through call-errors.ts.
import { httpError, HttpError } from '../../http/index.ts';
import { TenancyError } from '../../core/index.ts';
import { callErrorToHttp } from './call-errors.ts';

export function toHttpError(err: unknown): unknown {
  if (!(err instanceof TenancyError)) return callErrorToHttp(err);
  return err.issues ? httpError(err.code, err.message, err.issues) : httpError(err.code, err.message);
}

/** Wraps a handler so core errors leave as catalog errors. */
export function mapErrors<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toHttpError(err);
    }
  };
}

export { HttpError };
