"""Security scorer: penalties for unsafe constructs, credit for defensive ones.

``security = 6.5 + min(credits, 3.5) - penalties`` (see :mod:`._tally`), so clean
code with the usual defensive habits lands near 9-10 and one high-severity
construct (eval of input, SQL by concatenation, shell=True) costs 2.5-3 points.
"""

from __future__ import annotations

import ast
import re

from ._astutil import dotted, is_dynamic_str, is_str_const
from ._facts import SECRET_NAME, CallSite, Facts
from ._parse import ParsedSource
from ._tally import Tally
from ._types import Score, TaskProfile

NAME = "security"
BASE = 6.5
CREDIT_CAP = 3.5
UNPARSED = 3.0

_EVAL = frozenset({"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"})
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "read_sql", "read_sql_query", "raw", "mogrify"})
_SHELL_CMDS = frozenset({
    "os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "commands.getoutput",
    "commands.getstatusoutput", "subprocess.getoutput", "subprocess.getstatusoutput", "platform.popen",
})
_UNSAFE_LOADS = frozenset({
    "pickle.load", "pickle.loads", "pickle.Unpickler", "cPickle.load", "cPickle.loads", "_pickle.load",
    "_pickle.loads", "marshal.load", "marshal.loads", "shelve.open", "dill.load", "dill.loads",
    "jsonpickle.decode", "joblib.load", "pandas.read_pickle", "cloudpickle.load", "cloudpickle.loads",
})
_WEAK_HASH = frozenset({"hashlib.md5", "hashlib.sha1", "Crypto.Hash.MD5.new", "Crypto.Hash.SHA.new"})
_FAST_HASH = frozenset({"hashlib.sha224", "hashlib.sha256", "hashlib.sha384", "hashlib.sha512", "hashlib.sha3_256",
                        "hashlib.sha3_512", "hashlib.blake2b", "hashlib.blake2s"})
_RANDOM_FUNCS = frozenset({"random", "randint", "choice", "choices", "randrange", "getrandbits", "sample",
                           "shuffle", "uniform", "randbytes"})
_HTTP = frozenset({
    f"{m}.{v}" for m in ("requests", "httpx") for v in ("get", "post", "put", "delete", "patch", "head", "options", "request")
} | {"urllib.request.urlopen", "urllib2.urlopen"})
_STRONG = frozenset({"hashlib.pbkdf2_hmac", "hashlib.scrypt", "hmac.compare_digest", "secrets.compare_digest"})
_STRONG_MODULES = ("secrets.", "bcrypt.", "argon2.", "passlib.", "nacl.", "cryptography.")
_NORMALISERS = frozenset({"realpath", "abspath", "normpath", "resolve", "commonpath", "is_relative_to",
                          "secure_filename", "relative_to"})
_SAFE_PARSE = frozenset({"yaml.safe_load", "yaml.safe_load_all", "ast.literal_eval", "json.load", "json.loads"})
_XML = frozenset({"xml.etree.ElementTree.parse", "xml.etree.ElementTree.fromstring", "xml.etree.ElementTree.XML",
                  "xml.dom.minidom.parse", "xml.dom.minidom.parseString", "xml.sax.parse", "xml.sax.parseString",
                  "lxml.etree.parse", "lxml.etree.fromstring"})
_TEMPLATES = frozenset({"flask.render_template_string", "jinja2.Template", "mako.template.Template"})
_VALIDATORS = frozenset({"isinstance", "re.fullmatch", "re.match", "ValueError", "TypeError", "PermissionError"})
_VALIDATOR_METHODS = frozenset({"isdigit", "isalnum", "isidentifier", "isdecimal", "fullmatch", "isascii"})
_LOG_METHODS = frozenset({"warning", "error", "exception", "critical", "info"})
_PASSWORD = re.compile(r"(?i)pass(?:word|wd|phrase)?|pwd")
_NOT_SECRET_SUFFIX = ("_env", "_var", "_file", "_path", "_name", "_field", "_header", "_column", "_prefix", "_url",
                      "_table", "_dir", "_len", "_length", "_bytes", "_size", "_pattern", "_regex", "_re", "_format",
                      "_fmt", "_type", "_algorithm", "_alg", "_param", "_label", "_key_name", "_cookie")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}\Z")
