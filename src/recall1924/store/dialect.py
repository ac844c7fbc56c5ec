"""What recall's SQL says differently on SQLite and PostgreSQL: the one seam between them.

The store writes portable SQL (standard aggregates with ``FILTER``, ``CASE``, ``COALESCE``,
joins, ``UPDATE ... FROM``) and takes from here the fragments no standard covers: arithmetic on
stored times, the review day of a stored time in the local zone, truncation and the scalar
smaller/larger of two values, the forgetting curve, and the triggers that keep each card's
answer counters; a count of the rows a condition holds for, a table read whole, the lock a
write of what it has just read takes (:func:`write_lock`), and what a driver's refusal of a
statement means (:func:`refusal`, by its code, never its words).

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

The answers' times (``review_log``) are integers on both, milliseconds since the Unix epoch
(``UTCMillis``, migration 0009): compared, subtracted and divided as integers, so their SQL is
one for both databases (:func:`millis_days_between`, the answer counters). The functions that
read them take ``times``: :data:`MILLIS`, or :data:`TEXT_TIMES` for a migration written when
they were stored as the other times are (0007).

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
    "MILLIS",
    "POSTGRESQL",
    "PYTHON_RETRIEVABILITY",
    "SQLITE",
    "TEXT_TIMES",
    "Name",
    "Times",
    "Refusal",
    "answer_counts",
    "count_if",
    "counted",
    "create_counter_triggers",
    "days_between",
    "drop_counter_triggers",
    "greatest",
    "in_units",
    "indexes_hold_row_id",
    "json_rows",
    "least",
    "millis_days_between",
    "page_cache_size",
    "recount_answers",
    "recounts_bulk_answers",
    "refusal",
    "retrievability",
    "review_day_shift",
    "review_days_to",
    "set_page_cache",
    "settle_after_filling",
    "table_indexes",
    "truncate",
    "unindexed",
    "write_lock",
]

Name = Literal["sqlite", "postgresql"]
"""A dialect this module writes for, by SQLAlchemy's name for it."""

SQLITE: Name = "sqlite"
POSTGRESQL: Name = "postgresql"

Times = Literal["text", "millis"]
"""How the answers' times are stored: as the other times are (SQLite's text, PostgreSQL's
``timestamp``), or as integer milliseconds since the epoch."""

TEXT_TIMES: Times = "text"
MILLIS: Times = "millis"

DAY_MILLIS = 86_400_000

