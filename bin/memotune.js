#!/usr/bin/env node
// The memotune CLI, from the compiled package (`npm run build` writes lib/; `npm pack` runs it).

// memotune pins an AWS SDK release that supports Node 20; its notice about future releases
// needing Node 22 is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  await import('../lib/src/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('lib/src/cli/main.js')) {
    console.error('memotune: lib/ is not built; run `npm run build` (a clone needs it once, a package ships it)');
    process.exit(1);
  }
  throw error;
}