_SWALLOW = (ast.Pass, ast.Continue, ast.Break)


_NAMES = (_EVAL | _SHELL_CMDS | _UNSAFE_LOADS | _WEAK_HASH | _FAST_HASH | _HTTP | _STRONG | _SAFE_PARSE | _XML
          | _TEMPLATES | _VALIDATORS | {"__import__", "importlib.import_module", "yaml.load", "yaml.load_all",
                                        "yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "hashlib.new",
                                        "tempfile.mktemp", "os.path.join", "posixpath.join", "ntpath.join",
                                        "ssl._create_unverified_context", "ssl._create_stdlib_context", "os.chmod",
                                        "os.umask", "shlex.quote", "shlex.split", "pipes.quote",
                                        "asyncio.create_subprocess_shell"})
_HEADS = frozenset({"subprocess", "random", "secrets", "bcrypt", "argon2", "passlib", "nacl", "cryptography",
                    "defusedxml", "logging"})
_ATTRS = _SQL_METHODS | _NORMALISERS | _VALIDATOR_METHODS | _LOG_METHODS | {"extractall", "from_string"}


def _is_literal(node: ast.AST | None) -> bool:
    return type(node) is ast.Constant


def _ast_object(node: ast.AST) -> bool:
    """compile() of a syntax tree the program built itself (named tree/node/ast...)."""
    d = (dotted(node) or "").lower()
    return any(w in d for w in ("tree", "node", "ast", "expr_ast"))


def _first_arg(c: CallSite, *names: str) -> ast.AST | None:
    if c.node.args:
        return c.node.args[0]
    for n in names:
        k = c.kw(n)
        if k is not None:
            return k.value
    return None


def _mentions_password(c: CallSite) -> bool:
    if c.func is not None and _PASSWORD.search(c.func.name):
        return True
    for a in c.node.args:
        for n in ast.walk(a) if type(a) in (ast.Name, ast.Attribute, ast.Call, ast.BinOp) else ():
            d = n.id if type(n) is ast.Name else (n.attr if type(n) is ast.Attribute else None)
            if d and _PASSWORD.search(d):
                return True
    return False


def _secret_name(name: str, value: str) -> bool:
    low = name.lower()
    return (
        bool(SECRET_NAME.search(name))
        and not low.endswith(_NOT_SECRET_SUFFIX)
        and not _ENV_NAME.match(value)
        and len(value) >= 4
        and " " not in value[:64]
    )


def _swallows(handler: ast.ExceptHandler) -> bool:
    for stmt in handler.body:
        if isinstance(stmt, _SWALLOW):
            continue
        if type(stmt) is ast.Expr and type(stmt.value) is ast.Constant:
            continue
        if type(stmt) is ast.Return and (stmt.value is None or _is_literal(stmt.value)):
            continue
        return False
    return True


def _interesting(c: CallSite) -> bool:
    """Cheap filter: most calls (``self.x()``, ``lst.append()``) concern no rule."""
    if c.node.keywords or c.name in _NAMES:
        return True
    return c.name.partition(".")[0] in _HEADS or c.attr in _ATTRS


