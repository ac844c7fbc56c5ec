"""``python -m recall1924`` runs the ``recall`` command."""

from recall1924.cli import main

main()
