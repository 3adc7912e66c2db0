"""Money as Decimal + ISO 4217 code, quantised to the currency's minor unit; never floats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

# Active ISO 4217 codes (funds and precious metals left out). Exponent 2 unless listed below.
ISO_4217_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYI UYU
    UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - the table reads better as text
)
_EXPONENT_TABLE = """
    0 BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF
    3 BHD IQD JOD KWD LYD OMR TND
    4 CLF UYW
"""
_EXPONENTS = {
    code: int(row.split()[0]) for row in _EXPONENT_TABLE.strip().splitlines() for code in row.split()[1:]
}
MAX_AMOUNT = Decimal("1000000000")


class InvalidMoney(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest amount: Decimal("0.01") for EUR, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-currency_exponent(currency))


def round_to_minor_unit(value: Decimal, currency: str) -> Decimal:
    """Commercial rounding (half away from zero) to the currency's minor unit: what invoices use."""
    return value.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, amount: str | Decimal, currency: str) -> Money:
        """Validates an amount string and a currency code; rejects more precision than the currency has."""
        if currency not in ISO_4217_CODES:
            raise InvalidMoney("currency", f"{currency!r} is not an ISO 4217 currency code.")
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise InvalidMoney("amount", "Not a decimal number.") from exc
        if not value.is_finite():
            raise InvalidMoney("amount", "Not a finite number.")
        if value < 0 or value >= MAX_AMOUNT:
            raise InvalidMoney("amount", f"Must be between 0 and {MAX_AMOUNT}.")
        quantised = value.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)
        if quantised != value:
            raise InvalidMoney("amount", f"{currency} has {currency_exponent(currency)} decimal places.")
        return cls(quantised, currency)

    def as_dict(self) -> dict[str, str]:
        return _as_dict(self.amount, self.currency, minor_unit(self.currency))


def _as_dict(amount: Decimal, currency: str, unit: Decimal) -> dict[str, str]:
    """How an amount is sent: a string of exactly the currency's minor unit, with its code."""
    return {"amount": str(amount.quantize(unit)), "currency": currency}


def money_dicts(currency: str) -> Callable[[Decimal], dict[str, str]]:
    """`Money(amount, currency).as_dict()` for the many amounts of one currency in a long series:
    the minor unit looked up once and each distinct amount formatted once. Equal amounts share one
    dict: render them, never change them.
    """
    unit = minor_unit(currency)
    seen: dict[Decimal, dict[str, str]] = {}

    def as_dict(amount: Decimal) -> dict[str, str]:
        found = seen.get(amount)
        if found is None:
            found = seen[amount] = _as_dict(amount, currency, unit)
        return found

    return as_dict
