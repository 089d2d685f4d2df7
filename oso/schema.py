"""Loading XML schemas: osokit's own set by default, or the official files a user holds.

osokit ships its own schema set per namespace (``oso/schemas/``). Users who hold the official
Edustandaard or Kennisnet files point ``schema_dir`` at them; osokit then finds the file that
declares the wanted namespace and root element and uses it instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from oso.errors import UserError
from oso.namespaces import DOSSIER, XSD
from oso.parsing import XmlError, parse_file

SCHEMA_ROOT = Path(__file__).parent / "schemas"
OWN_DOSSIER_XSD = SCHEMA_ROOT / "gegevensset-2019.1" / "dossier.xsd"


class SchemaError(UserError):
    """A schema directory or file that cannot be used; the message says which and why."""


def _declares(path: Path, namespace: str, element: str) -> bool:
    try:
        root = parse_file(path)
    except (XmlError, OSError):
        return False
    if root.tag != f"{{{XSD}}}schema" or root.get("targetNamespace") != namespace:
        return False
    return any(e.get("name") == element for e in root.iterfind(f"{{{XSD}}}element"))


def find_schema_file(schema_dir: Path, namespace: str, element: str) -> Path:
    """The .xsd file in schema_dir (searched recursively) that declares ``element`` in ``namespace``."""
    if not schema_dir.is_dir():
        raise SchemaError(f"{schema_dir}: not a directory")
    for path in sorted(schema_dir.rglob("*.xsd")):
        if _declares(path, namespace, element):
            return path
    raise SchemaError(f"{schema_dir}: no .xsd file declares element '{element}' in namespace {namespace}")


@cache
def load(path: Path) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(parse_file(path))
    except (XmlError, etree.XMLSchemaParseError, OSError) as exc:
        raise SchemaError(f"{path}: cannot be used as a schema: {exc}") from None


def dossier_schema(schema_dir: Path | None = None) -> etree.XMLSchema:
    """The dossier schema: osokit's own, or the official one found in schema_dir."""
    if schema_dir is None:
        return load(OWN_DOSSIER_XSD)
    return load(find_schema_file(schema_dir, DOSSIER, "dossier"))
