"""The frontend's nginx.conf, read as nginx does: JSON access lines without query strings, and the
request id passed upstream."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "infrastructure" / "docker" / "frontend" / "nginx.conf"
# Variables that hold the query string (or the whole request line, which contains it).
QUERY_VARIABLES = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+)\b")

Directive = tuple[str, list[str], tuple[str, ...]]


def directives(text: str) -> list[Directive]:
    """(name, arguments, enclosing blocks) of every simple directive; quotes joined, comments dropped."""
    tokens = re.findall(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[{};]|[^\s{};'\"]+", _uncommented(text))
    found: list[Directive] = []
    blocks: list[str] = []
    current: list[str] = []
    for token in tokens:
        if token == "{":
            blocks.append(current[0] if current else "")
            current = []
        elif token == "}":
            blocks.pop()
            current = []
        elif token == ";":
            found.append((current[0], current[1:], tuple(blocks)))
            current = []
        else:
            current.append(token[1:-1] if token[0] in "'\"" else token)
    return found


def _uncommented(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def log_formats(found: list[Directive]) -> dict[str, str]:
    """Each log_format by name: its format string (the quoted pieces joined), escape= kept apart."""
    return {args[0]: " ".join(args[1:]) for name, args, _ in found if name == "log_format"}


def problems(text: str) -> list[str]:
    found = directives(text)
    formats = log_formats(found)
    out: list[str] = []
    for name, body in formats.items():
        if "escape=json" not in body:
            out.append(f"log_format {name}: no escape=json")
        if QUERY_VARIABLES.search(body):
            out.append(f"log_format {name}: logs the query string ({QUERY_VARIABLES.search(body).group(0)})")  # type: ignore[union-attr]
        if "$uri" not in body or "request_id" not in body:
            out.append(f"log_format {name}: no $uri or no request id")
    access_logs = [args for name, args, _ in found if name == "access_log"]
    if not access_logs:
        out.append("no access_log: nginx's stock format (with $request) would be used")
    out.extend(
        f"access_log {' '.join(args)}: not one of the log formats above"
        for args in access_logs
        if args != ["off"] and (len(args) < 2 or args[1] not in formats)
    )
    proxied = {blocks for name, _, blocks in found if name == "proxy_pass"}
    with_id = {
        blocks for name, args, blocks in found if name == "proxy_set_header" and args[0] == "X-Request-ID"
    }
    out.extend(
        f"{' '.join(blocks)}: X-Request-ID not passed upstream" for blocks in sorted(proxied - with_id)
    )
    return out


def test_the_frontend_logs_json_without_query_strings_and_passes_the_request_id() -> None:
    assert problems(NGINX_CONF.read_text()) == []


def test_the_stock_format_a_query_variable_and_a_missing_request_id_are_found() -> None:
    stock = "server {\n  location /api/ {\n    proxy_pass http://backend:8000;\n  }\n}\n"
    assert problems(stock) == [
        "no access_log: nginx's stock format (with $request) would be used",
        "server location: X-Request-ID not passed upstream",
    ]
    leaky = (
        "log_format plain '$remote_addr \"$request\" $status';  # the stock line\n"
        'log_format j escape=json \'{"path":"$uri?$args","request_id":"$request_id"}\';\n'
        "server { access_log /dev/stdout plain; access_log /dev/stdout combined; }\n"
    )
    assert problems(leaky) == [
        "log_format plain: no escape=json",
        "log_format plain: logs the query string ($request)",
        "log_format plain: no $uri or no request id",
        "log_format j: logs the query string ($args)",
        "access_log /dev/stdout combined: not one of the log formats above",
    ]


def test_comments_are_not_configuration() -> None:
    assert directives("# access_log off;\nlisten 8080; # log_format x '$request';\n") == [
        ("listen", ["8080"], ())
    ]
