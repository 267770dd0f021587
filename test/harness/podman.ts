import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ChildProcessHandle, outputTail, spawnChild } from './child-process.js';
import { track, untrack } from './registry.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

/** A Podman API service of its own (storage, state and socket in a temp dir), with a tiny image in it. */
export interface PodmanService {
  /** The unix socket serving the Docker-compatible API: what a worker's `containerSocket` names. */
  readonly socket: string;
  /** A busybox image built by the harness (`sh`, `echo`, `cat`, `sleep`, ...), present in the store. */
  readonly image: string;
  /** Runs the podman command line against this service's storage, e.g. `['ps', '-a']`; returns stdout. */
  podman(args: readonly string[]): Promise<string>;
  /** Removes every container, stops the service and removes its directory. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The image every {@link PodmanService} holds. */
export const PODMAN_TEST_IMAGE = 'localhost/tributary-test-busybox:latest';

const INSTALL_HINT = 'apt-get install podman runc busybox-static';
const BUSYBOX_PATHS = ['/usr/bin/busybox', '/bin/busybox'];
const BUSYBOX_APPLETS = [
  'sh',
  'echo',
  'cat',
  'sleep',
  'true',
  'false',
  'env',
  'ls',
  'id',
  'touch',
  'mkdir',
  'test',
  'printf',
];
const START_TIMEOUT_MS = 30_000;

// No registry is reachable and the tests need no network: plain cgroupfs, runc, no ulimits to set
// (a container inside a container may not raise them), events to a file (no journald here).
const CONTAINERS_CONF = `[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
`;

async function findCommand(name: string): Promise<string> {
  // sbin is not on every user's PATH, and runc lives there.
  const inSbin = [`/usr/sbin/${name}`, `/usr/bin/${name}`].find((path) => existsSync(path));
  if (inSbin !== undefined) return inSbin;
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${name}`]);
    return stdout.trim();
  } catch {
    throw new Error(`${name} is not installed; the container tests need it: ${INSTALL_HINT}`);
  }
}

/** A rootfs holding busybox and its applets, packed as the tarball `podman import` reads. */
async function buildRootfs(dir: string): Promise<string> {
  const busybox = BUSYBOX_PATHS.find((path) => existsSync(path));
  if (busybox === undefined)
    throw new Error(`busybox is not installed; the container tests need it: ${INSTALL_HINT}`);
  const rootfs = join(dir, 'rootfs');
  await Promise.all(['bin', 'tmp', 'etc'].map((sub) => mkdir(join(rootfs, sub), { recursive: true })));
  await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
  await Promise.all(BUSYBOX_APPLETS.map((applet) => symlink('busybox', join(rootfs, 'bin', applet))));
  await writeFile(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n',
  );
  const tarball = join(dir, 'rootfs.tar');
  await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
  return tarball;
}

/** Answers once the socket serves the API (`GET /_ping`). */
function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

class LocalPodman implements PodmanService {
  readonly image = PODMAN_TEST_IMAGE;
  readonly socket: string;
  #service: ChildProcessHandle | undefined;

  constructor(
    private readonly binary: string,
    private readonly dir: string,
  ) {
    this.socket = join(dir, 'api.sock');
  }

  /** Global flags that keep storage and state in this service's directory. */
  private get globalArgs(): string[] {
    const { dir } = this;
    // vfs: overlay mounts may be refused inside a container, and the test image is one small layer.
    return [
      '--root',
      join(dir, 'root'),
      '--runroot',
      join(dir, 'run'),
      '--tmpdir',
      join(dir, 'tmp'),
      '--storage-driver',
      'vfs',
    ];
  }

  private get env(): Record<string, string> {
    return { CONTAINERS_CONF: join(this.dir, 'containers.conf') };
  }

  async podman(args: readonly string[]): Promise<string> {
    const { stdout } = await run(this.binary, [...this.globalArgs, ...args], {
      env: { ...process.env, ...this.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  async start(): Promise<void> {
    await writeFile(join(this.dir, 'containers.conf'), CONTAINERS_CONF);
    await this.podman(['import', await buildRootfs(this.dir), this.image]);
    const service = spawnChild(
      this.binary,
      [...this.globalArgs, 'system', 'service', '--time=0', `unix://${this.socket}`],
      {
        env: this.env,
        name: 'podman system service',
      },
    );
    this.#service = service;
    await waitFor(async () => service.exitStatus !== undefined || (await ping(this.socket)), {
      timeoutMs: START_TIMEOUT_MS,
      description: `the podman API on ${this.socket}`,
    });
    if (service.exitStatus !== undefined) {
      throw new Error(`podman system service exited while starting. Its output:\n${outputTail(service)}`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    untrack(this);
    try {
      // Containers outlive the API service (conmon keeps them): remove them first.
      await this.podman(['rm', '--all', '--force', '--time', '0']).catch(() => '');
      await this.#service?.stop();
    } finally {
      await removeTempDir(this.dir);
    }
  }
}

/**
 * Starts `podman system service` on a unix socket in a new temp dir, with its own storage and a
 * busybox image ({@link PODMAN_TEST_IMAGE}) imported from the host's busybox binary, and waits until
 * the API answers. It is registered for `stopAll()`.
 * @throws Error naming the packages to install when podman, runc or busybox is missing.
 */
export async function startPodman(): Promise<PodmanService> {
  const binary = await findCommand('podman');
  await findCommand('runc');
  const dir = await makeTempDir('podman');
  const podman = new LocalPodman(binary, dir);
  track(podman, 'podman', () => podman[Symbol.asyncDispose]());
  try {
    await podman.start();
  } catch (error) {
    await podman[Symbol.asyncDispose]();
    throw error;
  }
  return podman;
}
