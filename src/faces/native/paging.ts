// Query helpers shared by the list routes: time bounds given as ms or ISO 8601, and cursor
// paging where the cursor is the id of the last row the server looked at (the stores page
// by (time, id) after an id, so a cursor stays valid while rows are added).
import { httpError } from '../../http/index.ts';

export const DEFAULT_PAGE = 100;

/** ms since the epoch from '1700000000000' or '2023-11-14T22:13:20Z'; VALIDATION_FAILED otherwise. */
export function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const v = /^\d{1,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(v)) throw httpError('VALIDATION_FAILED', `${name} must be ms since the epoch or an ISO 8601 time`, [{ path: `/${name}`, message: 'must be ms since the epoch or an ISO 8601 time' }]);
  return v;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A page straight from a source: a full page may have a successor, so it carries a cursor. */
export function pageFrom<T>(rows: T[], limit: number, idOf: (row: T) => string): Page<T> {
  return rows.length >= limit && rows.length > 0 ? { items: rows, nextCursor: idOf(rows[rows.length - 1]) } : { items: rows };
}

/**
 * A page of rows that pass `keep`, for filters the source cannot apply. Fetches source pages
 * until `limit` rows are kept or the source runs dry, at most `maxScans` pages; the cursor
 * is the last row looked at, so skipped rows are never looked at twice.
 */
export async function filteredPage<T>(
  fetch: (afterId: string | undefined, limit: number) => Promise<T[]>,
  keep: (row: T) => boolean,
  idOf: (row: T) => string,
  limit: number,
  afterId: string | undefined,
  maxScans = 10,
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = afterId;
  for (let scan = 0; scan < maxScans; scan++) {
    const rows = await fetch(cursor, limit);
    for (const r of rows) {
      cursor = idOf(r);
      if (keep(r)) items.push(r);
      if (items.length === limit) return { items, nextCursor: cursor };
    }
    if (rows.length < limit) return { items };
  }
  return cursor !== undefined ? { items, nextCursor: cursor } : { items };
}
