import { Command } from 'commander';
import { up } from './up/up.ts';

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
  .action(async (o) => {
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
  .command('subspace')
  .description('Substrate JSON-RPC websocket node(s) of a scripted Subspace/Autonomys chain (@polkadot/api)')
  .option('-s, --scenario <file>', 'scenario file (default: the demo scenario)')
  .option('-p, --port <port>', 'port', '9944')
  .option('--host <host>', 'host', '127.0.0.1')
  .action(async (o) => {
    const { runSubspaceSim } = await import('@tocsin/sim-subspace');
    await runSubspaceSim({ scenario: o.scenario, port: Number(o.port), host: o.host });
  });

await program.parseAsync(process.argv);
