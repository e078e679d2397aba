import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_OPTIONS_FILE, nodeOptionsOf } from '../src/index.ts';

describe('nodeOptionsOf', () => {
  it('reads the flags of a package folder, whitespace and newlines between them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-node-options-'));
    writeFileSync(join(dir, NODE_OPTIONS_FILE), '--max-old-space-size=256\n  --max-semi-space-size=4 \n');
    expect(nodeOptionsOf(dir)).toEqual(['--max-old-space-size=256', '--max-semi-space-size=4']);
  });

  it('no file: no flags', () => {
    expect(nodeOptionsOf(mkdtempSync(join(tmpdir(), 'tocsin-node-options-')))).toEqual([]);
  });

  it('the shell reads the same file the way the image and the systemd unit start node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-node-options-'));
    writeFileSync(join(dir, NODE_OPTIONS_FILE), '--max-old-space-size=200 --max-semi-space-size=4\n');
    writeFileSync(join(dir, 'main.cjs'), 'console.log(JSON.stringify(process.execArgv));');
    const r = spawnSync(
      '/bin/sh',
      ['-c', `exec "${process.execPath}" $(cat ${NODE_OPTIONS_FILE} 2>/dev/null) main.cjs`],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(JSON.parse(r.stdout)).toEqual(nodeOptionsOf(dir));
    expect(nodeOptionsOf(dir)).toEqual(['--max-old-space-size=200', '--max-semi-space-size=4']);
  });
});
