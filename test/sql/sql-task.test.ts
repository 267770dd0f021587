// sql tasks against a real Postgres: the executor alone, then `tributary run` of examples/sql.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor, type TaskExecutor } from '@tributary/executors';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlRequest } from '../../packages/executors/src/test-fixtures/requests.js';
import { CLI, REPO_ROOT } from '../e2e/cluster.js';
import { type PostgresServer, spawnProcess, startPostgres, stopAll, waitFor } from '../harness/index.js';

let pg: PostgresServer;
let url: string;
/** The test's own connection, to look at the database from outside the tasks. */
let admin: postgres.Sql;
let executor: TaskExecutor | undefined;

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase('sql_tasks');
  admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin`create table orders (id int primary key, customer text not null, total numeric not null)`;
  await admin`insert into orders select n, 'customer ' || n, n * 10 from generate_series(1, 50) as n`;
});

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(async () => {
  await admin?.end();
  await stopAll();
});

/** An executor whose only connection is `warehouse`, the test database. */
function warehouseExecutor(): TaskExecutor {
  executor = createExecutor({
    killGraceMs: 2000,
    connections: (name) => (name === 'warehouse' ? url : undefined),
  });
  return executor;
}

/** Backends of the test database running a statement that contains `marker`, other than this lookup. */
async function backendsRunning(marker: string): Promise<number> {
  const rows = await admin`
    select count(*)::int as n from pg_stat_activity
    where query like ${`%${marker}%`} and pid <> pg_backend_pid()`;
  return rows[0]?.n as number;
}

