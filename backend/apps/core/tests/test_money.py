"""Money's wire form: `money_dicts` (long series) answers what `Money.as_dict` does, amount by amount."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import Money, money_dicts

_AMOUNTS = st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False)


@given(currency=st.sampled_from(["EUR", "JPY", "BHD", "CLF"]), amounts=st.lists(_AMOUNTS, max_size=30))
def test_money_dicts_are_money_as_dict(currency: str, amounts: list[Decimal]) -> None:
    as_dict = money_dicts(currency)
    assert [as_dict(a) for a in amounts] == [Money(a, currency).as_dict() for a in amounts]


def test_equal_amounts_share_one_dict_of_the_currencys_places() -> None:
    as_dict = money_dicts("JPY")
    assert as_dict(Decimal("12.6")) == {"amount": "13", "currency": "JPY"}
    assert as_dict(Decimal("12.60")) is as_dict(Decimal("12.6"))
    assert money_dicts("BHD")(Decimal(0)) == {"amount": "0.000", "currency": "BHD"}
