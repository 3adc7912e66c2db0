"""Normalising a contact's email and phone: one rule for what is stored, searched and indexed.

A leaf module (settings and validation libraries only): the contact services, the selectors and
the model's blind index all import it without importing each other.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from email_validator import validate_email


def normalize_email(value: str) -> str:
    """Syntax-checked (no DNS), domain lower-cased and IDNA-normalised; '' stays ''."""
    value = value.strip()
    if not value:
        return ""
    return str(validate_email(value, check_deliverability=False).normalized)


def normalize_phone(value: str) -> str:
    """E.164; numbers without a country prefix are read in CONTACT_PHONE_DEFAULT_REGION."""
    value = value.strip()
    if not value:
        return ""
    number = phonenumbers.parse(value, settings.CONTACT_PHONE_DEFAULT_REGION)
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_lookup_form(email: str) -> str:
    """What the email's blind index hashes: the stored (normalised) email, case-folded."""
    return email.strip().lower()
