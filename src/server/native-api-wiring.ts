// Wires the native REST API and the tenancy services into a node. The HTTP app listens before
// the store is open (probes must answer while starting), so the routes are mounted at once
// and reach the services through a getter that stays empty — answering 503 NOT_READY — until
// the store is migrated and the config file's declarations are applied.
import type { FastifyInstance } from 'fastify';
import { createTenancy, type Tenancy } from '../core/index.ts';
import { registerNativeApi } from '../faces/native/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { Store } from '../store/index.ts';
import type { Config } from './config.ts';

export function mountNativeApi(http: FastifyInstance, adminKey: string, tenancy: () => Tenancy | undefined): void {
  registerNativeApi(http, { adminKey, tenancy });
}

/** Builds the services and applies config declarations; a bad declaration fails the start. */
export async function startTenancy(store: Store, config: Config, logger: Logger, clock: Clock): Promise<Tenancy> {
  const tenancy = createTenancy(store, { clock });
  const d = config.declared;
  if (d && (d.applications?.length ?? 0) + (d.trunks?.length ?? 0) > 0) {
    try {
      const report = await tenancy.applyDeclarations(d);
      logger.info({ created: report.created, updated: report.updated.length, revokedKeys: report.revokedKeys }, 'config declarations applied');
    } catch (err) {
      throw new Error(`config file declarations: ${(err as Error).message}`, { cause: err });
    }
  }
  return tenancy;
}
