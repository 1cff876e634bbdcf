"""Every security rule fires on its unsafe snippet and not on the safe variant."""

from __future__ import annotations

import pytest

from llmdyn.objectives import RULES

from ._helpers import card, fired

# rule id -> (unsafe snippet, safe variant)
CASES: dict[str, tuple[str, str]] = {
    "SEC001": ("def f(s):\n    return eval(s)\n", "import ast\ndef f(s):\n    return ast.literal_eval(s)\n"),
    "SEC002": ("def f(conn, name):\n    conn.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n",
               "def f(conn, name):\n    conn.execute('SELECT * FROM t WHERE name = ?', (name,))\n"),
    "SEC003": ("def f(conn, col):\n    q = 'SELECT * FROM t ORDER BY ' + col\n    conn.execute(q)\n",
               "def f(conn, name):\n    q = 'SELECT * FROM t WHERE name = ?'\n    conn.execute(q, (name,))\n"),
    "SEC004": ("import subprocess\ndef f(cmd):\n    subprocess.run(cmd, shell=True)\n",
               "import subprocess\ndef f(cmd):\n    subprocess.run(['ls', cmd], shell=False)\n"),
    "SEC005": ("import os\ndef f(cmd):\n    os.system(cmd)\n",
               "import subprocess\ndef f(cmd):\n    subprocess.run(['ls', cmd])\n"),
    "SEC006": ("import pickle\ndef f(b):\n    return pickle.loads(b)\n",
               "import json\ndef f(b):\n    return json.loads(b)\n"),
    "SEC007": ("import yaml\ndef f(t):\n    return yaml.load(t)\n",
               "import yaml\ndef f(t):\n    return yaml.load(t, Loader=yaml.SafeLoader)\n"),
    "SEC008": ("import hashlib\ndef hash_password(password):\n    return hashlib.md5(password.encode()).hexdigest()\n",
               "import hashlib\ndef hash_password(password, salt):\n"
               "    return hashlib.pbkdf2_hmac('sha256', password.encode(), salt, 600000)\n"),
    "SEC009": ("import hashlib\ndef hash_password(password):\n    return hashlib.sha256(password.encode()).hexdigest()\n",
               "import hashlib\ndef file_digest(data):\n    return hashlib.sha256(data).hexdigest()\n"),
    "SEC010": ("import random\ndef make_token():\n    return ''.join(random.choice('abc') for _ in range(20))\n",
               "import secrets\ndef make_token():\n    return secrets.token_urlsafe(20)\n"),
    "SEC011": ("DB_PASSWORD = 'hunter2hunter2'\n", "import os\nDB_PASSWORD = os.environ['DB_PASSWORD']\n"),
    "SEC012": ("import requests\nrequests.get('https://x', verify=False, timeout=5)\n",
               "import requests\nrequests.get('https://x', timeout=5)\n"),
    "SEC013": ("import requests\nrequests.get('https://x')\n", "import requests\nrequests.get('https://x', timeout=5)\n"),
    "SEC014": ("import tempfile\npath = tempfile.mktemp()\n", "import tempfile\nfd, path = tempfile.mkstemp()\n"),
    "SEC015": ("import os\ndef read(base, name):\n    return open(os.path.join(base, name)).read()\n",
               "import os\ndef read(base, name):\n    p = os.path.realpath(os.path.join(base, name))\n"
               "    if os.path.commonpath([p, base]) != base:\n        raise ValueError(name)\n    return open(p).read()\n"),
    "SEC016": ("import tarfile\ndef f(p, d):\n    with tarfile.open(p) as t:\n        t.extractall(d)\n",
               "import tarfile\ndef f(p, d):\n    with tarfile.open(p) as t:\n        t.extractall(d, filter='data')\n"),
    "SEC017": ("def f(x):\n    try:\n        return int(x)\n    except Exception:\n        pass\n",
               "def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        return None\n"),
    "SEC018": ("def serve(app):\n    app.run(host='0.0.0.0')\n", "def serve(app):\n    app.run(host='127.0.0.1')\n"),
    "SEC019": ("def serve(app):\n    app.run(debug=True)\n", "def serve(app):\n    app.run(debug=False)\n"),
    "SEC020": ("import os\nos.chmod('f', 0o777)\n", "import os\nos.chmod('f', 0o600)\n"),
    "SEC021": ("from flask import render_template_string\ndef page(t):\n    return render_template_string(t)\n",
               "from flask import render_template_string\ndef page():\n    return render_template_string('<p>hi</p>')\n"),
    "SEC022": ("import jinja2\nenv = jinja2.Environment(autoescape=False)\n",
               "import jinja2\nenv = jinja2.Environment(autoescape=True)\n"),
    "SEC023": ("def check(token, stored_token):\n    return token == stored_token\n",
               "import hmac\ndef check(token, stored_token):\n    return hmac.compare_digest(token, stored_token)\n"),
    "SEC024": ("import xml.etree.ElementTree as ET\ndef f(s):\n    return ET.fromstring(s)\n",
               "import defusedxml.ElementTree as ET\ndef f(s):\n    return ET.fromstring(s)\n"),
    "SEC025": ("import hashlib\ndef etag(data):\n    return hashlib.md5(data).hexdigest()\n",
               "import hashlib\ndef etag(data):\n    return hashlib.md5(data, usedforsecurity=False).hexdigest()\n"),
    "SEC026": ("import random\nx = random.random()\n", "import secrets\nx = secrets.randbelow(10)\n"),
    "SEC027": ("import subprocess\nsubprocess.run(['ls'])\n", "import shutil\nshutil.which('ls')\n"),
    "SEC028": ("def f(x):\n    try:\n        return int(x)\n    except:\n        raise\n",
               "def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        raise\n"),
    "SEC029": ("import importlib\ndef load(name):\n    return importlib.import_module(name)\n",
               "import importlib\ndef load():\n    return importlib.import_module('json')\n"),
}

