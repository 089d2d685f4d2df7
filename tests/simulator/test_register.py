import pytest

from simulator.register import DEFAULT_SCENARIO, ScenarioError, load_scenario, parse_scenario


def test_default_scenario_has_regions_pupils_and_reference_endpoints():
    s = load_scenario(None)
    sectors = {school.sector for school in s.register.schools.values()}
    assert {"po", "vo"} <= sectors and len({sc.region for sc in s.register.schools.values()}) == 5
    assert all(e.reference for e in s.register.endpoints.values())
    assert {p.label for p in s.pupils} >= {"povo", "popo", "vovo", "binnenbrin", "verzameldatum", "old-invalid"}
    assert s.source == str(DEFAULT_SCENARIO)


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
        ("[[vendor]]\nid = 'Vendor A'", "vendor 1: id must be lowercase"),
        ("[[pupil]]\nprofile = 'povo'", "every pupil needs a label"),
        ("[[pupil]]\nlabel = 'x'\nprofile = 'mbo'", "'mbo' is not a valid Profile"),
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
