// Writes lib/build-info.json after `tsc`: the commit the package was built from, so that two
// builds of the same package.json version tell themselves apart (`memotune --version`, the
// worker's start line, each stage's `worker.memotune` in trial records). Without git (a build
// from an unpacked tarball), no commit.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

let commit = null;
try {
  commit = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString()
    .trim();
  if (dirty !== '') commit += '.dirty';
} catch {
  commit = null;
}
writeFileSync(new URL('../lib/build-info.json', import.meta.url), `${JSON.stringify({ commit })}\n`);
// The Python package ships in the npm package: its workers say the same (python/src/memotune/activity.py).
writeFileSync(
  new URL('../python/src/memotune/_build_info.py', import.meta.url),
  `# Written by npm run build (scripts/write-build-info.mjs): the commit this package was built from.\nCOMMIT = ${JSON.stringify(commit ?? '')}\n`,
);
