import { loadTypeScript, parse, type SourceFile, type TsNode, type Ts } from './syntax.ts';

/**
 * How deeply a submission may nest, checked before anything else reads it. The compiler's parser is recursive
 * descent (a few hundred levels of brackets exhaust the grading process's stack), and esbuild indents each nested
 * block, so its output grows with nesting × lines: bounding both keeps a file at the task's size limit cheap.
 * Far beyond what hand-written code needs.
 */
export const NESTING_LIMITS = {
  /** Unclosed `(`, `[` and `{` at any point of the raw text (strings and comments included: a safe overcount). */
  brackets: 256,
  /** Blocks, class bodies, object and array literals, case clauses and unbraced statement bodies inside one another. */
  blocks: 64,
} as const;

/** The deepest raw bracket nesting of `text` and the offset where it is first reached; a linear scan. */
function bracketDepth(text: string): { depth: number; at: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        at = i;
      }
    } else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return { depth: max, at };
}

/** V8's stack overflow: the one exception the parser may end in for some text (nesting its stack cannot hold). */
function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** The deepest nesting of indenting constructs (see NESTING_LIMITS.blocks) and a node where it is reached. */
function blockDepth(ts: Ts, sf: SourceFile): { depth: number; node: TsNode | undefined } {
  const K = ts.SyntaxKind;
  const indenting: ReadonlySet<number> = new Set([
    K.Block,
    K.ModuleBlock,
    K.CaseBlock,
    K.CaseClause,
    K.DefaultClause,
    K.ClassDeclaration,
    K.ClassExpression,
    K.InterfaceDeclaration,
    K.EnumDeclaration,
    K.TypeLiteral,
    K.ObjectLiteralExpression,
    K.ArrayLiteralExpression,
  ]);
  // A statement that is the body of an if/loop/label without braces is indented too (`else if` is not).
  const unbracedBody = (parent: TsNode, child: TsNode): boolean => {
    if (ts.isBlock(child)) return false;
    if (ts.isIfStatement(parent)) return child === parent.thenStatement || (child === parent.elseStatement && !ts.isIfStatement(child));
    if (ts.isIterationStatement(parent, false) || ts.isLabeledStatement(parent) || ts.isWithStatement(parent)) return child === parent.statement;
    return false;
  };
  let max = 0;
  let deepest: TsNode | undefined;
  const stack: [TsNode, number][] = [[sf, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [n, d] = top;
    ts.forEachChild(n, (c) => {
      const cd = d + (indenting.has(c.kind) || unbracedBody(n, c) ? 1 : 0);
      if (cd > max) {
        max = cd;
        deepest = c;
      }
      stack.push([c, cd]);
    });
  }
  return { depth: max, node: deepest };
}

/** Files parsed within NESTING_LIMITS, or the first limit a file exceeds (the submission's fault). */
export type ParsedFiles = { readonly ok: true; readonly files: ReadonlyMap<string, SourceFile> } | { readonly ok: false; readonly message: string };

/**
 * Parse every file, refusing one that nests beyond NESTING_LIMITS: the brackets before parsing, the parser's own
 * stack as a backstop (deep chains of prefix operators, arrows or type arguments have no brackets to count), and
 * indentation after. Never throws for any text.
 */
export async function parseFiles(files: ReadonlyMap<string, string>): Promise<ParsedFiles> {
  const ts = await loadTypeScript();
  const parsed = new Map<string, SourceFile>();
  const lineOf = (text: string, at: number): number => {
    let line = 1;
    for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 0x0a) line++;
    return line;
  };
  for (const [file, text] of files) {
    const brackets = bracketDepth(text);
    if (brackets.depth > NESTING_LIMITS.brackets) {
      return { ok: false, message: `${file}:${lineOf(text, brackets.at)}: nesting deeper than ${NESTING_LIMITS.brackets} levels of brackets (the grader refuses such code)` };
    }
    let sf: SourceFile;
    try {
      sf = parse(ts, text, file);
    } catch (e) {
      if (!isStackOverflow(e)) throw e;
      return {
        ok: false,
        message: `${file}: nesting too deep for the grader's parser (prefix operators, arrow functions, conditionals, statements or type arguments chained inside one another; keep any nesting under ${NESTING_LIMITS.brackets} levels)`,
      };
    }
    const blocks = blockDepth(ts, sf);
    if (blocks.depth > NESTING_LIMITS.blocks) {
      const line = blocks.node === undefined ? 1 : sf.getLineAndCharacterOfPosition(blocks.node.getStart(sf)).line + 1;
      return { ok: false, message: `${file}:${line}: blocks nested deeper than ${NESTING_LIMITS.blocks} levels (the grader refuses such code)` };
    }
    parsed.set(file, sf);
  }
  return { ok: true, files: parsed };
}
