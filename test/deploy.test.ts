import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here: these tests read the files the way `docker compose` would and check their promises.
const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
  secrets: Record<string, { file: string }>;
};
const serviceFolders = readdirSync(join(root, 'services')).filter((d) =>
  existsSync(join(root, 'services', d, 'src', 'main.ts')),
);

describe('docker-compose.yml', () => {
  it('has NATS with JetStream and PostgreSQL, each with a volume and a healthcheck', () => {
    const nats = compose.services.nats!;
    expect(nats.command).toEqual(expect.arrayContaining(['-js']));
    expect(nats.volumes).toEqual([expect.stringMatching(/^nats-data:/)]);
    expect(nats.healthcheck).toBeDefined();
    const pg = compose.services.postgres!;
    expect(pg.volumes).toEqual([expect.stringMatching(/^pg-data:/)]);
    expect(pg.healthcheck).toBeDefined();
  });

  it.each(serviceFolders)(
    'runs services/%s in its own container with build, healthcheck, NATS_URL and DATABASE_URL',
    (name) => {
      const svc = compose.services[name];
      expect(svc, `no compose service for services/${name}`).toBeDefined();
      const build = svc!.build as { dockerfile: string; args: { SERVICE: string } };
      expect(build.dockerfile).toBe('deploy/Dockerfile');
      expect(build.args.SERVICE).toBe(name);
      expect(svc!.healthcheck).toMatchObject({
        test: expect.arrayContaining([expect.stringContaining('/readyz')]),
      });
      const env = svc!.environment as Record<string, string>;
      expect(env.NATS_URL).toMatch(/^nats:\/\//);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\//);
    },
  );

  it('can scale every service: no container names, no fixed host ports except the Slack endpoint', () => {
    for (const name of serviceFolders) {
      const svc = compose.services[name]!;
      expect(svc.container_name, name).toBeUndefined();
      if (name !== 'notifier-slack') expect(svc.ports, name).toBeUndefined();
    }
  });

  it('keeps secrets in files: no password or token in any environment, every secret a file', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const env = (svc.environment ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(env)) {
        expect(`${name}.${k}`).not.toMatch(/(TOKEN|SECRET|PASSWORD)$/);
        expect(String(v), `${name}.${k}`).not.toMatch(/:\/\/[^/@]*:[^/@]+@/);
      }
    }
    for (const s of Object.values(compose.secrets)) expect(s.file).toMatch(/^\.\/deploy\/secrets\//);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
  it('is multi-stage on Node 22+ slim and runs as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) {
      const major = Number(/^node:(\d+)/.exec(f)?.[1]);
      expect(major, f).toBeGreaterThanOrEqual(22);
      expect(f).toMatch(/slim/);
    }
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^USER\s+(node|\d{3,})\s*$/m);
    expect(finalStage).toMatch(/^HEALTHCHECK /m);
  });
});
