"""The OSO protocol core: pure, no I/O, imports nothing else of osokit.

One module per concept: identifiers, namespaces, parsing (the hardened XML chokepoint), schema
(which XSD set to use), dossier (the typed model), codec (model <-> XML), profiles (transfer
profiles and categories), rules (business rules by id), validation (all of it on one parse).
"""
