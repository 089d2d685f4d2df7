from pathlib import Path

import pytest

from oso import faults
from oso.faults import OsoFault

DOC = Path(__file__).resolve().parents[2] / "docs" / "transport.md"


def test_codes_are_unique_and_complete():
    assert all(code == spec.code for code, spec in faults.CATALOGUE.items())
    assert all(spec.http_status in (405, 415, 500) for spec in faults.CATALOGUE.values())
    assert set(faults.RESULTATEN) - {faults.GESLAAGD} <= set(faults.CATALOGUE)


def test_every_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    missing = [code for code in faults.CATALOGUE if f"`{code}`" not in text]
    assert not missing, f"docs/transport.md lacks {missing}"


def test_best_result_prefers_success_then_the_last_of_equals():
    assert (
        faults.best_result(["DossierNietGevonden", "OverdrachtGeslaagd", "DossierNietGereed"]) == "OverdrachtGeslaagd"
    )
    assert faults.best_result(["AanleverpuntOnbereikbaar", "DossierNietGereed"]) == "DossierNietGereed"
    with pytest.raises(ValueError):
        faults.best_result([])


def test_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="not in the catalogue"):
        OsoFault("Bestaatniet")
    assert str(OsoFault(faults.SESSIE_ONBEKEND, "no x", where="sessieId")) == "SessieOnbekend: no x (at sessieId)"
