"""The audit and tenancy rules of AGENTS.md, enforced over the code as it is."""

import ast
import re
from pathlib import Path

from auditlog.registry import auditlog
from django.apps import apps

from apps.identity.tenancy import TenantModel
from hubkit.encryption.fields import EncryptedField

BACKEND = Path(__file__).resolve().parents[3]

# Models exempt from auditlog registration, with the reason.
_LEDGER = "the ledger is the record of money movements; PostgreSQL keeps it append-only"
_ROLLUPS = "analytics rollups are derived sums of audited rows, rewritten by their job"
NOT_AUDITED = {
    "events.Event": "the outbox is itself a record of changes",
    "transactions.LedgerAccount": _LEDGER,
    "transactions.LedgerTransaction": _LEDGER,
    "transactions.LedgerEntry": _LEDGER,
    "analytics.RollupState": _ROLLUPS,
    "analytics.BookingDay": _ROLLUPS,
    "analytics.AvailabilityDay": _ROLLUPS,
    "analytics.MoneyDay": _ROLLUPS,
    "analytics.BookingMonth": _ROLLUPS,
    "analytics.AvailabilityMonth": _ROLLUPS,
    "analytics.UtilizationWeek": _ROLLUPS,
    "analytics.UtilizationMonth": _ROLLUPS,
    "analytics.BookingKeyDay": _ROLLUPS,
    "analytics.BookingKeyYear": _ROLLUPS,
    "analytics.BookingKeyMonth": _ROLLUPS,
}
_PURGE = (
    "the retention purge deletes rows past their organization's period: a DELETE entry per row"
    " would rebuild the trail being purged (the settings that decide it are audited)"
)
# (module, function) allowed to bulk-write or run writing SQL, with the reason. `<module>` stands
# for code at module level.
BULK_WRITES_ALLOWED = {
    ("apps/identity/services.py", "user_ensure"): "mirror User is no business model and is not audited",
    ("apps/identity/services.py", "users_ensure"): "mirror User is no business model and is not audited",
    ("apps/notifications/services/notifications.py", "_send"): (
        "the notifications and dispatch records it inserts are audited in the same transaction"
        " (audit_bulk_created)"
    ),
    ("apps/events/services.py", "event_redact_subject"): "Event is not audited (see NOT_AUDITED)",
    ("apps/events/services.py", "publish_many"): (
        "Event is not audited; queuing its deliveries is part of the audited change, not an act of"
        " its own (publish wrote them with the audit log disabled one by one before)"
    ),
    ("apps/transactions/services/ledger.py", "ledger_record"): "LedgerEntry is not audited (see NOT_AUDITED)",
    ("apps/events/delivery.py", "_record"): (
        "the delivery row summarises its attempts; the attempt rows it inserts are audited in the"
        " same transaction (audit_bulk_created)"
    ),
    ("apps/audit/services.py", "audit_scrub_object"): "rewrites the audit entries themselves",
    ("apps/audit/services.py", "audit_bulk_created"): "writes audit entries, for rows inserted in bulk",
    ("apps/analytics/services.py", "_write"): "rollups are derived data, not audited (see NOT_AUDITED)",
    ("apps/analytics/services.py", "_write_availability"): "rollups are derived data (see NOT_AUDITED)",
    ("apps/analytics/services.py", "_write_months"): "rollups are derived data (see NOT_AUDITED)",
    ("apps/analytics/services.py", "_write_periods"): "rollups are derived data (see NOT_AUDITED)",
    ("apps/analytics/services.py", "_write_keys"): "rollups are derived data (see NOT_AUDITED)",
    ("apps/idempotency/services.py", "idempotency_complete"): "request state, not an audited model",
    ("apps/notifications/services/notifications.py", "notification_mark_all_read"): (
        "touches only read state, which is excluded from Notification's audit registration"
    ),
    ("apps/retention/services.py", "_locked_batch"): "reads (and locks, FOR UPDATE) a purge's next batch",
    ("apps/retention/services.py", "_delete_events"): _PURGE,
    ("apps/retention/services.py", "_delete_rows"): _PURGE,
}
BULK_METHODS = {"update", "bulk_create", "bulk_update", "raw", "_raw_delete"}
SQL_METHODS = {"execute", "executemany"}
# SQL that changes rows. SQL the scan cannot read (built at run time) counts as writing.
WRITING_SQL = re.compile(r"\b(UPDATE|INSERT|DELETE|TRUNCATE|MERGE|COPY)\b", re.IGNORECASE)
READING_SQL = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def test_every_encrypted_field_of_an_audited_model_is_masked() -> None:
    """An entry must not hold in clear what the row encrypts: creates and updates alike show `[masked]`."""
    unmasked = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if auditlog.contains(model)
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField)
        and field.name not in auditlog.get_model_fields(model)["mask_fields"]
        and field.name not in auditlog.get_model_fields(model)["exclude_fields"]
    ]
    assert unmasked == []