describe('sql tasks on the executor', () => {
  it('returns the rows as JSON objects with their count', async () => {
    const result = await warehouseExecutor().execute(
      sqlRequest(
        "select id, customer, total, id > 1 as big, date '2026-01-02' as day, '{\"a\": [1]}'::jsonb as doc, null as nothing from orders where id <= 2 order by id",
      ),
    );
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(result.output).toEqual({
      rows: [
        {
          id: 1,
          customer: 'customer 1',
          total: '10',
          big: false,
          day: '2026-01-02',
          doc: { a: [1] },
          nothing: null,
        },
        {
          id: 2,
          customer: 'customer 2',
          total: '20',
          big: true,
          day: '2026-01-02',
          doc: { a: [1] },
          nothing: null,
        },
      ],
      rowCount: 2,
      truncated: false,
    });
    expect(result.logTail).toContain('SELECT: 2 rows');
  });

  it('keeps max_rows rows and says the output is truncated', async () => {
    const result = await warehouseExecutor().execute(
      sqlRequest('select id from orders order by id', { maxRows: 3 }),
    );
    expect(result.output).toEqual({ rows: [{ id: 1 }, { id: 2 }, { id: 3 }], rowCount: 3, truncated: true });
    const exact = await warehouseExecutor().execute(
      sqlRequest('select id from orders where id <= 3 order by id', { maxRows: 3 }),
    );
    expect(exact.output).toMatchObject({ rowCount: 3, truncated: false });
  });

  it('makes the server produce no more than max_rows + 1 rows of a big result', async () => {
    // nextval() runs once per row the server produces, so the sequence counts them.
    await admin`create sequence produced`;
    const result = await warehouseExecutor().execute(
      sqlRequest("select nextval('produced') as n from generate_series(1, 100000)", { maxRows: 2 }),
    );
    expect(result.output).toEqual({ rows: [{ n: '1' }, { n: '2' }], rowCount: 2, truncated: true });
    expect((await admin`select last_value::int as n from produced`)[0]?.n).toBe(3);
  });

  it('counts the rows a command affected, and runs INSERT ... RETURNING through the cursor', async () => {
    await admin`create table events (id serial primary key, name text)`;
    const inserted = await warehouseExecutor().execute(
      sqlRequest("insert into events (name) select 'e' || n from generate_series(1, 5) as n returning id", {
        maxRows: 2,
      }),
    );
    expect(inserted.output).toEqual({ rows: [{ id: 1 }, { id: 2 }], rowCount: 2, truncated: true });
    // Truncating the output does not undo the statement: all five rows were inserted and committed.
    expect((await admin`select count(*)::int as n from events`)[0]?.n).toBe(5);
    const updated = await warehouseExecutor().execute(
      sqlRequest("update events set name = 'x' where id > 3"),
    );
    expect(updated.output).toEqual({ rows: [], rowCount: 2, truncated: false });
  });

  it('passes template values as bind parameters, so a hostile value stays a value', async () => {
    const hostile = "x'); drop table orders; --";
    const result = await warehouseExecutor().execute(
      sqlRequest(
        'select {{ params.who }}::text as who, count(*)::int as n from orders where id <= {{ params.limit }}',
        {},
        { params: { who: hostile, limit: 4 } },
      ),
    );
    expect(result.error).toBeUndefined();
    expect(result.output).toMatchObject({ rows: [{ who: hostile, n: 4 }] });
    expect((await admin`select count(*)::int as n from orders`)[0]?.n).toBe(50);
  });

  it('passes objects as JSON, booleans and null by their place in the statement', async () => {
    const result = await warehouseExecutor().execute(
      sqlRequest(
        "select ({{ inputs.up.filter }}::jsonb ->> 'min')::int as min, {{ params.flag }}::boolean as flag, {{ params.none }}::int is null as none",
        {},
        { params: { flag: true, none: null }, inputs: { up: { filter: { min: 7 } } } },
      ),
    );
    expect(result.output).toMatchObject({ rows: [{ min: 7, flag: true, none: true }] });
  });

  it('fails with ConnectionNotConfigured naming the connection, the task and how to configure it', async () => {
    const result = await warehouseExecutor().execute(sqlRequest('select 1', { connection: 'crm' }));
    expect(result.outcome).toBe('failed');
    expect(result.error).toEqual({
      type: 'ConnectionNotConfigured',
      message:
        "task 'query': connection 'crm' is not configured here: set TRIBUTARY_CONNECTION_CRM to its Postgres URL where the task runs, or add it under `connections:` in the secrets file (--secrets-file or TRIBUTARY_SECRETS_FILE)",
      retryable: false,
      details: { connection: 'crm' },
    });
  });

  it('fails a SQL error with its SQLSTATE, not retryable unless the table says so', async () => {
    const missing = await warehouseExecutor().execute(sqlRequest('select * from no_such_table'));
    expect(missing.outcome).toBe('failed');
    expect(missing.error).toMatchObject({
      type: 'SqlError',
      message: expect.stringMatching(
        /^task 'query': relation "no_such_table" does not exist \(SQLSTATE 42P01, connection 'warehouse'\)$/,
      ),
      retryable: false,
      details: { sqlstate: '42P01', severity: 'ERROR', position: '15', connection: 'warehouse' },
    });
    const serialization = await warehouseExecutor().execute(
      sqlRequest("do $$ begin raise exception 'conflict' using errcode = '40001'; end $$"),
    );
    expect(serialization.error).toMatchObject({
      type: 'SqlError',
      retryable: true,
      details: { sqlstate: '40001' },
    });
  });

  it('turns server notices into log lines', async () => {
    const lines: string[] = [];
    const result = await warehouseExecutor().execute(
      sqlRequest("do $$ begin raise notice 'loaded % rows', 3; raise warning 'late'; end $$"),
      { onLog: (line) => lines.push(`${line.stream} ${line.level} ${line.line}`) },
    );
    expect(result.outcome).toBe('succeeded');
    expect(lines).toEqual(['log info NOTICE: loaded 3 rows', 'log warn WARNING: late', 'log info DO']);
  });

  it('cancels a statement on the server when the attempt times out', async () => {
    const result = await warehouseExecutor().execute(
      sqlRequest('select pg_sleep(30) as timeout_marker', { timeoutMs: 300 }),
    );
    expect(result.outcome).toBe('timed_out');
    expect(result.error).toMatchObject({ type: 'TimeoutError', retryable: true });
    // The cancel request reached the server: the sleep is not still running there.
    await waitFor(async () => (await backendsRunning('timeout_marker')) === 0, {
      timeoutMs: 10_000,
      description: 'the timed-out statement to stop on the server',
    });
  });

  it('cancels a statement on the server when the caller aborts', async () => {
    const controller = new AbortController();
    const attempt = warehouseExecutor().execute(sqlRequest('select pg_sleep(30) as cancel_marker'), {
      signal: controller.signal,
    });
    await waitFor(async () => (await backendsRunning('cancel_marker')) === 1, {
      description: 'the statement to start',
    });
    controller.abort();
    const result = await attempt;
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatchObject({ type: 'CancelledError', retryable: false });
    await waitFor(async () => (await backendsRunning('cancel_marker')) === 0, {
      timeoutMs: 10_000,
      description: 'the cancelled statement to stop on the server',
    });
  });

  it('cancels a running statement when the executor closes, as retryable elsewhere', async () => {
    const closing = warehouseExecutor();
    const attempt = closing.execute(sqlRequest('select pg_sleep(30) as close_marker'));
    await waitFor(async () => (await backendsRunning('close_marker')) === 1, {
      description: 'the statement to start',
    });
    await closing.close();
    const result = await attempt;
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatchObject({ type: 'CancelledError', retryable: true });
    await waitFor(async () => (await backendsRunning('close_marker')) === 0, {
      timeoutMs: 10_000,
      description: 'the statement to stop on the server',
    });
  });

  it('closes its connection after each attempt', async () => {
    const result = await warehouseExecutor().execute(sqlRequest('select 1 as one', { id: 'closer' }));
    expect(result.output).toMatchObject({ rows: [{ one: 1 }] });
    await waitFor(async () => (await connectionsOf('tributary closer')) === 0, {
      timeoutMs: 10_000,
      description: "the attempt's connection to close",
    });
  });
});

