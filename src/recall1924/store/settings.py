"""Settings as stored: one row per changed setting, per scope."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from recall1924.models import Deck, Setting
from recall1924.store.base import StoreBase

GLOBAL_SCOPE = "global"


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
