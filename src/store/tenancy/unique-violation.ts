// Unique-constraint failures, told apart from every other database error on both engines, so
// repositories can report "already exists" as a typed error instead of a driver exception.
// Checking first and inserting after would race between nodes; the constraint is the truth.

/** Thrown by a repository when an insert or update would duplicate a unique value. */
export class UniqueViolationError extends Error {
  /** The table whose unique constraint refused the row. */
  readonly table: string;
  constructor(table: string, cause: unknown) {
    super(`a row with the same unique value already exists in ${table}`, { cause });
    this.name = 'UniqueViolationError';
    this.table = table;
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; pg: SQLSTATE 23505 unique_violation.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Runs fn, turning a unique violation into UniqueViolationError(table). */
export async function mapUnique<T>(table: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new UniqueViolationError(table, err);
    throw err;
  }
}

/** Parses a JSON column, naming the row when it is not JSON (a corrupted row, never input). */
export function parseJsonColumn<T>(table: string, id: string, column: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${table} row ${id}: column ${column} is not JSON`, { cause: err });
  }
}
