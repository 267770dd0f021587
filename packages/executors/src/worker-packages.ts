import Module, { register } from 'node:module';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

let registered = false;

/**
 * Lets node task modules import the packages installed with the worker, once per thread: a bundle is
 * unpacked without node_modules, so a bare import (`import { trace } from '@opentelemetry/api'`) finds
 * nothing next to it. ES modules get a resolve hook that falls back to the worker's installation
 * (worker-packages-hooks.ts); modules that tsx runs as CommonJS (a `.ts` file without
 * `"type": "module"`) get the worker's node_modules folders in their global search path (NODE_PATH's),
 * which `require` tries after the module's own folders.
 */
export function resolveBareImportsFromWorker(): void {
  if (registered) return;
  registered = true;
  register(new URL('./worker-packages-hooks.js', import.meta.url), {
    data: { workerURL: import.meta.url },
  });
  const internals = Module as unknown as {
    _initPaths(): void;
    _nodeModulePaths(from: string): string[];
  };
  const workerPaths = internals._nodeModulePaths(dirname(fileURLToPath(import.meta.url)));
  // Node reads NODE_PATH only when it initialises its search paths: set it for that moment, then put the
  // thread's environment back as it was.
  const nodePath = process.env.NODE_PATH;
  process.env.NODE_PATH = [nodePath, ...workerPaths].filter(Boolean).join(delimiter);
  try {
    internals._initPaths();
  } finally {
    if (nodePath === undefined) delete process.env.NODE_PATH;
    else process.env.NODE_PATH = nodePath;
  }
}
