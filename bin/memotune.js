#!/usr/bin/env node
// The CLI runs straight from TypeScript sources through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start that future releases will need Node 22; memotune pins a
// version that supports Node 20, so the notice is noise here.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  const text = typeof warning === 'string' ? warning : warning?.name;
  if (type === 'NodeVersionSupportWarning' || text === 'NodeVersionSupportWarning') return;
  emitWarning(warning, ...rest);
};

register();
await import('../src/cli/main.ts');
