import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATS_AUTH_ENV } from '../../packages/bus/src/nats-auth.js';
import { createTopologyNames, DEFAULT_PREFIX } from '../../packages/bus/src/subjects.js';
import { DEFAULT_COORDINATOR_OPTIONS } from '../../services/coordinator/src/options.js';
import { DEFAULT_WORKER_OPTIONS } from '../../services/worker/src/options.js';
import { keyValues, readDockerfile } from './dockerfile.js';
import {
  type Container,
  envValue,
  findManifest,
  flagValues,
  KUBERNETES_DIR,
  type Manifest,
  type PodSpec,
  podSpecOf,
  portOf,
  REPO_ROOT,
  type Resolved,
  readKustomization,
  readYamlDocuments,
  resolveKustomization,
  yamlFilesUnder,
} from './manifests.js';

// What `kubectl apply -k` applies, checked against the code it deploys: the env variables the services
// read, their default ports, the worker's drain period, and the JetStream names the bus creates.

const ENTRY_POINTS = {
  root: KUBERNETES_DIR,
  dev: join(KUBERNETES_DIR, 'overlays', 'dev'),
  production: join(KUBERNETES_DIR, 'overlays', 'production'),
} as const;
const resolved = Object.fromEntries(
  Object.entries(ENTRY_POINTS).map(([name, dir]) => [name, resolveKustomization(dir)]),
) as Record<keyof typeof ENTRY_POINTS, Resolved>;

const stages = readDockerfile(join(REPO_ROOT, 'deploy', 'Dockerfile'));
/** The image each Dockerfile target is published as: its OCI title label. */
const IMAGE_OF_TARGET = {
  coordinator: keyValues(stages, 'coordinator', 'LABEL').get('org.opencontainers.image.title'),
  worker: keyValues(stages, 'worker', 'LABEL').get('org.opencontainers.image.title'),
};

/** The environment variables a service's code reads, from its sources (`env.NAME`, `env['NAME']`). */
function variablesReadBy(...files: string[]): Set<string> {
  // Both services read the NATS credentials through natsAuthFromEnv, which the pattern below cannot see.
  const names = new Set<string>(NATS_AUTH_ENV);
  for (const file of files) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const match of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g)) {
      names.add((match[1] ?? match[2])!);
    }
    // The coordinator reads its numeric settings through a helper: int('TRIBUTARY_...').
    for (const match of text.matchAll(/\bint\('([A-Z][A-Z0-9_]*)'\)/g)) names.add(match[1]!);
  }
  return names;
}
const COORDINATOR_VARIABLES = variablesReadBy(
  'services/coordinator/src/main.ts',
  'packages/telemetry/src/metrics-server.ts',
);
const WORKER_VARIABLES = variablesReadBy(
  'services/worker/src/options.ts',
  'services/worker/src/main.ts',
  'packages/telemetry/src/metrics-server.ts',
);
/** Set by the manifests for other env values to refer to ($(POD_IP)), not read by the code. */
const HELPER_VARIABLES = new Set(['POD_IP']);

function workloads(manifests: Manifest[]): { manifest: Manifest; pod: PodSpec }[] {
  return manifests.flatMap((manifest) => {
    const pod = podSpecOf(manifest);
    return pod === undefined ? [] : [{ manifest, pod }];
  });
}

function tributaryContainer(resolvedSet: Resolved, deployment: string): Container {
  const pod = podSpecOf(findManifest(resolvedSet.manifests, 'Deployment', deployment))!;
  expect(pod.containers, `${deployment} runs one container`).toHaveLength(1);
  return pod.containers[0]!;
}

function workerDeployments(manifests: Manifest[]): Manifest[] {
  return manifests.filter(
    (manifest) =>
      manifest.kind === 'Deployment' &&
      manifest.metadata.labels?.['app.kubernetes.io/component'] === 'worker',
  );
}

function configMapData(manifests: Manifest[]): Record<string, string> {
  return findManifest(manifests, 'ConfigMap', 'tributary-config').data ?? {};
}

