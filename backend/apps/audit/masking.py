"""How masked fields (auditlog `mask_fields`) appear in entries: the fact of a change, not its content."""

MASK = "[masked]"


def mask_value(value: str) -> str:
    # auditlog passes str(value): an absent value arrives as "" or "None" and stays recognisable.
    return value if value in {"", "None"} else MASK
