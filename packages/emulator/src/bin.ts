/** Entry point of the bundled `dist/emulator.mjs` (bin `linstor-hv-emulator`). */
import { runServe, SERVE_USAGE } from './serve';

export { runServe } from './serve';

const argv = process.argv.slice(2);
if (argv[0] !== 'serve' || argv.includes('--help') || argv.includes('-h')) {
  process.stderr.write(`${SERVE_USAGE}\n`);
  process.exit(argv[0] === 'serve' || argv.includes('--help') || argv.includes('-h') ? 0 : 2);
}
runServe(argv).catch((e: unknown) => {
  process.stderr.write(`linstor-hv-emulator: ${(e as Error).message}\n`);
  process.exit(1);
});
