/**
 * `linstor-hv cleanup [--grace 10m] [--dry-run]`: finds what crashed or abandoned linstor-hv
 * operations left in the cluster (pending and temporary definitions, temporary snapshots, diskless
 * attachments made for them) and removes what is older than the grace period and unused, printing
 * one table row per leftover. The resident bridge runs the same sweep periodically
 * ({@link startOrphanSweeper}).
 */
import type { SweepReport } from '@linstor-hv/core';
import type { Command } from 'commander';
import type { ProgramIo } from '../io';

interface CleanupFlags {
  controllers?: string;
  platform?: string;
  owner?: string;
  grace: string;
  dryRun?: boolean;
}

/** Registers the command on the program (one line in program.ts). */
export function registerCleanupCommand(
  program: Command,
  io: ProgramIo,
  exitCode: (code: number) => void,
): void {
  program
    .command('cleanup')
    .description('remove leftovers of unfinished linstor-hv operations older than a grace period')
    .option('--grace <duration>', 'keep leftovers younger than this (e.g. 90s, 10m, 2h)', '10m')
    .option('--dry-run', 'only show what would be removed')
    .option('--controllers <list>', 'LINSTOR controllers (default: LS_CONTROLLERS, else localhost)')
    .option('--platform <name>', 'only leftovers of this platform (proxmox, opennebula, cinder)')
    .option('--owner <id>', 'only leftovers of this owner (e.g. the Proxmox storage id); needs --platform')
    .action(async (flags: CleanupFlags) => {
      exitCode(await runCleanup(flags, io));
    });
}

/** Runs one sweep against the configured controllers and prints the table; returns the exit code. */
export async function runCleanup(flags: CleanupFlags, io: ProgramIo): Promise<number> {
  const { parseDuration, sweepOrphans } = await import('@linstor-hv/core');
  const { createLinstorClient } = await import('@linstor-hv/client');
  if (flags.owner !== undefined && flags.platform === undefined) {
    throw new Error('--owner needs --platform: an owner id is unique only within its platform');
  }
  const graceMs = parseDuration(flags.grace);
  const client = createLinstorClient({
    ...(flags.controllers !== undefined ? { controllers: flags.controllers } : {}),
    userAgent: 'cleanup',
  });
  try {
    const report = await sweepOrphans(client, {
      graceMs,
      ...(flags.dryRun ? { dryRun: true } : {}),
      ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
      ...(flags.owner !== undefined ? { ownerId: flags.owner } : {}),
    });
    await io.writeStdout(`${formatSweepReport(report, graceMs, flags.dryRun === true)}\n`);
    return report.failed === 0 ? 0 : 1;
  } finally {
    await client.close();
  }
}

/** The table the command prints: one row per leftover, then a summary line. */
export function formatSweepReport(report: SweepReport, graceMs: number, dryRun: boolean): string {
  const age = (ms: number | undefined) => (ms === undefined ? '?' : formatAge(ms));
  const rows = [
    ['action', 'kind', 'resource', 'detail', 'age', 'note'],
    ...report.entries.map((e) => [e.action, e.kind, e.resource, e.detail ?? '', age(e.ageMs), e.note]),
  ];
  const summary =
    `${report.removed} removed, ${report.kept} kept, ${report.failed} failed ` +
    `(grace ${formatAge(graceMs)}${dryRun ? ', dry run: nothing changed' : ''})`;
  if (report.entries.length === 0) return `no leftovers found\n${summary}`;
  return `${textTable(rows)}\n${summary}`;
}

function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** Columns padded to their widest cell, a dashed rule under the header. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const header = rows[0] ?? [];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A periodic sweep: started by the bridge, stopped with it. */
export interface OrphanSweeper {
  /** The last report, for logs and tests. */
  readonly lastReport: SweepReport | undefined;
  stop(): Promise<void>;
}

/**
 * Runs `sweep` every `intervalMs` (first after one interval), logging one JSON line per sweep that
 * removed or failed something; a sweep never overlaps the previous one, and a failed sweep
 * (controller away) is logged and retried at the next interval. `sweep` gets a signal that aborts
 * when the sweeper stops.
 */
export function startOrphanSweeper(
  sweep: (signal: AbortSignal) => Promise<SweepReport>,
  options: { intervalMs: number; log: (line: string) => void },
): OrphanSweeper {
  const { intervalMs, log } = options;
  const controller = new AbortController();
  let lastReport: SweepReport | undefined;
  let running: Promise<void> | undefined;
  const sweepOnce = async () => {
    try {
      lastReport = await sweep(controller.signal);
      if (lastReport.removed > 0 || lastReport.failed > 0) {
        log(
          JSON.stringify({
            event: 'orphan-sweep',
            removed: lastReport.removed,
            failed: lastReport.failed,
            entries: lastReport.entries.filter((e) => e.action === 'removed' || e.action === 'failed'),
          }),
        );
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      log(
        JSON.stringify({
          event: 'orphan-sweep',
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  };
  const timer = setInterval(() => {
    if (!running) running = sweepOnce().finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    get lastReport() {
      return lastReport;
    },
    async stop() {
      clearInterval(timer);
      controller.abort();
      await running;
    },
  };
}
