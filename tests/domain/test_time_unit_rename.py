"""``unit`` is now ``time_unit`` (and ``as_of`` of the complaint frame ``observation_end``).

The old keyword names keep working for one release with a :class:`DeprecationWarning`
that names the new keyword; the answer is the same; giving both names is an error.
``as_of`` stays the name of the date a single record is evaluated at (tenure of one
relationship).
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from crmkit.domain import Complaint, Relationship, complaint_stage_durations, complaints_to_frame
from crmkit.exceptions import InvalidValueError

T = dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
REL = Relationship.start(customer_code="C1", on="2024-01-01")
COMPLAINT = Complaint.receive(complaint_id="K1", customer_code="C1", item_code="P1", at=T).advance(
    "resolved", at=T + 30 * H
)
FRAME = complaints_to_frame([COMPLAINT])

CALLS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("tenure", REL.tenure, ("2024-01-04",)),
    ("time_in_stage", REL.time_in_stage, ("2024-01-04",)),
    ("time_to_first_response", COMPLAINT.time_to_first_response, ()),
    ("time_to_resolution", COMPLAINT.time_to_resolution, ()),
    ("complaint_stage_durations", complaint_stage_durations, (FRAME,)),
]


def _same(a: Any, b: Any) -> bool:
    return a.equals(b) if hasattr(a, "equals") else bool(a == b)


@pytest.mark.parametrize(("name", "func", "args"), CALLS, ids=[c[0] for c in CALLS])
def test_time_unit_is_the_parameter_and_unit_still_works_with_a_warning(
    name: str, func: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    params = inspect.signature(func).parameters
    assert "time_unit" in params
    assert "unit" not in params
    new = func(*args, time_unit="h")
    with pytest.warns(DeprecationWarning, match=rf"{name}\(unit=\.\.\.\).*pass time_unit="):
        old = func(*args, unit="h")
    assert _same(old, new)
    with pytest.raises(TypeError, match="pass only time_unit"):
        func(*args, unit="h", time_unit="h")


@pytest.mark.parametrize(("name", "func", "args"), CALLS, ids=[c[0] for c in CALLS])
def test_a_bad_time_unit_is_named_as_time_unit(
    name: str, func: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    with pytest.raises(InvalidValueError, match=r"^time_unit='hours' is not one of"):
        func(*args, time_unit="hours")


def test_hours_values_are_unchanged() -> None:
    assert REL.tenure("2024-01-04", time_unit="h") == 72.0
    assert COMPLAINT.time_to_resolution(time_unit="h") == 30.0
    assert complaint_stage_durations(FRAME, time_unit="h").loc["K1", "time_to_resolution"] == 30.0


def test_complaint_frame_as_of_is_now_observation_end() -> None:
    open_frame = complaints_to_frame(
        [Complaint.receive(complaint_id="K2", customer_code="C1", item_code="P1", at=T)]
    )
    new = complaint_stage_durations(open_frame, time_unit="h", observation_end=T + 5 * H)
    assert new.loc["K2", "received"] == 5.0
    with pytest.warns(DeprecationWarning, match="pass observation_end="):
        old = complaint_stage_durations(open_frame, time_unit="h", as_of=T + 5 * H)
    assert old.equals(new)
    with pytest.raises(InvalidValueError, match=r"^observation_end=.* precedes the last step"):
        complaint_stage_durations(open_frame, observation_end=T - H)


def test_as_of_stays_for_single_records() -> None:
    assert "as_of" in inspect.signature(Relationship.tenure).parameters
    assert REL.tenure(as_of="2024-01-04", time_unit="D") == 3.0
