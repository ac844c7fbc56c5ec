"""Settings as stored: one row per changed setting, per scope (the collection's, a deck's or a
section's: see :mod:`recall1924.settings`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from recall1924.models import Deck, Section, Setting
from recall1924.settings import GLOBAL_SCOPE, section_of_scope
from recall1924.store.base import StoreBase

__all__ = ["GLOBAL_SCOPE", "SettingsStore"]


class SettingsStore(StoreBase):
    def settings(self, scope: str = GLOBAL_SCOPE) -> dict[str, str]:
        """The settings changed from their defaults, as stored text."""
        with self._session() as session:
            rows = session.exec(select(Setting).where(Setting.scope == scope)).all()
            return {row.key: row.value for row in rows}

    def decks_setting(self, keys: Iterable[str]) -> dict[str, int]:
        """The decks that set any of ``keys`` for themselves: deck key -> deck id (one query,
        so a command can skip the others without listing every deck)."""
        query = (
            select(Deck.key, Deck.id)
            .join(Setting, col(Setting.scope) == col(Deck.key))
            .where(col(Setting.key).in_(list(keys)))
            .distinct()
        )
        with self._session() as session:
            return {key: deck_id for key, deck_id in session.exec(query) if deck_id is not None}

    def section_names(self) -> list[tuple[str, str, int]]:
        """Every section as ``(deck key, section key, section id)``, in deck and section
        order: what a section is called on the command line (``deck/section``)."""
        query = (
            select(Deck.key, Section.key, Section.id)
            .join(Deck, col(Deck.id) == col(Section.deck_id))
            .order_by(col(Deck.id), col(Section.position))
        )
        with self._session() as session:
            return [
                (deck, section, section_id)
                for deck, section, section_id in session.exec(query)
                if section_id is not None
            ]

    def section_settings(self, key: str) -> dict[tuple[str, str], str]:
        """Setting ``key`` as stored for each section that has it of its own, by ``(deck key,
        section key)``; a section no longer in the collection (its deck removed) is left out."""
        query = select(Setting.scope, Setting.value).where(
            col(Setting.key) == key, col(Setting.scope).startswith("section:")
        )
        with self._session() as session:
            found = {
                named: value
                for scope, value in session.exec(query)
                if (named := section_of_scope(scope)) is not None
            }
        if not found:
            return {}
        existing = {(deck, section) for deck, section, _id in self.section_names()}
        return {named: value for named, value in found.items() if named in existing}

    def save_setting(self, key: str, value: str | None, scope: str = GLOBAL_SCOPE) -> None:
        """Store ``value`` for ``key``; None removes it, so the default applies again."""
        with self._session() as session:
            row = session.get(Setting, (scope, key))
            if value is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(Setting(scope=scope, key=key, value=value))
            else:
                row.value = value
                session.add(row)
            session.commit()
