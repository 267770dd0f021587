import { pathToFileURL } from 'node:url';
import { type NamespacedUnregister, register } from 'tsx/esm/api';
import { resolveBareImportsFromWorker } from './worker-packages.js';

let loader: NamespacedUnregister | undefined;
const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports a task module (`.ts`, `.mts`, `.js`, `.mjs`, `.cjs`) through tsx, once per absolute path per
 * thread: a bundle folder is content-addressed, so a path never changes content.
 *
 * One namespaced tsx loader per thread rather than `tsImport()` per module: `tsImport` registers a new
 * loader hook on every call and hooks cannot be removed, so a long-lived thread would pile them up.
 * Both are the same tsx API underneath (`tsImport` is `register({ namespace }).import`).
 */
export function loadTaskModule(modulePath: string): Promise<Record<string, unknown>> {
  const cached = modules.get(modulePath);
  if (cached !== undefined) return cached;
  if (loader === undefined) {
    resolveBareImportsFromWorker();
    loader = register({ namespace: 'tributary-task' });
  }
  const loading = loader.import(pathToFileURL(modulePath).href, import.meta.url) as Promise<
    Record<string, unknown>
  >;
  modules.set(modulePath, loading);
  // A failed import is not kept: the caller sees the error through `loading`, and a retry tries again.
  void loading.catch(() => modules.delete(modulePath));
  return loading;
}
