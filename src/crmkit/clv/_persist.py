"""Saving fitted CLV models and fit results as plain dictionaries and JSON.

A model value (``BetaGeo(r=..., ...)``) and a :class:`~crmkit.clv.FitResult` become a
dictionary of JSON types with a header::

    {"crmkit": {"schema": 1, "version": "0.x"}, "kind": "model", "family": "BetaGeo",
     "params": {"r": 0.2426, ...}, "time_unit": "W"}

and come back with ``from_dict`` / ``from_json``, which rebuild the object through its
own constructor (so every parameter check runs again) and refuse anything that is not a
crmkit document: an unknown family, a newer schema, a missing or extra parameter, a
value of the wrong type. Only the classes listed here can be created: loading never
imports or calls anything named in the document.

Non-finite numbers (an infinite standard error at a boundary fit) are written as the
strings ``"inf"``, ``"-inf"`` and ``"nan"``, so the JSON is standard (RFC 8259) and
every parser can read it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Self

import attrs
import numpy as np

from crmkit._validation import check_option
from crmkit.exceptions import InvalidValueError

__all__ = ["SCHEMA_VERSION", "Persistable", "from_dict", "from_json", "to_dict", "to_json"]

SCHEMA_VERSION = 1
"""Version of the dictionary layout; bumped when a field changes meaning."""

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_KINDS = ("model", "fit_result")


_FAMILY_NAMES = frozenset(
    {
        "BetaDiscreteWeibull",
        "BetaGeo",
        "BetaGeoBetaBinom",
        "BetaGeoCNBD",
        "GammaGamma",
        "GammaGompertzNBD",
        "ModifiedBetaGeo",
        "ModifiedBetaGeoCNBD",
        "NBD",
        "ParetoNBD",
        "ShiftedBetaGeometric",
        "ShiftedGeometric",
    }
)
"""The model families a document may name; nothing else is ever created by loading."""

_REGISTRY: dict[str, type[Any]] = {}


def _families() -> dict[str, type[Any]]:
    # each family registers itself when its class is defined (Persistable.__init_subclass__);
    # importing any crmkit.clv module runs crmkit/clv/__init__.py, which defines them all
    missing = _FAMILY_NAMES - _REGISTRY.keys()
    if missing:  # pragma: no cover - only if a family module failed to load
        raise InvalidValueError(
            f"the model families {sorted(missing)} are not loaded; import crmkit.clv first."
        )
    return {name: _REGISTRY[name] for name in _FAMILY_NAMES}


def _version() -> str:
    from crmkit._version import crmkit_version

    return crmkit_version()


def _encode_float(value: float) -> float | str:
    v = float(value)
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _decode_float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidValueError(
            f"{where} is {value!r}; a number (or 'inf', '-inf', 'nan') was expected. "
            "Pass a dictionary made by to_dict() or a string made by to_json()."
        )
    if isinstance(value, str):
        if value not in _NON_FINITE:
            raise InvalidValueError(
                f"{where} is the string {value!r}; only 'inf', '-inf' and 'nan' may be "
                "written as strings. Pass a dictionary made by to_dict()."
            )
        return _NON_FINITE[value]
    return float(value)


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise InvalidValueError(
            f"{where} has no {key!r} entry (keys: {sorted(data)}). Pass a dictionary made "
            "by to_dict() or a string made by to_json()."
        )
    return data[key]


def _model_fields(cls: type[Any]) -> tuple[list[str], bool]:
    names = [f.name for f in attrs.fields(cls)]
    has_unit = "time_unit" in names
    return [n for n in names if n != "time_unit"], has_unit


def _is_model(obj: Any) -> bool:
    return type(obj).__name__ in _families() and _families()[type(obj).__name__] is type(obj)


def _model_body(model: Any) -> dict[str, Any]:
    params, has_unit = _model_fields(type(model))
    body: dict[str, Any] = {
        "family": type(model).__name__,
        "params": {name: _encode_float(getattr(model, name)) for name in params},
    }
    if has_unit:
        body["time_unit"] = model.time_unit
    return body


def to_dict(obj: Any) -> dict[str, Any]:
    """Return a fitted model or fit result as a dictionary of JSON types.

    Parameters
    ----------
    obj : model or FitResult
        A CLV model value (``BetaGeo``, ``ParetoNBD``, ``GammaGamma``, ...) or the
        :class:`~crmkit.clv.FitResult` a ``fit`` returned.

    Returns
    -------
    dict
        ``{"crmkit": {"schema": ..., "version": ...}, "kind": ..., ...}``; see the module
        description. :func:`from_dict` rebuilds an equal object.

    Raises
    ------
    InvalidValueError
        If ``obj`` is neither a crmkit CLV model nor a FitResult.

    Examples
    --------
    >>> from crmkit.clv import BetaGeo
    >>> d = to_dict(BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"))
    >>> d["family"], d["params"]["alpha"], d["time_unit"]
    ('BetaGeo', 4.414, 'W')
    >>> from_dict(d) == BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    True
    """
    FitResult = _REGISTRY["FitResult"]  # the class, registered when it is defined
    header = {"schema": SCHEMA_VERSION, "version": _version()}
    if isinstance(obj, FitResult):
        if not _is_model(obj.model):
            name = type(obj.model).__name__
            if name.endswith("Covariates"):
                raise InvalidValueError(
                    f"this FitResult holds a {name}: covariate models cannot be saved yet. "
                    "Keep fit.summary() (the baseline parameters and every coefficient) "
                    "and the covariate coding, or refit from the data."
                )
            raise InvalidValueError(
                f"this FitResult holds a {name}, which crmkit cannot save; only the CLV "
                "model families of crmkit.clv can be saved."
            )
        cov = np.asarray(obj.covariance, dtype=np.float64)
        return {
            "crmkit": header,
            "kind": "fit_result",
            "model": _model_body(obj.model),
            "log_likelihood": _encode_float(obj.log_likelihood),
            "param_names": list(obj.param_names),
            "estimates": [_encode_float(v) for v in obj.estimates],
            "covariance": [[_encode_float(v) for v in row] for row in cov.tolist()],
            "n_customers": int(obj.n_customers),
            "n_unique": int(obj.n_unique),
            "converged": bool(obj.converged),
            "iterations": int(obj.iterations),
            "message": str(obj.message),
            "at_boundary": list(obj.at_boundary),
        }
    if not _is_model(obj):
        raise InvalidValueError(
            f"cannot save a {type(obj).__name__}; to_dict() takes a crmkit CLV model "
            f"({', '.join(sorted(_families()))}) or a FitResult."
        )
    return {"crmkit": header, "kind": "model", **_model_body(obj)}


def _check_header(data: Any) -> str:
    if not isinstance(data, Mapping):
        raise InvalidValueError(
            f"expected a dictionary made by to_dict(), got {type(data).__name__}."
        )
    header = _require(data, "crmkit", "the document")
    if not isinstance(header, Mapping):
        raise InvalidValueError(f"the 'crmkit' header is {header!r}; expected a dictionary.")
    schema = _require(header, "schema", "the 'crmkit' header")
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 1:
        raise InvalidValueError(f"schema {schema!r} is not a crmkit schema version (1, 2, ...).")
    if schema > SCHEMA_VERSION:
        raise InvalidValueError(
            f"this document has schema {schema}, newer than this crmkit reads "
            f"({SCHEMA_VERSION}; it was written by crmkit {header.get('version')!r}). "
            "Upgrade crmkit to load it."
        )
    kind = _require(data, "kind", "the document")
    return str(check_option(kind, _KINDS, name="kind"))


def _model_from_body(body: Any, where: str) -> Any:
    if not isinstance(body, Mapping):
        raise InvalidValueError(f"{where} is {body!r}; expected a dictionary.")
    family = _require(body, "family", where)
    families = _families()
    if family not in families:
        raise InvalidValueError(
            f"{where}: family={family!r} is not a crmkit CLV model; expected one of "
            f"{sorted(families)}."
        )
    cls = families[family]
    names, has_unit = _model_fields(cls)
    params = _require(body, "params", where)
    if not isinstance(params, Mapping):
        raise InvalidValueError(f"{where}: params is {params!r}; expected a dictionary.")
    missing = sorted(set(names) - set(params))
    extra = sorted(set(params) - set(names))
    if missing or extra:
        raise InvalidValueError(
            f"{where}: a {family} has the parameters {names}; missing {missing}, "
            f"unexpected {extra}."
        )
    kwargs: dict[str, Any] = {
        n: _decode_float(params[n], f"{where} parameter {n!r}") for n in names
    }
    if has_unit:
        unit = body.get("time_unit")
        if unit is not None and not isinstance(unit, str):
            raise InvalidValueError(f"{where}: time_unit={unit!r} must be a string or null.")
        kwargs["time_unit"] = unit
    return cls(**kwargs)


def _int_field(data: Mapping[str, Any], key: str, minimum: int) -> int:
    value = _require(data, key, "the fit result")
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(
            f"the fit result's {key}={value!r} must be a whole number >= {minimum}."
        )
    return value


def _str_list(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = _require(data, key, "the fit result")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValueError(f"the fit result's {key}={value!r} must be a list of strings.")
    return tuple(value)


def _fit_from_dict(data: Mapping[str, Any]) -> Any:
    FitResult = _REGISTRY["FitResult"]  # the class, registered when it is defined
    model = _model_from_body(_require(data, "model", "the fit result"), "the fit result's model")
    names = _str_list(data, "param_names")
    raw = _require(data, "estimates", "the fit result")
    if not isinstance(raw, list) or len(raw) != len(names):
        raise InvalidValueError(
            f"the fit result's estimates={raw!r} must be a list of {len(names)} numbers "
            "(one per name in param_names)."
        )
    estimates = tuple(_decode_float(v, f"estimate {n!r}") for n, v in zip(names, raw, strict=True))
    cov_raw = _require(data, "covariance", "the fit result")
    k = len(names)
    if not (
        isinstance(cov_raw, list)
        and len(cov_raw) == k
        and all(isinstance(row, list) and len(row) == k for row in cov_raw)
    ):
        raise InvalidValueError(f"the fit result's covariance must be a {k} x {k} list of lists.")
    cov = np.array(
        [[_decode_float(v, "a covariance entry") for v in row] for row in cov_raw],
        dtype=np.float64,
    ).reshape(k, k)
    converged = _require(data, "converged", "the fit result")
    if not isinstance(converged, bool):
        raise InvalidValueError(f"the fit result's converged={converged!r} must be true or false.")
    message = _require(data, "message", "the fit result")
    if not isinstance(message, str):
        raise InvalidValueError(f"the fit result's message={message!r} must be a string.")
    return FitResult(
        model=model,
        log_likelihood=_decode_float(
            _require(data, "log_likelihood", "the fit result"), "log_likelihood"
        ),
        param_names=names,
        estimates=estimates,
        covariance=cov,
        n_customers=_int_field(data, "n_customers", 0),
        n_unique=_int_field(data, "n_unique", 0),
        converged=converged,
        iterations=_int_field(data, "iterations", 0),
        message=message,
        at_boundary=_str_list(data, "at_boundary"),
    )


def from_dict(data: Mapping[str, Any]) -> Any:
    """Rebuild a model or fit result from :func:`to_dict`'s dictionary.

    Parameters
    ----------
    data : mapping
        A dictionary made by :func:`to_dict` (or read back from :func:`to_json`'s text).

    Returns
    -------
    model or FitResult
        An object equal to the one saved.

    Raises
    ------
    InvalidValueError
        If ``data`` is not a crmkit document, has a newer schema, names an unknown
        family, or has missing, extra or mistyped entries (the message names which).

    Examples
    --------
    >>> from crmkit.clv import GammaGamma
    >>> from_dict(
    ...     {
    ...         "crmkit": {"schema": 1},
    ...         "kind": "model",
    ...         "family": "GammaGamma",
    ...         "params": {"p": 6.25, "q": 3.74, "v": 15.44},
    ...     }
    ... )
    GammaGamma(p=6.25, q=3.74, v=15.44)
    """
    kind = _check_header(data)
    if kind == "fit_result":
        return _fit_from_dict(data)
    return _model_from_body(data, "the document")


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """Return :func:`to_dict`'s dictionary as standard JSON text.

    Examples
    --------
    >>> from crmkit.clv import ParetoNBD
    >>> text = to_json(ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67))
    >>> from_json(text)
    ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit=None)
    """
    if indent is not None and (
        isinstance(indent, bool) or not isinstance(indent, int) or not 0 <= indent <= 16
    ):
        raise InvalidValueError(
            f"indent={indent!r} must be None (one line) or a whole number of spaces 0..16."
        )
    return json.dumps(to_dict(obj), indent=indent, allow_nan=False)


def from_json(text: str | bytes) -> Any:
    """Rebuild a model or fit result from :func:`to_json`'s text.

    Raises
    ------
    InvalidValueError
        If ``text`` is not JSON (the message gives the position) or not a crmkit
        document (see :func:`from_dict`).
    """
    if not isinstance(text, str | bytes):
        raise InvalidValueError(
            f"from_json() takes the text to_json() wrote, got {type(text).__name__}; to read "
            "a file, pass Path(file).read_text()."
        )
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidValueError(f"the text is not valid JSON: {exc}.") from None
    return from_dict(data)


class Persistable:
    """Mixin: ``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json`` on a class."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # attrs' slotted classes are created twice; the last definition (the real class) wins
        registered = _FAMILY_NAMES | {"FitResult"}
        if cls.__name__ in registered and cls.__module__.startswith("crmkit.clv."):
            _REGISTRY[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        """Return this object as a dictionary of JSON types (see ``from_dict``)."""
        return to_dict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """Return this object as standard JSON text (see ``from_json``)."""
        return to_json(self, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an object of this class from ``to_dict``'s dictionary."""
        obj: Self = _checked(cls, from_dict(data))
        return obj

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Rebuild an object of this class from ``to_json``'s text."""
        obj: Self = _checked(cls, from_json(text))
        return obj


def _checked(cls: type[Any], obj: Any) -> Any:
    if not isinstance(obj, cls):
        raise InvalidValueError(
            f"the document holds a {type(obj).__name__}, not a {cls.__name__}; load it with "
            f"{type(obj).__name__}.from_dict() or crmkit.clv.from_dict()."
        )
    return obj
