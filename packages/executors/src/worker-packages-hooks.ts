// Module resolution hooks of node task threads (registered by worker-packages.ts with module.register,
// and so run in Node's loader thread). A bundle is unpacked without node_modules, so a bare import in a
// task module (`import { trace } from '@opentelemetry/api'`) finds nothing next to it; it is then
// resolved from the worker's own installation, the way Airflow tasks import what the worker's Python
// environment has.
import type { InitializeHook, ResolveHook } from 'node:module';

/** Where bare imports of task modules are resolved from when the bundle does not have them. */
let workerURL: string | undefined;

export const initialize: InitializeHook<{ workerURL: string }> = (data) => {
  workerURL = data.workerURL;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    if (!missing || workerURL === undefined || !isBare(specifier)) throw error;
    return nextResolve(specifier, { ...context, parentURL: workerURL });
  }
};

/** A package name (`pkg`, `@scope/pkg/sub`), not a path, URL or builtin. */
function isBare(specifier: string): boolean {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}
