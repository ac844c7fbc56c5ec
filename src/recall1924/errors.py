"""Domain errors.

Every error a user can cause (bad input, a broken file, an impossible request) is a
:class:`RecallError`. The CLI turns each into one line on stderr and a non-zero exit code; no
traceback reaches the user for these.
"""

from __future__ import annotations


class RecallError(Exception):
    """Base class of the errors recall reports to the user as one line."""

    exit_code = 1


class DeckFileError(RecallError):
    """A deck file could not be read or is invalid; nothing was imported from it.

    Attributes:
        path: the file.
        problems: one message per problem, each already prefixed with its location.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


class UnsupportedFormatError(RecallError):
    """The file is of a kind recall cannot import (yet)."""


class SpoolError(RecallError):
    """The temporary file a big import keeps its cards in could not be written or read back
    (a full disk, an unwritable ``TMPDIR``); nothing was imported."""


class DatabaseError(RecallError):
    """The database cannot be opened or used."""


class StaleCardError(DatabaseError):
    """The card changed since it was shown: another session answered it first."""


class CardGoneError(DatabaseError):
    """The card (or the answer) is no longer in the database: deleted in another window."""


class DatabaseBusyError(DatabaseError):
    """Another recall held the database past the busy timeout; nothing was written."""


class NewerDatabaseError(DatabaseError):
    """The database was written by a newer recall; it is left untouched."""


class SettingError(RecallError):
    """An unknown setting, or a value a setting does not accept."""

    exit_code = 2


class NotFoundError(RecallError):
    """A deck or section named on the command line does not exist."""

    exit_code = 2


class ClockError(RecallError):
    """RECALL_NOW is not a valid ISO 8601 date and time."""

    exit_code = 2


class TerminalError(RecallError):
    """An interactive command was run without an interactive terminal."""


class ExportError(RecallError):
    """An export that cannot be written as asked (unknown format, unwritable file)."""

    exit_code = 2


class BackupError(DatabaseError):
    """A backup could not be written (a full disk, a read-only folder); nothing was changed."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database, or its folder, cannot be written: recall can read it, not change it."""

    @classmethod
    def at(cls, path: object, consequence: str) -> ReadOnlyDatabaseError:
        """The one line for a write refused at ``path``: what it means, what to do."""
        return cls(
            f"{path} is read-only: recall {consequence} (check the file's and its folder's "
            "permissions, or copy it somewhere writable and use --db)"
        )


class DamagedDatabaseError(DatabaseError):
    """What the database read is corrupt (a damaged file, a broken page or index)."""

    @classmethod
    def at(cls, path: object, detail: str) -> DamagedDatabaseError:
        """The one line for damage found at ``path`` (``detail``: the database's own words):
        what to do about it."""
        return cls(
            f"{path} is damaged ({detail}): put a backup back with recall restore (recall "
            "backups lists them)"
        )


class DatabaseReplacedError(DatabaseError):
    """The database file was replaced, moved or deleted while recall had it open."""


class CollectionInUseError(DatabaseError):
    """Another recall has the collection open, and what was asked needs it to itself."""


class DatabaseURLError(RecallError):
    """``--db``/``--database-url`` or ``RECALL_DATABASE_URL`` names no store recall can use."""

    exit_code = 2


class UnreachableDatabaseError(DatabaseError):
    """The database server did not answer (down, wrong host, refused the login)."""


class NotSqliteError(RecallError):
    """A command that works on a SQLite collection's file (a backup, a restore, doctor's file
    checks) asked of a collection on a database server, which keeps its own (pg_dump)."""

    exit_code = 2


class QueryError(RecallError):
    """A query (``recall cards QUERY``, ``--query``) that does not parse.

    Attributes:
        message: what is wrong, in a few words.
        position: where the offending token starts in the query (0 for its first character).
        token: that token, as the user wrote it (shortened, control characters escaped).
    """

    exit_code = 2

    def __init__(self, message: str, position: int, token: str) -> None:
        self.message = message
        self.position = position
        self.token = token
        super().__init__(f'bad query at "{token}" (column {position + 1}): {message}')


class MoveError(DatabaseError):
    """A collection cannot be moved to another store as asked (``recall migrate-store``): the
    same store, a target that holds a collection already, or a copy that came out different;
    nothing was copied."""