CREDITS: dict[str, str] = {
    "SEC101": "def f(conn, n):\n    return conn.execute('SELECT * FROM t WHERE n = ?', (n,))\n",
    "SEC102": "def f(x):\n    if not isinstance(x, int):\n        raise TypeError('x')\n    return x\n",
    "SEC103": "def f(x):\n    try:\n        return int(x)\n    except ValueError:\n        return 0\n",
    "SEC104": "import secrets\nt = secrets.token_hex(16)\n",
    "SEC105": "import shlex\ncmd = shlex.quote('a b')\n",
    "SEC106": "import socket\ns = socket.create_connection(('h', 1), timeout=3)\n",
    "SEC107": "import os\np = os.path.realpath('x')\n",
    "SEC108": "import json\nd = json.loads('{}')\n",
    "SEC109": "import logging\nlogging.warning('x')\n",
    "SEC110": "import os\nos.umask(0o077)\n",
    "SEC111": "MAX_SIZE = 10\ndef f(data):\n    if len(data) > MAX_SIZE:\n        raise ValueError('too big')\n",
}


def test_every_security_rule_has_a_case() -> None:
    ids = {r for r in RULES if r.startswith("SEC")}
    assert ids == set(CASES) | set(CREDITS)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_unsafe_and_not_on_safe(rule_id: str) -> None:
    unsafe, safe = CASES[rule_id]
    assert rule_id in fired(unsafe)
    assert rule_id not in fired(safe)
    c_unsafe, c_safe = card(unsafe), card(safe)
    hit = [f for f in c_unsafe.findings if f.rule == rule_id]
    assert all(f.line is None or f.line >= 1 for f in hit)
    assert all(f.weight <= 0 and f.objective == "security" for f in hit)
    if RULES[rule_id].severity != "low":
        assert c_safe.values["security"] > c_unsafe.values["security"]


