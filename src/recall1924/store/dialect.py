"""What recall's SQL says differently on SQLite and PostgreSQL: the one seam between them.

The store writes portable SQL (standard aggregates with ``FILTER``, ``CASE``, ``COALESCE``,
joins, ``UPDATE ... FROM``) and takes from here the fragments no standard covers: arithmetic on
stored times, the review day of a stored time in the local zone, truncation and the scalar
smaller/larger of two values, the forgetting curve, and the triggers that keep each card's
answer counters. Each function returns SQLite's form, the only database recall opens today; its
docstring says what PostgreSQL needs, for the port.

Stored times: SQLite keeps them as text, naive UTC with microseconds
(:func:`recall1924.store.base.time_text`), so every comparison of two times is a comparison of
text and every difference goes through ``julianday``; PostgreSQL will keep ``timestamptz`` and
subtract. Arguments named ``column`` or ``later``/``earlier`` are SQL expressions (a column, a
bind parameter) holding such times.

This module imports nothing of SQLAlchemy or the models, so a migration can use it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ANSWER_COUNTERS",
    "MATURE_DAYS",
    "COUNTER_TRIGGERS",
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
    "set_page_cache",
    "review_days_to",
    "review_day_shift",
    "truncate",
    "unindexed",
]

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


def days_between(later: str, earlier: str) -> str:
    """SQL for the days (fractional, to the millisecond) from the time ``earlier`` to ``later``;
    null when either is.

    PostgreSQL: ``EXTRACT(EPOCH FROM later - earlier) / 86400``.
    """
    return f"(julianday({later}) - julianday({earlier}))"


def review_day_shift(day_starts_at: int) -> str:
    """The value of the ``:shift`` parameter :func:`review_days_to` reads: SQLite's modifier
    that moves a local time back to its review day's date.

    PostgreSQL: the interval ``make_interval(hours => day_starts_at)``, subtracted.
    """
    return f"-{day_starts_at} hours"


def review_days_to(column: str, horizon: str = ":horizon", shift: str = ":shift") -> str:
    """SQL for the whole review days from the one holding the time ``column`` to the review day
    ``horizon`` (a ``YYYY-MM-DD`` date), as ``scheduling.review_day`` counts them in Python: the
    time in the local zone, moved back by the day-start hour (``shift``, from
    :func:`review_day_shift`), is on its review day's date.

    SQLite: the Julian day of that local time, rounded down to its day by adding a half (Julian
    days begin at noon) and truncating: the same number as going through ``date()`` and back,
    without writing and parsing a date per card. ``'localtime'`` is the C library's zone, the
    one Python's ``astimezone()`` uses.

    PostgreSQL: ``horizon::date - ((column AT TIME ZONE zone) - shift)::date``, with the zone
    passed in by name (the server's own zone is not the student's).
    """
    return (
        f"(julianday({horizon}) + 0.5 - CAST(julianday({column}, 'localtime', {shift}) + 0.5 "
        "AS INTEGER))"
    )


def truncate(value: str) -> str:
    """SQL for ``value`` truncated toward zero to an integer, as Python's ``int()``.

    SQLite: ``CAST(... AS INTEGER)`` truncates (not ``floor``, which SQLAlchemy replaces with a
    Python function). PostgreSQL: ``trunc(value)::integer`` (its ``CAST`` rounds).
    """
    return f"CAST({value} AS INTEGER)"


def greatest(first: str, second: str) -> str:
    """SQL for the larger of two values. SQLite: scalar ``MAX(a, b)``; PostgreSQL:
    ``GREATEST(a, b)`` (``MAX`` there is only the aggregate)."""
    return f"MAX({first}, {second})"


def least(first: str, second: str) -> str:
    """SQL for the smaller of two values. SQLite: scalar ``MIN(a, b)``; PostgreSQL:
    ``LEAST(a, b)``."""
    return f"MIN({first}, {second})"


def retrievability(elapsed: str, *, native: bool, decay: str = ":decay") -> str:
    """SQL for ``scheduling.retrievability`` of the row's ``stability`` after ``elapsed`` days
    (an SQL expression, truncated to whole days here), on the forgetting curve of ``decay``.

    ``native``: written out with SQL's ``power``, no call into Python per card: the same IEEE
    operations in the same order, and the same C ``pow`` that Python's ``**`` calls, so the very
    same double. SQLite has ``power`` only when built with its math functions (Python's usually
    is; the stats store asks once per database); else the Python function
    ``fsrs_retrievability`` that :mod:`recall1924.db` registers on every connection.

    PostgreSQL: always native, with :func:`greatest` and :func:`truncate` in their PostgreSQL
    forms.
    """
    if not native:
        return f"fsrs_retrievability({elapsed}, stability, {decay})"
    factor = f"(power(0.9, 1.0 / {decay}) - 1)"
    days = greatest("0", truncate(elapsed))
    curve = f"power(1 + {factor} * {days} / stability, {decay})"
    return f"CASE WHEN stability > 0 THEN {curve} ELSE 0.0 END"


def _mature(row: str) -> str:
    # Anki's interval is in whole days, rounded half away from zero: 20.5 days is 21 already.
    # Compared without rounding, so the interval is one subtraction per answer.
    return (
        f"COALESCE({days_between(f'{row}due_before', f'{row}last_review_before')} "
        f">= {MATURE_DAYS - 0.5}, 0)"
    )


def answer_counts(row: str = "") -> tuple[str, str, str, str]:
    """SQL for one answer's part in each of :data:`ANSWER_COUNTERS` (0 or 1, given that it is a
    scheduled answer to a card in the Review state); ``row`` prefixes the review_log columns
    (``"NEW."``, ``"review_log."``).

    SQLite: a comparison is the integer 0 or 1. PostgreSQL: ``(...)::integer``, and the interval
    as ``due_before - last_review_before >= interval '20.5 days'``.
    """
    lapse = f"({row}rating = {_AGAIN})"
    mature = _mature(row)
    return ("1", lapse, mature, f"({lapse} AND {mature})")


def counted(row: str = "", *, by_index: bool = True) -> str:
    """SQL that is true for an answer the counters count: a scheduled review (not practice, an
    edit or a reset) of a card in the Review state.

    ``by_index=False``: the test is not to be answered from an index (see :func:`unindexed`):
    for a query that finds its few answers by another one.
    """
    kind, state = f"{row}kind", f"{row}state_before"
    if not by_index:
        kind, state = unindexed(kind), unindexed(state)
    return f"({kind} = {_KIND_REVIEW} AND {state} = {_STATE_REVIEW})"


def json_rows(param: str, names: Sequence[str]) -> str:
    """SQL for a table whose rows come from one bound parameter, ``param``: a JSON array of
    arrays, the ``i``-th item of each row as the column ``names[i]``. One parameter for a list
    of any length: the statement reads the same for three days or three thousand, and the
    driver binds one value instead of thousands.

    SQLite: ``json_each`` and ``json_extract`` (its JSON functions, built in since 3.38 and in
    Python's own builds before). PostgreSQL: ``jsonb_array_elements(CAST(param AS jsonb))``
    with ``value ->> i`` cast to each column's type.
    """
    columns = ", ".join(
        f"json_extract(value, '$[{index}]') AS {name}" for index, name in enumerate(names)
    )
    return f"(SELECT {columns} FROM json_each({param}))"


def unindexed(column: str) -> str:
    """``column``, written so that the planner does not look it up in an index.

    SQLite plans without statistics and prefers an index that matches an equality to one that
    matches a range, however many rows the equality matches: ``+column`` takes the column out
    of its choice. PostgreSQL plans from its statistics: the column as it is.
    """
    return f"+{column}"


def _change_counters(row: str, sign: str) -> str:
    parts = answer_counts(row)
    sets = ", ".join(
        f"{name} = {name} {sign} {part}" for name, part in zip(ANSWER_COUNTERS, parts, strict=True)
    )
    return f"UPDATE card SET {sets} WHERE id = {row}card_id AND {counted(row)};"


COUNTER_TRIGGERS = (
    "review_log_counters_insert",
    "review_log_counters_delete",
    "review_log_counters_update",
)


def create_counter_triggers() -> Sequence[str]:
    """The statements that make the database keep each card's :data:`ANSWER_COUNTERS` as its
    answers are inserted, deleted or changed, by whatever writes them (a review, an undo, an
    import, a repair, a rewritten history).

    An update that leaves an answer's part in the counters as it was (a history rewritten with
    new parameters moves due times, rarely across the mature line) writes no card.

    SQLite: ``CREATE TRIGGER``. A later migration that rebuilds ``card`` or ``review_log`` (a
    batch copy) must drop these first and create them again after: SQLite checks the triggers'
    tables when one is renamed. PostgreSQL: one PL/pgSQL function ``RETURNS trigger`` doing the
    same two updates with ``OLD``/``NEW``, and ``CREATE TRIGGER ... AFTER INSERT OR UPDATE OR
    DELETE ON review_log FOR EACH ROW EXECUTE FUNCTION`` it.
    """
    lapse_old, lapse_new = answer_counts("OLD.")[1], answer_counts("NEW.")[1]
    mature_old, mature_new = _mature("OLD."), _mature("NEW.")
    moved = (
        f"OLD.card_id IS NOT NEW.card_id OR {counted('OLD.')} IS NOT {counted('NEW.')} "
        f"OR ({counted('NEW.')} AND ({lapse_old} IS NOT {lapse_new} "
        "OR ((OLD.due_before IS NOT NEW.due_before "
        "OR OLD.last_review_before IS NOT NEW.last_review_before) "
        f"AND {mature_old} IS NOT {mature_new})))"
    )
    insert, delete, update = COUNTER_TRIGGERS
    return (
        f"CREATE TRIGGER {insert} AFTER INSERT ON review_log WHEN {counted('NEW.')} "
        f"BEGIN {_change_counters('NEW.', '+')} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON review_log WHEN {counted('OLD.')} "
        f"BEGIN {_change_counters('OLD.', '-')} END",
        f"CREATE TRIGGER {update} AFTER UPDATE OF card_id, kind, rating, state_before, "
        f"due_before, last_review_before ON review_log WHEN {moved} "
        f"BEGIN {_change_counters('OLD.', '-')} {_change_counters('NEW.', '+')} END",
    )


def drop_counter_triggers() -> Sequence[str]:
    """Undo :func:`create_counter_triggers`. PostgreSQL: ``DROP TRIGGER ... ON review_log``
    and the function."""
    return tuple(f"DROP TRIGGER IF EXISTS {name}" for name in COUNTER_TRIGGERS)


def recount_answers() -> str:
    """One statement that sets every card's :data:`ANSWER_COUNTERS` from its answers (cards
    without a counted answer keep what they hold: 0 on a card added since the counters exist).

    Portable but for the parts of :func:`answer_counts`: ``UPDATE ... FROM`` is SQLite 3.33's
    and PostgreSQL's.
    """
    sums = ", ".join(
        f"SUM({part}) AS {name}"
        for name, part in zip(ANSWER_COUNTERS, answer_counts(), strict=True)
    )
    sets = ", ".join(f"{name} = counts.{name}" for name in ANSWER_COUNTERS)
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
