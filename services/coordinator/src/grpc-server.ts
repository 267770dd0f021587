import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@tributary/core';
import { grpcHandlers, grpcServiceDefinition, MAX_MESSAGE_BYTES, TributaryService } from '@tributary/proto';
import { HealthImplementation } from 'grpc-health-check';
import { createTributaryService, type ServiceDeps } from './api/service.js';

export interface GrpcServer {
  /** The bound address (the real port when listening on port 0). */
  readonly address: string;
  /** Marks the service NOT_SERVING, lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  stop(graceMs: number): Promise<void>;
}

/** Serves the Tributary API and the standard gRPC health service on `listen`. */
export async function startGrpcServer(
  listen: string,
  deps: ServiceDeps,
  logger: Logger,
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(
    grpcServiceDefinition(TributaryService),
    grpcHandlers(TributaryService, createTributaryService(deps), {
      onInternalError: (error, method) =>
        logger.error('internal error in API call', {
          method,
          error: String(error),
          stack: (error as Error)?.stack,
        }),
    }),
  );
  const health = new HealthImplementation({ '': 'SERVING', [TributaryService.typeName]: 'SERVING' });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const host = listen.slice(0, listen.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    async stop(graceMs) {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(TributaryService.typeName, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
