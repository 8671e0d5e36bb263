import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The memotune package's own folder — the clone when running from source (`src/…`), the installed
 * package when running compiled (`node_modules/memotune/lib/src/…`) — where its shipped files
 * (the synthetic pipeline specs, the tools script, the Python stage package) live.
 */
const found = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const packageRoot: string = found.dir;

/**
 * The version of the memotune package that is running: its package.json version, and the commit
 * it was built from when the build recorded one (`0.1.0+cf4ccb4`; lib/build-info.json, written by
 * `npm run build`), so that two builds of one version tell themselves apart.
 */
export const packageVersion: string = fileURLToPath(import.meta.url).startsWith(join(found.dir, 'lib'))
  ? withBuildCommit(found.version, join(found.dir, 'lib', 'build-info.json'))
  : found.version; // from source: no build to speak of

function withBuildCommit(version: string, buildInfo: string): string {
  try {
    const { commit } = JSON.parse(readFileSync(buildInfo, 'utf8')) as { commit?: unknown };
    return typeof commit === 'string' && /^[0-9a-f]{7,40}(\.dirty)?$/.test(commit) ? `${version}+${commit}` : version;
  } catch {
    return version;
  }
}

function findPackageRoot(start: string): { dir: string; version: string } {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === 'memotune') return { dir, version: version ?? '' };
    }
    if (dirname(dir) === dir) throw new Error(`memotune: no package.json of memotune above ${start}`);
  }
}