def _check_call(c: CallSite, t: Tally, facts: Facts, normalising: set[int]) -> None:
    name, attr, node, line = c.name, c.attr, c.node, c.node.lineno
    if name in _EVAL:
        arg = _first_arg(c, "source")
        if arg is not None and not _is_literal(arg) and not (name.endswith("compile") and _ast_object(arg)):
            t.hit("SEC001", line, name)
    elif name in ("__import__", "importlib.import_module"):
        arg = _first_arg(c, "name")
        if arg is not None and not _is_literal(arg):
            t.hit("SEC029", line, name)
    if attr in _SQL_METHODS and "." in name:
        sql = _first_arg(c, "sql", "query", "operation", "statement")
        if sql is not None:
            if is_dynamic_str(sql, facts.const_names):
                t.hit("SEC002", line)
            elif type(sql) is ast.Name and (id(c.func), sql.id) in facts.dyn_strings:
                t.hit("SEC003", line, sql.id)
            elif len(node.args) >= 2 or c.kw("parameters") or c.kw("params") or c.kw("args"):
                t.hit("SEC101", line)
            if attr == "executemany" and len(node.args) >= 2:
                t.hit("SEC101", line)
    if name.startswith("subprocess.") or name == "asyncio.create_subprocess_shell":
        shell = c.kw("shell")
        if name == "asyncio.create_subprocess_shell" or (
            shell is not None and not (type(shell.value) is ast.Constant and not shell.value.value)
        ):
            t.hit("SEC004", line, name)
        elif attr in ("run", "call", "check_call", "check_output", "Popen"):
            t.hit("SEC027", line)
            if node.args and type(node.args[0]) in (ast.List, ast.Tuple):
                t.hit("SEC105", line)
    elif name in _SHELL_CMDS:
        t.hit("SEC005", line, name)
    elif name in _UNSAFE_LOADS:
        t.hit("SEC006", line, name)
    elif name in ("yaml.load", "yaml.load_all"):
        loader = c.kw("Loader")
        lv = loader.value if loader is not None else (node.args[1] if len(node.args) > 1 else None)
        ld = dotted(lv) if lv is not None else None
        if ld is None or not ("Safe" in ld or "BaseLoader" in ld):
            t.hit("SEC007", line)
        else:
            t.hit("SEC108", line)
    elif name in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all"):
        t.hit("SEC007", line, name)
    elif name in _WEAK_HASH or (name == "hashlib.new" and node.args and is_str_const(node.args[0])
                                and str(node.args[0].value).lower() in ("md5", "sha1")):
        used = c.kw("usedforsecurity")
        if _mentions_password(c):
            t.hit("SEC008", line, name)
        elif used is None or not (type(used.value) is ast.Constant and used.value.value is False):
            t.hit("SEC025", line, name)
    elif name in _FAST_HASH and _mentions_password(c):
        t.hit("SEC009", line, name)
    elif name.startswith("random.") and attr in _RANDOM_FUNCS:
        fn = c.func.name if c.func is not None else ""
        if SECRET_NAME.search(fn) or re.search(r"(?i)token|secret|passw|salt|nonce|otp|csrf|session", fn):
            t.hit("SEC010", line, f"random.{attr} in {fn}()")
    elif name == "tempfile.mktemp":
        t.hit("SEC014", line)
    elif name in _HTTP:
        if c.kw("timeout") is None:
            t.hit("SEC013", line, name)
    elif name in ("os.path.join", "posixpath.join", "ntpath.join"):
        fn = c.func
        if fn is not None and id(fn) not in normalising and any(
            type(a) is ast.Name and a.id in fn.params for a in node.args[1:]
        ):
            t.hit("SEC015", line)
    elif name in _XML:
        t.hit("SEC024", line, name)
    elif name in _TEMPLATES or attr == "from_string":
        arg = _first_arg(c, "source")
        if arg is not None and not _is_literal(arg):
            t.hit("SEC021", line, name)
    elif name in ("ssl._create_unverified_context", "ssl._create_stdlib_context"):
        t.hit("SEC012", line, name)
    elif name == "os.chmod" and len(node.args) >= 2 and type(node.args[1]) is ast.Constant and isinstance(node.args[1].value, int):
        mode = node.args[1].value
        if mode & 0o002:
            t.hit("SEC020", line, oct(mode))
        elif mode & 0o077 == 0:
            t.hit("SEC110", line)
    elif name == "os.umask":
        t.hit("SEC110", line)
    if attr == "extractall" and "." in name and len(node.args) < 2 and c.kw("members") is None and c.kw("filter") is None:
        t.hit("SEC016", line)
    # credits by name
    if name in _STRONG or name.startswith(_STRONG_MODULES):
        t.hit("SEC104", line)
    if name in ("shlex.quote", "shlex.split", "pipes.quote"):
        t.hit("SEC105", line)
    if attr in _NORMALISERS:
        t.hit("SEC107", line)
    if name in _SAFE_PARSE or name.startswith("defusedxml."):
        t.hit("SEC108", line)
    if name in _VALIDATORS or attr in _VALIDATOR_METHODS:
        t.hit("SEC102", line)
    if name.startswith("logging.") or (attr in _LOG_METHODS and "log" in name.lower()):
        t.hit("SEC109", line)
    for k in node.keywords:
        arg, v = k.arg, k.value
        if arg is None:
            continue
        if arg == "timeout":
            t.hit("SEC106", line)
        elif arg == "verify" and type(v) is ast.Constant and v.value is False:
            t.hit("SEC012", line, "verify=False")
        elif arg == "cert_reqs" and (dotted(v) or "").endswith("CERT_NONE"):
            t.hit("SEC012", line, "CERT_NONE")
        elif arg == "debug" and type(v) is ast.Constant and v.value is True:
            t.hit("SEC019", line)
        elif arg == "autoescape" and type(v) is ast.Constant and v.value is False:
            t.hit("SEC022", line)
        elif arg in ("host", "bind", "address") and type(v) is ast.Constant and v.value == "0.0.0.0":
            t.hit("SEC018", line)
        elif type(v) is ast.Constant and isinstance(v.value, str) and _secret_name(arg, v.value):
            t.hit("SEC011", line, arg)
        elif arg == "mode" and type(v) is ast.Constant and isinstance(v.value, int) and v.value & 0o077 == 0 and v.value > 0o77:
            t.hit("SEC110", line)
    for a in node.args[:2]:
        if type(a) is ast.Constant and a.value == "0.0.0.0":
            t.hit("SEC018", line)
        elif type(a) is ast.Tuple and a.elts and type(a.elts[0]) is ast.Constant and a.elts[0].value == "0.0.0.0":
            t.hit("SEC018", line)


