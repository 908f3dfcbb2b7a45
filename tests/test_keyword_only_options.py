"""Data first, then keyword-only options.

A public function takes its data positionally and every option by keyword, so a call
reads the same everywhere and an option can be added or renamed without shifting the
others. The test reads every public signature (every name in a public module's
``__all__``; classes' public methods) and lists the functions that still accept an
option (a parameter with a default, after the first) by position. ``ALLOWED`` holds those
where position is the convention, with the reason; ``PENDING`` those still to convert
with a deprecation of the positional use. ``PENDING`` may only shrink.
"""

from __future__ import annotations

import importlib.util
import inspect

from tests.test_parameter_glossary import _callables

ALLOWED: dict[str, str] = {
    "Concentration.verdict": "the claim's two numbers, verdict(0.2, 0.8)",
    "Relationship.tenure": "documented positional call tenure('2024-01-15', 'M')",
    "Relationship.time_in_stage": "documented positional call, as tenure",
    "crmkit.metrics.annuity.pmt": "numpy-financial's order pmt(rate, nper, pv, fv)",
    "crmkit.metrics.annuity.pv": "numpy-financial's order pv(rate, nper, pmt, fv)",
    "crmkit.domain.analytics.contacts_before_first_purchase": "purchases is data",
    "ContractualModel.discounted_expected_residual_lifetime": "renewals is data",
    "ShiftedBetaGeometric.discounted_expected_residual_lifetime": "renewals is data",
    "ShiftedGeometric.discounted_expected_residual_lifetime": "renewals is data",
    "BetaDiscreteWeibull.discounted_expected_residual_lifetime": "renewals is data, as sBG's",
}

PENDING: frozenset[str] = frozenset()


def _positional_options() -> dict[str, list[str]]:
    found = {}
    for label, func in _callables().items():
        if label.endswith("__init__") or ".from_" in label:
            continue  # record constructors and alternative constructors take fields
        try:
            params = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            continue
        params = [p for p in params if p.name not in ("self", "cls")]
        names = [
            p.name
            for p in params[1:]
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is not p.empty
        ]
        if names:
            found[label] = names
    return found


def test_the_scan_finds_positional_options() -> None:
    found = _positional_options()
    assert found["crmkit.metrics.annuity.pmt"] == ["fv"]  # an allowed one is seen
    # a converted function is seen through its deprecation wrapper (``__wrapped__``)
    from crmkit.transactions import rfm_summary

    params = inspect.signature(rfm_summary).parameters
    assert params["observation_end"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "crmkit.transactions.rfm_summary" not in found


def test_options_are_keyword_only() -> None:
    found = set(_positional_options())
    pending = set(PENDING)
    if importlib.util.find_spec("matplotlib") is None:  # plotting is an optional extra
        pending = {label for label in pending if not label.startswith("crmkit.plotting.")}
    new = sorted(found - set(ALLOWED) - pending)
    assert not new, f"options that can be passed by position (make them keyword-only): {new}"
    done = sorted(pending - found)
    assert not done, f"keyword-only already: remove these PENDING entries: {done}"
    assert not set(ALLOWED) & PENDING
