"""The conformance suite: a pytest plugin that certifies a vendor LAS rule by rule."""