def score_security(parsed: ParsedSource, facts: Facts | None, task: TaskProfile | None = None) -> Score:
    """Security score of parsed code (``facts`` from the shared walk; ``None`` if it did not parse)."""
    t = Tally(NAME)
    if facts is None:
        return t.score(UNPARSED, 0.0)
    normalising = {id(c.func) for c in facts.calls if c.func is not None and c.attr in _NORMALISERS}
    for c in facts.calls:
        if _interesting(c):
            _check_call(c, t, facts, normalising)
    for name, value, line in facts.secret_literals:
        if _secret_name(name, value):
            t.hit("SEC011", line, name)
    for line in facts.debug_assign:
        t.hit("SEC019", line)
    for line in facts.hostname_off:
        t.hit("SEC012", line, "check_hostname = False")
    for line in facts.secret_compares:
        t.hit("SEC023", line)
    if facts.limit_checks:
        t.hits("SEC111", facts.limit_checks)
    if "random" in facts.modules:
        t.hit("SEC026", None)
    for handler, _ctx in facts.handlers:
        typ = handler.type
        broad = typ is None or (type(typ) is ast.Name and typ.id in ("Exception", "BaseException"))
        if broad and _swallows(handler):
            t.hit("SEC017", handler.lineno)
        elif typ is None:
            t.hit("SEC028", handler.lineno)
        elif not broad:
            t.hit("SEC103", handler.lineno)
    return t.score(BASE, CREDIT_CAP)
