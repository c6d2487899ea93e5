// Bundles the emulator bin into dist/emulator.mjs (one file, Node built-ins only). The bundle is
// written to a temporary name and renamed, so a test process reading it never sees half a file.
import { chmodSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'emulator.mjs');
const temp = `${outfile}.${process.pid}.tmp`;
await build({
  entryPoints: [join(here, 'src', 'bin.ts')],
  outfile: temp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
// Executable, so dist/emulator.mjs runs directly through its shebang.
chmodSync(temp, 0o755);
renameSync(temp, outfile);
