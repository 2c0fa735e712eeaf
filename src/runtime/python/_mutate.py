# Mutants of a Python file for `rltask audit`: reads {"source": text, "file": path} as JSON on stdin and prints
# {"mutants": [...]}, each one edit of the source by one standard mutation operator (the same families as the
# TypeScript audit's src/audit/_mutationOperators.ts), located on Python's own syntax tree and tokens, in source
# order then operator order, each compiled (never executed) so that a mutant that cannot load is left out.
# The input is the author's reference solution; it runs sandboxed like src/runtime/python/_analyze.py anyway.
import ast
import io
import json
import sys
import tokenize

OPERATORS = ['arithmetic', 'comparison', 'logical', 'unary', 'constant', 'function-swap', 'statement-removal',
             'argument-swap', 'condition-flip', 'loop-bound']
SHOWN_CHARS = 60

ARITHMETIC = {'+': ['-'], '-': ['+'], '*': ['/'], '/': ['*'], '%': ['*'], '**': ['*'], '//': ['/'],
              '+=': ['-='], '-=': ['+='], '*=': ['/='], '/=': ['*='], '**=': ['*='], '//=': ['/=']}
# Per operator: the boundary variant, the negation, then the reversed direction.
COMPARISON = {'<': ['<=', '>=', '>'], '<=': ['<', '>', '>='], '>': ['>=', '<=', '<'], '>=': ['>', '<', '<='],
              '==': ['!='], '!=': ['=='], 'is': ['is not'], 'is not': ['is'], 'in': ['not in'], 'not in': ['in']}
LOGICAL = {'and': ['or'], 'or': ['and']}
SWAPS = {'sqrt': ['cbrt'], 'cbrt': ['sqrt'], 'exp': ['expm1'], 'expm1': ['exp'], 'log': ['log1p'], 'log1p': ['log'],
         'maximum': ['minimum'], 'minimum': ['maximum'], 'max': ['min'], 'min': ['max'], 'amax': ['amin'],
         'amin': ['amax'], 'fmax': ['fmin'], 'fmin': ['fmax'], 'floor': ['round', 'ceil'], 'round': ['floor'],
         'ceil': ['floor']}
# What each module offers (a swap to a missing function would fail to load, not test the grader).
MATH_NAMES = {'sqrt', 'exp', 'expm1', 'log', 'log1p', 'floor', 'ceil'} | ({'cbrt'} if sys.version_info >= (3, 11) else set())
BUILTIN_SWAPS = {'max': ['min'], 'min': ['max']}
IDENTITY = {'sqrt', 'abs', 'fabs'}
# Swapping the arguments of these gives an equivalent program: a certain survivor, not worth a grade.
COMMUTATIVE = {'max', 'min', 'maximum', 'minimum', 'fmax', 'fmin', 'hypot', 'add', 'multiply'}
LOOP_OPERATOR = {'<': '<=', '<=': '<', '>': '>=', '>=': '>'}


class Source:
    def __init__(self, text):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.tokens = []
        for t in tokenize.generate_tokens(io.StringIO(text).readline):
            if t.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            self.tokens.append((t.string, self.at(t.start[0], t.start[1]), self.at(t.end[0], t.end[1])))

    def at(self, line, column):
        """The offset of a (1-based line, character column) position."""
        return self.starts[line - 1] + column if line - 1 < len(self.lines) else len(self.text)

    def at_bytes(self, line, column):
        """The offset of an ast position (its column counts UTF-8 bytes)."""
        if line - 1 >= len(self.lines):
            return len(self.text)
        return self.starts[line - 1] + len(self.lines[line - 1].encode('utf-8')[:column].decode('utf-8', 'replace'))

    def span(self, node):
        return self.at_bytes(node.lineno, node.col_offset), self.at_bytes(node.end_lineno, node.end_col_offset)

    def segment(self, node):
        a, b = self.span(node)
        return self.text[a:b]

    def operator(self, start, end):
        """The operator's tokens between two operands (parentheses skipped): (text, start, end), or None."""
        inner = [t for t in self.tokens if t[1] >= start and t[2] <= end and t[0] not in '()']
        if not inner:
            return None
        return ' '.join(t[0] for t in inner), inner[0][1], inner[-1][2]

    def line_column(self, offset):
        line = 0
        while line + 1 < len(self.starts) and self.starts[line + 1] <= offset:
            line += 1
        return line + 1, offset - self.starts[line] + 1


