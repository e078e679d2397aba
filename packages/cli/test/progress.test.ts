import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { progress } from '../src/ops/progress.ts';

/** A stream that says it is (or is not) a terminal, collecting what is drawn on it. */
function stream(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & NodeJS.WriteStream;
  let text = '';
  s.on('data', (b: Buffer) => {
    text += b.toString();
  });
  Object.assign(s, {
    isTTY,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { s, text: () => text };
}

it('draws a cli-progress bar on a terminal', async () => {
  const t = stream(true);
  const bar = progress('replay', t.s);
  bar.total(10);
  bar.set(5);
  bar.tick(5);
  bar.stop();
  await new Promise((r) => setImmediate(r));
  expect(t.text()).toMatch(/replay \[.*\] 100% \| 10\/10/);
});

it('draws nothing when the stream is not a terminal (a file, a pipe)', async () => {
  const t = stream(false);
  const bar = progress('export', t.s);
  bar.total(10);
  bar.tick(10);
  bar.stop();
  await new Promise((r) => setImmediate(r));
  expect(t.text()).toBe('');
});
