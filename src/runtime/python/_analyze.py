# The static half of `runtime: python`: reads {"files": {path: source}} as JSON on stdin and prints, per file,
# facts read from Python's own syntax tree (compile errors, policy violations, the public API, square roots). It
# never executes the code it reads: `ast.parse` and `compile` only build trees and code objects. The verdicts
# and messages are made from these facts in TypeScript (src/runtime/python/checks/).
import ast
import json
import sys

ALLOWED_MODULES = ('numpy', 'math')
FORBIDDEN_NAMES = {
    'open', 'exec', 'eval', 'compile', '__import__', 'globals', 'locals', 'vars', 'breakpoint', 'input',
    'memoryview', 'help', 'exit', 'quit', '__builtins__', '__loader__', '__spec__', '__build_class__',
}
FORBIDDEN_MODULE_NAMES = {
    'os', 'sys', 'subprocess', 'ctypes', 'socket', 'threading', 'multiprocessing', 'signal', 'importlib',
    'builtins', 'io', 'pickle', 'marshal', 'shutil', 'pathlib', 'gc', 'inspect', 'ctypeslib', 'resource',
}
# numpy's file and process reach: reading or writing files, and the modules it re-exports.
FORBIDDEN_ATTRIBUTES = FORBIDDEN_MODULE_NAMES | {
    'load', 'save', 'savez', 'savez_compressed', 'savetxt', 'loadtxt', 'genfromtxt', 'fromfile', 'tofile',
    'memmap', 'DataSource', 'f2py', 'distutils', 'testing', 'lib',
}
# ndarray's own methods that write a file: refused on any value, since an array is not known to be one statically.
ARRAY_FILE_METHODS = {'tofile', 'dump'}
ALLOWED_DUNDERS = {'__init__', '__call__', '__name__'}
REFLECTION = {'getattr', 'setattr', 'delattr', 'hasattr'}


def location(node):
    return {'line': getattr(node, 'lineno', 0), 'column': getattr(node, 'col_offset', 0) + 1}


def const_value(node, depth=0):
    """The value of a constant arithmetic expression (0.5, -1 / 2, 1 / (1 + 1)), else None."""
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = const_value(node.operand, depth + 1)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = const_value(node.left, depth + 1), const_value(node.right, depth + 1)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return None if b == 0 else a / b
    return None


def is_half(node):
    """±0.5 as a constant expression (0.5, -0.5, 1 / 2, -(1 / 2))."""
    v = const_value(node)
    return v is not None and abs(v) == 0.5


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return '.'.join(reversed(parts))
    return None


def unparse(node):
    if node is None:
        return None
    try:
        return ast.unparse(node)
    except Exception:
        return '?'


def params_of(fn):
    a = fn.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for p, d in zip(positional, defaults):
        out.append({'name': p.arg, 'kind': 'positional', 'default': unparse(d)})
    if a.vararg is not None:
        out.append({'name': a.vararg.arg, 'kind': 'varargs', 'default': None})
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append({'name': p.arg, 'kind': 'keyword', 'default': unparse(d)})
    if a.kwarg is not None:
        out.append({'name': a.kwarg.arg, 'kind': 'varkw', 'default': None})
    return out


