/**
 * The rules of ARCHITECTURE.md that a reader of the tree relies on, checked on the source itself:
 * dependencies point down only, no import cycle anywhere, no package reaching into another's files,
 * Proxmox handlers only through core, and files small enough to read.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LINES = 600;

/** ARCHITECTURE.md's "may import" column. Adapters take the client only to open the connection core works on. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  api: [],
  client: ['api'],
  emulator: ['api'],
  core: ['api', 'client'],
  bridge: [],
  proxmox: ['api', 'client', 'core'],
  opennebula: ['api', 'client', 'core'],
  cinder: ['api', 'client', 'core'],
};

interface Room {
  name: string;
  src: string;
  files: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const rooms: Room[] = ['packages', 'apps'].flatMap((parent) =>
  readdirSync(join(ROOT, parent))
    .map((name) => ({ name, src: join(ROOT, parent, name, 'src') }))
    .filter((room) => existsSync(room.src))
    .map((room) => ({ ...room, files: sourceFiles(room.src) })),
);

/** Module specifiers of a file's static and dynamic imports and re-exports (type-only ones too). */
function specifiers(file: string): string[] {
  // Comments may quote an import as an example; only code counts.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [
    ...text.matchAll(/(?:from|import)\s*'([^']+)'/g),
    ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

/** A relative specifier as the file it names (`./x` → `x.ts` or `x/index.ts`). */
function resolveLocal(file: string, specifier: string): string {
  const base = resolve(dirname(file), specifier.replace(/\.(js|ts)$/, ''));
  return existsSync(`${base}.ts`) || !existsSync(join(base, 'index.ts'))
    ? `${base}.ts`
    : join(base, 'index.ts');
}

function localImports(file: string): string[] {
  return specifiers(file)
    .filter((s) => s.startsWith('.') && !s.endsWith('.json'))
    .map((s) => resolveLocal(file, s));
}

/** Every cycle of a directed graph, each as the nodes around it. */
function cycles(graph: Map<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

/** The workspace packages a room imports, by short name (`@linstor-hv/core/x` → `core`). */
function packageImports(room: Room): Set<string> {
  const names = room.files.flatMap((f) =>
    specifiers(f)
      .map((s) => /^@linstor-hv\/([a-z-]+)/.exec(s)?.[1])
      .filter((name): name is string => name !== undefined),
  );
  return new Set(names);
}

describe('source layout of the whole tree', () => {
  it('finds every package', () => {
    expect(rooms.map((r) => r.name).sort()).toEqual([...Object.keys(MAY_IMPORT), 'linstor-hv'].sort());
  });

  it('has no import cycle inside any package', () => {
    const all = rooms.flatMap((room) =>
      cycles(new Map(room.files.map((f) => [f, localImports(f)]))).map((c) =>
        c.map((f) => relative(ROOT, f)).join(' → '),
      ),
    );
    expect(all).toEqual([]);
  });

  it('resolves every relative import to a file of the same package', () => {
    const wrong = rooms.flatMap((room) =>
      room.files.flatMap((f) =>
        localImports(f)
          .filter((target) => !room.files.includes(target))
          .map((target) => `${relative(ROOT, f)} → ${relative(ROOT, target)}`),
      ),
    );
    expect(wrong).toEqual([]);
  });

  it('imports other packages only downwards, as ARCHITECTURE.md allows', () => {
    const wrong = rooms
      .filter((room) => room.name in MAY_IMPORT)
      .flatMap((room) =>
        [...packageImports(room)]
          .filter((name) => name !== room.name && !MAY_IMPORT[room.name]!.includes(name))
          .map((name) => `${room.name} imports ${name}`),
      );
    expect(wrong).toEqual([]);
    const graph = new Map(
      rooms.map((room) => [room.name, [...packageImports(room)].filter((n) => n !== room.name)]),
    );
    expect(cycles(graph)).toEqual([]);
  });

  it('lets Proxmox handlers reach LINSTOR only through core', () => {
    const handlers = rooms.find((r) => r.name === 'proxmox')!.files.filter((f) => f.includes('/handlers/'));
    expect(handlers.length).toBeGreaterThan(0);
    const wrong = handlers.flatMap((f) =>
      specifiers(f)
        .filter((s) => s.startsWith('@linstor-hv/client') || /^@linstor-hv\/core\/./.test(s))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    );
    expect(wrong).toEqual([]);
  });

  it(`keeps every source file under ${MAX_LINES} lines`, () => {
    const long = rooms
      .flatMap((room) => room.files)
      .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
