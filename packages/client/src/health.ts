import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type * as grpc from '@grpc/grpc-js';

/** What `grpc.health.v1.Health/Check` reports for a service. */
export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const STATUS_NAMES: readonly HealthStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

// The two health messages have one field each, so they are coded by hand: importing grpc-health-check
// would parse its .proto file with protobufjs at import time, which every CLI start would pay for.
// Compatibility with grpc-health-check's server is proven by client.test.ts.

/**
 * The grpc-js method definition of `grpc.health.v1.Health/Check`: request `{ string service = 1 }`,
 * response `{ ServingStatus status = 1 }`.
 */
export const HEALTH_CHECK_METHOD: grpc.MethodDefinition<string, HealthStatus> = {
  path: '/grpc.health.v1.Health/Check',
  requestStream: false,
  responseStream: false,
  requestSerialize: (service) => {
    const writer = new BinaryWriter();
    if (service !== '') writer.tag(1, WireType.LengthDelimited).string(service);
    return Buffer.from(writer.finish());
  },
  requestDeserialize: (bytes) => {
    const reader = new BinaryReader(bytes);
    let service = '';
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) service = reader.string();
      else reader.skip(wireType, field);
    }
    return service;
  },
  responseSerialize: (status) => {
    const value = STATUS_NAMES.indexOf(status);
    const writer = new BinaryWriter();
    if (value > 0) writer.tag(1, WireType.Varint).int32(value);
    return Buffer.from(writer.finish());
  },
  responseDeserialize: (bytes) => {
    const reader = new BinaryReader(bytes);
    let status: HealthStatus = 'UNKNOWN';
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      // A status number this build does not know is reported as UNKNOWN rather than guessed.
      if (field === 1 && wireType === WireType.Varint) status = STATUS_NAMES[reader.int32()] ?? 'UNKNOWN';
      else reader.skip(wireType, field);
    }
    return status;
  },
};
