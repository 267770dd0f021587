import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeExecutor, type NodeExecutor } from './node-executor.js';
import { compileExecutorOptions } from './options.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest } from './test-fixtures/requests.js';

// A bundle folder outside the repository, as on a worker: no node_modules anywhere above it.
const bundleDir = mkdtempSync(join(tmpdir(), 'tributary-bundle-'));
let executor: NodeExecutor;

beforeAll(() => {
  assertBuilt();
  writeFileSync(
    join(bundleDir, 'uses-packages.ts'),
    [
      "import { trace } from '@opentelemetry/api';",
      'export async function run(ctx: { span<T>(name: string, fn: () => T): Promise<T> }) {',
      "  const fromCtx = await ctx.span('step', () => 'ran');",
      '  return { api: typeof trace.getTracer, fromCtx };',
      '}',
      "export async function missing() { return import('no-such-package-anywhere'); }",
    ].join('\n'),
  );
  writeFileSync(
    join(bundleDir, 'esm.mjs'),
    "import { trace } from '@opentelemetry/api';\nexport const run = () => ({ api: typeof trace.getTracer });\n",
  );
  executor = createNodeExecutor(compileExecutorOptions({ maxThreads: 1, killGraceMs: 200 }));
});

afterAll(async () => {
  await executor.close();
  rmSync(bundleDir, { recursive: true, force: true });
});

describe('packages of node tasks', () => {
  it('resolves a bare import the bundle lacks from the worker installation, and ctx.span runs its function', async () => {
    const request = nodeRequest({ module: './uses-packages.ts' }, { bundleDir });
    const result = await executor.execute(request, request.task as never);
    expect(result).toMatchObject({ outcome: 'succeeded', output: { api: 'function', fromCtx: 'ran' } });
  });

  it('resolves them for ES modules too', async () => {
    const request = nodeRequest({ module: './esm.mjs' }, { bundleDir });
    const result = await executor.execute(request, request.task as never);
    expect(result).toMatchObject({ outcome: 'succeeded', output: { api: 'function' } });
  });

  it('still fails a package that neither has, naming it', async () => {
    const request = nodeRequest({ module: './uses-packages.ts', export: 'missing' }, { bundleDir });
    const result = await executor.execute(request, request.task as never);
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toContain('no-such-package-anywhere');
  });
});