def test_every_tenant_model_is_audited() -> None:
    tenant_models = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    assert tenant_models, "no tenant model found"
    unregistered = [
        m._meta.label for m in tenant_models if not auditlog.contains(m) and m._meta.label not in NOT_AUDITED
    ]
    assert unregistered == []


def _app_modules() -> list[Path]:
    """Every module of the apps but tests and migrations: a bulk write can hide anywhere."""
    modules = [
        path
        for path in BACKEND.glob("apps/**/*.py")
        if not {"tests", "migrations"} & set(path.relative_to(BACKEND).parts)
    ]
    assert any(p.name == "delivery.py" for p in modules)
    return modules


def _strings(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants (SQL kept in a constant), by name."""
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _writes(sql: ast.expr | None, constants: dict[str, str]) -> bool:
    if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
        return bool(WRITING_SQL.search(sql.value))
    if isinstance(sql, ast.Name) and sql.id in constants:
        return bool(WRITING_SQL.search(constants[sql.id]))
    if isinstance(sql, ast.JoinedStr):
        # An f-string reads if its text starts with SELECT and no literal part writes: the parts
        # it interpolates are the module's own fragments (columns, conditions), never statements.
        parts = [v.value for v in sql.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        literal = "".join(parts)
        return not READING_SQL.match(literal) or bool(WRITING_SQL.search(literal))
    return True


class _BulkCalls(ast.NodeVisitor):
    """(function, method, line) of each bulk call and each writing SQL statement, by innermost function."""

    def __init__(self, constants: dict[str, str]) -> None:
        self.constants = constants
        self.functions = ["<module>"]
        self.found: list[tuple[str, str, int]] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Any receiver counts (a queryset held in a variable too), so services merge dicts with `|`.
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            sql = node.args[0] if node.args else None
            if method in BULK_METHODS or (method in SQL_METHODS and _writes(sql, self.constants)):
                self.found.append((self.functions[-1], method, node.lineno))
        self.generic_visit(node)


def _bulk_calls(path: Path) -> list[tuple[str, str, int]]:
    tree = ast.parse(path.read_text())
    visitor = _BulkCalls(_strings(tree))
    visitor.visit(tree)
    return visitor.found


def test_no_module_bulk_writes_audited_models() -> None:
    offenders: list[str] = []
    for path in _app_modules():
        module = path.relative_to(BACKEND).as_posix()
        offenders.extend(
            f"{module}:{line} {name}() calls .{method}()"
            for name, method, line in _bulk_calls(path)
            if (module, name) not in BULK_WRITES_ALLOWED
        )
    assert offenders == []


def test_every_allowed_exception_still_exists() -> None:
    found = {
        (path.relative_to(BACKEND).as_posix(), name)
        for path in _app_modules()
        for name, _, _ in _bulk_calls(path)
    }
    assert set(BULK_WRITES_ALLOWED) - found == set()


def test_the_scan_sees_a_bulk_write(tmp_path: Path) -> None:
    sample = tmp_path / "anything.py"
    sample.write_text(
        "def contact_touch(*, org):\n    Contact.objects.for_organization(org).filter().update(x=1)\n"
    )
    assert _bulk_calls(sample) == [("contact_touch", "update", 2)]


def test_the_scan_sees_writing_sql_but_not_reads(tmp_path: Path) -> None:
    sample = tmp_path / "anything.py"
    sample.write_text(
        '_SQL = """\n  update core_contact set notes = %s\n"""\n'
        "def touch(cursor, sql):\n"
        "    cursor.execute(_SQL, [1])\n"
        '    cursor.execute("INSERT INTO core_contact VALUES (1)")\n'
        "    cursor.execute(sql)\n"
        '    cursor.execute("SELECT pg_try_advisory_lock(1, 2)")\n'
        "    async def inner(cursor):\n"
        '        await cursor.executemany("DELETE FROM x", [])\n'
    )
    assert _bulk_calls(sample) == [
        ("touch", "execute", 5),
        ("touch", "execute", 6),
        ("touch", "execute", 7),
        ("inner", "executemany", 10),
    ]


def test_the_rules_are_written_down() -> None:
    text = (BACKEND / "AGENTS.md").read_text()
    assert "## Audit and tenancy rules" in text
    assert "test_rules.py" in text
