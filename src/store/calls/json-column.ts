// JSON in text columns: one parse helper so a corrupt row fails with the table and id named.

export function parseJson<T>(table: string, id: string, column: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${table} ${id}: column ${column} holds invalid JSON`);
  }
}

/** Clamp a requested page size to 1..1000, default 100. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 100;
  return Math.min(1000, Math.max(1, Math.floor(limit)));
}
