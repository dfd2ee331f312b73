from decimal import Decimal

import pytest
from django.utils import translation

from fundpool.errors import CurrencyMismatch, InvalidAmount
from fundpool.money import from_minor_units, parse_amount, to_minor_units


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("100", "100.00"),
        ("0.01", "0.01"),
        ("1,000.50", "1000.50"),
        ("¥20", "20.00"),
        (" 12.3 ", "12.30"),
        ("10.500", "10.50"),
        (Decimal("7.1"), "7.10"),
        (5, "5.00"),
    ],
)
def test_accepts_exact_amounts(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, chinese",
    [
        ("0", "必须大于零"),
        ("0.00", "必须大于零"),
        ("-5", "不能为负数"),
        ("abc", "不是数字"),
        ("NaN", "有限"),
        ("Infinity", "有限"),
        ("-inf", "有限"),
        ("1.234", "最多 2 位小数"),
        ("", "请输入金额"),
        ("1e30", "不是数字"),
        ("1" + "0" * 30, "过大"),
        ("1e3", "不是数字"),
        ("1,0.00", "不是数字"),
        ("12,50", "不是数字"),
        ("1_000", "不是数字"),
    ],
)
def test_refuses_bad_amounts_in_chinese(raw, chinese):
    with pytest.raises(InvalidAmount) as exc:
        parse_amount(raw)
    assert chinese in str(exc.value)


def test_refuses_floats_outright():
    with pytest.raises(InvalidAmount):
        parse_amount(0.1)


def test_message_in_english_when_asked():
    with pytest.raises(InvalidAmount) as exc:
        parse_amount("1.234")
    # Messages are rendered in the language of whoever reads them.
    with translation.override("en"):
        assert str(exc.value) == "CNY amounts have at most 2 decimal places."
    assert str(exc.value) == "CNY 金额最多 2 位小数。"


def test_another_currency_is_refused_naming_both():
    with pytest.raises(CurrencyMismatch) as exc:
        parse_amount("10", "USD")
    assert "USD" in str(exc.value) and "CNY" in str(exc.value)


def test_minor_units_round_trip_exactly():
    assert to_minor_units(Decimal("12.34"), "CNY") == 1234
    assert from_minor_units(1234, "cny") == Decimal("12.34")
    assert to_minor_units(Decimal("500"), "JPY") == 500
    with pytest.raises(InvalidAmount):
        to_minor_units(Decimal("0.001"), "CNY")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1,250.00", "1250.00"),
        ("30元", "30.00"),
        ("¥12,345,678.9", "12345678.90"),
        ("１０．５", "10.50"),
        ("￥１，２００", "1200.00"),
    ],
)
def test_thousands_separators_and_full_width_input_are_read_as_typed(raw, expected):
    assert parse_amount(raw) == Decimal(expected)