/** Connections whose application_name starts with `prefix` (the executor names them by task). */
async function connectionsOf(prefix: string): Promise<number> {
  const rows = await admin`
    select count(*)::int as n from pg_stat_activity where application_name like ${`${prefix}%`}`;
  return rows[0]?.n as number;
}

describe('tributary run examples/sql', () => {
  it('runs the statement on the connection from the environment and hands the rows downstream', async () => {
    const run = spawnProcess(
      process.execPath,
      [CLI, 'run', join(REPO_ROOT, 'examples', 'sql'), '--json', '--param', 'min_total=450'],
      { name: 'tributary run', env: { TRIBUTARY_CONNECTION_WAREHOUSE: url } },
    );
    const status = await run.exited;
    const lines = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = lines.at(-1) as { run: { state: string }; tasks: Record<string, { output?: unknown }> };
    expect(summary.run.state, run.output()).toBe('succeeded');
    expect(status.code).toBe(0);
    expect(summary.tasks.big_orders?.output).toMatchObject({ rowCount: 6, truncated: false });
    expect(summary.tasks.report?.output).toEqual({ big_orders: 6, first_customer: 'customer 45' });
  });

  it('takes the connection from --secrets-file when the environment has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-sql-secrets-'));
    try {
      const secrets = join(dir, 'secrets.yaml');
      await writeFile(secrets, `connections:\n  warehouse: "${url}"\n`);
      const run = spawnProcess(
        process.execPath,
        [CLI, 'run', join(REPO_ROOT, 'examples', 'sql'), '--json', '--secrets-file', secrets],
        { name: 'tributary run --secrets-file', env: { TRIBUTARY_CONNECTION_WAREHOUSE: '' } },
      );
      const status = await run.exited;
      expect(status.code, run.output()).toBe(0);
      const summary = JSON.parse(run.output().trimEnd().split('\n').at(-1) ?? '{}');
      // The default min_total is 100: orders 10 to 50.
      expect(summary.tasks.report.output).toEqual({ big_orders: 41, first_customer: 'customer 10' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails the sql task with ConnectionNotConfigured when the connection is nowhere', async () => {
    const run = spawnProcess(process.execPath, [CLI, 'run', join(REPO_ROOT, 'examples', 'sql'), '--json'], {
      name: 'tributary run (no connection)',
      env: { TRIBUTARY_CONNECTION_WAREHOUSE: '' },
    });
    const status = await run.exited;
    expect(status.code).toBe(1);
    expect(run.output()).toContain('ConnectionNotConfigured');
    expect(run.output()).toContain('TRIBUTARY_CONNECTION_WAREHOUSE');
  });
});
