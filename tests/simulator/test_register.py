import pytest

from simulator.register import (
    DEFAULT_SCENARIO,
    ChangeRefused,
    NewSchool,
    NewVendor,
    ScenarioError,
    Vendor,
    load_scenario,
    parse_change,
    parse_scenario,
    stored_change,
)


def test_default_scenario_has_regions_pupils_and_reference_endpoints():
    s = load_scenario(None)
    sectors = {school.sector for school in s.register.schools.values()}
    assert {"po", "vo"} <= sectors and len({sc.region for sc in s.register.schools.values()}) == 5
    assert all(e.reference for e in s.register.endpoints.values())
    assert {p.label for p in s.pupils} >= {"povo", "popo", "vovo", "binnenbrin", "poswv", "voswv", "old-invalid"}
    assert s.source == str(DEFAULT_SCENARIO)


def test_every_region_has_a_samenwerkingsverband():
    s = load_scenario(None)
    swv = [school for school in s.register.schools.values() if school.sector == "swv"]
    assert sorted(school.region for school in swv) == sorted({school.region for school in s.register.schools.values()})
    assert all(e.doel == "SWV" for school in swv for e in s.register.endpoints_of(school.brin))
    few = parse_scenario('[register]\nsynthetic_regions = ["Noord"]')
    assert [school.region for school in few.register.schools.values() if school.sector == "swv"] == ["Noord"]


def test_a_vendor_school_with_its_own_endpoint():
    s = parse_scenario("""
[[vendor]]
id = "vendor-a"
number = 42
[[school]]
brin = "12AB"
sector = "vo"
vendor = "vendor-a"
[[school.endpoint]]
url = "https://127.0.0.1:9443/oso"
""")
    (endpoint,) = s.register.endpoints_of("12AB")
    assert endpoint.routeringskenmerk == "000000004212AB000001" and not endpoint.reference
    assert s.register.mandated("vendor-a", "12AB") and not s.register.mandated("reference", "12AB")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[settings]\nclock_start = 'tomorrow'", "settings.clock_start: 'tomorrow' is not a date-time"),
        ("[settings]\ncolor = 1", "settings: unknown key(s) color"),
        ("[settings.cohort]\npovovo = 3", "'povovo' is not a profile"),
        ("[[school]]\nbrin = '1'", "school 1: brin '1' / vestiging '00' are not a BRIN"),
        ("[[school]]\nbrin = '12AB'\nvendor = 'nobody'", "vendor 'nobody' is not declared"),
        ("[[school]]\nbrin = '12AB'\n[[school.endpoint]]\nurl = 'ftp://x'", "must be http(s)"),
        ("[[vendor]]\nid = 'Vendor A'", "vendor 1: a vendor id is lowercase"),
        ("[[vendor]]\nid = 'osokit-admin'", "vendor 1: 'osokit-admin' is the admin certificate's name"),
        ("[[pupil]]\nprofile = 'povo'", "every pupil needs a label"),
        ("[[pupil]]\nlabel = 'x'\nprofile = 'povo'\nbeside = 'y'", "pupil 1: beside 'y' must name an earlier povo"),
        ("[[pupil]]\nlabel = 'x'\nprofile = 'mbo'", "'mbo' is not a valid Profile"),
        ("[settings.calendar.oost]\nklaarzetten = 2026-03-01", "'oost' is not a holiday region (noord, midden, zuid)"),
        ("[settings.calendar.noord]\nklaarzetten = '2026-03-01'", "settings.calendar.noord.klaarzetten: '2026-03-01'"),
        ("[settings.calendar.noord]\nophalen = [2026-04-01, 2026-03-01]", "give [first day, last day] as dates"),
        ("[settings.calendar.noord]\nklaarzetten = 2026-03-01\nzomervakantie = 2026-08-15", "of one school year"),
        ("[settings.calendar.noord]\nkerst = 2026-12-20", "unknown key(s) kerst"),
        ("this is not toml", "<scenario>:"),
    ],
)
def test_scenario_errors_name_file_entry_and_field(text, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="No such file"):
        load_scenario(tmp_path / "none.toml")


# --- register changes (the admin API's) ---------------------------------------------------------


def _register():
    return load_scenario(None).register