PYTHON_RETRIEVABILITY = "fsrs_retrievability"
"""SQLite: the name under which the store registers ``scheduling.retrievability`` (elapsed
days, stability, decay) as an SQL function, for :func:`retrievability` without ``power``."""

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
    of the interval between them over 86,400, as a double: ``date_part``, which works in
    doubles, rather than ``EXTRACT``, whose numeric and its cast to a double cost 9 ms a pass
    over 100,000 cards. The two may differ in the last bit of the seconds (``date_part`` adds
    the whole days' seconds to the rest, each a double), which is the difference SQLite's
    Julian days make too: nothing the whole days of a review's elapsed time can show.
    """
    if name == POSTGRESQL:
        return f"(date_part('epoch', ({later}) - ({earlier})) / 86400)"
    return f"(julianday({later}) - julianday({earlier}))"


def millis_days_between(later: str, earlier: str, *, name: Name = SQLITE) -> str:
    """SQL for the days (fractional, a double) from ``earlier`` to ``later``, two times stored
    as integer milliseconds (the answers' times); null when either is. The same arithmetic on
    both databases; PostgreSQL's difference cast to a double first, as ``bigint / numeric``
    would be a numeric."""
    if name == POSTGRESQL:
        return f"(CAST(({later}) - ({earlier}) AS double precision) / {DAY_MILLIS})"
    return f"((({later}) - ({earlier})) / {float(DAY_MILLIS)})"


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
    offsets: Sequence[tuple[str, int]] = (),
    name: Name = SQLITE,
) -> str:
    """SQL for the whole review days from the one holding the time ``column`` to the review day
    ``horizon`` (a ``YYYY-MM-DD`` date), as ``scheduling.review_day`` counts them in Python: the
    time in the local zone, moved back by the day-start hour (``shift``, from
    :func:`review_day_shift`), is on its review day's date.

    On both, the stored time is moved by the zone's offset from UTC then, read from
    ``offsets`` (``clock.utc_offsets``: each offset in seconds, with the stored time's text
    from which it holds, oldest first; the first holds before too) newest first, so a recent
    time is one comparison; none is UTC's. They are Python's own, so the server's zone
    database (older or newer than Python's) plays no part. PostgreSQL's ``AT TIME ZONE`` with
    the zone's name would convert each row's time twice: 6 ms a pass over 100,000 cards in UTC
    and 14 ms in Europe/Berlin, where adding an interval costs under one.

    PostgreSQL: the difference of two dates, that of the moved time less the shift, an
    integer. The offset is an interval added in whole microseconds, so a time on a day's very
    start falls on that day and one a microsecond before on the day before, as in Python.

    SQLite, which knows no zone but the C library's (``'localtime'``, the process's, not the
    student's setting): the Julian day of the moved time to the second, rounded down to its
    day by adding a half (Julian days begin at noon) and truncating: the same number as going
    through ``date()`` and back, without writing and parsing a date per card. The offset is a
    date modifier (``'+3600 seconds'``), which SQLite adds in whole milliseconds.
    """
    if name == POSTGRESQL:
        moved = f"({column})"
        offset = _offset_modifier(column, offsets, name=name)
        if offset != _seconds(0, name=name):  # UTC: one addition less for every row
            moved = f"({column}) + {offset}"
        return f"(CAST({horizon} AS date) - CAST({moved} - CAST({shift} AS interval) AS date))"
    # To the second: julianday() rounds to the millisecond, and would put the last half
    # millisecond before a day's start (always a whole second) on that day.
    whole = f"substr({column}, 1, 19)"
    modifiers = [_offset_modifier(column, offsets, name=name), shift]
    if modifiers[0] == _seconds(0):  # UTC: one modifier less for every row
        del modifiers[0]
    moved = f"julianday({whole}, {', '.join(modifiers)})"
    return f"(julianday({horizon}) + 0.5 - CAST({moved} + 0.5 AS INTEGER))"


def _offset_modifier(column: str, offsets: Sequence[tuple[str, int]], *, name: Name) -> str:
    """What moves the stored time ``column`` to the local time of the zone whose ``offsets``
    (see :func:`review_days_to`) are given, none being UTC's: SQLite's date modifier,
    PostgreSQL's interval."""
    if len(offsets) <= 1:
        return _seconds(offsets[0][1] if offsets else 0, name=name)
    for since, _offset in offsets:
        # Written into the statement (it is the same for every row): only a stored time's
        # digits, dashes, colons, a dot and a space.
        if not set(since) <= _TIME_TEXT:
            raise ValueError(f"not a stored time: {since!r}")
    since_type = "TIMESTAMP " if name == POSTGRESQL else ""
    changes = " ".join(
        f"WHEN {column} >= {since_type}'{since}' THEN {_seconds(offset, name=name)}"
        for since, offset in reversed(offsets[1:])
    )
    return f"CASE {changes} ELSE {_seconds(offsets[0][1], name=name)} END"


_TIME_TEXT = frozenset("0123456789-:. ")


def _seconds(offset: int, *, name: Name = SQLITE) -> str:
    """What adds ``offset`` seconds: SQLite's date modifier, PostgreSQL's interval."""
    if name == POSTGRESQL:
        return f"INTERVAL '{int(offset):+d} seconds'"
    return f"'{int(offset):+d} seconds'"


def truncate(value: str, *, name: Name = SQLITE) -> str:
    """SQL for ``value`` truncated toward zero to an integer, as Python's ``int()``.

    SQLite: ``CAST(... AS INTEGER)`` truncates (not ``floor``, which SQLAlchemy replaces with a
    Python function). PostgreSQL: ``trunc`` first, as its ``CAST`` rounds.
    """
    if name == POSTGRESQL:
        return f"CAST(trunc({value}) AS integer)"
    return f"CAST({value} AS INTEGER)"


def in_units(value: str, bits: int, *, name: Name = SQLITE) -> str:
    """SQL for ``value`` (a double, not negative) as the nearest whole number of units of
    ``2 ** -bits`` (a half rounded up), a 64-bit integer: for a sum of doubles that must come
    out the same to the last bit on both databases. A sum of doubles depends on the order it
    adds them in, and the two read a group's rows in different orders (SQLite an index's,
    PostgreSQL its heap's); a sum of integers does not, and is exact. The caller divides the
    sum by ``2 ** bits`` in Python and keeps the sum small enough (SQLite's ``SUM`` raises past
    2**63; PostgreSQL's of a ``bigint`` is a ``numeric``, which does not overflow).
    """
    scaled = f"({value}) * {2**bits} + 0.5"
    if name == POSTGRESQL:
        return f"CAST(floor({scaled}) AS bigint)"
    return f"CAST({scaled} AS INTEGER)"  # truncated: rounded down, as it is not negative


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
    elapsed: str,
    *,
    native: bool,
    decay: str = ":decay",
    whole: bool = False,
    name: Name = SQLITE,
) -> str:
    """SQL for ``scheduling.retrievability`` of the row's ``stability`` after ``elapsed`` days
    (an SQL expression, truncated to whole days here), on the forgetting curve of ``decay``.
    ``whole``: ``elapsed`` is an integer already (:func:`review_days_to`'s, on PostgreSQL),
    which PostgreSQL then does not truncate (a cast to a double and back a row, 1.5 ms a pass
    over 100,000 cards); SQLite's review days are a whole double, truncated all the same.

    ``native``: written out with SQL's ``power``, no call into Python per card: the same IEEE
    operations in the same order, and the same C ``pow`` that Python's ``**`` calls, so the very
    same double. SQLite has ``power`` only when built with its math functions (Python's usually
    is; the stats store asks once per database); else the Python function
    :data:`PYTHON_RETRIEVABILITY`, which the store registers on every SQLite connection
    (:mod:`recall1924.store.base`).

    PostgreSQL: always native (``native`` is not read: no Python function is registered
    there), ``decay`` cast to a double so that every step is one.
    """
    if name == POSTGRESQL:
        decay = f"CAST({decay} AS double precision)"
    elif not native:
        return f"{PYTHON_RETRIEVABILITY}({elapsed}, stability, {decay})"
    factor = f"(power(0.9, 1.0 / {decay}) - 1)"
    days = greatest(
        "0", elapsed if whole and name == POSTGRESQL else truncate(elapsed, name=name), name=name
    )
    curve = f"power(1 + {factor} * {days} / stability, {decay})"
    return f"CASE WHEN stability > 0 THEN {curve} ELSE 0.0 END"


def _lapse(row: str) -> str:
    return f"({row}rating = {_AGAIN})"


def _mature(row: str, name: Name, times: Times) -> str:
    # Anki's interval is in whole days, rounded half away from zero: 20.5 days is 21 already.
    # Compared without rounding, so the interval is one subtraction per answer; in integer
    # milliseconds, with the line in them too, no division.
    due, last = f"{row}due_before", f"{row}last_review_before"
    false = "false" if name == POSTGRESQL else "0"
    if times == MILLIS:
        line = int((MATURE_DAYS - 0.5) * DAY_MILLIS)
        return f"COALESCE(({due} - {last}) >= {line}, {false})"
    between = days_between(due, last, name=name)
    return f"COALESCE({between} >= {MATURE_DAYS - 0.5}, {false})"


def _count(test: str, name: Name) -> str:
    """A truth value as 0 or 1: SQLite's comparisons are those integers already."""
    return f"CAST({test} AS integer)" if name == POSTGRESQL else test


def answer_counts(
    row: str = "", *, name: Name = SQLITE, times: Times = MILLIS
) -> tuple[str, str, str, str]:
    """SQL for one answer's part in each of :data:`ANSWER_COUNTERS` (the integer 0 or 1, given
    that it is a scheduled answer to a card in the Review state); ``row`` prefixes the
    review_log columns (``"NEW."``, ``"review_log."``).

    SQLite: a comparison is the integer 0 or 1. PostgreSQL: a boolean, cast to an integer (it
    neither sums booleans nor mixes them with integers).
    """
    lapse, mature = _lapse(row), _mature(row, name, times)
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


def table_indexes(table: str, *, name: Name = SQLITE) -> str:
    """SQL listing the indexes of ``table`` (in the connection's schema) that a statement of
    their own made, each as its name and that statement, by name: not those a constraint
    makes (a primary key's), which go with it. Run again, the statements make them again.

    SQLite: ``sqlite_master`` holds each one's statement (a constraint's index has none).
    PostgreSQL: ``pg_indexes`` gives each index's definition, a constraint's too, which
    ``pg_constraint`` names.
    """
    if not table.isidentifier():
        raise ValueError(f"not a table's name: {table!r}")
    if name == POSTGRESQL:
        return (
            "SELECT indexname, indexdef FROM pg_indexes "
            f"WHERE schemaname = current_schema() AND tablename = '{table}' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            f"WHERE conrelid = '{table}'::regclass) ORDER BY indexname"
        )
    return (
        "SELECT name, sql FROM sqlite_master "
        f"WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name"
    )


def indexes_hold_row_id(name: Name = SQLITE) -> bool:
    """Whether every index entry holds its row's id already, so that a query reading a table's
    id with other columns an index has is answered from that index alone.

    SQLite: yes, every entry ends with the rowid (a card's ``id``). PostgreSQL: no, an entry
    points at the row's place in the table; an index that is to answer such a query names the
    id in its ``INCLUDE`` columns (migration 0011).
    """
    return name != POSTGRESQL


def _change_counters(row: str, sign: str, name: Name, times: Times) -> str:
    parts = answer_counts(row, name=name, times=times)
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


def _moved(name: Name, times: Times) -> str:
    """True for an update of an answer that changes its part in the counters."""
    # SQLite's IS NOT is null-safe; PostgreSQL's IS NOT only takes NULL, TRUE or FALSE.
    differs = " IS DISTINCT FROM " if name == POSTGRESQL else " IS NOT "
    old, new = counted("OLD."), counted("NEW.")
    mature_old, mature_new = _mature("OLD.", name, times), _mature("NEW.", name, times)
    times_moved = (
        f"(OLD.due_before{differs}NEW.due_before "
        f"OR OLD.last_review_before{differs}NEW.last_review_before)"
    )
    return (
        f"OLD.card_id{differs}NEW.card_id OR {old}{differs}{new} "
        f"OR ({new} AND ({_lapse('OLD.')}{differs}{_lapse('NEW.')} "
        f"OR ({times_moved} AND {mature_old}{differs}{mature_new})))"
    )


def create_counter_triggers(*, name: Name = SQLITE, times: Times = MILLIS) -> Sequence[str]:
    """The statements that make the database keep each card's :data:`ANSWER_COUNTERS` as its
    answers are inserted, deleted or changed, by whatever writes them (a review, an undo, an
    import, a repair, a rewritten history).

    An update that leaves an answer's part in the counters as it was (a history rewritten with
    new parameters moves due times, rarely across the mature line) writes no card.

    SQLite: ``CREATE TRIGGER``. A later migration that rebuilds ``card`` or ``review_log`` (a
    batch copy) must drop these first and create them again after: SQLite checks the triggers'
    tables when one is renamed. PostgreSQL: one PL/pgSQL function (:data:`COUNTER_FUNCTION`)
    that takes the ``OLD`` answer out and puts the ``NEW`` one in, and the same three triggers,
    each with the same ``WHEN``, running it ``FOR EACH ROW``. ``times``: how the answers'
    times are stored (see :data:`Times`).
    """
    insert, delete, update = COUNTER_TRIGGERS
    columns = "card_id, kind, rating, state_before, due_before, last_review_before"
    if name == POSTGRESQL:
        # The body holds no colon and no percent sign: Alembic's text() and the driver pass it
        # through as written.
        body = (
            "BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_change_counters('OLD.', '-', name, times)} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_change_counters('NEW.', '+', name, times)} END IF; "
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
            + run.format(when=_moved(name, times)),
        )
    return (
        f"CREATE TRIGGER {insert} AFTER INSERT ON review_log WHEN {counted('NEW.')} "
        f"BEGIN {_change_counters('NEW.', '+', name, times)} END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON review_log WHEN {counted('OLD.')} "
        f"BEGIN {_change_counters('OLD.', '-', name, times)} END",
        f"CREATE TRIGGER {update} AFTER UPDATE OF {columns} ON review_log "
        f"WHEN {_moved(name, times)} BEGIN {_change_counters('OLD.', '-', name, times)} "
        f"{_change_counters('NEW.', '+', name, times)} END",
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


def recount_answers(*, name: Name = SQLITE, times: Times = MILLIS, cards: str | None = None) -> str:
    """One statement that sets every card's :data:`ANSWER_COUNTERS` from its answers (cards
    without a counted answer keep what they hold: 0 on a card added since the counters exist).

    Portable but for the parts of :func:`answer_counts` (integers on both, so ``SUM`` takes
    them): ``UPDATE ... FROM`` is SQLite 3.33's and PostgreSQL's.

    Args:
        cards: only the cards whose ids this SQL holds (a subquery, such as a
            :func:`json_rows` of one column); None for every card.
    """
    sums = ", ".join(
        f"SUM({part}) AS {counter}"
        for counter, part in zip(
            ANSWER_COUNTERS, answer_counts(name=name, times=times), strict=True
        )
    )
    sets = ", ".join(f"{counter} = counts.{counter}" for counter in ANSWER_COUNTERS)
    scope = "" if cards is None else f" AND card_id IN {cards}"
    return (
        f"UPDATE card SET {sets} FROM (SELECT card_id, {sums} FROM review_log "
        f"WHERE {counted()}{scope} GROUP BY card_id) AS counts WHERE card.id = counts.card_id"
    )


def recounts_bulk_answers(*, name: Name = SQLITE) -> bool:
    """Whether a writer of many answers at once (an import's history) sets the counters'
    triggers aside in its transaction and then counts the cards it wrote answers for in one
    :func:`recount_answers` (``cards=``), instead of a card update per answer.

    SQLite: yes. Each counted answer's trigger rewrites its card's row and the card's entry
    in the covering index ``ix_card_memory``, which holds the counters: a real Anki history's
    31,363 answers took 0.66 s to insert with the triggers, 0.27 s without them and with one
    recount (benchmarks/README.md). The drop and the new
    triggers are part of the writer's transaction, which holds the database's only write
    lock: no other connection can write an answer meanwhile, and no reader ever sees the
    triggers gone (a failure rolls them back with the rest). PostgreSQL: no: ``DROP TRIGGER``
    locks ``review_log`` against every reader until the commit.
    """
    return name != POSTGRESQL


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


def settle_after_filling(tables: Sequence[str], *, name: Name = SQLITE) -> str | None:
    """SQL to run, outside a transaction, on tables just filled in bulk (a collection moved in
    by ``migrate-store``), so that the next command's statements are planned and read as they
    will be from then on; None where there is nothing to do.

    PostgreSQL: ``VACUUM (ANALYZE)`` of them. Until the server's autovacuum comes round (a
    minute later, or more on a busy server), the planner has no statistics and no page is
    marked all-visible, so every index-only scan reads the table too: the glance's statements
    took 103 ms on a collection just moved in (100,000 cards, 1,000,000 answers) and 53 ms
    after this, the stats' 320 and 175 ms; it costs about a second. SQLite: None; recall
    plans its SQLite statements without statistics (see :func:`unindexed`).
    """
    if name == POSTGRESQL:
        return f"VACUUM (ANALYZE) {', '.join(tables)}"
    return None


def journal_mode(database: str) -> str | None:
    """SQL that reads how the connection journals its writes, in the words
    :func:`set_journal_mode` takes back; None where there is no such choice (PostgreSQL's
    write-ahead log is the server's).

    For :func:`filling_journal`: SQLite's write-ahead log writes each page twice, into the log
    and then, at the checkpoint, into the file; a million new cards are 700 MB of pages.
    """
    return "PRAGMA journal_mode" if database == "sqlite" else None


def filling_journal() -> str:
    """The journal mode (see :func:`journal_mode`) for filling an empty collection: SQLite's
    rollback journal, which keeps the pages a write changes and so, for pages added past the
    file's end, none: each is written once. It needs no other connection open on the file,
    and keeps other connections out until the commit, so it is for a collection nobody else
    can be using yet; a connection switching back to the log is how recall opens any file
    (``db._on_connect``). Not called for PostgreSQL (see :func:`journal_mode`)."""
    return "DELETE"


def set_journal_mode(mode: str) -> str:
    """SQL that sets the connection's journal mode to ``mode``, as :func:`journal_mode` read
    it or :func:`filling_journal` gave it; outside a transaction only."""
    if not mode.isalpha():
        raise ValueError(f"not a journal mode: {mode!r}")
    return f"PRAGMA journal_mode = {mode}"


def count_if(condition: str, *, name: Name = SQLITE) -> str:
    """SQL for how many of the group's rows ``condition`` holds for: 0, not null, for none.

    SQLite sums a comparison (its truth values are the integers 0 and 1); PostgreSQL sums no
    boolean. The aggregate's ``FILTER`` is standard and both have it (SQLite since 3.30), so
    the form is one; ``name`` is taken as everywhere here.
    """
    del name
    return f"COUNT(*) FILTER (WHERE {condition})"


def write_lock(tables: Sequence[str], *, wait_ms: int, name: Name = SQLITE) -> tuple[str, ...]:
    """The statements that begin a write which must not be interleaved with another recall's
    (a history read, replayed and written back): no answer may be saved between the read and
    the write. Run first in the transaction; waits ``wait_ms`` for a writer to finish, then
    fails as busy (:func:`refusal`).

    SQLite: ``BEGIN IMMEDIATE``, its one writer's lock, at once (``tables`` is not read; the
    wait is the connection's busy timeout). PostgreSQL: ``tables`` locked ``SHARE ROW
    EXCLUSIVE``, which lets others read but not write them, and which two such writes cannot
    both hold (so they do not deadlock), with ``lock_timeout`` for this transaction.
    """
    if name == POSTGRESQL:
        return (
            f"SET LOCAL lock_timeout = {int(wait_ms)}",
            f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE",
        )
    return ("BEGIN IMMEDIATE",)


Refusal = Literal["busy", "readonly", "full", "io", "damaged"]
"""What a database's refusal of a statement means (see :func:`refusal`)."""

# SQLite's primary result codes (the low byte of an extended one): SQLITE_BUSY, SQLITE_LOCKED,
# SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL. (Not SQLITE_NOTADB: a file that
# is no database at all may never have been one.)
_SQLITE_REFUSALS: dict[int, Refusal] = {
    5: "busy",
    6: "busy",
    8: "readonly",
    10: "io",
    11: "damaged",
    13: "full",
}
# PostgreSQL's SQLSTATEs: lock_not_available (a lock_timeout), deadlock_detected and
# serialization_failure (try again), read_only_sql_transaction (a standby, a read-only
# default), disk_full, io_error, data_corrupted, index_corrupted.
_POSTGRESQL_REFUSALS: dict[str, Refusal] = {
    "55P03": "busy",
    "40P01": "busy",
    "40001": "busy",
    "25006": "readonly",
    "53100": "full",
    "58030": "io",
    "XX001": "damaged",
    "XX002": "damaged",
}


def refusal(error: BaseException) -> Refusal | None:
    """What the database's refusal ``error`` means: ``"busy"`` (another connection holds what
    the statement needs past the wait: try again), ``"readonly"`` (the database cannot be
    written here), ``"full"`` (the disk), ``"io"`` (the disk failed, or filled mid-write),
    ``"damaged"`` (what the database read is corrupt: a damaged file, a broken page or index),
    or None for anything else.

    Told from the driver's own code, never its message (which a translated server changes):
    sqlite3's ``sqlite_errorcode`` (Python 3.11+), psycopg's ``sqlstate``. ``error`` is the
    driver's exception or SQLAlchemy's wrapping of it (its ``orig``).
    """
    error = getattr(error, "orig", None) or error
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_REFUSALS.get(code & 0xFF)
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        return _POSTGRESQL_REFUSALS.get(state)
    return None
