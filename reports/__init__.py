"""Reports of conformance runs: JUnit XML for CI, versioned JSON, a self-contained HTML page."""
