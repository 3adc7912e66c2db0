"""The audit and tenancy rules of AGENTS.md, enforced over the code as it is."""

import ast
from pathlib import Path

from auditlog.registry import auditlog
from django.apps import apps

from apps.identity.tenancy import TenantModel

BACKEND = Path(__file__).resolve().parents[3]

# Models exempt from auditlog registration, with the reason.
NOT_AUDITED = {
    "events.Event": "the outbox is itself a record of changes",
}
# (module, function) allowed to bulk-write, with the reason.
BULK_WRITES_ALLOWED = {
    ("apps/identity/services.py", "user_ensure"): "mirror User is no business model and is not audited",
    ("apps/events/services.py", "event_redact_subject"): "Event is not audited (see NOT_AUDITED)",
    ("apps/audit/services.py", "audit_scrub_object"): "rewrites the audit entries themselves",
    ("apps/audit/services.py", "audit_bulk_created"): "writes audit entries, for rows inserted in bulk",
    ("apps/idempotency/services.py", "idempotency_complete"): "request state, not an audited model",
    ("apps/notifications/services/notifications.py", "notification_mark_all_read"): (
        "touches only read state, which is excluded from Notification's audit registration"
    ),
}
BULK_METHODS = {"update", "bulk_create", "bulk_update", "raw", "_raw_delete"}


def test_every_tenant_model_is_audited() -> None:
    tenant_models = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    assert tenant_models, "no tenant model found"
    unregistered = [
        m._meta.label for m in tenant_models if not auditlog.contains(m) and m._meta.label not in NOT_AUDITED
    ]
    assert unregistered == []


def _service_modules() -> list[Path]:
    modules = list(BACKEND.glob("apps/*/services.py")) + list(BACKEND.glob("apps/*/services/*.py"))
    assert modules
    return modules


def _bulk_calls(path: Path) -> list[tuple[str, str, int]]:
    """(function, method, line) of every `.update(` / `bulk_*(` / `.raw(` call in the module."""
    # Any receiver counts (a queryset held in a variable too), so services merge dicts with `|`.
    functions = [f for f in ast.walk(ast.parse(path.read_text())) if isinstance(f, ast.FunctionDef)]
    return [
        (function.name, node.func.attr, node.lineno)
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in BULK_METHODS
    ]


def test_services_do_not_bulk_write_audited_models() -> None:
    offenders: list[str] = []
    for path in _service_modules():
        module = path.relative_to(BACKEND).as_posix()
        offenders.extend(
            f"{module}:{line} {name}() calls .{method}()"
            for name, method, line in _bulk_calls(path)
            if (module, name) not in BULK_WRITES_ALLOWED
        )
    assert offenders == []


def test_the_scan_sees_a_bulk_write(tmp_path: Path) -> None:
    sample = tmp_path / "services.py"
    sample.write_text(
        "def contact_touch(*, org):\n    Contact.objects.for_organization(org).filter().update(x=1)\n"
    )
    assert _bulk_calls(sample) == [("contact_touch", "update", 2)]


def test_the_rules_are_written_down() -> None:
    text = (BACKEND / "AGENTS.md").read_text()
    assert "## Audit and tenancy rules" in text
    assert "test_rules.py" in text
