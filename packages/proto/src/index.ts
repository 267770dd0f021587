export {
  attemptStateFromProto,
  attemptStateToProto,
  failureFromProto,
  failureToProto,
  jsonToValue,
  millisFromTimestamp,
  problemFromProto,
  problemToProto,
  runStateFromProto,
  runStateToProto,
  runTypeFromProto,
  runTypeToProto,
  taskStateFromProto,
  taskStateToProto,
  timestamp,
  valueToJson,
  type WorkerStateName,
  workerStateFromProto,
  workerStateToProto,
} from './convert.js';
export * from './gen/tributary/v1/bus_pb.js';
export * from './gen/tributary/v1/service_pb.js';
export * from './gen/tributary/v1/types_pb.js';
export {
  type AnyService,
  type GrpcHandlersOptions,
  grpcHandlers,
  grpcMethodDefinition,
  grpcServiceDefinition,
  MAX_MESSAGE_BYTES,
  type MethodImplementation,
  type ServerStreamingImplementation,
  type ServiceImplementation,
  type UnaryImplementation,
} from './grpc-service.js';
export {
  ERROR_DETAILS_METADATA_KEY,
  errorFromStatus,
  errorToStatus,
  type GrpcStatus,
  type ReceivedStatus,
} from './grpc-status.js';
