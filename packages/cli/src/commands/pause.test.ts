import { Code, TributaryError } from '@tributary/core';
import { timestamp } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { cliAgainst, serveFake } from '../fake-server.test-util.js';

const NEXT = Date.UTC(2024, 0, 2, 2);

describe('tributary pause / unpause', () => {
  it('sets the pause flag and prints the DAG, with its next run once unpaused', async () => {
    const requests: [string, boolean][] = [];
    const server = await serveFake({
      setDagPaused: (request) => {
        requests.push([request.dag, request.paused]);
        return {
          dag: {
            name: request.dag,
            paused: request.paused,
            schedule: { cron: '@daily', nextRunAt: timestamp(NEXT) },
          },
        };
      },
    });
    expect(await cliAgainst(server, 'pause', 'etl')).toEqual({ code: 0, out: 'paused etl\n', err: '' });
    expect(await cliAgainst(server, 'unpause', 'etl')).toEqual({
      code: 0,
      out: 'unpaused etl; next run 2024-01-02T02:00:00Z\n',
      err: '',
    });
    expect(requests).toEqual([
      ['etl', true],
      ['etl', false],
    ]);
  });

  it('prints no next run for a DAG without a schedule', async () => {
    const server = await serveFake({
      setDagPaused: (request) => ({
        dag: { name: request.dag, paused: false, eventSubject: 'orders.created' },
      }),
    });
    expect((await cliAgainst(server, 'unpause', 'orders')).out).toBe('unpaused orders\n');
  });

  it('exits 1 naming an unknown DAG, and 2 without a DAG argument', async () => {
    const server = await serveFake({
      setDagPaused: (request) => {
        throw new TributaryError(Code.NotFound, `no DAG '${request.dag}'`);
      },
    });
    expect(await cliAgainst(server, 'pause', 'nope')).toEqual({
      code: 1,
      out: '',
      err: "error: [not_found] no DAG 'nope'\n",
    });
    const missing = await cliAgainst(server, 'unpause');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing required argument 'dag'");
  });
});
