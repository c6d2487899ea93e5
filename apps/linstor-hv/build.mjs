// Bundles the linstor-hv command into one file, dist/linstor-hv.mjs, that a hypervisor runs with its
// own Node >= 20. Written to a temporary name and renamed, so a running test never sees half a file.
import { chmodSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'linstor-hv.mjs');
const temp = `${outfile}.${process.pid}.tmp`;
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: temp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Less to parse on every start: the Perl plugin starts this file for each storage operation.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  banner: {
    // Bundled CommonJS dependencies may call require(); give them one.
    js: "#!/usr/bin/env node\nimport { createRequire as __linstorHvCreateRequire } from 'node:module';\nconst require = __linstorHvCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync(temp, 0o755);
renameSync(temp, outfile);
