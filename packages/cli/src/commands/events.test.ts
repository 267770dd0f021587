import { Code, TributaryError } from '@tributary/core';
import { timestamp } from '@tributary/proto';
import { describe, expect, it } from 'vitest';
import { cliAgainst, serveFake } from '../fake-server.test-util.js';

const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 600);

const REJECTED = {
  dag: 'orders',
  subject: 'orders.created',
  streamSeq: 1042n,
  receivedAt: timestamp(AT),
  error: "params: field 'params.id' must be integer",
  payload: '{\n  "id": "not a number",\n  "customer": "a customer with a rather long name indeed"\n}',
};

describe('tributary events rejected', () => {
  it('prints time, dag, subject, seq, error and a one-line payload excerpt', async () => {
    const server = await serveFake({ listRejectedEvents: () => ({ events: [REJECTED] }) });
    const { code, out } = await cliAgainst(server, 'events', 'rejected');
    expect(code).toBe(0);
    const [header, row] = out.trimEnd().split('\n');
    expect(header).toMatch(/^TIME\s+DAG\s+SUBJECT\s+SEQ\s+ERROR\s+PAYLOAD$/);
    expect(row?.split(/\s{2,}/)).toEqual([
      '2024-01-02T03:04:05Z',
      'orders',
      'orders.created',
      '1042',
      "params: field 'params.id' must be integer",
      '{ "id": "not a number", "customer": "a …',
    ]);
    // Cut to 40 characters, the ellipsis included.
    expect(row?.split(/\s{2,}/).at(-1)).toHaveLength(40);
  });

  it('passes --dag and --limit, and prints the whole payload in --json', async () => {
    const requests: [string, number][] = [];
    const server = await serveFake({
      listRejectedEvents: (request) => {
        requests.push([request.dag, request.limit]);
        return { events: request.dag === 'none' ? [] : [REJECTED] };
      },
    });
    const json = await cliAgainst(server, 'events', 'rejected', '--dag', 'orders', '--limit', '5', '--json');
    expect(JSON.parse(json.out)).toEqual({
      events: [
        {
          received_at: '2024-01-02T03:04:05.600Z',
          dag: 'orders',
          subject: 'orders.created',
          stream_seq: 1042,
          error: REJECTED.error,
          payload: REJECTED.payload,
        },
      ],
    });
    expect((await cliAgainst(server, 'events', 'rejected', '--dag', 'none')).out).toBe(
      'no rejected events\n',
    );
    expect(requests).toEqual([
      ['orders', 5],
      ['none', 0],
    ]);
  });

  it('exits 2 on a bad --limit before calling the server, and 1 for an unknown DAG', async () => {
    const bad = await cliAgainst('127.0.0.1:1', 'events', 'rejected', '--limit', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--limit <n>' argument '0' is invalid");
    const server = await serveFake({
      listRejectedEvents: (request) => {
        throw new TributaryError(Code.NotFound, `no DAG '${request.dag}'`);
      },
    });
    expect(await cliAgainst(server, 'events', 'rejected', '--dag', 'nope')).toEqual({
      code: 1,
      out: '',
      err: "error: [not_found] no DAG 'nope'\n",
    });
  });
});
