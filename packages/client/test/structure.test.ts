import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const MAX_LINES = 600;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (type-only ones included: they are cycles for a reader too). */
function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  // Data files (package.json) are no part of the module graph.
  return targets.filter((t) => !t.endsWith('.json')).map((t) => `${resolve(dirname(file), t)}.ts`);
}

/** Every import cycle, each as the list of files around it. */
function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, localImports(f)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles.map((c) => c.map((f) => relative(SRC, f)));
}

describe('client source layout', () => {
  const files = sourceFiles(SRC);

  it('has no import cycle', () => {
    expect(importCycles(files)).toEqual([]);
  });

  it('keeps every source file under 600 lines', () => {
    const long = files
      .map((f) => ({ file: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('resolves every relative import to a file', () => {
    const missing = files.flatMap((f) =>
      localImports(f)
        .filter((target) => !files.includes(target))
        .map((target) => `${relative(SRC, f)} → ${relative(SRC, target)}`),
    );
    expect(missing).toEqual([]);
  });
});