describe('the Kubernetes manifests', () => {
  it('parse as YAML, every document a named Kubernetes object', () => {
    const files = yamlFilesUnder(KUBERNETES_DIR);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const documents = readYamlDocuments(file);
      expect(documents.length, relative(REPO_ROOT, file)).toBeGreaterThan(0);
    }
  });

  it('are each listed by a kustomization, and every listed file exists', () => {
    // resolveKustomization throws for a listed file that is missing; here the other way round.
    const listed = new Set(Object.values(resolved).flatMap((each) => [...each.files]));
    const unlisted = yamlFilesUnder(KUBERNETES_DIR).filter((file) => !listed.has(file));
    expect(unlisted.map((file) => relative(REPO_ROOT, file))).toEqual([]);
  });

  it('apply the dev overlay at the top level', () => {
    expect(readKustomization(KUBERNETES_DIR).resources).toEqual(['overlays/dev']);
    expect(resolved.root.manifests.map((each) => `${each.kind}/${each.metadata.name}`)).toEqual(
      resolved.dev.manifests.map((each) => `${each.kind}/${each.metadata.name}`),
    );
  });

  for (const [entry, set] of Object.entries(resolved)) {
    describe(`as applied by ${entry}`, () => {
      it('run every container as non-root, without privilege escalation, with probes and resources', () => {
        const list = workloads(set.manifests);
        expect(list.length).toBeGreaterThanOrEqual(2);
        for (const { manifest, pod } of list) {
          for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
            const where = `${manifest.source}: container ${container.name}`;
            const runAsNonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
            expect(runAsNonRoot, `${where} runAsNonRoot`).toBe(true);
            expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
            expect(container.securityContext?.capabilities, where).toEqual({ drop: ['ALL'] });
            expect(container.readinessProbe, `${where} readinessProbe`).toBeDefined();
            expect(container.livenessProbe, `${where} livenessProbe`).toBeDefined();
            for (const kind of ['requests', 'limits'] as const) {
              expect(Object.keys(container.resources?.[kind] ?? {}).sort(), `${where} ${kind}`).toEqual([
                'cpu',
                'memory',
              ]);
            }
          }
        }
      });

      it('keep every object in one namespace, and select pods by labels their templates carry', () => {
        const namespaces = new Set(
          set.manifests.filter((m) => m.kind !== 'Namespace').map((m) => m.metadata.namespace),
        );
        expect(namespaces.size).toBe(1);
        expect(set.manifests.some((m) => m.kind === 'Namespace' && namespaces.has(m.metadata.name))).toBe(
          true,
        );
        const podLabels = workloads(set.manifests).map(
          ({ manifest }) =>
            (manifest.spec as { template: { metadata: { labels: Record<string, string> } } }).template
              .metadata.labels,
        );
        for (const manifest of set.manifests) {
          const spec = manifest.spec as
            | { selector?: Record<string, string> | { matchLabels?: Record<string, string> } }
            | undefined;
          if (
            !['Deployment', 'PodDisruptionBudget', 'Service'].includes(manifest.kind) ||
            spec?.selector === undefined
          )
            continue;
          const wanted = (
            manifest.kind === 'Service'
              ? spec.selector
              : (spec.selector as { matchLabels: Record<string, string> }).matchLabels
          ) as Record<string, string>;
          const matches = podLabels.filter((labels) =>
            Object.entries(wanted).every(([k, v]) => labels[k] === v),
          );
          expect(
            matches.length,
            `${manifest.source}: ${manifest.kind} ${manifest.metadata.name} selects no pod`,
          ).toBeGreaterThan(0);
        }
      });

      it('set only the environment variables the services read', () => {
        const config = Object.keys(configMapData(set.manifests));
        const coordinator = tributaryContainer(set, 'tributary-coordinator');
        for (const { name } of coordinator.env ?? []) {
          expect(
            COORDINATOR_VARIABLES.has(name) || HELPER_VARIABLES.has(name),
            `coordinator env ${name}`,
          ).toBe(true);
        }
        for (const worker of workerDeployments(set.manifests)) {
          for (const { name } of podSpecOf(worker)!.containers[0]!.env ?? []) {
            expect(WORKER_VARIABLES.has(name), `${worker.metadata.name} env ${name}`).toBe(true);
          }
        }
        // Both load the ConfigMap: each key must mean something to at least one of them.
        for (const key of config) {
          expect(COORDINATOR_VARIABLES.has(key) || WORKER_VARIABLES.has(key), `ConfigMap key ${key}`).toBe(
            true,
          );
        }
      });

      it('give the coordinator its default ports, gRPC health probes and the Dockerfile image', () => {
        const container = tributaryContainer(set, 'tributary-coordinator');
        const grpcPort = portOf(DEFAULT_COORDINATOR_OPTIONS.listen);
        const metricsPort = portOf(DEFAULT_COORDINATOR_OPTIONS.metricsListen!);
        expect(container.image.split(':')[0]).toBe(IMAGE_OF_TARGET.coordinator);
        expect(container.args?.[0]).toBe('coordinator');
        expect(container.ports).toEqual([
          { name: 'grpc', containerPort: grpcPort },
          { name: 'metrics', containerPort: metricsPort },
        ]);
        expect(portOf(envValue(container, 'TRIBUTARY_LISTEN')!)).toBe(grpcPort);
        expect(portOf(envValue(container, 'TRIBUTARY_METRICS_LISTEN')!)).toBe(metricsPort);
        for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
          expect(probe?.grpc?.port).toBe(grpcPort);
        }
        const service = findManifest(set.manifests, 'Service', 'tributary-coordinator');
        const ports = (service.spec as { ports: { name: string; port: number }[] }).ports;
        expect(ports.find((port) => port.name === 'grpc')?.port).toBe(grpcPort);
        // Workers reach the API through the Service: the ConfigMap must name it and its port.
        expect(configMapData(set.manifests).TRIBUTARY_SERVER).toBe(`tributary-coordinator:${grpcPort}`);
      });

      it('give each worker its default metrics port, probed there, and the Dockerfile image', () => {
        const metricsPort = portOf(DEFAULT_WORKER_OPTIONS.metricsListen);
        const workers = workerDeployments(set.manifests);
        expect(workers.length).toBeGreaterThan(0);
        for (const worker of workers) {
          const container = podSpecOf(worker)!.containers[0]!;
          expect(container.image.split(':')[0]).toBe(IMAGE_OF_TARGET.worker);
          expect(container.args?.[0]).toBe('worker');
          expect(container.ports).toEqual([{ name: 'metrics', containerPort: metricsPort }]);
          expect(portOf(envValue(container, 'TRIBUTARY_METRICS_LISTEN')!)).toBe(metricsPort);
          for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
            expect(probe?.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
          }
        }
      });

      it("give each worker pod at least the worker's whole drain period before the kubelet kills it", () => {
        for (const worker of workerDeployments(set.manifests)) {
          const pod = podSpecOf(worker)!;
          const container = pod.containers[0]!;
          const shutdownGraceMs = Number(
            envValue(container, 'TRIBUTARY_SHUTDOWN_GRACE_MS') ?? DEFAULT_WORKER_OPTIONS.shutdownGraceMs,
          );
          // worker.ts stop(): shutdownGraceMs for running tasks, then killGraceMs (no variable sets it)
          // plus 2 s for the aborted ones to be handed back.
          const drainMs = shutdownGraceMs + DEFAULT_WORKER_OPTIONS.killGraceMs + 2_000;
          const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
          expect(graceMs, worker.metadata.name).toBeGreaterThanOrEqual(drainMs);
          // ...and not so much more that a stuck worker holds a node drain for long.
          expect(graceMs - drainMs, worker.metadata.name).toBeLessThanOrEqual(10_000);
        }
      });

      it('give every worker pool a disruption budget, and the coordinators one too', () => {
        const budgets = set.manifests
          .filter((m) => m.kind === 'PodDisruptionBudget')
          .map((m) => m.metadata.name);
        for (const worker of workerDeployments(set.manifests))
          expect(budgets).toContain(worker.metadata.name);
        expect(budgets).toContain('tributary-coordinator');
      });

      it('let workers reach only NATS, the coordinator API and DNS', () => {
        const policy = findManifest(set.manifests, 'NetworkPolicy', 'tributary-worker');
        const spec = policy.spec as {
          policyTypes: string[];
          egress: {
            to: { podSelector?: { matchLabels: Record<string, string> } }[];
            ports: { port: number }[];
          }[];
        };
        expect(spec.policyTypes).toContain('Egress');
        const grpcPort = portOf(DEFAULT_COORDINATOR_OPTIONS.listen);
        const allowed = spec.egress.map((rule) => ({
          to: rule.to.map(
            (peer) =>
              peer.podSelector?.matchLabels['app.kubernetes.io/name'] ??
              peer.podSelector?.matchLabels['k8s-app'],
          ),
          ports: [...new Set(rule.ports.map((port) => port.port))],
        }));
        expect(allowed).toEqual([
          { to: ['nats'], ports: [4222] },
          { to: ['tributary'], ports: [grpcPort] },
          { to: ['kube-dns'], ports: [53] },
        ]);
      });
    });
  }

  it('run two coordinators in production, which the leader lease makes safe', () => {
    const deployment = findManifest(resolved.production.manifests, 'Deployment', 'tributary-coordinator');
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
    // Each must advertise an address the other can dial: its own pod IP, not 0.0.0.0.
    const container = tributaryContainer(resolved.production, 'tributary-coordinator');
    expect(envValue(container, 'TRIBUTARY_LISTEN')).toMatch(/^\$\(POD_IP\):\d+$/);
    expect(container.env?.find((entry) => entry.name === 'POD_IP')).toBeDefined();
  });

  it('reference in dev only Secrets the overlay generates, and in production only ones docs/deploy.md creates', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const [entry, set] of Object.entries(resolved)) {
      const referenced = workloads(set.manifests).flatMap(({ pod }) =>
        pod.containers.flatMap((container) =>
          (container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.name ?? []),
        ),
      );
      expect(referenced).toContain('tributary-database');
      expect(referenced).toContain('tributary-nats');
      for (const secret of new Set(referenced)) {
        if (entry === 'production')
          expect(docs, `docs/deploy.md creates ${secret}`).toContain(`secret generic ${secret}`);
        else expect(set.generatedSecrets.has(secret), `${entry} generates ${secret}`).toBe(true);
      }
    }
  });

  it('retag only the two images the Dockerfile builds', () => {
    for (const set of [resolved.dev, resolved.production]) {
      expect(set.images.map((image) => image.name).sort()).toEqual(
        [IMAGE_OF_TARGET.coordinator, IMAGE_OF_TARGET.worker].sort(),
      );
    }
  });
});

