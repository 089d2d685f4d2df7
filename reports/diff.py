"""What changed between two runs: the question a vendor asks after every fix ("did I break anything?").

Checks are matched by id (the pytest node id, stable across runs of the same osokit), rules by
rule id. "Failing" means failed or error. A check that went from failing to skipped is neither
newly passing nor newly failing: it is listed with the other outcome changes, because a check
that stopped running has not been fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.results import Check, Results
from reports.text import first_line

_SYMBOL = {"passed": "✔", "failed": "✘", "skipped": "⊘", "error": "⚠"}


@dataclass(frozen=True, slots=True)
class CheckChange:
    """One check present in both runs whose outcome changed."""

    id: str
    rule: str
    level: str
    old: str
    new: str
    message: str | None


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule whose result changed, or that is in only one run (``None`` on the missing side)."""

    id: str
    level: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Diff:
    """The differences from ``old`` to ``new``; every tuple is in the new run's order (old's for removed)."""

    old_run: str
    new_run: str
    old_verdict: str
    new_verdict: str
    newly_failing: tuple[CheckChange, ...]
    newly_passing: tuple[CheckChange, ...]
    changed: tuple[CheckChange, ...]
    added: tuple[Check, ...]
    removed: tuple[Check, ...]
    rules_changed: tuple[RuleChange, ...]
    notes: tuple[str, ...]

    @property
    def regressed(self) -> bool:
        """Something that passed (or did not exist) now fails: a reason for ``osokit report diff`` to exit 1."""
        return bool(self.newly_failing) or any(c.failing for c in self.added)

    @property
    def empty(self) -> bool:
        return not (
            self.newly_failing or self.newly_passing or self.changed or self.added or self.removed or self.rules_changed
        )


def diff(old: Results, new: Results) -> Diff:
    """Compare two runs check by check and rule by rule."""
    old_checks = {c.id: c for c in old.checks}
    new_ids = {c.id for c in new.checks}
    newly_failing, newly_passing, changed = [], [], []
    for check in new.checks:
        before = old_checks.get(check.id)
        if before is None or before.outcome == check.outcome:
            continue
        change = CheckChange(check.id, check.rule, check.level, before.outcome, check.outcome, check.message)
        if check.failing and not before.failing:
            newly_failing.append(change)
        elif before.failing and check.outcome == "passed":
            newly_passing.append(change)
        else:
            changed.append(change)
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    rules_changed = [
        RuleChange(r.id, r.level, old_rules[r.id].result if r.id in old_rules else None, r.result)
        for r in new.rules
        if r.id not in old_rules or old_rules[r.id].result != r.result
    ]
    rules_changed += [RuleChange(r.id, r.level, r.result, None) for r in old.rules if r.id not in new_rules]
    return Diff(
        old_run=old.run.id,
        new_run=new.run.id,
        old_verdict=old.summary.verdict,
        new_verdict=new.summary.verdict,
        newly_failing=tuple(newly_failing),
        newly_passing=tuple(newly_passing),
        changed=tuple(changed),
        added=tuple(c for c in new.checks if c.id not in old_checks),
        removed=tuple(c for c in old.checks if c.id not in new_ids),
        rules_changed=tuple(rules_changed),
        notes=tuple(_notes(old, new)),
    )


def _notes(old: Results, new: Results) -> list[str]:
    """Differences in setup that make outcome changes less comparable."""
    notes = []
    for label, a, b in (
        ("seed", old.run.seed, new.run.seed),
        ("target", old.run.target, new.run.target),
        ("mutant", old.run.mutant, new.run.mutant),
    ):
        if a != b:
            notes.append(f"different {label}: {a} -> {b}")
    for name in sorted(set(old.run.versions) | set(new.run.versions)):
        a, b = old.run.versions.get(name, "-"), new.run.versions.get(name, "-")
        if a != b:
            notes.append(f"{name} {a} -> {b}")
    return notes


def render_diff_text(d: Diff) -> str:
    """The diff for a terminal: one section per kind of change, empty sections left out."""
    lines = [
        f"old: run {d.old_run}  verdict {d.old_verdict.upper()}",
        f"new: run {d.new_run}  verdict {d.new_verdict.upper()}",
    ]
    lines += [f"note: {n}" for n in d.notes]
    if d.old_verdict != d.new_verdict:
        lines.append(f"verdict: {d.old_verdict.upper()} -> {d.new_verdict.upper()}")
    sections: list[tuple[str, list[str]]] = [
        ("newly failing", [_change_line(c) for c in d.newly_failing]),
        ("newly passing", [_change_line(c) for c in d.newly_passing]),
        ("other outcome changes", [_change_line(c) for c in d.changed]),
        ("added checks", [_check_line(c) for c in d.added]),
        ("removed checks", [_check_line(c) for c in d.removed]),
        (
            "rules changed",
            [f"  {r.id} ({r.level}): {r.old or '(absent)'} -> {r.new or '(absent)'}" for r in d.rules_changed],
        ),
    ]
    for title, body in sections:
        if body:
            lines += ["", f"{title} ({len(body)}):", *body]
    lines.append("")
    if d.empty:
        lines.append("no differences in check outcomes or rule results")
    else:
        lines.append(
            f"{len(d.newly_failing)} newly failing, {len(d.newly_passing)} newly passing, {len(d.changed)} other "
            f"changes, {len(d.added)} added, {len(d.removed)} removed, {len(d.rules_changed)} rules changed"
        )
    return "\n".join(lines) + "\n"


def _change_line(c: CheckChange) -> str:
    line = f"  {_SYMBOL[c.new]} {c.rule} ({c.level})  {c.id}  {c.old} -> {c.new}"
    message = first_line(c.message, 160) if c.new != "passed" else ""
    return line + (f"\n      {message}" if message else "")


def _check_line(c: Check) -> str:
    return f"  {_SYMBOL[c.outcome]} {c.rule} ({c.level})  {c.id}  {c.outcome}"
