/**
 * `npm run check:layers` (CI) checks how the project's files import each other:
 *
 * 1. no import cycles at runtime (an `import type` or `export type … from` vanishes at runtime, so it makes none);
 * 2. a file whose name starts with `_` is private to its folder: only files in that same folder import it
 *    (spec/** is exempt, because a test may reach into the private files of the folder it tests; bench/** is not);
 * 3. layers import downwards only, in the order of {@link LAYERS}; the {@link ENTRY_POINTS} may import anything.
 *
 * It prints one line per problem (`file:line: import '…': the rule it breaks`) and exits 1, or prints a one-line
 * summary and exits 0. `--root DIR` checks another tree (the tests' fixtures); `--print` prints {@link LAYERS} as
 * the Markdown list docs/architecture.md holds.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ts } from 'ts-morph';

/**
 * The layers, highest first; each is a list of folders or files relative to the repository root. A file belongs to
 * the first entry its path matches. A file may import its own layer and the layers below it, never one above: the
 * entries of one layer may import each other (a cycle between them is still caught as a cycle).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/cli', 'src/server', 'src/viewer'],
  ['src/audit'],
  ['src/grading', 'src/calibration'],
  ['src/workspace'],
  ['src/task'],
  ['properties'],
  ['src/runtime'],
  ['src/sandbox'],
  ['src/startup'],
  ['src/errors.ts', 'src/packageRoot.ts', 'src/immutableArrays.ts', 'src/relativePath.ts'],
];

/** Files and folders that may import from any layer; nothing in a layer may import them. */
export const ENTRY_POINTS: readonly string[] = ['src/index.ts', 'src/run.ts', 'scripts', 'bench', 'spec'];

/** The folders whose files are checked as importers. */
const SCANNED: readonly string[] = ['src', 'properties', 'scripts', 'bench', 'spec'];

/** Importers that may import another folder's `_`-files: the tests. */
const PRIVATE_EXEMPT: readonly string[] = ['spec'];

const SOURCE_EXTENSIONS: readonly string[] = ['.ts', '.tsx', '.mts', '.cts'];
const CODE_EXTENSIONS: readonly string[] = [...SOURCE_EXTENSIONS, '.js', '.jsx', '.mjs', '.cjs'];

/** One broken rule, at the import that breaks it. */
export interface Problem {
  /** The importing file, relative to the root, with `/` separators. */
  readonly file: string;
  /** 1-based line of the import (of the file's first line for a problem of the whole file). */
  readonly line: number;
  /** The import's module specifier as written, or '' for a problem of the whole file. */
  readonly specifier: string;
  readonly rule: 'cycle' | 'private' | 'layer' | 'unresolved';
  readonly message: string;
}

/** What {@link checkLayers} found. */
export interface LayerReport {
  readonly files: number;
  /** Relative imports of project files that were resolved, type-only ones included. */
  readonly imports: number;
  /** Sorted by file, then line. */
  readonly problems: readonly Problem[];
}

/** One relative import of one file. */
interface ImportRef {
  readonly from: string;
  readonly line: number;
  readonly specifier: string;
  /** The imported file relative to the root, or undefined when no such file exists. */
  readonly target: string | undefined;
  readonly typeOnly: boolean;
}

/** The layer of a file: its index in {@link LAYERS} and the entry it matched. */
type Place = { readonly kind: 'entry' } | { readonly kind: 'layer'; readonly index: number; readonly entry: string } | { readonly kind: 'none' };

function matches(entry: string, file: string): boolean {
  return file === entry || file.startsWith(`${entry}/`);
}

function placeOf(file: string, layers: readonly (readonly string[])[]): Place {
  if (ENTRY_POINTS.some((e) => matches(e, file))) return { kind: 'entry' };
  for (const [index, layer] of layers.entries()) {
    const entry = layer.find((e) => matches(e, file));
    if (entry !== undefined) return { kind: 'layer', index, entry };
  }
  return { kind: 'none' };
}

