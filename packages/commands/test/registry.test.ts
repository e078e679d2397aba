import { describe, expect, it } from 'vitest';
import { type Command, CommandRegistry, tokenize } from '../src/index.ts';

const register: Command = {
  name: 'register',
  summary: 'Tag me when a wallet balance falls below a threshold',
  args: [
    { name: 'wallet', description: 'address', type: 'string', required: true },
    { name: 'chain_id', description: 'chain', type: 'string', required: true },
    { name: 'threshold', description: 'display units', type: 'number', required: true },
  ],
  examples: ['register cosmos1abc cosmoshub-4 2'],
  run: async (ctx) => ({ text: `ok ${ctx.args.wallet} ${ctx.args.threshold}` }),
};
const silence: Command = {
  name: 'silence',
  summary: 'Silence alerts',
  args: [
    { name: 'duration', description: 'how long', type: 'duration', required: true },
    { name: 'matchers', description: 'label=value …', type: 'string', required: true, rest: true },
  ],
  run: async (ctx) => ({ text: `${ctx.args.duration} ${ctx.args.matchers}` }),
};

const reg = new CommandRegistry().register(register, silence);

describe('command registry', () => {
  it('parses positional arguments with types', () => {
    const p = reg.parse('$register cosmos1abc cosmoshub-4 2.5');
    expect(p).toMatchObject({
      ok: true,
      args: { wallet: 'cosmos1abc', chain_id: 'cosmoshub-4', threshold: 2.5 },
    });
  });

  it('answers a bad argument with what is wrong and the usage', () => {
    const p = reg.parse('$register cosmos1abc cosmoshub-4 lots');
    expect(p?.ok).toBe(false);
    if (p && !p.ok) {
      expect(p.reply.kind).toBe('usage');
      expect(p.reply.text).toContain('`threshold` must be a number, got "lots"');
      expect(p.reply.text).toContain('Usage: `$register <wallet> <chain_id> <threshold>`');
    }
  });

  it('reports missing and extra arguments', () => {
    const missing = reg.parse('$register cosmos1abc');
    expect(missing && !missing.ok && missing.reply.text).toContain('Missing `chain_id`');
    const extra = reg.parse('$register a b 1 z');
    expect(extra && !extra.ok && extra.reply.text).toContain('Too many arguments');
  });

  it('lets the last argument take the rest of the line and parses durations', () => {
    const p = reg.parse('$silence 1h chain_id=cosmoshub-4 severity=warning');
    expect(p).toMatchObject({
      ok: true,
      args: { duration: 3_600_000, matchers: 'chain_id=cosmoshub-4 severity=warning' },
    });
  });

  it('ignores non-commands and names unknown ones with the list', () => {
    expect(reg.parse('hello there')).toBeNull();
    const unknown = reg.parse('$frobnicate');
    expect(unknown && !unknown.ok && unknown.reply.text).toContain('`$register`');
  });

  it('builds help for all commands and for one', () => {
    expect(reg.help().fields?.map((f) => f.name)).toEqual([
      '$register <wallet> <chain_id> <threshold>',
      '$silence <duration> <matchers>',
    ]);
    expect(reg.help('register').text).toContain('Example:');
  });

  it('turns a throwing command into an error reply', async () => {
    const r = new CommandRegistry().register({
      name: 'boom',
      summary: 'x',
      args: [],
      run: async () => {
        throw new Error('alerter unavailable');
      },
    });
    const reply = await r.run(r.parse('$boom')!, {
      nc: undefined as never,
      subjects: undefined as never,
      caller: { owner: 'discord:1', isAdmin: false, platform: 'discord' },
    });
    expect(reply).toMatchObject({ kind: 'error', text: 'alerter unavailable' });
  });

  it('tokenizes quotes', () => {
    expect(tokenize(`a "b c" 'd e' f`)).toEqual(['a', 'b c', 'd e', 'f']);
  });
});
