"""What recall's SQL says differently on SQLite and PostgreSQL: the one seam between them.

The store writes portable SQL (standard aggregates with ``FILTER``, ``CASE``, ``COALESCE``,
joins, ``UPDATE ... FROM``) and takes from here the fragments no standard covers: arithmetic on
stored times, the review day of a stored time in the local zone, truncation and the scalar
smaller/larger of two values, the forgetting curve, and the triggers that keep each card's
answer counters.

Each function takes the dialect as ``name``, SQLAlchemy's name for it (``engine.dialect.name``,
``op.get_bind().dialect.name``): :data:`SQLITE` or :data:`POSTGRESQL`. It defaults to SQLite's
because the store's queries are SQLite's still beyond this seam (docs/postgres.md lists where);
a store module passes its engine's name when it is ported, the migrations pass theirs already.

Stored times: SQLite keeps them as text, naive UTC with microseconds
(:func:`recall1924.store.base.time_text`), so every comparison of two times is a comparison of
text and every difference goes through ``julianday``. PostgreSQL keeps them in ``timestamp``
columns (``UTCDateTime`` is a ``DateTime`` without a zone), naive UTC too, and subtracts them
into intervals. Arguments named ``column`` or ``later``/``earlier`` are SQL expressions (a
column, a bind parameter) holding such times.

This module imports nothing of SQLAlchemy or the models, so a migration can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

__all__ = [
    "ANSWER_COUNTERS",
    "COUNTER_FUNCTION",
    "COUNTER_TRIGGERS",
    "MATURE_DAYS",
    "POSTGRESQL",
    "SQLITE",
    "Name",
    "answer_counts",
    "counted",
    "create_counter_triggers",
    "days_between",
    "drop_counter_triggers",
    "greatest",
    "json_rows",
    "least",
    "page_cache_size",
    "recount_answers",
    "retrievability",
    "review_day_shift",
    "review_days_to",
    "set_page_cache",
    "truncate",
    "unindexed",
]

Name = Literal["sqlite", "postgresql"]
"""A dialect this module writes for, by SQLAlchemy's name for it."""

SQLITE: Name = "sqlite"
POSTGRESQL: Name = "postgresql"

MATURE_DAYS = 21
"""An interval of at least this many days makes a review mature, as in Anki."""

ANSWER_COUNTERS = ("review_answers", "review_lapses", "mature_answers", "mature_lapses")
"""The card's counters of its scheduled answers given in the Review state (what true retention
counts): all of them, those rated Again, and both again at a mature interval."""

# The enum values the counters test, as the store writes them (ReviewKind.Review, State.Review,
# Rating.Again); written out so that this module needs no import (test_dialect checks them).
_KIND_REVIEW = 0
_STATE_REVIEW = 2
_AGAIN = 1


def days_between(later: str, earlier: str, *, name: Name = SQLITE) -> str:
    """SQL for the days (fractional) from the time ``earlier`` to ``later``; null when either
    is.

    SQLite: the difference of their Julian days (to the millisecond). PostgreSQL: the seconds
    of the interval between them over 86,400, as a double (``EXTRACT`` gives a numeric, which
    ``power`` would then compute in decimal).
    """
    if name == POSTGRESQL:
        return f"(CAST(EXTRACT(EPOCH FROM ({later}) - ({earlier})) AS double precision) / 86400)"
    return f"(julianday({later}) - julianday({earlier}))"


def review_day_shift(day_starts_at: int, *, name: Name = SQLITE) -> str:
    """The value of the ``:shift`` parameter :func:`review_days_to` reads: how far a local time
    moves back to its review day's date.

    SQLite: a date modifier (``'-4 hours'``). PostgreSQL: an interval's text
    (``'4 hours'``), which :func:`review_days_to` casts and subtracts.
    """
    if name == POSTGRESQL:
        return f"{day_starts_at} hours"
    return f"-{day_starts_at} hours"


