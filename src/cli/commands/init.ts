import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../../package-root.js';

const templateDir = join(packageRoot, 'templates', 'init');

function templateFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? templateFiles(path) : [path];
  });
}

/**
 * Writes a starter project: a typed study and stage module, a start script, a Python variant of a
 * stage, and the commands to run them. Refuses to overwrite anything.
 */
export function scaffoldProject(target: string, name = basename(resolve(target))): string[] {
  const files = templateFiles(templateDir).map((source) => ({
    source,
    path: join(target, relative(templateDir, source)),
  }));
  const existing = files.filter(({ path }) => existsSync(path)).map(({ path }) => path);
  if (existing.length > 0)
    throw new Error(
      `memotune init would overwrite ${existing.join(', ')}; nothing was written ` +
        '(`memotune init <dir>` scaffolds into a new folder, e.g. `npx memotune init sweep` in an existing npm project)',
    );
  for (const { source, path } of files) {
    mkdirSync(join(path, '..'), { recursive: true });
    if (source.endsWith('.json') || source.endsWith('.md') || source.endsWith('.ts')) {
      writeFileSync(path, readFileSync(source, 'utf8').replaceAll('__NAME__', name));
    } else cpSync(source, path);
  }
  return files.map(({ path }) => path);
}

export function initCommand(): Command {
  return new Command('init')
    .description('scaffold a project: a typed study, its stage module, a start script and the worker commands')
    .argument('[dir]', 'where to write it', '.')
    .option('--name <name>', 'study and package name (default: the folder name)')
    .addHelpText(
      'after',
      '\nExample:\n  npx memotune init my-sweep && cd my-sweep && npm install memotune typescript @types/node',
    )
    .action((dir: string, options: { name?: string }) => {
      const written = scaffoldProject(dir, options.name);
      for (const path of written) console.log(`  wrote ${path}`);
      console.log(`\nnext: cd ${dir} and follow README.md (npm run worker, then npm run study)`);
    });
}
