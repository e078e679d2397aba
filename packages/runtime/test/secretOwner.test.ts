import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readSecretFile } from '../src/secrets.ts';

// Compose file secrets keep their owner and mode from the host: a root-owned 0600 file passes the mode check but
// the image's `node` user cannot read it. The error must name the file and the fix, not be a bare EACCES crash.
const dir = mkdtempSync(join(tmpdir(), 'tocsin-secret-owner-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

/** readSecretFile as another user: as root, a child process running as `nobody`; otherwise this process. */
async function readAsOtherUser(file: string): Promise<string> {
  if (!isRoot) {
    try {
      readSecretFile(file);
      return 'read';
    } catch (err) {
      return (err as Error).message;
    }
  }
  const code = `import { readSecretFile } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'secrets.ts'))};
try { readSecretFile(${JSON.stringify(file)}); console.log('read'); } catch (err) { console.log(err.message); }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    uid: 65534,
    gid: 65534,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await new Promise((r) => child.once('close', r));
  return out.trim();
}

it('a 0600 secret file owned by another user: the error names the file, the uid and the fix', async () => {
  const file = join(dir, 'discord_token');
  writeFileSync(file, 'owned-by-someone-else-token\n');
  // As root the file is root's and the reader is `nobody`; as a user, mode 000 makes it unreadable to its owner.
  chmodSync(file, isRoot ? 0o600 : 0o000);
  const message = await readAsOtherUser(file);
  expect(message).toContain(`secret file ${file} cannot be read by this process (uid `);
  expect(message).toContain('EACCES');
  expect(message).toMatch(/chown \d+ <file>/);
  expect(message).toContain('deploy/setup.sh');
  expect(message).not.toContain('owned-by-someone-else-token');
});
