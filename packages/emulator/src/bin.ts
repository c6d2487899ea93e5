/** Entry point of the bundled `dist/emulator.mjs` (bin `linstor-hv-emulator`). */
import { runServe, SERVE_USAGE } from './serve';

export { runServe } from './serve';

const argv = process.argv.slice(2);
if (argv[0] !== 'serve') {
  const help = argv.includes('--help') || argv.includes('-h');
  (help ? process.stdout : process.stderr).write(`${SERVE_USAGE}\n`);
  process.exit(help ? 0 : 2);
}
// `serve --help` prints the usage and starts nothing; the process then simply ends.
runServe(argv).catch((e: unknown) => {
  process.stderr.write(`linstor-hv-emulator: ${(e as Error).message}\n`);
  process.exit(1);
});
