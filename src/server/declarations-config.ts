// The YAML `applications:` and `trunks:` sections: resources declared in the config file and
// applied idempotently at every start (core/tenancy/declarations.ts). This file checks their
// SHAPE when the config loads (unknown keys, wrong types), naming the YAML path at fault; the
// domain rules (E.164, CIDRs, key length …) are core's and fail the start with a clear line.
import type { Declarations, DeclaredApplication, DeclaredTrunk } from '../core/index.ts';

/** Thrown with the YAML path and the problem; config.ts turns it into a ConfigError. */
export class DeclarationShapeError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fields(v: unknown, key: string, allowed: Record<string, 'string' | 'number' | 'boolean' | 'strings' | 'list' | 'object' | 'nstring'>, required: string[]): Obj {
  if (!isObj(v)) throw new DeclarationShapeError(key, 'must be a mapping');
  for (const r of required) if (v[r] === undefined || v[r] === null) throw new DeclarationShapeError(`${key}.${r}`, 'is required');
  for (const [k, x] of Object.entries(v)) {
    const kind = allowed[k];
    const at = `${key}.${k}`;
    if (!kind) throw new DeclarationShapeError(at, 'unknown setting (see docs/configuration.md)');
    if (x === null && kind === 'nstring') continue;
    const ok = kind === 'string' || kind === 'nstring' ? typeof x === 'string'
      : kind === 'number' ? typeof x === 'number'
        : kind === 'boolean' ? typeof x === 'boolean'
          : kind === 'strings' ? Array.isArray(x) && x.every((s) => typeof s === 'string')
            : kind === 'list' ? Array.isArray(x) : isObj(x);
    if (!ok) throw new DeclarationShapeError(at, `must be ${kind === 'strings' ? 'a list of strings' : kind === 'list' ? 'a list' : kind === 'object' ? 'a mapping' : `a ${kind === 'nstring' ? 'string' : kind}`}`);
  }
  return v;
}

function list(v: unknown, key: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DeclarationShapeError(key, 'must be a list');
  return v;
}

function routeTo(v: unknown, key: string): { type: never; target?: string | null } | undefined {
  if (v === undefined) return undefined;
  fields(v, key, { type: 'string', target: 'nstring' }, ['type']);
  return v as { type: never; target?: string | null };
}

export function parseDeclarations(doc: Obj): Declarations {
  const applications: DeclaredApplication[] = list(doc.applications, 'applications').map((raw, i) => {
    const key = `applications[${i}]`;
    const a = fields(raw, key, {
      name: 'string', callbackUrl: 'nstring', apiKeys: 'strings', limits: 'object', numbers: 'list', sipUsers: 'list',
      acsAccessKeys: 'strings', acsIncomingCallUrl: 'nstring', callHandling: 'object',
    }, ['name']);
    if (a.callHandling !== undefined) {
      const h = fields(a.callHandling, `${key}.callHandling`, { unansweredTimeoutMs: 'number', unansweredStatus: 'number', limitStatus: 'number', webhookFallback: 'object' }, []);
      if (h.webhookFallback !== undefined) fields(h.webhookFallback, `${key}.callHandling.webhookFallback`, { action: 'string', text: 'string', target: 'string' }, ['action']);
    }
    if (a.limits !== undefined) {
      fields(a.limits, `${key}.limits`, { maxConcurrentCalls: 'number', callsPerSecond: 'number', allowedDestinationPrefixes: 'strings', recordingRetentionDays: 'number' }, []);
    }
    const numbers = list(a.numbers, `${key}.numbers`).map((n, j) => {
      // `- "+4930123"` is shorthand for `- { number: "+4930123" }`.
      if (typeof n === 'string') return { number: n };
      const o = fields(n, `${key}.numbers[${j}]`, { number: 'string', routeTo: 'object' }, ['number']);
      return { number: o.number as string, routeTo: routeTo(o.routeTo, `${key}.numbers[${j}].routeTo`) };
    });
    const sipUsers = list(a.sipUsers, `${key}.sipUsers`).map((u, j) =>
      fields(u, `${key}.sipUsers[${j}]`, { username: 'string', password: 'string', ha1: 'string' }, ['username']) as DeclaredApplication['sipUsers'] & object);
    return {
      name: a.name as string,
      callbackUrl: a.callbackUrl as string | null | undefined,
      apiKeys: a.apiKeys as string[] | undefined,
      limits: a.limits as DeclaredApplication['limits'],
      ...(a.callHandling !== undefined ? { callHandling: a.callHandling as DeclaredApplication['callHandling'] & object } : {}),
      numbers,
      sipUsers: sipUsers as unknown as DeclaredApplication['sipUsers'],
      ...(a.acsAccessKeys !== undefined ? { acsAccessKeys: a.acsAccessKeys as string[] } : {}),
      ...(a.acsIncomingCallUrl !== undefined ? { acsIncomingCallUrl: a.acsIncomingCallUrl as string | null } : {}),
    };
  });
  const trunks: DeclaredTrunk[] = list(doc.trunks, 'trunks').map((raw, i) => {
    const key = `trunks[${i}]`;
    const t = fields(raw, key, {
      name: 'string', host: 'string', port: 'number', transport: 'string', username: 'nstring', password: 'nstring',
      register: 'boolean', inboundSources: 'strings', callerIdRules: 'list', codecs: 'strings', application: 'string',
    }, ['name', 'host']);
    list(t.callerIdRules, `${key}.callerIdRules`).forEach((r, j) => fields(r, `${key}.callerIdRules[${j}]`, {
      matchPrefix: 'string', set: 'string', stripDigits: 'number', prepend: 'string', withhold: 'boolean',
    }, []));
    return t as unknown as DeclaredTrunk;
  });
  return { applications, trunks };
}
