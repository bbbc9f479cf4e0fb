// Typed failures of the tenancy services. Each carries a stable code that faces map onto
// their own error shapes (the native API uses the same code names in src/http/errors.ts);
// messages are for people and never carry secrets or SQL.

export type TenancyErrorCode =
  | 'VALIDATION_FAILED'
  | 'FORBIDDEN'
  | 'APPLICATION_NOT_FOUND'
  | 'APPLICATION_CONFLICT'
  | 'API_KEY_NOT_FOUND'
  | 'ACS_KEY_NOT_FOUND'
  | 'NUMBER_NOT_FOUND'
  | 'NUMBER_CONFLICT'
  | 'TRUNK_NOT_FOUND'
  | 'TRUNK_CONFLICT'
  | 'SIP_USER_NOT_FOUND'
  | 'SIP_USER_CONFLICT';

/** One invalid field: where (a JSON-pointer-like path) and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class TenancyError extends Error {
  readonly code: TenancyErrorCode;
  /** For VALIDATION_FAILED: every problem found, not only the first. */
  readonly issues?: FieldIssue[];
  constructor(code: TenancyErrorCode, message: string, issues?: FieldIssue[]) {
    super(message);
    this.name = 'TenancyError';
    this.code = code;
    if (issues) this.issues = issues;
  }
}

/** Collects field problems, then throws them all at once. */
export class Issues {
  private readonly list: FieldIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const first = this.list[0];
    throw new TenancyError('VALIDATION_FAILED', `${first.path}: ${first.message}`, [...this.list]);
  }
}