describe('the KEDA ScaledObjects', () => {
  const scaled = resolved.production.manifests.filter((manifest) => manifest.kind === 'ScaledObject');

  it('scale every worker pool of production, and none in dev (no KEDA there)', () => {
    const targets = scaled.map(
      (object) => (object.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
    );
    expect(targets.sort()).toEqual(
      workerDeployments(resolved.production.manifests)
        .map((m) => m.metadata.name)
        .sort(),
    );
    expect(resolved.dev.manifests.filter((manifest) => manifest.kind === 'ScaledObject')).toEqual([]);
  });

  it("read the lag of the stream and consumer the bus creates for their pool's workers", () => {
    const prefix = configMapData(resolved.production.manifests).TRIBUTARY_NATS_PREFIX ?? DEFAULT_PREFIX;
    const names = createTopologyNames(prefix);
    expect(scaled.length).toBeGreaterThan(0);
    for (const object of scaled) {
      const spec = object.spec as {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
      const deployment = findManifest(resolved.production.manifests, 'Deployment', spec.scaleTargetRef.name);
      const args = podSpecOf(deployment)!.containers[0]!.args ?? [];
      const pools = flagValues(args, '--pool');
      expect(pools, `${spec.scaleTargetRef.name} serves one pool`).toHaveLength(1);
      const [trigger] = spec.triggers;
      expect(spec.triggers).toHaveLength(1);
      expect(trigger?.type).toBe('nats-jetstream');
      expect(trigger?.metadata.stream).toBe(names.tasksStream);
      expect(trigger?.metadata.consumer).toBe(names.poolConsumer(pools[0]!));
      expect(trigger?.metadata.natsServerMonitoringEndpoint).toMatch(/:8222$/);
      // One worker's worth of waiting tasks per worker.
      const concurrency = flagValues(args, '--concurrency')[0] ?? String(DEFAULT_WORKER_OPTIONS.concurrency);
      expect(trigger?.metadata.lagThreshold).toBe(concurrency);
      // The pool's first worker creates the consumer KEDA reads: never scale a fresh pool to zero.
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    }
  });
});