def review_days_to(
    column: str,
    horizon: str = ":horizon",
    shift: str = ":shift",
    *,
    zone: str = ":zone",
    name: Name = SQLITE,
) -> str:
    """SQL for the whole review days from the one holding the time ``column`` to the review day
    ``horizon`` (a ``YYYY-MM-DD`` date), as ``scheduling.review_day`` counts them in Python: the
    time in the local zone, moved back by the day-start hour (``shift``, from
    :func:`review_day_shift`), is on its review day's date.

    SQLite: the Julian day of that local time, rounded down to its day by adding a half (Julian
    days begin at noon) and truncating: the same number as going through ``date()`` and back,
    without writing and parsing a date per card. ``'localtime'`` is the C library's zone, the
    one Python's ``astimezone()`` uses; ``zone`` is not read.

    PostgreSQL: the difference of two dates, the stored (naive UTC) time read as UTC and seen
    in ``zone``, an IANA zone name (``'Europe/Berlin'``): the server's own zone is not the
    student's, so the caller names it.
    """
    if name == POSTGRESQL:
        local = f"(({column}) AT TIME ZONE 'UTC' AT TIME ZONE {zone})"
        return f"(CAST({horizon} AS date) - CAST({local} - CAST({shift} AS interval) AS date))"
    return (
        f"(julianday({horizon}) + 0.5 - CAST(julianday({column}, 'localtime', {shift}) + 0.5 "
        "AS INTEGER))"
    )


def truncate(value: str, *, name: Name = SQLITE) -> str:
    """SQL for ``value`` truncated toward zero to an integer, as Python's ``int()``.

    SQLite: ``CAST(... AS INTEGER)`` truncates (not ``floor``, which SQLAlchemy replaces with a
    Python function). PostgreSQL: ``trunc`` first, as its ``CAST`` rounds.
    """
    if name == POSTGRESQL:
        return f"CAST(trunc({value}) AS integer)"
    return f"CAST({value} AS INTEGER)"


def greatest(first: str, second: str, *, name: Name = SQLITE) -> str:
    """SQL for the larger of two values. SQLite: scalar ``MAX(a, b)``; PostgreSQL:
    ``GREATEST(a, b)`` (``MAX`` there is only the aggregate)."""
    if name == POSTGRESQL:
        return f"GREATEST({first}, {second})"
    return f"MAX({first}, {second})"


def least(first: str, second: str, *, name: Name = SQLITE) -> str:
    """SQL for the smaller of two values. SQLite: scalar ``MIN(a, b)``; PostgreSQL:
    ``LEAST(a, b)``."""
    if name == POSTGRESQL:
        return f"LEAST({first}, {second})"
    return f"MIN({first}, {second})"


def retrievability(
    elapsed: str, *, native: bool, decay: str = ":decay", name: Name = SQLITE
) -> str:
    """SQL for ``scheduling.retrievability`` of the row's ``stability`` after ``elapsed`` days
    (an SQL expression, truncated to whole days here), on the forgetting curve of ``decay``.

    ``native``: written out with SQL's ``power``, no call into Python per card: the same IEEE
    operations in the same order, and the same C ``pow`` that Python's ``**`` calls, so the very
    same double. SQLite has ``power`` only when built with its math functions (Python's usually
    is; the stats store asks once per database); else the Python function
    ``fsrs_retrievability`` that :mod:`recall1924.db` registers on every connection.

    PostgreSQL: always native (``native`` is not read: no Python function is registered
    there), ``decay`` cast to a double so that every step is one.
    """
    if name == POSTGRESQL:
        decay = f"CAST({decay} AS double precision)"
    elif not native:
        return f"fsrs_retrievability({elapsed}, stability, {decay})"
    factor = f"(power(0.9, 1.0 / {decay}) - 1)"
    days = greatest("0", truncate(elapsed, name=name), name=name)
    curve = f"power(1 + {factor} * {days} / stability, {decay})"
    return f"CASE WHEN stability > 0 THEN {curve} ELSE 0.0 END"


def _lapse(row: str) -> str:
    return f"({row}rating = {_AGAIN})"


def _mature(row: str, name: Name) -> str:
    # Anki's interval is in whole days, rounded half away from zero: 20.5 days is 21 already.
    # Compared without rounding, so the interval is one subtraction per answer.
    between = days_between(f"{row}due_before", f"{row}last_review_before", name=name)
    false = "false" if name == POSTGRESQL else "0"
    return f"COALESCE({between} >= {MATURE_DAYS - 0.5}, {false})"


def _count(test: str, name: Name) -> str:
    """A truth value as 0 or 1: SQLite's comparisons are those integers already."""
    return f"CAST({test} AS integer)" if name == POSTGRESQL else test


def answer_counts(row: str = "", *, name: Name = SQLITE) -> tuple[str, str, str, str]:
    """SQL for one answer's part in each of :data:`ANSWER_COUNTERS` (the integer 0 or 1, given
    that it is a scheduled answer to a card in the Review state); ``row`` prefixes the
    review_log columns (``"NEW."``, ``"review_log."``).

    SQLite: a comparison is the integer 0 or 1. PostgreSQL: a boolean, cast to an integer (it
    neither sums booleans nor mixes them with integers).
    """
    lapse, mature = _lapse(row), _mature(row, name)
    both = f"({lapse} AND {mature})"
    return ("1", _count(lapse, name), _count(mature, name), _count(both, name))


