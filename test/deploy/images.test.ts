import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_COORDINATOR_OPTIONS } from '../../services/coordinator/src/options.js';
import { DEFAULT_WORKER_OPTIONS } from '../../services/worker/src/options.js';
import { effective, execForm, keyValues, readDockerfile, stageChain } from './dockerfile.js';
import { portOf, REPO_ROOT } from './manifests.js';

// The Dockerfile's two targets against the services' defaults, and docker-compose.yml against both.

const stages = readDockerfile(join(REPO_ROOT, 'deploy', 'Dockerfile'));
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      build?: { dockerfile: string; target?: string };
      image?: string;
      command?: string[];
      environment?: Record<string, string>;
    }
  >;
};

/** What each target must serve: the ports of the services' own defaults, and the command it runs. */
const TARGETS = {
  coordinator: {
    command: 'coordinator',
    ports: [portOf(DEFAULT_COORDINATOR_OPTIONS.listen), portOf(DEFAULT_COORDINATOR_OPTIONS.metricsListen!)],
    listenVariables: ['TRIBUTARY_LISTEN', 'TRIBUTARY_METRICS_LISTEN'],
    healthcheck: 'grpc',
  },
  worker: {
    command: 'worker',
    ports: [portOf(DEFAULT_WORKER_OPTIONS.metricsListen)],
    listenVariables: ['TRIBUTARY_METRICS_LISTEN'],
    healthcheck: 'http',
  },
} as const;

describe('deploy/Dockerfile', () => {
  for (const [target, wanted] of Object.entries(TARGETS)) {
    describe(`target ${target}`, () => {
      it('runs as a non-root user, by number', () => {
        const user = effective(stages, target, 'USER');
        expect(user?.args).toMatch(/^[1-9]\d*(:\d+)?$/);
      });

      it("exposes the service's default ports and listens on them on every interface", () => {
        const exposed = effective(stages, target, 'EXPOSE')?.args.split(/\s+/).map(Number);
        expect(exposed).toEqual(wanted.ports);
        const env = keyValues(stages, target, 'ENV');
        wanted.listenVariables.forEach((variable, index) => {
          expect(env.get(variable), variable).toBe(`0.0.0.0:${wanted.ports[index]}`);
        });
      });

      it('checks its health with the script the image ships', () => {
        const healthcheck = effective(stages, target, 'HEALTHCHECK');
        expect(healthcheck).toBeDefined();
        expect(execForm(healthcheck!)).toEqual(['node', '/app/deploy/healthcheck.mjs', wanted.healthcheck]);
        const copied = stageChain(stages, target).flatMap((stage) =>
          stage.instructions.filter((each) => each.keyword === 'COPY').map((each) => each.args),
        );
        expect(copied).toContain('deploy/healthcheck.mjs ./deploy/healthcheck.mjs');
      });

      it('starts the service by default, through the tributary CLI', () => {
        expect(execForm(effective(stages, target, 'ENTRYPOINT')!)).toEqual([
          'node',
          '/app/packages/cli/dist/main.js',
        ]);
        expect(execForm(effective(stages, target, 'CMD')!)[0]).toBe(wanted.command);
      });

      it('is published under a name that says which service it is', () => {
        expect(keyValues(stages, target, 'LABEL').get('org.opencontainers.image.title')).toBe(
          `tributary-${target}`,
        );
      });
    });
  }

  it('ships production dependencies only, built apart from the runtime image', () => {
    const runtime = stageChain(stages, 'coordinator').find((stage) => stage.name === 'runtime');
    const copies =
      runtime?.instructions.filter((each) => each.keyword === 'COPY').map((each) => each.args) ?? [];
    // Everything the runtime gets comes from the pruned stage, never from the full build.
    for (const copy of copies.filter((args) => args.startsWith('--from=')))
      expect(copy).toMatch(/^--from=prod /);
    expect(copies.some((args) => args.startsWith('--from=prod /src/node_modules'))).toBe(true);
    const prune = stages
      .find((stage) => stage.name === 'prod')
      ?.instructions.find((each) => each.keyword === 'RUN');
    expect(prune?.args).toMatch(/npm prune --omit=dev/);
    // The postgres.js patch (patches/README.md) is applied in the build and survives the prune.
    const build = stages
      .find((stage) => stage.name === 'build')
      ?.instructions.map((each) => each.args)
      .join('\n');
    expect(build).toMatch(/npx patch-package/);
  });
});

describe('docker-compose.yml', () => {
  for (const [service, wanted] of Object.entries(TARGETS)) {
    it(`builds the ${service} from its Dockerfile target, under that target's name`, () => {
      const entry = compose.services[service];
      expect(entry?.build).toMatchObject({ dockerfile: 'deploy/Dockerfile', target: service });
      expect(entry?.image?.split(':')[0]).toBe(
        keyValues(stages, service, 'LABEL').get('org.opencontainers.image.title'),
      );
      const command = entry?.command ?? execForm(effective(stages, service, 'CMD')!);
      expect(command[0]).toBe(wanted.command);
    });
  }
});