def api_of(tree):
    classes = []
    functions = []
    variables = []
    for st in tree.body:
        if isinstance(st, ast.ClassDef):
            methods = []
            attributes = set()
            for m in st.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.append({'name': m.name, 'params': params_of(m), 'line': m.lineno})
                    for n in ast.walk(m):
                        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == 'self':
                            attributes.add(n.attr)
                elif isinstance(m, (ast.Assign, ast.AnnAssign)):
                    targets = m.targets if isinstance(m, ast.Assign) else [m.target]
                    for t in targets:
                        if isinstance(t, ast.Name):
                            attributes.add(t.id)
            bases = [unparse(b) for b in st.bases if unparse(b) != 'object'] + [unparse(k) for k in st.keywords]
            classes.append({'name': st.name, 'line': st.lineno, 'bases': bases, 'methods': methods, 'attributes': sorted(attributes)})
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append({'name': st.name, 'line': st.lineno, 'params': params_of(st)})
        elif isinstance(st, (ast.Assign, ast.AnnAssign)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    variables.append(t.id)
    return {'classes': classes, 'functions': functions, 'variables': variables}


class Walker:
    """One pass over the tree, iteratively (no recursion limit to hit), with each node's enclosing definitions."""

    def __init__(self, tree, local_modules):
        self.tree = tree
        self.local_modules = local_modules
        self.violations = []
        self.sqrt = []
        self.module_aliases = set()
        self.sqrt_names = set()
        self.exp_names = set()
        self.log_names = set()

    def violation(self, node, message):
        self.violations.append({**location(node), 'message': message})

    def imports(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    root = alias.name.split('.')[0]
                    if root not in ALLOWED_MODULES and alias.name not in self.local_modules:
                        self.violation(node, f'import of {alias.name} (only numpy and math may be imported)')
                    self.module_aliases.add(alias.asname or root)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ''
                root = module.split('.')[0]
                if node.level > 0 or (root not in ALLOWED_MODULES and module not in self.local_modules):
                    self.violation(node, f"import from {'.' * node.level}{module} (only numpy and math may be imported)")
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if alias.name == '*':
                        self.violation(node, f'from {module} import * (name what you import)')
                    elif alias.name in FORBIDDEN_ATTRIBUTES or alias.name.startswith('__'):
                        self.violation(node, f'import of {module}.{alias.name}')
                    if alias.name == 'sqrt':
                        self.sqrt_names.add(bound)
                    if alias.name == 'exp':
                        self.exp_names.add(bound)
                    if alias.name == 'log':
                        self.log_names.add(bound)
                    if root in ALLOWED_MODULES and alias.name in ('random', 'linalg', 'fft', 'emath', 'ma'):
                        self.module_aliases.add(bound)

    def is_module(self, node):
        name = dotted(node)
        return name is not None and name.split('.')[0] in self.module_aliases

    def callee(self, node, names, bare):
        """The call's function is module.<one of names>, or a bare name imported as one of them."""
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr in names and self.is_module(f.value)
        return isinstance(f, ast.Name) and f.id in bare

    def check(self, node, scope):
        if isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES:
                self.violation(node, f'use of {node.id}')
            elif node.id in FORBIDDEN_MODULE_NAMES:
                self.violation(node, f'use of {node.id}')
            elif node.id.startswith('__') and node.id.endswith('__') and node.id not in ALLOWED_DUNDERS:
                self.violation(node, f'use of {node.id}')
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith('__') and node.attr.endswith('__') and node.attr not in ALLOWED_DUNDERS:
                self.violation(node, f'access to the attribute {node.attr}')
            elif node.attr in FORBIDDEN_ATTRIBUTES and self.is_module(node.value):
                self.violation(node, f'use of {dotted(node)}')
            elif node.attr in ARRAY_FILE_METHODS:
                self.violation(node, f'use of .{node.attr} (writes a file)')
            if isinstance(node.ctx, (ast.Store, ast.Del)) and self.is_module(node.value):
                self.violation(node, f'{"assigning to" if isinstance(node.ctx, ast.Store) else "deleting"} {dotted(node)} (an attribute of an imported module)')
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in REFLECTION:
                name = node.args[1] if len(node.args) > 1 else None
                literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
                if not literal:
                    self.violation(node, f'{f.id} with a computed attribute name')
                elif name.value.startswith('__'):
                    self.violation(node, f'{f.id} of the attribute {name.value}')
                elif f.id in ('setattr', 'delattr') and node.args and self.is_module(node.args[0]):
                    self.violation(node, f'{f.id} on an imported module')
            if self.callee(node, ('sqrt',), self.sqrt_names):
                self.sqrt.append({**location(node), 'scope': scope, 'how': 'sqrt'})
            elif self.callee(node, ('power', 'pow', 'float_power'), ()) and len(node.args) >= 2 and is_half(node.args[1]):
                self.sqrt.append({**location(node), 'scope': scope, 'how': 'power'})
            elif self.callee(node, ('exp',), self.exp_names) and len(node.args) == 1 and self.is_half_log(node.args[0]):
                self.sqrt.append({**location(node), 'scope': scope, 'how': 'exp-log'})
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_half(node.right):
            self.sqrt.append({**location(node), 'scope': scope, 'how': '**'})
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Pow) and is_half(node.value):
            self.sqrt.append({**location(node), 'scope': scope, 'how': '**='})

    def is_half_log(self, node):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))):
            return False
        pairs = [(node.left, node.right), (node.right, node.left)] if isinstance(node.op, ast.Mult) else [(node.left, node.right)]
        for a, b in pairs:
            if isinstance(b, ast.Call) and self.callee(b, ('log',), self.log_names):
                if isinstance(node.op, ast.Mult) and is_half(a):
                    return True
            if isinstance(node.op, ast.Div) and isinstance(a, ast.Call) and self.callee(a, ('log',), self.log_names):
                v = const_value(b)
                return v is not None and abs(v) == 2
        return False

    def run(self):
        self.imports()
        stack = [(self.tree, [])]
        while stack:
            node, scope = stack.pop()
            self.check(node, scope)
            inner = scope
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = scope + [node.name]
            for child in ast.iter_child_nodes(node):
                stack.append((child, inner))
        self.violations.sort(key=lambda v: (v['line'], v['column']))
        self.sqrt.sort(key=lambda v: (v['line'], v['column']))


def analyze(path, source, local_modules):
    try:
        tree = ast.parse(source, filename=path)
        compile(source, path, 'exec', dont_inherit=True)
    except SyntaxError as e:
        return {'syntax': {'message': e.msg or 'invalid syntax', 'line': e.lineno or 0, 'column': e.offset or 0}}
    except (RecursionError, MemoryError, ValueError) as e:
        return {'syntax': {'message': f'the code cannot be read: {type(e).__name__}', 'line': 0, 'column': 0}}
    walker = Walker(tree, local_modules)
    walker.run()
    return {'syntax': None, 'violations': walker.violations, 'api': api_of(tree), 'sqrt': walker.sqrt}


def analyze_files(files):
    """{path: facts} for {path: source}. Deep nesting is read with a raised recursion limit, restored after."""
    local_modules = {p[:-3].replace('/', '.') for p in files if p.endswith('.py')}
    out = {}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10000)
    try:
        for path, source in files.items():
            try:
                out[path] = analyze(path, source, local_modules)
            except RecursionError:
                out[path] = {'syntax': {'message': 'the code nests too deeply to be read', 'line': 0, 'column': 0}}
    finally:
        sys.setrecursionlimit(limit)
    return {'files': out}


# As a program (runPythonTool): JSON in on stdin, JSON out. The harness runs it under another name and calls
# analyze_files itself, before any of the submission's code exists in its process (pythonRuntime.ts).
if __name__ == '__main__':
    sys.stdout.write(json.dumps(analyze_files(json.loads(sys.stdin.read())['files'])))