def number_like(value, literal):
    """`value` written like `literal`: an int stays an int, a float keeps the literal's decimal places plus one."""
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return '0.0' if '.' in literal or 'e' in literal.lower() else '0'
    plain = literal.replace('_', '').lower()
    decimals = len(plain.split('e')[0].split('.')[1]) if '.' in plain.split('e')[0] else 0
    exponent = int(plain.split('e')[1]) if 'e' in plain else 0
    places = max(0, decimals - exponent)
    if abs(value) >= 1e21 or places >= 100:
        return repr(value)
    return repr(float(round(value, places + 1)))


class Mutator:
    def __init__(self, text):
        self.src = Source(text)
        self.tree = ast.parse(text)
        self.edits = []
        self.parents = {}
        self.aliases = {}  # local name -> 'numpy' | 'math'
        self.imported = {}  # bare name imported from numpy or math -> module
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in ('numpy', 'math'):
                        self.aliases[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module in ('numpy', 'math') and node.level == 0:
                for a in node.names:
                    self.imported[a.asname or a.name] = (node.module, a.name)
        self.docstrings = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                    self.docstrings.add(first)

    def add(self, operator, start, end, replacement, shown_start=None):
        self.edits.append((operator, start, end, replacement, start if shown_start is None else shown_start))

    def replace_node(self, operator, node, replacement):
        a, b = self.src.span(node)
        self.add(operator, a, b, replacement)

    # --- operators --------------------------------------------------------------------------------------------

    def binop(self, node):
        _, left_end = self.src.span(node.left)
        right_start, _ = self.src.span(node.right)
        op = self.src.operator(left_end, right_start)
        if op is None:
            return
        text, a, b = op
        for to in ARITHMETIC.get(text, []):
            parent = self.parents.get(node)
            if text == '**' and isinstance(parent, ast.BinOp) and parent.right is node and isinstance(parent.op, (ast.Mult, ast.Div, ast.Mod, ast.FloorDiv, ast.Pow, ast.MatMult)):
                # `x / y ** z` → `x / y * z` would read as `(x / y) * z`: keep the operands together.
                s, e = self.src.span(node)
                self.add('arithmetic', s, e, '(' + self.src.text[s:a] + to + self.src.text[b:e] + ')', a)
            else:
                self.add('arithmetic', a, b, to)

    def augassign(self, node):
        _, target_end = self.src.span(node.target)
        value_start, _ = self.src.span(node.value)
        op = self.src.operator(target_end, value_start)
        if op is not None:
            for to in ARITHMETIC.get(op[0], []):
                self.add('arithmetic', op[1], op[2], to)

    def compare(self, node):
        operands = [node.left] + node.comparators
        for i in range(len(node.ops)):
            _, left_end = self.src.span(operands[i])
            right_start, _ = self.src.span(operands[i + 1])
            op = self.src.operator(left_end, right_start)
            if op is None:
                continue
            for to in COMPARISON.get(op[0], []):
                self.add('comparison', op[1], op[2], to)

    def boolop(self, node):
        for i in range(len(node.values) - 1):
            _, left_end = self.src.span(node.values[i])
            right_start, _ = self.src.span(node.values[i + 1])
            op = self.src.operator(left_end, right_start)
            if op is not None:
                for to in LOGICAL.get(op[0], []):
                    self.add('logical', op[1], op[2], to)

    def unary(self, node):
        if isinstance(node.op, ast.USub) and self.number(node.operand) is not None:
            return  # `-0.5` is one constant
        if isinstance(node.op, (ast.USub, ast.Not)):
            s, e = self.src.span(node)
            o, _ = self.src.span(node.operand)
            # The operand's own text, with any parentheses between the operator and it.
            first = next((t for t in self.src.tokens if t[1] >= s), None)
            inner = self.src.text[first[2] if first else o:e].lstrip()
            self.add('unary', s, e, inner)

    def number(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        return None

    def constant(self, node):
        value = self.number(node)
        if value is None:
            return
        parent = self.parents.get(node)
        target = node
        if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
            target, value = parent, -value
        literal = self.src.segment(node)
        seen = {value}
        is_int = isinstance(value, int)
        for v in (value + 1, value - 1, value * 2, (value // 2 if is_int and value % 2 == 0 else value / 2), 0):
            if isinstance(v, float) and (v != v or v in (float('inf'), float('-inf'))):
                continue
            formatted = number_like(v, literal)
            rounded = float(formatted)
            if rounded in seen:
                continue
            seen.add(rounded)
            outer = self.parents.get(target)
            enclosed = isinstance(outer, ast.Attribute) or (v < 0 and isinstance(outer, ast.BinOp) and isinstance(outer.op, ast.Pow) and outer.left is target)
            self.replace_node('constant', target, f'({formatted})' if enclosed else formatted)

    def callee_name(self, func):
        """('numpy'|'math'|'builtins', name) for np.f / math.f / an imported f / a builtin, else None."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.aliases:
            return self.aliases[func.value.id], func.attr
        if isinstance(func, ast.Name):
            if func.id in self.imported:
                return self.imported[func.id]
            if func.id in ('max', 'min', 'abs', 'round'):
                return 'builtins', func.id
        return None

    def call(self, node):
        named = self.callee_name(node.func)
        if named is not None:
            module, name = named
            table = BUILTIN_SWAPS if module == 'builtins' else SWAPS
            for to in table.get(name, []):
                if module == 'math' and to not in MATH_NAMES:
                    continue
                if isinstance(node.func, ast.Attribute):
                    s, e = self.src.span(node.func)
                    self.add('function-swap', e - len(name), e, to)
                elif module != 'builtins':
                    continue  # a bare imported name: its swap is not imported
                else:
                    self.replace_node('function-swap', node.func, to)
            only = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if name in IDENTITY and only is not None and not isinstance(only, ast.Starred):
                text = self.src.segment(only)
                tight = isinstance(only, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) or (isinstance(only, ast.Constant) and not isinstance(self.parents.get(node), ast.Attribute))
                self.replace_node('function-swap', node, text if tight else f'({text})')
        if len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            if isinstance(first, ast.Starred) or isinstance(second, ast.Starred):
                return
            if named is not None and named[1] in COMMUTATIVE:
                return
            a, b = self.src.segment(first), self.src.segment(second)
            if a == b:
                return
            s, _ = self.src.span(first)
            m, e = self.src.span(second)
            between = self.src.text[self.src.span(first)[1]:m]
            self.add('argument-swap', s, e, b + between + a)

    def condition_flip(self, test):
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return  # `if not x` flipped is `if x`, which the unary operator already makes
        self.replace_node('condition-flip', test, f'not ({self.src.segment(test)})')

    def whole_guard_body(self, st):
        parent = self.parents.get(st)
        return isinstance(parent, ast.If) and not parent.orelse and parent.body == [st]

    def statement_removal(self, st, in_loop):
        removable = (
            (isinstance(st, ast.Expr) and st not in self.docstrings)
            or isinstance(st, ast.Raise)
            # A return that ends a loop early, removed, can make the loop endless: a timeout, not a verdict.
            or (isinstance(st, ast.Return) and not in_loop)
            or (isinstance(st, ast.If) and not st.orelse)
            # An assignment to an attribute or an element, or an augmented one: TypeScript's expression statements.
            or (isinstance(st, ast.Assign) and all(isinstance(t, (ast.Attribute, ast.Subscript)) for t in st.targets))
            or isinstance(st, ast.AugAssign)
        )
        if removable and not self.whole_guard_body(st):
            self.replace_node('statement-removal', st, 'pass')

    def loop_bound_range(self, loop):
        it = loop.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == 'range' and 1 <= len(it.args) <= 3 and not it.keywords):
            return
        stop = it.args[0] if len(it.args) == 1 else it.args[1]
        if isinstance(stop, ast.Starred):
            return
        text = self.src.segment(stop)
        operand = text if isinstance(stop, (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.BinOp)) else f'({text})'
        for shift in ('+ 1', '- 1'):
            self.replace_node('loop-bound', stop, f'{operand} {shift}')

    def loop_bound_while(self, loop):
        c = loop.test
        if not (isinstance(c, ast.Compare) and len(c.ops) == 1):
            return
        _, left_end = self.src.span(c.left)
        right_start, _ = self.src.span(c.comparators[0])
        op = self.src.operator(left_end, right_start)
        if op is None or op[0] not in LOOP_OPERATOR:
            return
        self.add('loop-bound', op[1], op[2], LOOP_OPERATOR[op[0]])
        bound = c.comparators[0]
        text = self.src.segment(bound)
        operand = text if isinstance(bound, (ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Subscript, ast.BinOp)) else f'({text})'
        self.replace_node('loop-bound', bound, f"{operand} {'- 1' if op[0] in ('<', '>=') else '+ 1'}")

    # --- the walk ---------------------------------------------------------------------------------------------

    def run(self):
        stack = [(self.tree, False)]
        while stack:
            node, in_loop = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)) or (isinstance(node, ast.expr) and getattr(node, 'lineno', None) is None):
                continue
            if isinstance(node, ast.BinOp):
                self.binop(node)
            elif isinstance(node, ast.AugAssign):
                self.augassign(node)
            elif isinstance(node, ast.Compare):
                self.compare(node)
            elif isinstance(node, ast.BoolOp):
                self.boolop(node)
            elif isinstance(node, ast.UnaryOp):
                self.unary(node)
            elif isinstance(node, ast.Constant):
                self.constant(node)
            elif isinstance(node, ast.Call):
                self.call(node)
            elif isinstance(node, ast.IfExp):
                self.condition_flip(node.test)
            if isinstance(node, (ast.If, ast.While)):
                self.condition_flip(node.test)
            if isinstance(node, ast.stmt):
                self.statement_removal(node, in_loop)
            if isinstance(node, ast.For):
                self.loop_bound_range(node)
            if isinstance(node, ast.While):
                self.loop_bound_while(node)
            inner = in_loop or isinstance(node, (ast.For, ast.While, ast.AsyncFor))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                inner = False
            for child in ast.iter_child_nodes(node):
                # Annotations are not code that runs.
                if isinstance(node, ast.arg) or (isinstance(node, ast.AnnAssign) and child is node.annotation):
                    continue
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child is node.returns:
                    continue
                stack.append((child, inner))
        return self.edits


def shown(text):
    text = ' '.join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + '…'


def fuses(a, b):
    return bool(a) and bool(b) and (a.isalnum() or a == '_') and (b.isalnum() or b == '_')


def mutants_of(text, path):
    try:
        mutator = Mutator(text)
    except (SyntaxError, ValueError, tokenize.TokenError):
        return []
    edits = mutator.run()
    edits.sort(key=lambda e: (e[4], OPERATORS.index(e[0])))
    seen_sources = {text}
    ids = set()
    out = []
    for operator, start, end, replacement, shown_at in edits:
        before, after = text[:start], text[end:]
        left = ' ' if fuses(before[-1:], replacement[:1]) else ''
        right = ' ' if fuses(replacement[-1:], after[:1]) else ''
        mutated = before + left + replacement + right + after
        if mutated in seen_sources:
            continue
        line, column = mutator.src.line_column(shown_at)
        original = shown(text[start:end])
        new = shown(replacement)
        mid = f'L{line}:{column} {operator}: {original} → {new}'
        if mid in ids:
            continue
        try:
            compile(mutated, path, 'exec', dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        ids.add(mid)
        seen_sources.add(mutated)
        out.append({'id': mid, 'operator': operator, 'line': line, 'column': column, 'original': original, 'replacement': new, 'source': mutated})
    return out


def main():
    request = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps({'mutants': mutants_of(request['source'], request['file'])}))


sys.setrecursionlimit(10000)
main()
