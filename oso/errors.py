"""The root of every error osokit raises on purpose, so a caller can tell them from bugs.

::

    OsokitError
    ├── UserError              what the user asked for or gave cannot be used: osokit's CLI prints the
    │   │                      message as one line and exits 2 (a usage or setup error)
    │   ├── ScenarioError (ChangeRefused), FaultProfileError, CohortError (CaseError), SchemaError,
    │   ├── PkiError, ServeError, SetupError, AdapterError (Unreachable), LoadError, SloError, DemandError,
    │   ├── ResultsError, BrowserError
    │   └── UsageError         arguments that cannot be used (osokit.cli)
    ├── OsoFault               a protocol refusal with a catalogue code (oso.faults); among them
    │                          StoreUnavailable (simulator.store) and InjectedFault (simulator.faultinject)
    ├── XmlError, CodecError   a document that cannot be read (oso.parsing, oso.codec)
    ├── BadRequest, BadQuery, RunError   a 4xx of the admin and control APIs, the pages, a run
    │                          started from the browser (simulator.admin, .pages, .runs)
    ├── NotSupported           an adapter cannot do that, so the check is not testable (conformance.adapter)
    ├── CheckFailed            a rule the LAS broke (conformance.expect); NotADossier (conformance.compare)
    ├── WireAnswer             a faulty hosted LAS answers no SOAP message at all (simulator.faultinject)
    ├── ConformanceError, TransportError, Refused   a load run's broken answer (load.checks, load.capacityfile)
    ├── ReportError            capacity.json does not match its schema: osokit's bug (load.report)
    └── SchemaFeatureError     the results checker lacks a schema keyword: osokit's bug (reports.results)

Not errors, so not under the root: ``conformance.expect.NotTestable``, a pytest skip (an outcome).

Errors that are also a built-in kind (ValueError, RuntimeError) keep that base too, so existing
``except ValueError`` code still catches them.
"""

from __future__ import annotations


class OsokitError(Exception):
    """An error osokit raised on purpose, with a message that says what and where."""


class UserError(OsokitError):
    """What the user asked for or gave cannot be used; the CLI prints it as one line, exit code 2."""