function describePlace(file: string, place: Place): string {
  if (place.kind === 'layer') return `${place.entry} (layer ${place.index + 1})`;
  if (place.kind === 'entry') return `${file} (an entry point)`;
  return `${file} (in no layer)`;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && SOURCE_EXTENSIONS.includes(path.extname(entry.name))) out.push(toPosix(path.relative(root, full)));
    }
  };
  for (const top of SCANNED) if (existsSync(path.join(root, top))) walk(path.join(root, top));
  return out.sort();
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/**
 * The file a relative specifier names. Written as the project writes them (`./x.ts`), that is the file itself; the
 * `.js`-for-`.ts` and extensionless spellings other TypeScript setups use are resolved too, so that none slips by.
 */
function resolveSpecifier(root: string, from: string, specifier: string): string | undefined {
  const base = path.resolve(root, path.dirname(from), specifier);
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  const candidates = [
    base,
    ...(ext === '.js' ? [`${stem}.ts`, `${stem}.tsx`] : ext === '.mjs' ? [`${stem}.mts`] : ext === '.cjs' ? [`${stem}.cts`] : []),
    ...SOURCE_EXTENSIONS.map((e) => `${base}${e}`),
    ...SOURCE_EXTENSIONS.map((e) => path.join(base, `index${e}`)),
  ];
  const found = candidates.find(isFile);
  return found === undefined ? undefined : toPosix(path.relative(root, found));
}

/** An import as written in one file. */
interface FoundImport {
  readonly specifier: string;
  readonly line: number;
  readonly typeOnly: boolean;
}

function stringLiteralText(node: ts.Node | undefined): string | undefined {
  return node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/**
 * Every import of a module in `text`, found in its syntax tree, so that comments and strings never count.
 * Type-only means erased from the JavaScript: `import type …` and `export type … from`. An import whose every
 * specifier is marked `type` (`import { type A } from`) is NOT type-only: under the project's verbatimModuleSyntax
 * it is emitted as `import {} from`, which still loads the module (esbuild, hence tsx and the bundle, does the same).
 */
function importsOf(file: string, text: string): FoundImport[] {
  try {
    return importsInTree(file, text);
  } catch (e: unknown) {
    if (!(e instanceof RangeError)) throw e;
    // Nested too deeply for the recursive parser (spec/hostile's pathological submissions): the compiler's scanner
    // still finds the imports, but cannot tell type-only ones, so all count; a cycle may be reported, none missed.
    return ts.preProcessFile(text, true, true).importedFiles.map((f) => ({
      specifier: f.fileName,
      line: text.slice(0, f.pos).split('\n').length,
      typeOnly: false,
    }));
  }
}

function importsInTree(file: string, text: string): FoundImport[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: FoundImport[] = [];
  const add = (at: ts.Node, specifier: string | undefined, typeOnly: boolean): void => {
    if (specifier !== undefined) found.push({ specifier, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, stringLiteralText(node.moduleSpecifier), node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node)) add(node, stringLiteralText(node.moduleSpecifier), node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, stringLiteralText(node.moduleReference.expression), node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, stringLiteralText(node.arguments[0]), false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, stringLiteralText(node.argument.literal), true);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
}

/** The relative imports of every scanned file. */
function collectImports(root: string, files: readonly string[]): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const from of files) {
    for (const { specifier, line, typeOnly } of importsOf(from, readFileSync(path.join(root, from), 'utf8'))) {
      if (!isRelative(specifier)) continue;
      const target = resolveSpecifier(root, from, specifier);
      // JSON and other data files are leaves: they import nothing, so they can be in no cycle and no layer rule.
      if (target !== undefined && !CODE_EXTENSIONS.includes(path.extname(target))) continue;
      refs.push({ from, line, specifier, target, typeOnly });
    }
  }
  return refs;
}

/** Strongly connected components of the runtime graph (Tarjan); each is a set of files that reach each other. */
function stronglyConnected(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      components.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) connect(v);
  return components;
}

