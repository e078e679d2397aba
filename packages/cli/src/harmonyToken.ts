import { connect } from '@nats-io/transport-node';
import { callRpc } from '@tocsin/bus';
import { harmonySignersRpc, subjects } from '@tocsin/events';
import { configFileFrom, loadConfig, readSecretFile } from '@tocsin/runtime';
import type { z } from 'zod';

export interface TokenCliOptions {
  config?: string;
  print?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * `tocsin harmony token new|list|revoke`: agent tokens, over harmony-signers' RPC on the configured NATS (the
 * service must run). `new` prints the token once; tocsin keeps only its SHA-256.
 */
export async function harmonyToken(
  action: 'new' | 'list' | 'revoke',
  args: { owner?: string; label?: string; id?: string },
  opts: TokenCliOptions = {},
): Promise<number> {
  const print = opts.print ?? console.log;
  const env = opts.env ?? process.env;
  const config = loadConfig({ file: opts.config ?? configFileFrom([], env), env });
  const nc = await connect({
    servers: config.nats.url,
    name: 'tocsin-cli',
    ...(config.nats.token_file ? { token: readSecretFile(config.nats.token_file) } : {}),
  });
  const subj = subjects(config.subject_prefix);
  type Rpc = typeof harmonySignersRpc;
  const rpc = async <K extends keyof Rpc>(method: K, body: unknown): Promise<z.output<Rpc[K]['result']>> => {
    const raw = await callRpc(nc, subj.rpc('harmony-signers', method), body, 10_000);
    return harmonySignersRpc[method].result.parse(raw) as z.output<Rpc[K]['result']>;
  };
  try {
    if (action === 'new') {
      if (!args.owner) throw new Error('--owner is required (e.g. discord:<your user id>)');
      const r = await rpc('token_new', { owner: args.owner, label: args.label ?? '' });
      print(r.token);
      print(
        `# id ${r.summary.id}, owner ${args.owner}: shown once, save it now (chmod 600 on the validator)`,
      );
    } else if (action === 'list') {
      const r = await rpc('token_list', { owner: args.owner });
      for (const t of r.tokens)
        print(`${t.id}\t${t.owner}\t${t.revoked_at ? `revoked ${t.revoked_at}` : 'active'}\t${t.label}`);
      if (!r.tokens.length) print('no tokens');
    } else {
      if (!args.id) throw new Error('give the token id to revoke');
      // The operator at the console acts as an admin.
      await rpc('token_revoke', { id: args.id, by: args.owner ?? 'user:cli', is_admin: true });
      print(`revoked ${args.id}`);
    }
    return 0;
  } catch (err) {
    console.error(`tocsin harmony token ${action}: ${(err as Error).message}`);
    return 1;
  } finally {
    await nc.close();
  }
}
