import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { helm } from './support/helm.ts';

// The chart is checked by helm itself (lint and template), with the helm binary that ships inside an npm package
// (test/support/helm.ts). The NATS chart it depends on cannot be downloaded here, so the chart is rendered from a
// copy without that dependency: every template of ours renders, the NATS cluster's own objects do not.
const root = join(import.meta.dirname, '..');
const chartDir = join(root, 'deploy', 'helm', 'tocsin');
const serviceFolders = readdirSync(join(root, 'services')).filter((d) =>
  existsSync(join(root, 'services', d, 'src', 'main.ts')),
);

// Rendered manifests are plain JSON of many shapes; the assertions say what each must be.
// biome-ignore lint/suspicious/noExplicitAny: see above
type J = any;

interface K8s {
  kind: string;
  apiVersion: string;
  metadata: { name: string };
  spec?: Record<string, J>;
  data?: Record<string, string>;
}

let work: string;
let chart: string;

function render(args: string[]): K8s[] {
  const out = helm(['template', 'prod', chart, '--namespace', 'tocsin', ...args]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8s | null)
    .filter((d): d is K8s => d !== null);
}
const allEnabled = serviceFolders.flatMap((s) => ['--set', `services.${s}.enabled=true`]);
const byKind = (docs: K8s[], kind: string) => docs.filter((d) => d.kind === kind);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tocsin-helm-'));
  chart = join(work, 'tocsin');
  cpSync(chartDir, chart, { recursive: true });
  const meta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  delete meta.dependencies;
  writeFileSync(join(chart, 'Chart.yaml'), stringify(meta));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deploy/helm/tocsin', () => {
  it('declares the official NATS chart as a dependency, enabled by nats.enabled, as a 3-node JetStream cluster', () => {
    const meta = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
    expect(meta.dependencies).toEqual([
      expect.objectContaining({
        name: 'nats',
        repository: 'https://nats-io.github.io/k8s/helm/charts/',
        condition: 'nats.enabled',
      }),
    ]);
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    expect(values.nats).toMatchObject({
      enabled: true,
      config: { cluster: { enabled: true, replicas: 3 }, jetstream: { enabled: true } },
    });
    expect(values.config.nats.replicas).toBe(3);
  });

  it('passes helm lint, as it is (the missing NATS chart is only a warning) and with every option on', () => {
    const asIs = helm(['lint', chartDir]);
    expect(asIs).toContain('0 chart(s) failed');
    expect(asIs).toContain('missing these dependencies: nats');
    const strict = helm([
      'lint',
      '--strict',
      chart,
      ...allEnabled,
      '--set',
      'services.alerter.autoscaling.enabled=true',
    ]);
    expect(strict).toContain('0 chart(s) failed');
  });

  describe('helm template, every service enabled', () => {
    let docs: K8s[];
    beforeAll(() => {
      docs = render(allEnabled);
    });

    it.each(serviceFolders)(
      'services/%s: a Deployment with replicas, resources, startup/liveness/readiness probes',
      (name) => {
        const dep = byKind(docs, 'Deployment').find((d) => d.metadata.name === `prod-${name}`);
        expect(dep, `no Deployment for services/${name}`).toBeDefined();
        expect(dep!.spec!.replicas).toBeGreaterThanOrEqual(1);
        const pod = dep!.spec!.template.spec;
        const [c] = pod.containers;
        expect(c.image).toBe(`tocsin-${name}:0.1.0`);
        expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(c.resources.limits.memory).toEqual(expect.any(String));
        expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c.ports).toEqual([{ name: 'http', containerPort: 9460, protocol: 'TCP' }]);
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        const svc = byKind(docs, 'Service').find((d) => d.metadata.name === `prod-${name}`);
        expect(svc!.spec!.ports).toEqual([{ name: 'http', port: 9460, targetPort: 'http', protocol: 'TCP' }]);
      },
    );

    it('reads every secret from files of the existing Secret, copied to memory with mode 0600; no secret in env', () => {
      expect(byKind(docs, 'Secret')).toEqual([]);
      for (const dep of byKind(docs, 'Deployment')) {
        const pod = dep.spec!.template.spec;
        const source = pod.volumes.find((v: J) => v.name === 'secret-source');
        expect(source.secret.secretName, dep.metadata.name).toBe('tocsin');
        const keys: string[] = source.secret.items.map((i: J) => i.key);
        expect(keys).toContain('pgpass');
        expect(pod.volumes.find((v: J) => v.name === 'secrets').emptyDir.medium).toBe('Memory');
        const [init] = pod.initContainers;
        expect(init.command.join(' ')).toContain('umask 077');
        for (const c of [...pod.initContainers, ...pod.containers]) {
          for (const e of c.env ?? []) {
            expect(e.valueFrom?.secretKeyRef, `${dep.metadata.name} ${e.name}`).toBeUndefined();
            expect(e.name).not.toMatch(/TOKEN|SECRET|PASSWORD/);
            expect(String(e.value ?? ''), `${dep.metadata.name} ${e.name}`).not.toMatch(
              /:\/\/[^/@]*:[^/@]+@/,
            );
          }
        }
        const env = Object.fromEntries(pod.containers[0].env.map((e: J) => [e.name, e.value]));
        expect(env.PGPASSFILE).toBe('/run/secrets/pgpass');
      }
      const keysOf = (name: string) =>
        byKind(docs, 'Deployment')
          .find((d) => d.metadata.name === `prod-${name}`)!
          .spec!.template.spec.volumes.find((v: J) => v.name === 'secret-source')
          .secret.items.map((i: J) => i.key);
      expect(keysOf('notifier-slack')).toEqual(['pgpass', 'slack_token', 'slack_signing_secret']);
      expect(keysOf('notifier-discord')).toEqual(['pgpass', 'discord_token']);
      expect(keysOf('notifier-telegram')).toEqual(['pgpass', 'telegram_token']);
    });

    it('puts no secret value in the config: secret-named keys are *_file paths under /run/secrets', () => {
      const [cm] = byKind(docs, 'ConfigMap');
      const config = parse(cm!.data!['tocsin.yaml']!);
      const walk = (v: unknown, path: string): void => {
        if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
        } else if (/(token|secret|password)/i.test(path)) {
          expect(path).toMatch(/_file$/);
          expect(String(v)).toMatch(/^\/run\/secrets\//);
        }
      };
      walk(config, '');
      expect(config.nats.replicas).toBe(3);
    });

    it('connects to the bundled NATS cluster and the external PostgreSQL', () => {
      for (const dep of byKind(docs, 'Deployment')) {
        const env = Object.fromEntries(
          dep.spec!.template.spec.containers[0].env.map((e: J) => [e.name, e.value]),
        );
        expect(env.NATS_URL).toBe('nats://prod-nats:4222');
        expect(env.DATABASE_URL).toBe('postgres://tocsin@postgres:5432/tocsin');
      }
      expect(byKind(docs, 'StatefulSet')).toEqual([]); // no PostgreSQL of ours
    });

    it('keeps one replica up during disruptions for each service with several', () => {
      const pdbs = byKind(docs, 'PodDisruptionBudget').map((d) => d.metadata.name);
      for (const dep of byKind(docs, 'Deployment'))
        if (dep.spec!.replicas > 1) expect(pdbs).toContain(dep.metadata.name);
    });
  });

  it('renders only the enabled services by default (the chat notifiers need their tokens first)', () => {
    const names = byKind(render([]), 'Deployment').map((d) => d.metadata.name);
    expect(names.sort()).toEqual([
      'prod-alerter',
      'prod-console',
      'prod-cosmos-ibc',
      'prod-harmony-signers',
      'prod-notifier-webhook',
      'prod-subspace-blocks',
    ]);
  });

  it('uses externalNats.url without the bundled NATS, and refuses to render without either', () => {
    const docs = render([
      '--set',
      'nats.enabled=false',
      '--set-string',
      'externalNats.url=nats://a:4222\\,nats://b:4222',
    ]);
    for (const dep of byKind(docs, 'Deployment'))
      expect(dep.spec!.template.spec.containers[0].env).toContainEqual({
        name: 'NATS_URL',
        value: 'nats://a:4222,nats://b:4222',
      });
    expect(() => render(['--set', 'nats.enabled=false'])).toThrow(/externalNats.url is required/);
  });

  it('autoscaling example: the alerter scales on its consumer lag (External metric, AverageValue per replica)', () => {
    const docs = render(['--set', 'services.alerter.autoscaling.enabled=true']);
    const [hpa] = byKind(docs, 'HorizontalPodAutoscaler');
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'prod-alerter' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [
          {
            type: 'External',
            external: {
              metric: { name: 'tocsin_consumer_lag', selector: { matchLabels: { consumer: 'alerter' } } },
              target: { type: 'AverageValue', averageValue: '5000' },
            },
          },
        ],
      },
    });
    const alerter = byKind(docs, 'Deployment').find((d) => d.metadata.name === 'prod-alerter');
    expect(alerter!.spec!.replicas).toBeUndefined(); // the HPA owns it
  });
});
