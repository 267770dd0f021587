import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

// Kustomize is not installed where the tests run, so these helpers resolve a kustomization the way it
// does for what the manifests use: `resources` (files, and folders holding a kustomization.yaml),
// `components`, `namespace`, and `patches` as strategic merges. Enough to check what `kubectl apply -k`
// would apply, without the rest of kustomize.

/** The repository's root folder. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** Where the Kubernetes manifests live. */
export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');

/** A Kubernetes object as parsed, with the file it came from. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  /** Repository-relative path of the file, for failure messages. */
  source: string;
}

/** What a kustomization.yaml may say, of what these manifests use. */
export interface Kustomization {
  namespace?: string;
  resources?: string[];
  components?: string[];
  patches?: { path: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  secretGenerator?: { name: string; literals?: string[] }[];
}

/** A resolved kustomization: its objects (patched, namespaced) and every file it read. */
export interface Resolved {
  manifests: Manifest[];
  files: Set<string>;
  generatedSecrets: Set<string>;
  images: NonNullable<Kustomization['images']>;
}

/** Every document of a YAML file; throws naming the file and the position of the first syntax error. */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(documents)) return [];
  return documents.map((document) => {
    const [error] = document.errors;
    if (error !== undefined) {
      throw new Error(`${relative(REPO_ROOT, path)}: ${error.message} (line ${error.linePos?.[0].line})`);
    }
    return document.toJS() as unknown;
  });
}

/** The Kubernetes objects of a manifest file, each checked to have apiVersion, kind and a name. */
export function readManifests(path: string): Manifest[] {
  const source = relative(REPO_ROOT, path);
  return readYamlDocuments(path)
    .filter((document) => document !== null)
    .map((document, index) => {
      const object = document as Partial<Manifest>;
      if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        throw new Error(`${source}: document ${index + 1} has no apiVersion or kind`);
      }
      if (typeof object.metadata?.name !== 'string') {
        throw new Error(`${source}: ${object.kind} (document ${index + 1}) has no metadata.name`);
      }
      return { ...(object as Manifest), source };
    });
}

/** The kustomization.yaml of `dir`; throws naming the folder when there is none. */
export function readKustomization(dir: string): Kustomization {
  const path = join(dir, 'kustomization.yaml');
  if (!existsSync(path)) throw new Error(`${relative(REPO_ROOT, dir)} has no kustomization.yaml`);
  return readYamlDocuments(path)[0] as Kustomization;
}

/** Every .yaml file under `dir`, recursively, as absolute paths. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .map((name) => join(dir, name))
    .sort();
}

/** What `kubectl apply -k dir` applies, as far as these manifests need kustomize's features. */
export function resolveKustomization(dir: string): Resolved {
  const kustomization = readKustomization(dir);
  const resolved: Resolved = {
    manifests: [],
    files: new Set([join(dir, 'kustomization.yaml')]),
    generatedSecrets: new Set(),
    images: [],
  };
  const include = (entry: string, what: string) => {
    const path = join(dir, entry);
    if (!existsSync(path)) {
      throw new Error(
        `${relative(REPO_ROOT, dir)}/kustomization.yaml lists ${what} '${entry}', which does not exist`,
      );
    }
    if (statSync(path).isDirectory()) {
      const inner = resolveKustomization(path);
      resolved.manifests.push(...inner.manifests);
      for (const file of inner.files) resolved.files.add(file);
      for (const secret of inner.generatedSecrets) resolved.generatedSecrets.add(secret);
      resolved.images.push(...inner.images);
    } else {
      resolved.manifests.push(...readManifests(path));
      resolved.files.add(path);
    }
  };
  for (const entry of kustomization.resources ?? []) include(entry, 'resource');
  for (const entry of kustomization.components ?? []) include(entry, 'component');
  for (const { path } of kustomization.patches ?? []) {
    const file = join(dir, path);
    if (!existsSync(file)) {
      throw new Error(
        `${relative(REPO_ROOT, dir)}/kustomization.yaml lists patch '${path}', which does not exist`,
      );
    }
    resolved.files.add(file);
    for (const patch of readManifests(file)) {
      const target = resolved.manifests.find(
        (manifest) => manifest.kind === patch.kind && manifest.metadata.name === patch.metadata.name,
      );
      if (target === undefined) {
        throw new Error(
          `${patch.source} patches ${patch.kind} ${patch.metadata.name}, which no resource defines`,
        );
      }
      strategicMerge(
        target as unknown as Record<string, unknown>,
        patch as unknown as Record<string, unknown>,
      );
    }
  }
  for (const generator of kustomization.secretGenerator ?? []) resolved.generatedSecrets.add(generator.name);
  resolved.images.push(...(kustomization.images ?? []));
  if (kustomization.namespace !== undefined) {
    for (const manifest of resolved.manifests) {
      if (manifest.kind !== 'Namespace') manifest.metadata.namespace = kustomization.namespace;
    }
  }
  return resolved;
}

/**
 * Merges `patch` into `target` as a strategic merge patch does for the fields these manifests patch:
 * maps merge key by key, lists of named items (containers, env, volumes) merge item by name, other
 * lists and scalars are replaced.
 */
export function strategicMerge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'source') continue;
    const current = target[key];
    if (isNamedList(value) && isNamedList(current)) {
      for (const item of value) {
        const match = current.find((existing) => existing.name === item.name);
        if (match === undefined) current.push(item);
        else strategicMerge(match, item);
      }
    } else if (isPlainObject(value) && isPlainObject(current)) {
      strategicMerge(current, value);
    } else {
      target[key] = value;
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNamedList(value: unknown): value is (Record<string, unknown> & { name: unknown })[] {
  return Array.isArray(value) && value.every((item) => isPlainObject(item) && typeof item.name === 'string');
}

/** A container of a pod template, with the fields the tests read. */
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

/** A probe: one of the handlers Kubernetes offers. */
export interface Probe {
  grpc?: { port: number };
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}

/** A workload's pod template spec. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
}

/** The pod spec of a Deployment, StatefulSet, DaemonSet or Job; undefined for other kinds. */
export function podSpecOf(manifest: Manifest): PodSpec | undefined {
  if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(manifest.kind)) return undefined;
  const template = (manifest.spec as { template?: { spec?: PodSpec } } | undefined)?.template;
  if (template?.spec === undefined)
    throw new Error(`${manifest.source}: ${manifest.kind} has no pod template`);
  return template.spec;
}

/** The one object of `kind` named `name`; throws naming both when there is none. */
export function findManifest(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} named ${name}`);
  return found;
}

/** The port of a `host:port` address (`[::1]:9464` too). */
export function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port)) throw new Error(`'${address}' has no port`);
  return port;
}

/** The value of an env entry set literally on `container`; undefined when it is not (or not literally). */
export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((entry) => entry.name === name)?.value;
}

/** The values of a repeated flag in `args` (`--pool a --pool b`). */
export function flagValues(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag && index + 1 < args.length ? [args[index + 1]!] : []));
}

/** The folder a manifest came from, relative to the repository. */
export function folderOf(manifest: Manifest): string {
  return dirname(manifest.source);
}