def counted(row: str = "", *, by_index: bool = True, name: Name = SQLITE) -> str:
    """SQL that is true for an answer the counters count: a scheduled review (not practice, an
    edit or a reset) of a card in the Review state.

    ``by_index=False``: the test is not to be answered from an index (see :func:`unindexed`):
    for a query that finds its few answers by another one.
    """
    kind, state = f"{row}kind", f"{row}state_before"
    if not by_index:
        kind, state = unindexed(kind, name=name), unindexed(state, name=name)
    return f"({kind} = {_KIND_REVIEW} AND {state} = {_STATE_REVIEW})"


def json_rows(
    param: str,
    names: Sequence[str],
    *,
    types: Sequence[str] | None = None,
    name: Name = SQLITE,
) -> str:
    """SQL for a table whose rows come from one bound parameter, ``param``: a JSON array of
    arrays, the ``i``-th item of each row as the column ``names[i]``. One parameter for a list
    of any length: the statement reads the same for three days or three thousand, and the
    driver binds one value instead of thousands.

    SQLite: ``json_each`` and ``json_extract`` (its JSON functions, built in since 3.38 and in
    Python's own builds before), each value of its JSON type; ``types`` is not read.
    PostgreSQL: ``jsonb_array_elements``, the ``i``-th item as text cast to ``types[i]`` (an
    SQL type; text where not given), since PostgreSQL compares no text with a number or a time.
    """
    if name == POSTGRESQL:
        kinds = list(types or ()) + ["text"] * (len(names) - len(types or ()))
        columns = ", ".join(
            f"CAST(item ->> {index} AS {kind}) AS {column}"
            for index, (column, kind) in enumerate(zip(names, kinds, strict=True))
        )
        return f"(SELECT {columns} FROM jsonb_array_elements(CAST({param} AS jsonb)) AS item)"
    columns = ", ".join(
        f"json_extract(value, '$[{index}]') AS {column}" for index, column in enumerate(names)
    )
    return f"(SELECT {columns} FROM json_each({param}))"


def unindexed(column: str, *, name: Name = SQLITE) -> str:
    """``column``, written so that the planner does not look it up in an index.

    SQLite plans without statistics and prefers an index that matches an equality to one that
    matches a range, however many rows the equality matches: ``+column`` takes the column out
    of its choice. PostgreSQL plans from its statistics: the column as it is (there ``+`` would
    make it an expression, which a ``GROUP BY`` does not match).
    """
    return column if name == POSTGRESQL else f"+{column}"


def _change_counters(row: str, sign: str, name: Name) -> str:
    parts = answer_counts(row, name=name)
    sets = ", ".join(
        f"{counter} = {counter} {sign} {part}"
        for counter, part in zip(ANSWER_COUNTERS, parts, strict=True)
    )
    return f"UPDATE card SET {sets} WHERE id = {row}card_id AND {counted(row)};"


COUNTER_TRIGGERS = (
    "review_log_counters_insert",
    "review_log_counters_delete",
    "review_log_counters_update",
)

COUNTER_FUNCTION = "review_log_counters"
"""PostgreSQL's trigger function that the three :data:`COUNTER_TRIGGERS` run."""


def _moved(name: Name) -> str:
    """True for an update of an answer that changes its part in the counters."""
    # SQLite's IS NOT is null-safe; PostgreSQL's IS NOT only takes NULL, TRUE or FALSE.
    differs = " IS DISTINCT FROM " if name == POSTGRESQL else " IS NOT "
    old, new = counted("OLD."), counted("NEW.")
    mature_old, mature_new = _mature("OLD.", name), _mature("NEW.", name)
    times_moved = (
        f"(OLD.due_before{differs}NEW.due_before "
        f"OR OLD.last_review_before{differs}NEW.last_review_before)"
    )
    return (
        f"OLD.card_id{differs}NEW.card_id OR {old}{differs}{new} "
        f"OR ({new} AND ({_lapse('OLD.')}{differs}{_lapse('NEW.')} "
        f"OR ({times_moved} AND {mature_old}{differs}{mature_new})))"
    )


