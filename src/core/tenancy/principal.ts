// Who is asking. The operator (admin key) sees and manages everything; an application (its
// API key) sees only what it owns, and anything else simply does not exist for it (NOT_FOUND,
// never FORBIDDEN, so ids of other tenants cannot be probed).

export type Principal = { kind: 'admin' } | { kind: 'application'; applicationId: string };

export const ADMIN: Principal = Object.freeze({ kind: 'admin' });

export function applicationPrincipal(applicationId: string): Principal {
  return { kind: 'application', applicationId };
}

/** Whether `who` may see a resource owned by `ownerId` (null = operator-owned). */
export function canSee(who: Principal, ownerId: string | null): boolean {
  return who.kind === 'admin' || who.applicationId === ownerId;
}
