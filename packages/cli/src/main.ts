import { Command } from 'commander';
import { registerOps, upHelpText } from './ops/register.ts';

const program = new Command('tocsin').description(
  'Monitoring and alerting for the people who keep blockchains running',
);

program
  .command('up')
  .description('run the whole stack (demo chains when no config file is given)')
  .option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml; none = demo)')
  .option('--data-dir <dir>', 'where embedded NATS/PostgreSQL keep data', '.tocsin')
  .option('--only <services...>', 'run only these services')
  .option('--raw-logs', 'print JSON log lines as they are')
  .addHelpText('after', upHelpText())
  .action(async (o) => {
    // Loaded on demand, so the other commands (and --version) start without the stack's modules.
    const { up } = await import('./up/up.ts');
    process.exitCode = await up({ config: o.config, dataDir: o.dataDir, only: o.only, pretty: !o.rawLogs });
    process.exit();
  });

const sim = program.command('sim').description('run a chain simulator that speaks the real wire protocol');
sim
  .command('cosmos')
  .description('CometBFT JSON-RPC (HTTP + websocket) serving IBC and bank queries from a scenario')
  .option('-s, --scenario <file>', 'scenario file (default: the demo scenario)')
  .option('-p, --port <port>', 'port', '26657')
  .option('--host <host>', 'host', '127.0.0.1')
  .action(async (o) => {
    const { runCosmosSim } = await import('@tocsin/sim-cosmos');
    await runCosmosSim({ scenario: o.scenario, port: Number(o.port), host: o.host });
  });
sim
  .command('ics')
  .description(
    'an Interchain Security provider (x/provider queries, create/update/opt-in Tx events) from a scenario',
  )
  .option('-s, --scenario <file>', 'scenario file (default: the demo scenario)')
  .option('-p, --port <port>', 'port', '26667')
  .option('--host <host>', 'host', '127.0.0.1')
  .action(async (o) => {
    const { runIcsSim } = await import('@tocsin/sim-ics');
    await runIcsSim({ scenario: o.scenario, port: Number(o.port), host: o.host });
  });

sim
  .command('subspace')
  .description('Substrate JSON-RPC websocket node(s) of a scripted Subspace/Autonomys chain (@polkadot/api)')
  .option('-s, --scenario <file>', 'scenario file (default: the demo scenario)')
  .option('-p, --port <port>', 'port', '9944')
  .option('--host <host>', 'host', '127.0.0.1')
  .action(async (o) => {
    const { runSubspaceSim } = await import('@tocsin/sim-subspace');
    await runSubspaceSim({ scenario: o.scenario, port: Number(o.port), host: o.host });
  });

sim
  .command('harmony')
  .description(
    'Harmony node JSON-RPC (hmyv2_getNodeMetadata, hmy_ alias) for several nodes with scripted keys and modes',
  )
  .option('-s, --scenario <file>', 'scenario file (default: the demo scenario)')
  .option('-p, --port <port>', 'port', '9500')
  .option('--host <host>', 'host', '127.0.0.1')
  .action(async (o) => {
    const { runHarmonySim } = await import('@tocsin/sim-harmony');
    await runHarmonySim({ scenario: o.scenario, port: Number(o.port), host: o.host });
  });

const harmony = program.command('harmony').description('harmony-signers administration');
const token = harmony.command('token').description('agent tokens (harmony-signers must be running)');
token
  .command('new')
  .description('create a token for an operator; printed once, only its hash is kept')
  .requiredOption('--owner <owner>', 'who is alerted about hosts reporting with it, e.g. discord:<user id>')
  .option('--label <label>', 'a name for it')
  .option('-c, --config <file>', 'config file (for NATS)')
  .action(async (o) => {
    const { harmonyToken } = await import('./harmonyToken.ts');
    process.exitCode = await harmonyToken('new', o, { config: o.config });
  });
token
  .command('list')
  .description("tokens (all, or one owner's)")
  .option('--owner <owner>')
  .option('-c, --config <file>', 'config file (for NATS)')
  .action(async (o) => {
    const { harmonyToken } = await import('./harmonyToken.ts');
    process.exitCode = await harmonyToken('list', o, { config: o.config });
  });
token
  .command('revoke <id>')
  .description('refuse a token from now on')
  .option('-c, --config <file>', 'config file (for NATS)')
  .action(async (id: string, o) => {
    const { harmonyToken } = await import('./harmonyToken.ts');
    process.exitCode = await harmonyToken('revoke', { id }, { config: o.config });
  });

program
  .command('agent')
  .description('run an agent on this server')
  .command('harmony')
  .description("report the local Harmony node's BLS keys and consensus mode to harmony-signers every 15 s")
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    const { runAgentCli } = await import('@tocsin/harmony-agent');
    process.exitCode = await runAgentCli(args);
  });

registerOps(program);

await program.parseAsync(process.argv);
