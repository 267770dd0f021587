import { describe, expect, it } from 'vitest';
import { HEALTH_CHECK_METHOD, type HealthStatus } from './health.js';

describe('HEALTH_CHECK_METHOD', () => {
  it('round-trips the request service name, including the empty default', () => {
    for (const service of ['', 'tributary.v1.TributaryService']) {
      const bytes = HEALTH_CHECK_METHOD.requestSerialize(service);
      expect(HEALTH_CHECK_METHOD.requestDeserialize(bytes)).toBe(service);
    }
  });

  it('round-trips every serving status', () => {
    const statuses: HealthStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
    for (const status of statuses) {
      const bytes = HEALTH_CHECK_METHOD.responseSerialize(status);
      expect(HEALTH_CHECK_METHOD.responseDeserialize(bytes)).toBe(status);
    }
  });

  it('reads SERVING from its wire encoding (field 1, varint 1) and ignores unknown fields', () => {
    expect(HEALTH_CHECK_METHOD.responseDeserialize(Buffer.from([0x08, 0x01]))).toBe('SERVING');
    expect(HEALTH_CHECK_METHOD.responseDeserialize(Buffer.from([0x10, 0x05, 0x08, 0x02]))).toBe(
      'NOT_SERVING',
    );
    expect(HEALTH_CHECK_METHOD.responseDeserialize(Buffer.from([0x08, 0x09]))).toBe('UNKNOWN');
  });
});
