// What a sql task masks: its connection's password, in notices and in errors, against a real Postgres.
import { createExecutor, type TaskExecutor } from '@tributary/executors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlRequest } from '../../packages/executors/src/test-fixtures/requests.js';
import { type PostgresServer, startPostgres, stopAll } from '../harness/index.js';

/** Trust auth lets any password in, so the URL can carry one the test then looks for. */
const PASSWORD = 'pw-Zq81x%2Fv';
const DECODED = 'pw-Zq81x/v';

let pg: PostgresServer;
let url: string;
let executor: TaskExecutor | undefined;

beforeAll(async () => {
  pg = await startPostgres();
  url = (await pg.createDatabase('sql_secrets')).replace(
    'postgres://postgres@',
    `postgres://postgres:${PASSWORD}@`,
  );
});

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(async () => {
  await stopAll();
});

function warehouse(): TaskExecutor {
  executor = createExecutor({ connections: (name) => (name === 'warehouse' ? url : undefined) });
  return executor;
}

describe("a sql task's connection password", () => {
  it('is masked in notices the statement raises, as written and decoded', async () => {
    const lines: string[] = [];
    // The text is an argument: a % in the format string would be a placeholder.
    const statement = `DO $$ BEGIN RAISE NOTICE '%', 'raw ${PASSWORD} decoded ${DECODED}'; END $$`;
    const result = await warehouse().execute(sqlRequest(statement), {
      onLog: (line) => lines.push(line.line),
    });
    expect(result.outcome, JSON.stringify(result.error)).toBe('succeeded');
    expect(lines[0]).toBe('NOTICE: raw *** decoded ***');
    expect(JSON.stringify(result.logTail)).not.toContain(DECODED);
  });

  it("is masked in the attempt's error", async () => {
    const result = await warehouse().execute(sqlRequest(`SELECT '${DECODED}'::int`));
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toContain('invalid input syntax for type integer: "***"');
    expect(JSON.stringify(result.error)).not.toContain(DECODED);
  });
});
