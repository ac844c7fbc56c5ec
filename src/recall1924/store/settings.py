"""Settings as stored: one row per changed setting, per scope."""

from __future__ import annotations

from sqlmodel import select

from recall1924.models import Setting
from recall1924.store.base import StoreBase

GLOBAL_SCOPE = "global"


class SettingsStore(StoreBase):
    def settings(self, scope: str = GLOBAL_SCOPE) -> dict[str, str]:
        """The settings changed from their defaults, as stored text."""
        with self._session() as session:
            rows = session.exec(select(Setting).where(Setting.scope == scope)).all()
            return {row.key: row.value for row in rows}

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
