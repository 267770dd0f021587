import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { Code, TributaryError } from '@tributary/core';
import { problemFromProto, problemToProto } from './convert.js';
import { ErrorDetailsSchema } from './gen/tributary/v1/types_pb.js';

/**
 * The trailer that carries a binary `tributary.v1.ErrorDetails` (the problems of an `INVALID_ARGUMENT`
 * and others). gRPC requires binary metadata keys to end in `-bin`.
 */
export const ERROR_DETAILS_METADATA_KEY = 'tributary-error-details-bin';

/** A gRPC status as a server handler reports it (grpc-js `ServerErrorResponse` shape). */
export interface GrpcStatus {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/**
 * Turns anything a handler threw into a gRPC status. A {@link TributaryError} keeps its code (core's
 * `Code` numbers are gRPC's), its message and its problems (as {@link ERROR_DETAILS_METADATA_KEY});
 * anything else is a bug on the server, so it becomes `INTERNAL` and is reported to `onInternalError`.
 */
export function errorToStatus(error: unknown, onInternalError?: (error: unknown) => void): GrpcStatus {
  const metadata = new grpc.Metadata();
  if (!(error instanceof TributaryError)) {
    onInternalError?.(error);
    const message = error instanceof Error ? error.message : String(error);
    return { code: grpc.status.INTERNAL, details: message, metadata };
  }
  if (error.problems.length > 0) {
    const details = create(ErrorDetailsSchema, { problems: error.problems.map(problemToProto) });
    metadata.set(ERROR_DETAILS_METADATA_KEY, Buffer.from(toBinary(ErrorDetailsSchema, details)));
  }
  return { code: error.code as number as grpc.status, details: error.message, metadata };
}

/** The parts of a failed call's status that {@link errorFromStatus} reads (a grpc-js `ServiceError`). */
export interface ReceivedStatus {
  code: number;
  details: string;
  metadata?: grpc.Metadata | undefined;
}

/**
 * Turns a failed call's status into a {@link TributaryError} with the same code and message and the
 * problems decoded from {@link ERROR_DETAILS_METADATA_KEY}. The original status is kept as `cause`.
 */
export function errorFromStatus(status: ReceivedStatus, message: string = status.details): TributaryError {
  const code =
    status.code >= Code.Cancelled && status.code <= Code.Unauthenticated ? status.code : Code.Unknown;
  return new TributaryError(code, message, { cause: status, problems: decodeProblems(status.metadata) });
}

function decodeProblems(metadata: grpc.Metadata | undefined): TributaryError['problems'] {
  const value = metadata?.get(ERROR_DETAILS_METADATA_KEY)[0];
  if (!(value instanceof Uint8Array)) return [];
  try {
    return fromBinary(ErrorDetailsSchema, value).problems.map(problemFromProto);
  } catch {
    // Corrupt details must not hide the status itself, which still says what went wrong.
    return [];
  }
}
