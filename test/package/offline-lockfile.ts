import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly resolved?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [field: string]: unknown;
}

interface Lockfile {
  readonly lockfileVersion: number;
  readonly packages: Record<string, LockEntry>;
}

/** Where Node (and npm) finds `name` from the package at `from` (a lockfile path; '' is the root). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return null;
    base = base.slice(0, base.lastIndexOf('node_modules/')).replace(/\/$/, '');
  }
}

export interface AppManifest {
  readonly name: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

/**
 * A lockfile for a consumer app that depends on the packed tarball and on packages this repository
 * already locks (aws-cdk-lib, constructs, @types/node), so `npm ci --offline` installs it from the
 * npm cache alone: every entry is this repository's own (same version, same integrity), found the
 * way Node resolves them, and the tarball is pinned by its sha512.
 */
export function offlineLockfile(
  repoLockPath: string,
  app: AppManifest,
  tarball: { readonly name: string; readonly path: string; readonly relative: string },
): object {
  const lock = JSON.parse(readFileSync(repoLockPath, 'utf8')) as Lockfile;
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
    license: string;
    bin: Record<string, string>;
    engines: Record<string, string>;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
  };
  const packages: Record<string, LockEntry> = {};
  const pending: [from: string, name: string, optional: boolean][] = [];
  const want = (from: string, deps: Record<string, string> | undefined, optional: boolean) => {
    for (const name of Object.keys(deps ?? {})) pending.push([from, name, optional]);
  };
  want('', Object.fromEntries(Object.entries({ ...app.dependencies, ...app.devDependencies }).filter(([name]) => name !== tarball.name)), false);
  want(`node_modules/${tarball.name}`, { ...manifest.dependencies, ...manifest.peerDependencies }, false);
  while (pending.length > 0) {
    const [from, name, optional] = pending.pop() as [string, string, boolean];
    const at = locate(lock.packages, from, name);
    if (!at) {
      if (optional) continue;
      throw new Error(`offline install: ${name} (needed by ${from || 'the app'}) is not in this repository's package-lock.json`);
    }
    if (packages[at]) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[at] as LockEntry;
    packages[at] = entry;
    want(at, entry.dependencies, false);
    want(at, entry.optionalDependencies, true);
    const peers = entry.peerDependencies ?? {};
    want(at, Object.fromEntries(Object.entries(peers).filter(([peer]) => !entry.peerDependenciesMeta?.[peer]?.optional)), false);
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball.path)).digest('base64')}`;
  return {
    name: app.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: app.name, version: '0.1.0', dependencies: app.dependencies, devDependencies: app.devDependencies },
      [`node_modules/${tarball.name}`]: {
        version: manifest.version,
        resolved: tarball.relative,
        integrity,
        license: manifest.license,
        dependencies: manifest.dependencies,
        bin: manifest.bin,
        engines: manifest.engines,
        peerDependencies: manifest.peerDependencies,
      },
      ...packages,
    },
  };
}