def create_counter_triggers(*, name: Name = SQLITE) -> Sequence[str]:
    """The statements that make the database keep each card's :data:`ANSWER_COUNTERS` as its
    answers are inserted, deleted or changed, by whatever writes them (a review, an undo, an
    import, a repair, a rewritten history).

    An update that leaves an answer's part in the counters as it was (a history rewritten with
    new parameters moves due times, rarely across the mature line) writes no card.

    SQLite: ``CREATE TRIGGER``. A later migration that rebuilds ``card`` or ``review_log`` (a
    batch copy) must drop these first and create them again after: SQLite checks the triggers'
    tables when one is renamed. PostgreSQL: one PL/pgSQL function (:data:`COUNTER_FUNCTION`)
    that takes the ``OLD`` answer out and puts the ``NEW`` one in, and the same three triggers,
    each with the same ``WHEN``, running it ``FOR EACH ROW``.
    """
    insert, delete, update = COUNTER_TRIGGERS
    columns = "card_id, kind, rating, state_before, due_before, last_review_before"
    if name == POSTGRESQL:
        # The body holds no colon and no percent sign: Alembic's text() and the driver pass it
        # through as written.
        body = (
            "BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_change_counters('OLD.', '-', name)} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_change_counters('NEW.', '+', name)} END IF; "
            "RETURN NULL; END"
        )
        run = f"FOR EACH ROW WHEN ({{when}}) EXECUTE FUNCTION {COUNTER_FUNCTION}()"
        return (
            f"CREATE FUNCTION {COUNTER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $body$ {body} $body$",
            f"CREATE TRIGGER {insert} AFTER INSERT ON review_log "
            + run.format(when=counted("NEW.")),
            f"CREATE TRIGGER {delete} AFTER DELETE ON review_log "
            + run.format(when=counted("OLD.")),
            f"CREATE TRIGGER {update} AFTER UPDATE OF {columns} ON review_log "
            + run.format(when=_moved(name)),
        )
    return (
        f"CREATE TRIGGER {insert} AFTER INSERT ON review_log WHEN {counted('NEW.')} "
        f"BEGIN {_change_counters('NEW.', '+', name)} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON review_log WHEN {counted('OLD.')} "
        f"BEGIN {_change_counters('OLD.', '-', name)} END",
        f"CREATE TRIGGER {update} AFTER UPDATE OF {columns} ON review_log WHEN {_moved(name)} "
        f"BEGIN {_change_counters('OLD.', '-', name)} {_change_counters('NEW.', '+', name)} END",
    )


def drop_counter_triggers(*, name: Name = SQLITE) -> Sequence[str]:
    """Undo :func:`create_counter_triggers`. PostgreSQL: ``DROP TRIGGER ... ON review_log``
    and then the function."""
    if name == POSTGRESQL:
        return (
            *(f"DROP TRIGGER IF EXISTS {trigger} ON review_log" for trigger in COUNTER_TRIGGERS),
            f"DROP FUNCTION IF EXISTS {COUNTER_FUNCTION}()",
        )
    return tuple(f"DROP TRIGGER IF EXISTS {trigger}" for trigger in COUNTER_TRIGGERS)


def recount_answers(*, name: Name = SQLITE) -> str:
    """One statement that sets every card's :data:`ANSWER_COUNTERS` from its answers (cards
    without a counted answer keep what they hold: 0 on a card added since the counters exist).

    Portable but for the parts of :func:`answer_counts` (integers on both, so ``SUM`` takes
    them): ``UPDATE ... FROM`` is SQLite 3.33's and PostgreSQL's.
    """
    sums = ", ".join(
        f"SUM({part}) AS {counter}"
        for counter, part in zip(ANSWER_COUNTERS, answer_counts(name=name), strict=True)
    )
    sets = ", ".join(f"{counter} = counts.{counter}" for counter in ANSWER_COUNTERS)
    return (
        f"UPDATE card SET {sets} FROM (SELECT card_id, {sums} FROM review_log "
        f"WHERE {counted()} GROUP BY card_id) AS counts WHERE card.id = counts.card_id"
    )


def page_cache_size(database: str) -> str | None:
    """SQL that reads the connection's page cache size, in the units :func:`set_page_cache`
    takes back; None where a connection has no cache of its own to size. ``database`` is
    SQLAlchemy's name for the dialect (``engine.dialect.name``).

    PostgreSQL: None (its shared buffers are the server's, sized in its configuration), already.
    """
    return "PRAGMA cache_size" if database == "sqlite" else None


def set_page_cache(size: int) -> str:
    """SQL that sets the connection's page cache: ``size`` as :func:`page_cache_size` read it,
    or, negative, in KiB. SQLite's own is 2 MiB, through which a big import's card indexes,
    filled in no order, are written out and read back again and again (a million cards: 2 s of
    the 9 their inserts take). PostgreSQL: not called (see :func:`page_cache_size`).
    """
    return f"PRAGMA cache_size = {int(size)}"
