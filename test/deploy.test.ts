import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../packages/runtime/src/config.ts';
import { alerterConfig } from '../services/alerter/src/config.ts';
import { consoleConfig } from '../services/console/src/config.ts';
import { cosmosIbcConfig } from '../services/cosmos-ibc/src/config.ts';
import { discordConfig } from '../services/notifier-discord/src/config.ts';
import { slackConfig } from '../services/notifier-slack/src/config.ts';
import { telegramConfig } from '../services/notifier-telegram/src/config.ts';
import { webhookConfig } from '../services/notifier-webhook/src/index.ts';

// No Docker engine runs here: these tests read the files the way `docker compose` would and check their promises.
const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
  secrets: Record<string, { file: string }>;
  configs: Record<string, { file: string }>;
};
/** Services that only start with their compose profile: their config section is optional. */
const optional: Record<string, string> = {
  'notifier-discord': 'discord',
  'notifier-slack': 'slack',
  'notifier-telegram': 'telegram',
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

  it('can scale every service: no container names, no fixed host ports except the endpoints others call (Slack, Harmony agents, browsers)', () => {
    const endpoints = ['notifier-slack', 'harmony-signers', 'console'];
    for (const name of serviceFolders) {
      const svc = compose.services[name]!;
      expect(svc.container_name, name).toBeUndefined();
      if (!endpoints.includes(name)) expect(svc.ports, name).toBeUndefined();
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

describe('docker compose on a fresh machine', () => {
  it('starts the chat notifiers only with their profile; every other service runs without its section', () => {
    for (const name of serviceFolders) {
      const profiles = compose.services[name]!.profiles;
      if (optional[name]) expect(profiles, name).toEqual([optional[name]]);
      else expect(profiles, name).toBeUndefined();
    }
  });

  it('mounts ./tocsin.yaml as a config file at the path TOCSIN_CONFIG names', () => {
    expect(compose.configs.tocsin!.file).toBe('./tocsin.yaml');
    for (const name of serviceFolders) {
      const svc = compose.services[name]!;
      const env = svc.environment as Record<string, string>;
      expect(svc.configs, name).toEqual([{ source: 'tocsin', target: env.TOCSIN_CONFIG }]);
    }
  });

  it('defines every secret a service uses, documents each in deploy/secrets/README.md, and setup.sh creates it', () => {
    const readme = readFileSync(join(root, 'deploy', 'secrets', 'README.md'), 'utf8');
    for (const [name, svc] of Object.entries(compose.services))
      for (const s of (svc.secrets ?? []) as string[])
        expect(compose.secrets[s], `${name}: ${s}`).toBeDefined();
    for (const [name, s] of Object.entries(compose.secrets)) {
      expect(s.file).toBe(`./deploy/secrets/${name}`);
      expect(readme, name).toContain(`| \`${name}\` |`);
    }
  });

  describe('deploy/setup.sh', () => {
    // A copy of the files it works on, so the test never touches this checkout's own secrets.
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-setup-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'deploy', 'secrets'), { recursive: true });
    for (const f of ['deploy/setup.sh', 'deploy/tocsin.example.yaml', 'deploy/secrets/README.md'])
      cpSync(join(root, f), join(dir, f));
    const isRoot = process.getuid?.() === 0;
    // As root it gives the files to uid 1000 (the images' node user); otherwise to this user (TOCSIN_UID).
    const uid = isRoot ? 1000 : process.getuid!();
    const run = () =>
      execFileSync('sh', [join(dir, 'deploy', 'setup.sh')], {
        env: { ...process.env, TOCSIN_UID: isRoot ? '' : String(uid) },
        encoding: 'utf8',
      });
    const secret = (name: string) => join(dir, 'deploy', 'secrets', name);

    it('creates ./tocsin.yaml and every secret file compose names: mode 600, owned by the image user', () => {
      run();
      expect(statSync(join(dir, 'tocsin.yaml')).mode & 0o777).toBe(0o644);
      for (const name of Object.keys(compose.secrets)) {
        const st = statSync(secret(name));
        expect(st.mode & 0o777, name).toBe(0o600);
        expect(st.uid, name).toBe(uid);
      }
      const password = readFileSync(secret('postgres_password'), 'utf8');
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(readFileSync(secret('pgpass'), 'utf8')).toBe(`postgres:5432:tocsin:tocsin:${password}\n`);
      expect(readFileSync(secret('console_token'), 'utf8')).toMatch(/^[0-9a-f]{48}$/);
    });

    it('run again, keeps every file as it is', () => {
      const before = Object.keys(compose.secrets).map((n) => readFileSync(secret(n), 'utf8'));
      const out = run();
      expect(out).not.toContain('created');
      expect(Object.keys(compose.secrets).map((n) => readFileSync(secret(n), 'utf8'))).toEqual(before);
    });
  });
});

type Schema = NonNullable<Parameters<typeof loadConfig>[0]['section']>['schema'];
const check = <S extends Schema>(file: string, section: string, schema: S) =>
  loadConfig({ file, env: {}, section: { name: section, schema } });
/** A copy of an example with one commented-out section switched on (the lines from its `# name:` line). */
const uncommented = (file: string, section: string) => {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = lines.indexOf(`# ${section}:`);
  expect(at, `# ${section}: in ${file}`).toBeGreaterThan(0);
  for (let i = at; i < lines.length && lines[i]!.startsWith('# '); i++) lines[i] = lines[i]!.slice(2);
  const out = join(mkdtempSync(join(tmpdir(), 'tocsin-example-')), 'tocsin.yaml');
  writeFileSync(out, lines.join('\n'));
  return out;
};

describe('deploy/tocsin.example.yaml', () => {
  const file = join(root, 'deploy', 'tocsin.example.yaml');
  const text = readFileSync(file, 'utf8');

  it('is valid for every service that runs by default', () => {
    expect(check(file, 'alerter', alerterConfig).instance).toBe('compose');
    expect(check(file, 'cosmos_ibc', cosmosIbcConfig).section.chains).toHaveLength(1);
    expect(check(file, 'webhook', webhookConfig).section.console).toBe(true);
    expect(check(file, 'console', consoleConfig).section.token_file).toBe('/run/secrets/console_token');
  });

  it('has Discord and Slack sections that are valid once uncommented, naming the compose secret files', () => {
    const discord = check(uncommented(file, 'discord'), 'discord', discordConfig).section;
    expect(discord.token_file).toBe('/run/secrets/discord_token');
    const slack = check(uncommented(file, 'slack'), 'slack', slackConfig).section;
    expect(slack.token_file).toBe('/run/secrets/slack_token');
    expect(slack.signing_secret_file).toBe('/run/secrets/slack_signing_secret');
    const telegram = check(uncommented(file, 'telegram'), 'telegram', telegramConfig).section;
    expect(telegram.token_file).toBe('/run/secrets/telegram_token');
  });

  it('names only secret files compose mounts', () => {
    for (const m of text.matchAll(/\/run\/secrets\/([a-z_]+)/g))
      expect(compose.secrets[m[1]!], m[1]).toBeDefined();
  });
});

describe('deploy/demo-chat.example.yaml (the demo in a real chat)', () => {
  const file = join(root, 'deploy', 'demo-chat.example.yaml');
  it('is valid: the demo prefix, the simulated chains on port 26657, Discord by webhook, Slack once uncommented', () => {
    const alerter = check(file, 'alerter', alerterConfig);
    expect(alerter.subject_prefix).toBe('tocsin-demo');
    const chains = check(file, 'cosmos_ibc', cosmosIbcConfig).section.chains as {
      chain_id: string;
      rpc: string[];
    }[];
    for (const c of chains) expect(c.rpc).toEqual([`http://127.0.0.1:26657/${c.chain_id}`]);
    // The chains `tocsin sim cosmos` serves by default (the demo scenario), every one of them.
    const scenario = parse(
      readFileSync(join(root, 'tools', 'sim-cosmos', 'scenarios', 'demo.yaml'), 'utf8'),
    ) as {
      chains: { chain_id: string }[];
    };
    expect(chains.map((c) => c.chain_id)).toEqual(scenario.chains.map((c) => c.chain_id));
    expect(check(file, 'discord', discordConfig).section.webhook_url_file).toBeTruthy();
    expect(check(uncommented(file, 'slack'), 'slack', slackConfig).section.token_file).toBeTruthy();
    expect(check(uncommented(file, 'telegram'), 'telegram', telegramConfig).section.chats).toHaveLength(1);
    expect(check(file, 'webhook', webhookConfig).section.console).toBe(true);
  });
});

describe('deploy/compose.prod.yml', () => {
  const prod = parse(readFileSync(join(root, 'deploy', 'compose.prod.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  it('overrides only services of docker-compose.yml, and keeps every service restarting', () => {
    for (const [name, svc] of Object.entries(prod.services)) {
      expect(compose.services[name], name).toBeDefined();
      expect(svc.restart, name).toBe('always');
    }
  });
  it('runs two alerters', () => {
    expect(prod.services.alerter!.deploy).toMatchObject({ replicas: 2 });
  });
});

describe('.dockerignore', () => {
  it('sends only what the image build needs: no node_modules, no local data, no secrets', () => {
    const lines = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines).toContain('**/node_modules');
    expect(lines.filter((l) => l.startsWith('!'))).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/tocsin|secrets|node_modules/)]),
    );
    const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const src of m[1]!.split(/\s+/)) expect(lines, src).toContain(`!${src}`);
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
