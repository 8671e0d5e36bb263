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

/** The version of the memotune package that is running (from its own package.json). */
export const packageVersion: string = found.version;

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
