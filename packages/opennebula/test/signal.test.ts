/**
 * Every call of a core verb (a `VolumeService` method) from the adapter is handed the action's
 * signal (`ctx.call()`, or `ctx.undoCall()` for an undo, which gets a budget of its own), so a
 * deadline cancels LINSTOR work instead of only the reply. Read from the type-checked source, so
 * a new call without it fails here.
 */

import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');

/** True for `ctx.call()` / `ctx.undoCall()`. */
function isSignalCall(node: ts.Node): boolean {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    (node.expression.name.text === 'call' || node.expression.name.text === 'undoCall') &&
    node.expression.expression.getText() === 'ctx'
  );
}

/** An argument that carries the signal: `ctx.call()` itself or an object with `...ctx.call()` or `signal`. */
function carriesSignal(argument: ts.Expression): boolean {
  if (isSignalCall(argument)) return true;
  if (!ts.isObjectLiteralExpression(argument)) return false;
  return argument.properties.some(
    (p) =>
      (ts.isSpreadAssignment(p) && isSignalCall(p.expression)) ||
      ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText() === 'signal'),
  );
}

function coreVerbCalls(): { where: string; verb: string; ok: boolean }[] {
  const config = ts.readConfigFile(join(PACKAGE, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, PACKAGE);
  const files = parsed.fileNames.filter((f) => f.includes('/src/') && !f.includes('/src/sandbox/'));
  const program = ts.createProgram(files, parsed.options);
  const checker = program.getTypeChecker();
  const calls: { where: string; verb: string; ok: boolean }[] = [];
  for (const file of program.getSourceFiles()) {
    if (!files.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const receiver = checker.getTypeAtLocation(node.expression.expression);
        if (receiver.getSymbol()?.getName() === 'VolumeService') {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart());
          calls.push({
            where: `${relative(PACKAGE, file.fileName)}:${line + 1}`,
            verb: node.expression.name.text,
            ok: node.arguments.some(carriesSignal),
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return calls;
}

describe('core verbs get the action signal', () => {
  // Type-checking the package takes seconds, and many more on a busy machine: a budget, not a timing.
  it('every VolumeService call in src passes ctx.call() or ctx.undoCall()', { timeout: 300_000 }, () => {
    const calls = coreVerbCalls();
    // The adapter calls most verbs; finding few would mean the scan itself broke.
    expect(calls.length).toBeGreaterThan(25);
    expect(new Set(calls.map((c) => c.verb)).size).toBeGreaterThan(15);
    expect(calls.filter((c) => !c.ok).map((c) => `${c.where} ${c.verb}`)).toEqual([]);
  });
});
