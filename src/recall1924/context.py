"""The one place dependencies are wired: database location, clock, settings, scheduler,
console.

:class:`App` is built once per command from the command line and environment and handed to
the command. It opens the database lazily (a command that needs none, like ``--help``, never
imports the database stack) and, on the first open of an empty collection, imports the bundled
deck.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from recall1924.clock import Clock, day_bounds, use_zone, zone_named
from recall1924.location import DatabaseLocation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fsrs import Scheduler
    from rich.console import Console  # noqa: TID251 - a type only; ui builds it

    from recall1924.deck import PastAnswer
    from recall1924.importing import ImportPlan
    from recall1924.scheduling import MemoryState
    from recall1924.settings import Settings
    from recall1924.store import Store


@dataclass
class App:
    """Everything a command needs, built on first use."""

    database: InitVar[DatabaseLocation | Path]
    """Where the collection is (a :class:`Path` is a SQLite file): :attr:`location`."""
    clock: Clock
    bundled: bool = True
    """Whether this command looks after the bundled deck: imports it into a new collection and
    brings an older copy up to date (not when the command imports, removes or optimizes
    decks)."""
    notices: list[str] = field(default_factory=list)
    """Things the user should know that happened on the way (an upgrade, a first import)."""
    _deck_settings: dict[str, Settings] = field(default_factory=dict, init=False, repr=False)
    _deck_schedulers: dict[str, Scheduler] = field(default_factory=dict, init=False, repr=False)
    _section_settings: dict[tuple[str, str], Settings] = field(
        default_factory=dict, init=False, repr=False
    )
    _section_schedulers: dict[tuple[str, str], Scheduler] = field(
        default_factory=dict, init=False, repr=False
    )
    location: DatabaseLocation = field(init=False)
    """The collection's store, from ``database``."""

    def __post_init__(self, database: DatabaseLocation | Path) -> None:
        self.location = DatabaseLocation.of(database)

    @property
    def db_path(self) -> Path:
        """The collection's SQLite file, for what works on the file itself (backups, doctor).

        Raises:
            NotSqliteError: the collection is on a PostgreSQL server.
        """
        return self.location.sqlite_file("this command")

    @cached_property
    def store(self) -> Store:
        """The collection, migrated; with the bundled deck if it was empty, and that deck
        brought up to date if this recall ships a newer version of it."""
        from recall1924.store import Store

        first: list[ImportPlan] = []

        def setup(created: Store) -> None:
            # Under the collection's exclusive lock: two recalls started together on a new
            # machine import the bundled deck once.
            first.append(self._import_bundled(created))

        store = Store.open(self.location, self.clock.now(), setup=setup if self.bundled else None)
        if store.backup is not None:
            self.notices.append(f"Upgraded the database; the old one is kept at {store.backup}")
        if self.bundled and not first and not store.read_only and store.deck_count() == 0:
            first.append(self._import_bundled(store))
        if first:
            self.notices.append(
                f"First run: imported the bundled deck {first[0].deck_title!r} "
                f"({len(first[0].added)} cards) into {self.location}"
            )
        elif self.bundled and not store.read_only:
            from recall1924.bundled import check_bundled

            # A database upgraded on this open was just backed up: one copy is enough.
            notice = check_bundled(
                store, now=self.clock.now(), backup=None if store.backup else self.backup
            )
            if notice is not None:
                self.notices.append(notice)
        return store

    def _import_bundled(self, store: Store) -> ImportPlan:
        from recall1924.importers import read_bundled
        from recall1924.importing import import_deck

        return import_deck(store, read_bundled(), now=self.clock.now())

    def replay(
        self, answers: Sequence[PastAnswer], start: MemoryState
    ) -> list[tuple[MemoryState, MemoryState]]:
        """Answers given elsewhere (an Anki history) replayed from ``start`` with this
        collection's scheduler and day start: the memory state before and after each."""
        from recall1924.history import replay

        return replay(
            answers,
            start=start,
            card_id=0,  # fsrs needs one; the card may not have ours yet
            scheduler=self.scheduler,
            day_starts_at=self.settings.day_starts_at,
        )

    def backup(self) -> Path | None:
        """Back the database up before a big change (the set of copies is kept bounded).
        None for a collection on a PostgreSQL server, whose backups are the server's own
        (pg_dump, its write-ahead log), not a copy of a file recall could take.

        Raises:
            BackupError: the copy could not be made; nothing was changed.
            ReadOnlyDatabaseError: the collection cannot be changed at all.
        """
        from recall1924.backups import take_backup

        store = self.__dict__.get("store")  # none yet while the open itself updates
        if store is not None and store.read_only:
            raise store.read_only_error("cannot change it")
        if not self.location.is_sqlite:
            return None
        return take_backup(self.db_path, self.clock.now())

    @cached_property
    def settings(self) -> Settings:
        """The stored settings, read once per command.

        A stored value recall cannot read never stops a command: that setting takes its
        default for this run and a notice says how to fix it.
        """
        from recall1924.settings import Settings

        settings, problems = Settings.load(self.store.settings())
        self.notices.extend(problems)
        # This command's review days, in Python and in SQL, are counted in the set zone.
        use_zone(zone_named(settings.timezone))
        return settings

    @cached_property
    def scheduler(self) -> Scheduler:
        """FSRS, configured from the settings."""
        from recall1924.scheduling import build_scheduler

        return build_scheduler(self.settings)

    def settings_for(self, deck_key: str, section_key: str | None = None) -> Settings:
        """Deck ``deck_key``'s effective settings: the global ones overridden by the deck's own
        (``recall config set --deck``), read once per command and deck; with ``section_key``,
        that section's, whose own desired retention (``recall config set --section``) is over
        the deck's. A value recall cannot read falls back, with a notice, as in
        :attr:`settings`."""
        if section_key is not None:
            return self._settings_for_section(deck_key, section_key)
        cached = self._deck_settings.get(deck_key)
        if cached is None:
            self.settings  # noqa: B018 - the global ones name the zone first (use_zone)
            from recall1924.settings import Settings

            cached, problems = Settings.load_for_deck(
                self.store.settings(), self.store.settings(deck_key), deck_key
            )
            self.notices.extend(problem for problem in problems if problem not in self.notices)
            self._deck_settings[deck_key] = cached
        return cached

    @cached_property
    def _section_stored(self) -> dict[tuple[str, str], dict[str, str]]:
        """Every section's own settings as stored, by (deck key, section key): read once."""
        from recall1924.settings import SECTION_SETTINGS

        found: dict[tuple[str, str], dict[str, str]] = {}
        for key in sorted(SECTION_SETTINGS):
            for named, text in self.store.section_settings(key).items():
                found.setdefault(named, {})[key] = text
        return found

    def _settings_for_section(self, deck_key: str, section_key: str) -> Settings:
        named = (deck_key, section_key)
        cached = self._section_settings.get(named)
        if cached is None:
            deck = self.settings_for(deck_key)
            cached, problems = deck.for_section(
                self._section_stored.get(named, {}), deck_key, section_key
            )
            self.notices.extend(problem for problem in problems if problem not in self.notices)
            self._section_settings[named] = cached
        return cached

    def scheduler_for(self, deck_key: str, section_key: str | None = None) -> Scheduler:
        """FSRS configured from deck ``deck_key``'s effective settings (built once per deck);
        with ``section_key``, from that section's (the deck's scheduler unless the section has
        a desired retention of its own, built once per such section)."""
        from recall1924.scheduling import build_scheduler

        if section_key is not None and (deck_key, section_key) in self._section_stored:
            named = (deck_key, section_key)
            own = self._section_schedulers.get(named)
            if own is None:
                settings = self.settings_for(deck_key, section_key)
                deck = self.scheduler_for(deck_key)
                own = deck
                if settings.desired_retention != deck.desired_retention:
                    own = build_scheduler(settings)
                self._section_schedulers[named] = own
            return own
        scheduler = self._deck_schedulers.get(deck_key)
        if scheduler is None:
            scheduler = build_scheduler(self.settings_for(deck_key))
            self._deck_schedulers[deck_key] = scheduler
        return scheduler

    def section_retentions(self, deck_key: str | None = None) -> dict[tuple[str, str], float]:
        """The desired retention of each section with one of its own (``recall config set
        --section``), by (deck key, section key): deck ``deck_key``'s sections, or with None
        every deck's. A stored value recall cannot read is left out (with a notice): that
        section follows its deck."""
        from recall1924.settings import DEFINITIONS

        parse = DEFINITIONS["desired_retention"].parse
        found: dict[tuple[str, str], float] = {}
        for named, stored in self._section_stored.items():
            if (deck_key is not None and named[0] != deck_key) or "desired_retention" not in stored:
                continue
            try:
                parse(stored["desired_retention"])
            except ValueError:
                self.settings_for(*named)  # the notice says how to fix it
                continue
            found[named] = self.settings_for(*named).desired_retention
        return found

    def section_schedulers(self) -> dict[int, Scheduler]:
        """FSRS for each section with a desired retention of its own, by section id (the
        review's cards name their section by id): every other card takes its deck's."""
        own = self.section_retentions()
        if not own:
            return {}
        return {
            section_id: self.scheduler_for(deck_key, section_key)
            for deck_key, section_key, section_id in self.store.section_names()
            if (deck_key, section_key) in own
        }

    def deck_decays(self) -> dict[int, float]:
        """The forgetting curve's decay of each deck (by id) with FSRS parameters of its own."""
        from recall1924.scheduling import decay_of

        own = self.store.decks_setting(["parameters"])
        return {deck_id: decay_of(self.scheduler_for(key)) for key, deck_id in own.items()}

    def deck_limits(self) -> dict[int, tuple[int, int]]:
        """The decks with daily limits of their own (``recall config set --deck``), by deck
        id: their new cards and reviews per day."""
        own = self.store.decks_setting(["new_per_day", "reviews_per_day"])
        return {
            deck_id: (self.settings_for(key).new_per_day, self.settings_for(key).reviews_per_day)
            for key, deck_id in own.items()
        }

    def day(self) -> tuple[datetime, datetime]:
        """Start and end (UTC) of the review day now."""
        return day_bounds(self.clock.now(), self.settings.day_starts_at)

    @cached_property
    def console(self) -> Console:
        from recall1924.ui import make_console

        return make_console()

    @cached_property
    def err_console(self) -> Console:
        from recall1924.ui import make_console

        return make_console(stderr=True)

    def close(self) -> None:
        use_zone(None)  # the zone was this command's
        if "store" in self.__dict__:
            self.store.close()
