"""recall: spaced-repetition flashcards in the terminal, scheduled by FSRS.

Only the version lives here, so that ``recall --help`` and ``--version`` import nothing heavy.
"""

__version__ = "0.1.0"
