import { describe, expect, it } from 'vitest';
import { parseAckSubject } from './jetstream-delivery.js';

describe('parseAckSubject', () => {
  it('reads the short form', () => {
    expect(parseAckSubject('$JS.ACK.TRIB_TASKS.pool-default.3.17.20.1795298041197478306.0')).toEqual({
      stream: 'TRIB_TASKS',
      consumer: 'pool-default',
      deliveryCount: 3,
      streamSequence: 17,
      publishedAt: 1795298041197,
    });
  });

  it('reads the form with domain and account hash', () => {
    expect(parseAckSubject('$JS.ACK.hub.ACCHASH.S.c.1.5.5.1795298041197478306.0.rnd')).toMatchObject({
      stream: 'S',
      consumer: 'c',
      deliveryCount: 1,
      streamSequence: 5,
      publishedAt: 1795298041197,
    });
  });

  it('rejects a reply that is not an ack subject', () => {
    expect(() => parseAckSubject('_INBOX.abc')).toThrow(/not a JetStream delivery/);
    expect(() => parseAckSubject(undefined)).toThrow(/not a JetStream delivery/);
    expect(() => parseAckSubject('$XX.ACK.S.c.1.5.5.1.0')).toThrow(/not a JetStream delivery/);
  });
});