def test_a_school_change_is_checked_completed_and_stored_as_it_applies():
    register = _register()
    register.apply(parse_change({"kind": "vendor", "id": "vendor-a", "number": 7}, register))
    change = parse_change(
        {"kind": "school", "brin": "12AB", "vendor": "vendor-a", "endpoints": [{"url": "http://127.0.0.1:9/oso"}]},
        register,
    )
    assert isinstance(change, NewSchool) and change.endpoints[0].routeringskenmerk == "000000000712AB000001"
    register.apply(change)
    assert register.endpoints_of("12AB")[0].url == "http://127.0.0.1:9/oso" and register.mandated("vendor-a", "12AB")
    assert stored_change(change.as_dict(), _with_vendor_a()) == change  # what is kept is what applied


def _with_vendor_a():
    register = _register()
    register.apply(NewVendor(Vendor("vendor-a", "vendor-a", 7)))
    return register


@pytest.mark.parametrize(
    ("data", "says", "missing"),
    [
        ({"kind": "vendor", "id": "Vendor A", "number": 7}, "lowercase letters", False),
        ({"kind": "vendor", "id": "osokit-admin", "number": 7}, "the admin certificate's name", False),
        ({"kind": "vendor", "id": "vendor-a", "number": True}, "needs a number", False),
        ({"kind": "school", "brin": "12AB", "vendor": "nobody"}, "not in the register", False),
        ({"kind": "endpoint", "routeringskenmerk": "X" * 20, "active": False}, "no such routeringskenmerk", True),
        ({"kind": "endpoint-add", "brin": "99ZZ"}, "no school 99ZZ", False),
        (["kind", "vendor"], "JSON object", False),
        ({"kind": "nonsense"}, "kind must be vendor, school, endpoint or endpoint-add", False),
    ],
)
def test_a_bad_change_is_refused_with_what_is_wrong(data, says, missing):
    with pytest.raises(ChangeRefused) as refused:
        parse_change(data, _register())
    assert says in str(refused.value) and refused.value.missing is missing


def test_changes_stored_by_earlier_versions_still_load():
    """Earlier osokit kept the admin's dict as it came, defaults left out."""
    register = _register()
    brin = next(iter(register.schools))
    for data in (
        {"kind": "vendor", "id": "vendor-a", "number": 7},
        {
            "kind": "school",
            "brin": "12AB",
            "vendor": "vendor-a",
            "endpoints": [{"routeringskenmerk": "000000000712AB000001"}],
        },
        {"kind": "endpoint-add", "brin": brin, "routeringskenmerk": "00000000019ZZZ000002"},
        {"kind": "endpoint", "routeringskenmerk": "000000000712AB000001", "active": False},
    ):
        register.apply(stored_change(data, register))
    (school_ap,) = register.endpoints_of("12AB", active_only=False)
    assert (school_ap.url, school_ap.doel, school_ap.active) == ("reference", "LAS", False)
    assert register.schools["12AB"].sector == "po" and register.vendors["vendor-a"].name == "vendor-a"
    assert register.endpoints["00000000019ZZZ000002"].brin == brin


def test_the_stored_form_of_each_change_round_trips():
    register = _register()
    rk = next(iter(register.endpoints))
    brin = next(iter(register.schools))
    for change in (
        parse_change({"kind": "vendor", "id": "v-b", "number": 9, "name": "V B"}, register),
        parse_change({"kind": "endpoint", "routeringskenmerk": rk, "active": False}, register),
        parse_change({"kind": "endpoint-add", "brin": brin, "url": "https://127.0.0.1:9/x"}, register),
    ):
        assert stored_change(change.as_dict(), register) == change


def test_a_pupil_beside_another_is_at_its_bron_school():
    text = "[register]\nsynthetic_regions = ['Noord', 'Midden', 'Zuid']\n" + "\n".join(
        f"[[pupil]]\nlabel = '{label}'\nprofile = 'povo'\n{extra}"
        for label, extra in (("a", ""), ("b", "beside = 'a'"), ("c", "beside = 'a'"), ("d", ""))
    )
    from oso import zoeksleutel
    from simulator.pupils import Catalogue

    pupils = Catalogue(parse_scenario(text), zoeksleutel.make("hmac-sha256", b"k" * 32)).by_key
    assert pupils["b"].school == pupils["c"].school == pupils["a"].school
    assert len({pupils[x].index for x in "abcd"}) == 4 and len({pupils[x].pgn for x in "abcd"}) == 4
