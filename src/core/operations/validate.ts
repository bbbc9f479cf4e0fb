// Parameter checking for operations: collects every problem, then throws one CallError
// VALIDATION_FAILED listing them all (faces report the list as is).
import type { FieldIssue } from '../tenancy/index.ts';
import { CallError } from '../calls/call-error.ts';
import { participantProblem, type Participant } from '../ports/index.ts';

export type Params = Record<string, unknown>;

export class Check {
  readonly issues: FieldIssue[] = [];
  constructor(readonly p: Params) {}

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** Throws when any problem was found. */
  done(): void {
    if (this.issues.length === 0) return;
    throw new CallError('VALIDATION_FAILED', `${this.issues[0].path}: ${this.issues[0].message}`, [...this.issues]);
  }

  str(key: string, opts: { required?: boolean; max?: number; re?: RegExp; oneOf?: readonly string[] } = {}): string | undefined {
    const v = this.p[key];
    if (v === undefined || v === null) {
      if (opts.required) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') return void this.fail(key, 'must be a string');
    if (opts.max !== undefined && v.length > opts.max) return void this.fail(key, `must be at most ${opts.max} characters`);
    if (opts.re && !opts.re.test(v)) return void this.fail(key, `must match ${opts.re}`);
    if (opts.oneOf && !opts.oneOf.includes(v)) return void this.fail(key, `must be one of ${opts.oneOf.join(', ')}`);
    return v;
  }

  int(key: string, def: number, min: number, max: number): number {
    const v = this.p[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `must be an integer from ${min} to ${max}`);
      return def;
    }
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.p[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.fail(key, 'must be true or false');
      return def;
    }
    return v;
  }

  participant(key: string, required: boolean): Participant | undefined {
    const v = this.p[key];
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is required');
      return undefined;
    }
    const why = participantProblem(v);
    if (why) return void this.fail(key, why);
    return v as Participant;
  }

  /** Only these keys may appear (typos are errors, not silently ignored). */
  only(keys: readonly string[]): void {
    for (const k of Object.keys(this.p)) if (!keys.includes(k)) this.fail(k, 'is not a known parameter');
  }
}

export function asParams(raw: unknown): Params {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CallError('VALIDATION_FAILED', 'parameters must be an object', [{ path: '', message: 'must be an object' }]);
  return raw as Params;
}

export const DTMF_RE = /^[0-9*#A-D]+$/;
