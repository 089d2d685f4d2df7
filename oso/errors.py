"""The root of every error osokit raises on purpose, so a caller can tell them from bugs.

::

    OsokitError
    ├── UserError                what the user asked for or gave cannot be used: the CLI prints the
    │   │                        message as one line and exits 2 (usage or setup error)
    │   ├── ScenarioError, FaultProfileError, CaseError, SchemaError, PkiError, ServeError,
    │   ├── SetupError, AdapterError, LoadError, SloError, ResultsError, BrowserError
    │   └── UsageError           (osokit.cli: bad arguments)
    ├── OsoFault                 a protocol refusal with a catalogue code (oso.faults)
    ├── XmlError, CodecError     a document that cannot be read (oso.parsing, oso.codec)
    ├── BadRequest               the admin and control APIs' 4xx (simulator.admin)
    ├── NotSupported             an adapter cannot do that: the check is skipped (conformance.adapter)
    └── ConformanceError, TransportError   a load run's non-conformant answer (load.checks)

Errors that are also a built-in kind (ValueError, RuntimeError) keep that base too, so existing
``except ValueError`` code still catches them.
"""

from __future__ import annotations


class OsokitError(Exception):
    """An error osokit raised on purpose, with a message that says what and where."""


class UserError(OsokitError):
    """What the user asked for or gave cannot be used; the CLI prints it as one line, exit code 2."""