/** How many paths the cycle search may walk in one component before it reports the component whole. */
const CYCLE_SEARCH_BUDGET = 200_000;

/**
 * The elementary cycles of one component, each once: a cycle is found only from its smallest file (by path), so
 * that its rotations are not reported again. Undefined when there are too many to list.
 */
function cyclesIn(component: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] | undefined {
  const members = new Set(component);
  const cycles: string[][] = [];
  let steps = 0;
  for (const start of component) {
    const chain = [start];
    const onChain = new Set(chain);
    const extend = (v: string): boolean => {
      for (const w of edges.get(v) ?? []) {
        if (++steps > CYCLE_SEARCH_BUDGET) return false;
        if (w === start) cycles.push([...chain, start]);
        else if (members.has(w) && w > start && !onChain.has(w)) {
          chain.push(w);
          onChain.add(w);
          if (!extend(w)) return false;
          chain.pop();
          onChain.delete(w);
        }
      }
      return true;
    };
    if (!extend(start)) return undefined;
  }
  return cycles.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

function cycleProblems(refs: readonly ImportRef[]): Problem[] {
  // The first runtime import of each pair of files stands for the edge.
  const firstRef = new Map<string, ImportRef>();
  const edges = new Map<string, string[]>();
  for (const ref of refs) {
    if (ref.typeOnly || ref.target === undefined) continue;
    const key = `${ref.from}\0${ref.target}`;
    if (firstRef.has(key)) continue;
    firstRef.set(key, ref);
    edges.set(ref.from, [...(edges.get(ref.from) ?? []), ref.target]);
  }
  for (const targets of edges.values()) targets.sort();
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flat()])].sort();
  const problems: Problem[] = [];
  for (const component of stronglyConnected(nodes, edges)) {
    const first = component[0];
    if (first === undefined || (component.length === 1 && !(edges.get(first) ?? []).includes(first))) continue;
    const cycles = cyclesIn(component, edges);
    if (cycles === undefined) {
      const ref = [...firstRef.values()].find((r) => r.from === first && r.target !== undefined && component.includes(r.target));
      problems.push({
        file: first,
        line: ref?.line ?? 1,
        specifier: ref?.specifier ?? '',
        rule: 'cycle',
        message: `import cycles, too many to list, among ${component.length} files: ${component.join(', ')}`,
      });
      continue;
    }
    for (const cycle of cycles) {
      const hops = cycle.slice(0, -1).map((from, i) => firstRef.get(`${from}\0${cycle[i + 1] ?? ''}`));
      const opening = hops[0];
      if (opening === undefined) continue;
      const chain = [...hops.map((h) => (h === undefined ? '?' : `${h.from}:${h.line}`)), cycle[0] ?? ''].join(' → ');
      problems.push({ ...refPart(opening), rule: 'cycle', message: `import cycle: ${chain}` });
    }
  }
  return problems;
}

function privateProblem(ref: ImportRef): Problem | undefined {
  const target = ref.target;
  if (target === undefined || !path.posix.basename(target).startsWith('_')) return undefined;
  if (path.posix.dirname(target) === path.posix.dirname(ref.from) || PRIVATE_EXEMPT.some((e) => matches(e, ref.from))) return undefined;
  const folder = path.posix.dirname(target);
  return { ...refPart(ref), rule: 'private', message: `${target} is private to ${folder}/: a _-file is imported only from its own folder` };
}

function layerProblem(ref: ImportRef, layers: readonly (readonly string[])[]): Problem | undefined {
  const target = ref.target;
  const from = placeOf(ref.from, layers);
  if (target === undefined || from.kind !== 'layer') return undefined;
  const to = placeOf(target, layers);
  if (to.kind === 'layer' && to.index >= from.index) return undefined;
  const why = to.kind === 'layer' ? 'layers import downwards only' : to.kind === 'entry' ? 'nothing in a layer imports an entry point' : 'add it to LAYERS in scripts/checkLayers.ts';
  return { ...refPart(ref), rule: 'layer', message: `${describePlace(ref.from, from)} imports ${describePlace(target, to)}: ${why}` };
}

