"""The conformance checks, one pytest module per role. Each check names the rule it verifies."""
