// Entry point of the bundled command (dist/linstor-hv.mjs).
import { runProgram } from './program';

const code = await runProgram(process.argv.slice(2));
// Leave while sockets of finished work may still be open; a long-running action (the emulator)
// returns no code and keeps the process alive.
if (code !== undefined) process.exit(code);
