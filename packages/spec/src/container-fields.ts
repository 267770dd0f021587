import type { JsonObject } from '@tributary/core';
import { CONTAINER_NETWORKS, CONTAINER_PULL_POLICIES, DEFAULT_SKIP_EXIT_CODE } from './model.js';

/**
 * The fields only container tasks have, their value types and JSON Schema fragments. Kept apart from
 * `fields.ts` so that one kind's dozen fields do not crowd the shared tables; `fields.ts` adds the
 * common task fields to them.
 */
export type ContainerValueType =
  | 'image'
  | 'argv'
  | 'containerPath'
  | 'cpu'
  | 'memory'
  | 'pullPolicy'
  | 'network'
  | 'containerUser'
  | 'volumes';

/** `python:3.12-slim`, `registry.local:5000/team/etl@sha256:...`: no spaces, no leading punctuation. */
export const IMAGE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$';
/** `1000`, `1000:1000`, `app`, `app:staff`. */
export const CONTAINER_USER_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$';
/** A CPU limit written in millicores, as Kubernetes does: `500m` is half a core. */
export const MILLI_CPU_PATTERN = '^[1-9][0-9]*m$';
/**
 * `256Mi`, `1Gi`, `512MiB` (powers of 1024), `512M`, `1GB` (powers of 1000), or a whole number of bytes.
 */
export const MEMORY_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([KkMmGg]i?[Bb]?|[Bb])?$';
/** Docker refuses a memory limit below 6 MiB. */
export const MIN_CONTAINER_MEMORY_BYTES = 6 * 1024 * 1024;
/** `host_path:container_path`, optionally `:ro` or `:rw`; both paths absolute. */
export const VOLUME_PATTERN = '^/[^:]*:/[^:]*(:(ro|rw))?$';
/** Where the task's bundle folder is mounted, read-only. */
export const CONTAINER_BUNDLE_PATH = '/bundle';
/**
 * Paths under this are the executor's own (`/tributary/output`, `/tributary/input`): a volume may not
 * be mounted there.
 */
export const CONTAINER_RESERVED_PATH = '/tributary';

/** Container-only fields (the common ones are added in `fields.ts`). */
export const CONTAINER_ONLY_FIELDS = {
  image: {
    type: 'image',
    required: true,
    description: 'The image to run, e.g. python:3.12-slim or registry.local:5000/etl:1.4.',
  },
  command: {
    type: 'argv',
    description:
      "Replaces the image's entrypoint: a list of strings, run without a shell, e.g. [python, main.py]. " +
      'Each string may hold templates ({{ params.day }}), rendered like env values. Default: the image entrypoint.',
  },
  args: {
    type: 'argv',
    description:
      "Replaces the image's command (the entrypoint's arguments): a list of strings, templated like " +
      "command. Default: the image's command.",
  },
  workdir: {
    type: 'containerPath',
    description: "Absolute working directory inside the container. Default: the image's.",
  },
  cpu: {
    type: 'cpu',
    description: 'CPU limit in cores, e.g. 0.5 or 2, or in millicores, e.g. 500m. Default none.',
  },
  memory: {
    type: 'memory',
    description: 'Memory limit, e.g. 256Mi, 1Gi, 512MB, or a number of bytes (at least 6Mi). Default none.',
  },
  pull: {
    type: 'pullPolicy',
    description: `When to pull the image: ${CONTAINER_PULL_POLICIES.join(', ')}. Default if_missing.`,
  },
  network: {
    type: 'network',
    description: `The network the container joins: ${CONTAINER_NETWORKS.join(', ')}. Default none (no network at all).`,
  },
  user: {
    type: 'containerUser',
    description:
      "The user the container runs as: uid, uid:gid or a user name of the image. Default: the image's.",
  },
  volumes: {
    type: 'volumes',
    description:
      'Extra bind mounts, each host_path:container_path, optionally :ro. The worker mounts only host paths ' +
      'under the folders its operator allows (TRIBUTARY_CONTAINER_VOLUMES); any other fails the task.',
  },
  skip_exit_code: {
    type: 'exitCode',
    description: `The exit code that ends the task skipped instead of failed. Default ${DEFAULT_SKIP_EXIT_CODE}.`,
  },
} as const satisfies Record<string, { type: string; description: string; required?: boolean }>;

/** The JSON Schema fragment of each container value type. */
export const CONTAINER_VALUE_SCHEMAS: Readonly<Record<ContainerValueType, JsonObject>> = {
  image: { type: 'string', pattern: IMAGE_PATTERN },
  argv: { type: 'array', items: { type: 'string' } },
  containerPath: { type: 'string', pattern: '^/' },
  cpu: {
    oneOf: [
      { type: 'number', exclusiveMinimum: 0 },
      { type: 'string', pattern: MILLI_CPU_PATTERN },
    ],
  },
  memory: {
    oneOf: [
      { type: 'integer', minimum: MIN_CONTAINER_MEMORY_BYTES },
      { type: 'string', pattern: MEMORY_PATTERN },
    ],
  },
  pullPolicy: { type: 'string', enum: [...CONTAINER_PULL_POLICIES] },
  network: { type: 'string', enum: [...CONTAINER_NETWORKS] },
  containerUser: { type: 'string', pattern: CONTAINER_USER_PATTERN },
  volumes: { type: 'array', items: { type: 'string', pattern: VOLUME_PATTERN } },
};
