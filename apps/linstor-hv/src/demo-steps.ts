/**
 * What every part of `linstor-hv demo` shares: the step record its drivers print as JSON lines,
 * the runner that reads them from a driver process, and the table they end in.
 */
import { spawn } from 'node:child_process';

/** One line of a demo driver. */
export interface DemoStep {
  step: string;
  result: string;
  ok: boolean;
  ms: number;
  rest: number;
}

/** Formats the steps as a plain-text table. */
export function formatTable(steps: readonly DemoStep[]): string {
  const rows = [
    ['step', 'result', 'time', 'REST calls'],
    ...steps.map((s) => [s.step, `${s.ok ? 'ok' : 'FAILED'}: ${s.result}`, `${s.ms} ms`, String(s.rest)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The progress line a person watching the demo sees for a step as it ends. */
export function progressLine(step: DemoStep): string {
  return `  ${step.ok ? 'ok    ' : 'FAILED'} ${step.step}\n`;
}

/** How to start a driver and how to name it when it fails without a step of its own. */
export interface StepDriver {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The step name of the failure line made from the driver's stderr. */
  name: string;
}

/**
 * Runs a driver that prints one JSON step per line on stdout (other lines are ignored, a
 * `{"done":true}` line ends the steps) and hands each step to `onStep`. A driver that exits
 * non-zero with something on stderr adds a failed step carrying it. Resolves to the exit code.
 */
export function runStepDriver(driver: StepDriver, onStep: (step: DemoStep) => void): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(driver.command, [...driver.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(driver.env ? { env: driver.env } : {}),
    });
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as DemoStep & { done?: boolean };
        if (!parsed.done) onStep(parsed);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 && stderr.trim() !== '')
        onStep({
          step: driver.name,
          result: stderr.trim().split('\n').at(-1) ?? '',
          ok: false,
          ms: 0,
          rest: 0,
        });
      resolvePromise(code ?? 1);
    });
  });
}