@pytest.mark.parametrize("rule_id", sorted(CREDITS))
def test_credit_rules_fire(rule_id: str) -> None:
    c = card(CREDITS[rule_id])
    hit = [f for f in c.findings if f.rule == rule_id]
    assert hit and all(f.weight > 0 for f in hit)


def test_findings_carry_the_line() -> None:
    c = card("import os\n\n\ndef f(cmd):\n    os.system(cmd)\n")
    (f,) = [f for f in c.findings if f.rule == "SEC005"]
    assert f.line == 5


@pytest.mark.parametrize(
    "src",
    [
        "from os import system as s\ndef f(c):\n    s(c)\n",
        "import os as o\ndef f(c):\n    o.system(c)\n",
        "from os import *\nimport os\nos.popen('x')\n",
    ],
)
def test_aliases_are_resolved_for_os_system(src: str) -> None:
    assert "SEC005" in fired(src)


def test_subprocess_alias_with_shell() -> None:
    assert "SEC004" in fired("import subprocess as sp\ndef f(c):\n    sp.call(c, shell=True)\n")
    assert "SEC004" in fired("from subprocess import Popen as P\ndef f(c):\n    P(c, shell=True)\n")
    assert "SEC004" not in fired("import subprocess as sp\ndef f(c):\n    sp.call([c], shell=False)\n")


def test_user_function_named_like_a_sink_is_not_flagged() -> None:
    assert "SEC005" not in fired("def system(x):\n    return x\nsystem('ls')\n")
    assert "SEC006" not in fired("import json as pickle_like\npickle_like.loads('{}')\n")


def test_sql_with_constant_identifiers_is_not_dynamic() -> None:
    src = (
        "TABLE = 'users'\n"
        "def f(conn, ids):\n"
        "    placeholders = ','.join('?' * len(ids))\n"
        "    conn.execute(f'SELECT * FROM {TABLE} WHERE id IN ({placeholders})', ids)\n"
        "    for col in ('a', 'b'):\n"
        "        conn.execute(f'ALTER TABLE {TABLE} ADD COLUMN {col} TEXT')\n"
        "    conn.execute(f'PRAGMA cache_size={len(ids):d}')\n"
    )
    assert not fired(src) & {"SEC002", "SEC003"}


def test_low_severity_noise_does_not_drag_clean_code_down() -> None:
    clean = (
        "import subprocess\nimport random\nimport hashlib\n\n"
        "def shuffle(xs):\n    random.shuffle(xs)\n    return xs\n\n"
        "def run(args):\n    return subprocess.run(['git', *args], check=True, timeout=30)\n\n"
        "def etag(b):\n    return hashlib.md5(b).hexdigest()\n"
    )
    same_without = (
        "import shutil\n\n"
        "def shuffle(xs):\n    xs.reverse()\n    return xs\n\n"
        "def run(args):\n    return shutil.which(args[0])\n\n"
        "def etag(b):\n    return len(b)\n"
    )
    noisy, quiet = card(clean).values["security"], card(same_without).values["security"]
    assert noisy >= quiet - 0.5
    assert noisy >= 6.5


def test_repeated_penalties_grow_sublinearly() -> None:
    one = card("def f(s):\n    eval(s)\n").values["security"]
    four = card("def f(s):\n    eval(s)\n    eval(s)\n    eval(s)\n    eval(s)\n").values["security"]
    assert four < one
    assert (6.5 - four) < 4 * (6.5 - one)


def test_names_and_env_lookups_that_only_look_like_secrets() -> None:
    src = (
        "TOKEN_URL = 'https://example.com/oauth/token'\n"
        "PASSWORD_ENV = 'APP_PASSWORD'\n"
        "SECRET_KEY_FILE = '/etc/app/secret.key'\n"
        "password_label = 'Password:'\n"
        "TOKEN_BYTES = 32\n"
    )
    assert "SEC011" not in fired(src)
    assert "SEC011" in fired("api_key = 'sk-live-1234567890abcdef'\n")
