import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../src/demo-steps';
import type { ProgramIo } from '../src/io';
import { LINSTOR_HV_VERSION, runProgram } from '../src/program';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function fakeIo(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: ProgramIo = {
    readStdin: async () => stdin,
    writeStdout: async (t) => void out.push(t),
    writeStderr: async (t) => void err.push(t),
  };
  return { io, out, err };
}

describe('linstor-hv program', () => {
  it('prints its version', async () => {
    const { io, out } = fakeIo();
    expect(await runProgram(['--version'], io)).toBe(0);
    expect(out.join('')).toBe(`${LINSTOR_HV_VERSION}\n`);
  });

  it('answers proxmox methods with one JSON reply and a failing exit code on errors', async () => {
    const { io, out } = fakeIo('{"protocol":1,"method":"status","deadlineMs":1000}');
    expect(await runProgram(['proxmox', 'status'], io)).toBe(1);
    expect(JSON.parse(out.join(''))).toEqual({ ok: false, error: 'the request has no storage id' });
    // The first call loads the Proxmox adapter from source, which takes long on a busy machine.
  }, 120_000);

  it('refuses an unknown command', async () => {
    const { io, err } = fakeIo();
    expect(await runProgram(['frobnicate'], io)).not.toBe(0);
    expect(err.join('')).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('the bundle', () => {
  it('is one executable file that runs with node', () => {
    execFileSync(process.execPath, [join(appDir, 'build.mjs')]);
    const bundle = join(appDir, 'dist', 'linstor-hv.mjs');
    expect(existsSync(bundle)).toBe(true);
    const run = spawnSync(bundle, ['proxmox', 'get_identity'], { input: 'nonsense', encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ ok: false, error: 'the request on stdin is not JSON' });
  });
});

describe('the demo table', () => {
  it('aligns step, result, time and REST calls', () => {
    const table = formatTable([
      { step: 'create', result: 'drbdstorage:pm-1a2b3c4d_100', ok: true, ms: 812, rest: 8 },
      { step: 'second writer refused', result: 'HTTP 200', ok: false, ms: 5, rest: 0 },
    ]);
    expect(table.split('\n')).toEqual([
      'step                   result                           time    REST calls',
      '---------------------  -------------------------------  ------  ----------',
      'create                 ok: drbdstorage:pm-1a2b3c4d_100  812 ms  8',
      'second writer refused  FAILED: HTTP 200                 5 ms    0',
    ]);
  });
});