function refPart(ref: ImportRef): Pick<Problem, 'file' | 'line' | 'specifier'> {
  return { file: ref.from, line: ref.line, specifier: ref.specifier };
}

/** Check the tree at `root` against the three rules; unresolvable relative imports are problems too. */
export function checkLayers(root: string, layers: readonly (readonly string[])[] = LAYERS): LayerReport {
  const files = listSources(root);
  const refs = collectImports(root, files);
  const problems: Problem[] = [...cycleProblems(refs)];
  for (const ref of refs) {
    if (ref.target === undefined) {
      problems.push({ ...refPart(ref), rule: 'unresolved', message: 'no such file' });
      continue;
    }
    const found = [privateProblem(ref), layerProblem(ref, layers)];
    for (const p of found) if (p !== undefined) problems.push(p);
  }
  // A file in no layer would escape the layer rule as an importer: each such file is one problem.
  for (const file of files) {
    if (placeOf(file, layers).kind === 'none') problems.push({ file, line: 1, specifier: '', rule: 'layer', message: 'in no layer: add it to LAYERS or ENTRY_POINTS in scripts/checkLayers.ts' });
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.message.localeCompare(b.message));
  return { files: files.length, imports: refs.filter((r) => r.target !== undefined).length, problems };
}

/** One output line for a problem: `file:line: import '…': message`. */
/**
 * Every project file that loading `entry` (relative to `root`) loads at run time: the closure of its imports,
 * type-only ones left out (they vanish when compiled). Sorted; `entry` included.
 */
export function runtimeClosure(root: string, entry: string): string[] {
  const refs = collectImports(root, listSources(root));
  const seen = new Set([entry]);
  const todo = [entry];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    for (const r of refs) {
      if (r.from !== f || r.typeOnly || r.target === undefined || seen.has(r.target)) continue;
      seen.add(r.target);
      todo.push(r.target);
    }
  }
  return [...seen].sort();
}

export function formatProblem(p: Problem): string {
  return p.specifier === '' ? `${p.file}:${p.line}: ${p.message}` : `${p.file}:${p.line}: import '${p.specifier}': ${p.message}`;
}

/** {@link LAYERS} as a numbered Markdown list, highest first. */
export function layersMarkdown(layers: readonly (readonly string[])[] = LAYERS): string {
  return layers.map((layer, i) => `${i + 1}. ${layer.map((e) => `\`${e}\``).join(', ')}\n`).join('');
}

function main(args: readonly string[]): number {
  const { values } = parseArgs({
    args: [...args],
    options: { root: { type: 'string' }, print: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.print) {
    process.stdout.write(layersMarkdown());
    return 0;
  }
  const root = path.resolve(values.root ?? fileURLToPath(new URL('..', import.meta.url)));
  // A mistyped --root would otherwise pass: an empty tree has no problems.
  if (!SCANNED.some((top) => existsSync(path.join(root, top)))) throw new Error(`${root} has none of ${SCANNED.join(', ')}`);
  const report = checkLayers(root);
  if (report.problems.length > 0) {
    process.stdout.write(report.problems.map((p) => `${formatProblem(p)}\n`).join(''));
    return 1;
  }
  process.stdout.write(`checkLayers: ok, ${report.files} files, ${report.imports} relative imports: no import cycle, no _-file imported from another folder, no import upwards through ${LAYERS.length} layers\n`);
  return 0;
}

// Only when run as a script: the tests import the functions above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  let code: number;
  try {
    code = main(process.argv.slice(2));
  } catch (e: unknown) {
    process.stderr.write(`checkLayers: ${e instanceof Error ? e.message : String(e)}\nusage: checkLayers.ts [--root DIR] [--print]\n`);
    code = 2;
  }
  process.exitCode = code;
}
