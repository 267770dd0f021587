// The sql executor's paths that need no database. Statements against a real Postgres are in
// test/sql/sql-task.test.ts.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { sqlRequest } from './test-fixtures/requests.js';
import type { TaskExecutor } from './types.js';

let executor: TaskExecutor | undefined;
let server: Server | undefined;

afterEach(async () => {
  await executor?.close();
  executor = undefined;
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

function executorWith(urls: Record<string, string>): TaskExecutor {
  executor = createExecutor({ killGraceMs: 100, connections: (name) => urls[name] });
  return executor;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('the sql executor without a database', () => {
  it('fails an unknown connection without retrying, saying how to configure it', async () => {
    const result = await executorWith({}).execute(sqlRequest('select 1', { id: 'orders' }));
    expect(result.outcome).toBe('failed');
    expect(result.error?.type).toBe('ConnectionNotConfigured');
    expect(result.error?.retryable).toBe(false);
    expect(result.error?.message).toMatch(
      /^task 'orders': connection 'warehouse' is not configured here: set TRIBUTARY_CONNECTION_WAREHOUSE/,
    );
  });

  it('refuses a value that is not a Postgres URL without quoting it', async () => {
    for (const url of ['mysql://u:secret@h/db', 'postgres://u:secret@h:99999999999/db', 'secret']) {
      const result = await executorWith({ warehouse: url }).execute(sqlRequest('select 1'));
      expect(result.outcome).toBe('failed');
      expect(result.error).toMatchObject({ type: 'InvalidConnectionUrl', retryable: false });
      expect(JSON.stringify(result)).not.toContain('secret');
      await executor?.close();
    }
  });

  it('fails a template inside a string literal before connecting', async () => {
    const result = await executorWith({
      warehouse: `postgres://u@127.0.0.1:${await closedPort()}/db`,
    }).execute(
      sqlRequest("select * from t where day = '{{ params.day }}'", {}, { params: { day: '2026-01-01' } }),
    );
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({
      type: 'TemplateError',
      retryable: false,
      details: { field: 'statement', template: '{{ params.day }}' },
    });
    expect(result.error?.message).toMatch(
      /^task 'query', field 'statement': template \{\{ params\.day \}\} is inside a string literal/,
    );
  });

  it('fails a refused connection as retryable', async () => {
    const url = `postgres://u:secret@127.0.0.1:${await closedPort()}/db`;
    const result = await executorWith({ warehouse: url }).execute(sqlRequest('select 1'));
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({
      type: 'SqlConnectionError',
      retryable: true,
      details: { code: 'ECONNREFUSED', connection: 'warehouse' },
    });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('times out a server that never answers, within the task timeout', async () => {
    // Accepts connections and says nothing: the attempt's clock covers connecting.
    const sockets = new Set<Socket>();
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const result = await executorWith({ warehouse: `postgres://u@127.0.0.1:${port}/db` }).execute(
      sqlRequest('select 1', { timeoutMs: 200 }),
    );
    expect(result.outcome).toBe('timed_out');
    expect(result.error).toMatchObject({ type: 'TimeoutError', retryable: true });
    for (const socket of sockets) socket.destroy();
  });

  it('ends an attempt whose signal has already aborted as cancelled, without connecting', async () => {
    const result = await executorWith({}).execute(sqlRequest('select 1'), { signal: AbortSignal.abort() });
    expect(result.outcome).toBe('cancelled');
  });
});
