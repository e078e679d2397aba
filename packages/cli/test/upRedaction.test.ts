import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { up } from '../src/up/up.ts';

it('tocsin up prints NATS_URL and DATABASE_URL with their credentials masked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-up-redact-'));
  const config = join(dir, 'tocsin.yaml');
  writeFileSync(config, 'instance: redaction-test\n');
  let printed = '';
  // Stop as soon as the banner is out (a stop requested before it would skip printing it).
  let bannerOut: () => void = () => undefined;
  const banner = new Promise<void>((r) => (bannerOut = r));
  const out = new Writable({
    write(chunk, _enc, done) {
      printed += String(chunk);
      if (printed.includes('Press Ctrl-C')) bannerOut();
      done();
    },
  });
  await up({
    config,
    dataDir: dir,
    only: ['alerter'],
    pretty: false,
    out,
    until: banner,
    env: {
      NATS_URL: 'nats://tocsin:n4ts-pa55word@127.0.0.1:4222',
      DATABASE_URL: 'postgres://tocsin:pg-pa55word@127.0.0.1:5432/tocsin?sslpassword=ssl-pa55word',
    },
  });
  expect(printed).toContain('NATS        nats://***:***@127.0.0.1:4222 (NATS_URL)');
  expect(printed).toContain(
    'PostgreSQL  postgres://***:***@127.0.0.1:5432/tocsin?sslpassword=*** (DATABASE_URL)',
  );
  for (const secret of ['n4ts-pa55word', 'pg-pa55word', 'ssl-pa55word'])
    expect(printed).not.toContain(secret);
});
