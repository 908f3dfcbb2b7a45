"""Regenerate codes_iban_stdnum.json and codes_iran_persian_tools.json.

The vectors are read from the published test files of two reference libraries, from
local git checkouts whose paths are given on the command line:

    python make_codes_vectors.py PATH/TO/python-stdnum PATH/TO/persian-tools

* python-stdnum (https://github.com/arthurdejong/python-stdnum), ``tests/test_iban.doctest``:
  the IBAN Registry sample numbers (valid) and the mangled numbers (invalid), grouped as
  the doctest groups them.
* persian-tools (https://github.com/persian-tools/persian-tools),
  ``test/verifyIranianNationalId.spec.ts``, ``test/verifyIranianLegalId.spec.ts`` and
  ``test/sheba.spec.ts``: every ``expect(f("...")).toBe(true|false)`` /
  ``toBeTruthy`` / ``toBeFalsy`` with a string argument (numeric arguments are skipped:
  crmkit takes codes as text only; commented-out expectations are skipped).

Only the standard library is used; the commit of each checkout is recorded.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _commit(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _show(repo: Path, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def stdnum_groups(text: str) -> list[list[str]]:
    """The ``numbers = '''...'''`` blocks of the doctest, in order."""
    groups = []
    for block in re.findall(r">>> numbers = '''\n(.*?)\.\.\. '''", text, flags=re.S):
        lines = [line[4:].strip() for line in block.splitlines() if line.startswith("... ")]
        groups.append([line for line in lines if line])
    return groups


def iban(stdnum: Path) -> dict[str, object]:
    path = "tests/test_iban.doctest"
    groups = stdnum_groups(_show(stdnum, path))
    version = re.search(r"__version__ = '([^']+)'", _show(stdnum, "stdnum/__init__.py"))
    release = version.group(1) if version else "unknown"
    valid, checksum, length, structure, national = groups
    return {
        "description": "IBAN test vectors of python-stdnum, checked against crmkit.codes.IBAN "
        "(default check_country=True: SWIFT IBAN Registry length and BBAN structure) and "
        "IbanScheme(check_country=False) (generic ISO 13616 structure and check digits).",
        "source": f"python-stdnum {release} (development tree after the {release} release), "
        f"{path}, https://github.com/arthurdejong/python-stdnum commit {_commit(stdnum)}",
        "tolerance": "exact (valid / invalid verdict)",
        "inputs": "IBANs as printed in the doctest (spaces, dashes, lower case kept)",
        "groups": {
            "registry_samples_valid": valid,
            "broken_checksum_invalid": checksum,
            "wrong_length_invalid": length,
            "bad_characters_or_unknown_country_invalid": structure,
            "national_check_failures": {
                "codes": national,
                "note": "python-stdnum rejects these with its default national (ES) "
                "account checks and accepts them with check_country=False; crmkit has no "
                "national account checks, so it accepts them (registry structure and check "
                "digits are right).",
            },
            "unknown_country_or_empty_bban_invalid": ["0001", "XX431234"],
        },
        "crmkit_issue_examples_invalid": ["XX4212345678901234", "DE543704004405320130001"],
    }


def _expectations(text: str, func: str) -> list[tuple[str, bool, dict[str, object]]]:
    pat = re.compile(
        rf'expect\({func}\("([^"]*)"(?:,\s*(\{{[^}}]*\}}))?\)\)\.'
        r"(toBe\((true|false)\)|toBeTruthy\(\)|toBeFalsy\(\)|not\.toBeFalsy\(\))"
    )
    live = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    out = []
    for code, opts, verdict, tf in pat.findall(live):
        ok = tf == "true" if tf else verdict in ("toBeTruthy()", "not.toBeFalsy()")
        options = {"checkPrefix": "true" in opts} if opts else {}
        out.append((code, ok, options))
    return out


def iran(tools: Path) -> dict[str, object]:
    commit = _commit(tools)
    files = {
        "national_id": ("test/verifyIranianNationalId.spec.ts", "verifyIranianNationalId"),
        "legal_id": ("test/verifyIranianLegalId.spec.ts", "verifyIranianLegalId"),
        "sheba": ("test/sheba.spec.ts", "isShebaValid"),
    }
    groups: dict[str, object] = {}
    for name, (path, func) in files.items():
        rows = _expectations(_show(tools, path), func)
        groups[name] = {
            "source": f"persian-tools {path} ({func})",
            "valid": sorted({c for c, ok, _ in rows if ok}),
            "invalid": sorted({c for c, ok, _ in rows if not ok}),
            "with_options": [{"code": c, "valid": ok, "options": o} for c, ok, o in rows if o],
        }
    version = json.loads(_show(tools, "package.json"))["version"]
    return {
        "description": "Iranian national ID, legal ID and Sheba vectors of persian-tools, "
        "checked against crmkit (national IDs with accept_unpadded=True because "
        "persian-tools pads 8- and 9-digit input; Sheba with crmkit.codes.SHEBA). "
        "persian-tools' default also checks the national-ID city prefix against its own "
        "list (checkPrefix); crmkit has no prefix list, so the test also asserts that no "
        "vector depends on the prefix alone.",
        "source": f"persian-tools {version}, https://github.com/persian-tools/persian-tools "
        f"commit {commit}; rules in src/modules/nationalId/index.ts (repeated digits and "
        "an all-zero middle six rejected) and src/modules/legalId/index.ts",
        "tolerance": "exact (valid / invalid verdict)",
        "inputs": "string arguments of the spec files; numeric arguments skipped",
        "groups": groups,
    }


def main(argv: list[str]) -> None:
    stdnum, tools = Path(argv[1]), Path(argv[2])
    for name, data in (
        ("codes_iban_stdnum.json", iban(stdnum)),
        ("codes_iran_persian_tools.json", iran(tools)),
    ):
        (HERE / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main(sys.argv)
