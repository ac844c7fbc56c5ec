"""Typed answers: key points of the bundled deck's answers, matching, the suggested rating, the
session's typing phase, the editor and the comparison screen."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace

import pytest
from rich.console import Console

from conftest import NOW, make_deck
from recall1924.clock import FixedClock
from recall1924.deckfile import CardSpec, DeckSpec, SectionSpec, read_deck_file
from recall1924.importing import import_deck
from recall1924.paths import bundled_deck_path
from recall1924.review import Action, Phase, ReviewSession, Submit, run, scheduled_session
from recall1924.scheduling import Rating, build_scheduler
from recall1924.settings import Settings
from recall1924.store import Store
from recall1924.typed import Comparison, Found, PointMatch, compare, fold, key_points, suggest
from recall1924.ui.editor import Edit, Editor
from recall1924.ui.keys import KeyDecoder, Paste
from recall1924.ui.review import ReviewScreen, TerminalReviewUI

CARDS = {
    card.key: card
    for section in read_deck_file(bundled_deck_path()).sections
    for card in section.cards
}


def check(key: str, typed: str) -> Comparison:
    card = CARDS[key]
    return compare(typed, card.answer, question=card.question)


# -- key points ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "points"),
    [
        # A numbered plan: one point per number, whatever commas and asides it holds.
        (
            "testament-why-harmless",
            [
                "It criticised all the leaders, so none wanted it published",
                "Zinoviev and Kamenev, fearing Trotsky more, got Stalin kept as General Secretary",
                "a stroke (March 1923) silenced Lenin before he could act, and Trotsky did not "
                "press it",
            ],
        ),
        # A list, and a list whose last item carries an aside.
        ("right-leaders", ["Bukharin", "Rykov", "Tomsky"]),
        ("triumvirate-members", ["Stalin", "Zinoviev", "Kamenev (the 'troika', formed 1922-23)"]),
        ("nep-state-sector", ["Heavy industry", "the banks", "foreign trade", "transport"]),
        # Clauses: a dash, a semicolon, ", but", an opening fact then more about it.
        (
            "testament-published-abroad",
            ["1926", "in the New York Times, through the American Max Eastman"],
        ),
        (
            "nep-private-sector",
            ["Small businesses and trade", "the private traders were called 'NEPmen'"],
        ),
        (
            "testament-suppressed",
            ["It was read to party leaders and congress delegates in May 1924", "not published"],
        ),
        (
            "testament-published-ussr",
            ["1956", "after Khrushchev denounced Stalin at the 20th Party Congress"],
        ),
        ("trotsky-deported", ["Turkey", "the island of Prinkipo, near Istanbul"]),
        # A pair of dashes is an aside, not two points; a sentence that is not a list stays whole.
        (
            "central-control-commission",
            [
                "It enforced party discipline, punishing members - up to expulsion - for offences "
                "like factionalism"
            ],
        ),
        (
            "rabkrin-what",
            [
                "The Workers' and Peasants' Inspectorate, which checked the efficiency and honesty "
                "of government officials"
            ],
        ),
        ("gensec-appointed-year", ["April 1922"]),
    ],
)
def test_key_points_of_bundled_answers(key: str, points: list[str]) -> None:
    assert key_points(CARDS[key].answer) == points


def test_every_bundled_answer_has_key_points_that_cover_it() -> None:
    for card in CARDS.values():
        points = key_points(card.answer)
        assert points, card.key
        # Only filler and numbering are dropped: every word of the answer is in some point.
        answer_words = {word.strip(".,;:()'") for word in fold(card.answer).split()}
        point_words = {word.strip(".,;:()'") for word in fold(" ".join(points)).split()}
        missing = answer_words - point_words
        assert missing <= {"", "and", "but", "so", "1", "2", "3", "-"}, (card.key, missing)


def test_key_points_of_nothing() -> None:
    assert key_points("") == [] and key_points("   ") == []
    assert key_points("Bukharin.") == ["Bukharin"]


# -- matching --------------------------------------------------------------------------------

PARAPHRASES = [
    ("testament-what", "notes dictated by lenin in 1922-23 judging who might succeed him", "Good"),
    ("testament-what", "lenin's notes on the leaders who could take over after him", "Good"),
    ("testament-georgian-affair", "he and Ordzonikidze bullied the georgian communists", "Good"),
    (
        "testament-stalin-removal",
        "he said stalin was too rude and should be sacked as general secretary",
        "Good",
    ),
    (
        "testament-stalin-removal",
        "that stalin was too rude and should be removed as gen sec",
        "Hard",
    ),
    (
        "testament-suppressed",
        "it was read out to congress delegates in may 1924 but never published",
        "Good",
    ),
    ("testament-published-abroad", "1926 in the new york times via max eastman", "Good"),
    ("testament-published-abroad", "1925", "Again"),  # a year is exact: one digit off is wrong
    ("testament-published-ussr", "1956", "Hard"),
    ("right-leaders", "Bukharin, Rykov and Tomsky", "Good"),
    ("right-leaders", "bukarin, rykov, tomski", "Good"),  # typos in every name
    ("right-leaders", "Bukharin and Rykov", "Hard"),
    ("right-leaders", "Zinoviev and Kamenev", "Again"),
    ("nep-state-sector", "heavy industry, banking, foreign trade and transport", "Good"),
    ("trotsky-assassin", "Ramon Mercader, an NKVD agent, in 1940", "Good"),  # no accent typed
    ("trotsky-deported", "Prinkipo in Turkey", "Good"),
    ("trotsky-deported", "turkey", "Hard"),
    (
        "funeral-stalin-role",
        "he was a pallbearer and chief mourner, looking like lenins loyal disciple",
        "Good",
    ),
    ("funeral-stalin-role", "he carried the coffin", "Again"),
    ("nep-introduced-when", "march 1921 at the tenth party congress", "Good"),
    ("nep-introduced-when", "1921", "Hard"),
    (
        "collectivisation-what",
        "forcing peasants to pool land and livestock into big collective farms",
        "Good",
    ),
    (
        "industrialisation-what",
        "rapid state planned growth of heavy industry through five year plans",
        "Good",
    ),
]

HISTORY = [
    (
        "testament-why-harmless",
        "It criticised every leader so nobody wanted it published. Zinoviev and Kamenev feared "
        "Trotsky more so they kept Stalin as general secretary. Lenin had a stroke and could not "
        "act, and Trotsky didnt press it.",
        "Good",
    ),
    (
        "testament-why-harmless",
        "it criticised all the leaders so none of them wanted it published.\nzinoviev and "
        "kamenev kept stalin in his post",
        "Hard",
    ),
    ("testament-why-harmless", "Lenin died before it could be used", "Again"),
    (
        "funeral-why-helped",
        "Stalin looked like the chief mourner and Lenin's loyal disciple. His oath speech tied "
        "him to Lenins ideas. Trotsky was absent so he looked arrogant and disrespectful.",
        "Good",
    ),
    (
        "position-essay",
        "As general secretary he appointed officials loyal to him. They picked the congress "
        "delegates so he had majorities in votes. He controlled agendas and information so he "
        "could outmanoeuvre rivals who underestimated him.",
        "Good",
    ),
    ("position-essay", "Trotsky was arrogant and Stalin was clever", "Again"),
    (
        "stalin-turn-essay",
        "The grain crisis threatened food supplies; the 1927 war scare made industrialisation "
        "urgent; with the Left beaten he took their policies to destroy the Right",
        "Good",
    ),
]


@pytest.mark.parametrize(("key", "typed", "rating"), PARAPHRASES + HISTORY)
def test_typed_answers_suggest_what_a_teacher_would(key: str, typed: str, rating: str) -> None:
    assert suggest(check(key, typed)).name == rating


def test_points_are_marked_one_by_one() -> None:
    comparison = check("testament-why-harmless", HISTORY[1][1])
    assert [point.found for point in comparison.points] == [
        Found.MATCHED,
        Found.PARTLY,  # Zinoviev, Kamenev, kept; not fearing Trotsky, not General Secretary
        Found.MISSED,
    ]
    assert comparison.matched == 1
    assert "stroke" in comparison.points[2].missing


def test_every_answer_matches_itself_and_another_cards_answer_rarely_does() -> None:
    # The thresholds were set on this: the deck's answers share many words (Stalin, party,
    # Trotsky, congress), so another card's answer is the hardest "unrelated" answer there is.
    ratings: Counter[Rating] = Counter()
    for card in CARDS.values():
        assert suggest(compare(card.answer, card.answer, question=card.question)) is Rating.Good
        for other in CARDS.values():
            if other is not card:
                ratings[suggest(compare(other.answer, card.answer, question=card.question))] += 1
    total = sum(ratings.values())
    assert ratings[Rating.Again] / total > 0.95
    assert ratings[Rating.Good] / total < 0.01
    assert ratings[Rating.Easy] == 0


def test_the_question_typed_back_earns_nothing() -> None:
    typed_back = Counter(
        suggest(compare(card.question, card.answer, question=card.question))
        for card in CARDS.values()
    )
    assert typed_back[Rating.Again] >= len(CARDS) - 2


def test_one_shared_word_is_not_a_match() -> None:
    # token_set_ratio would give 100 for each: "stalin" is a subset of the point's words.
    assert suggest(compare("Stalin", "Stalin, Zinoviev and Kamenev.")) is Rating.Again
    assert check("testament-stalin-removal", "Stalin").points[0].score == 0  # the question's
    assert compare("Stalin", "Stalin gave the funeral oration").points[0].score == 25


def test_empty_is_i_dont_know() -> None:
    for typed in ("", "   \n "):
        comparison = check("right-leaders", typed)
        assert comparison.empty and comparison.matched == 0
        assert suggest(comparison) is Rating.Again


def test_easy_is_never_suggested() -> None:
    card = CARDS["right-leaders"]
    exact = compare(card.answer, card.answer)
    assert exact.exact and suggest(exact) is Rating.Good


def test_suggestion_from_points() -> None:
    def of(*scores: float) -> Comparison:
        return Comparison("x", "y", tuple(PointMatch(str(n), s) for n, s in enumerate(scores)))

    assert suggest(of(100, 60, 40)) is Rating.Good
    assert suggest(of(100, 100, 0)) is Rating.Hard
    assert suggest(of(100, 30)) is Rating.Hard  # one recalled, one partly: three quarters
    assert suggest(of(30)) is Rating.Hard  # partly recalled, the only point
    assert suggest(of(20)) is Rating.Again
    assert suggest(of(100, 0, 0)) is Rating.Again
    assert suggest(of()) is Rating.Again


def test_folding_ignores_case_accents_and_possessives() -> None:
    assert fold("Ramón Mercader’s") == "ramon mercader"
    assert fold("didn't") == "did not"
    assert fold("340,000") == "340000"


# -- the session -----------------------------------------------------------------------------


class TypingUI:
    """Plays a script: a string is a typed answer, anything else an action."""

    def __init__(self, script: list[Action | str]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str | None, Phase]] = []

    def show(self, session: ReviewSession) -> None:
        self.seen.append((session.card.key if session.card else None, session.phase))

    def next_action(self, session: ReviewSession) -> Action | Submit:
        if not self.script:
            return Action.QUIT
        step = self.script.pop(0)
        return Submit(step) if isinstance(step, str) else step


def typed_session(store: Store, settings: Settings, clock: FixedClock) -> ReviewSession:
    scheduler = build_scheduler(settings)
    return scheduled_session(store, lambda _deck: scheduler, settings, clock, typed=True)


def test_typed_session_submits_confirms_and_changes(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    ui = TypingUI(["answer a", Action.CONFIRM, "no idea at all", Action.HARD, Action.QUIT])
    summary = run(typed_session(demo_store, settings, clock), ui)
    assert ui.seen == [
        ("a", Phase.TYPING),
        ("a", Phase.ANSWER),
        ("b", Phase.TYPING),
        ("b", Phase.ANSWER),
        ("c", Phase.TYPING),
    ]
    assert [log.rating for log in demo_store.answers()] == [3, 2]  # Good confirmed; Hard chosen
    assert summary.answers == 2


def test_submit_shows_the_comparison_and_suggestion(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = typed_session(demo_store, settings, clock)
    review.start()
    assert review.phase is Phase.TYPING and review.comparison is None
    review.apply(Action.GOOD)  # "3" while typing never rates
    assert (
        review.phase is Phase.TYPING
        and review.message == "Type your answer first (Enter checks it)"
    )
    review.apply(Submit("Answr a"))
    assert review.phase is Phase.ANSWER and review.typed_text == "Answr a"
    assert review.comparison is not None and review.comparison.matched == 1
    assert review.suggested is Rating.Good and review.intervals[Rating.Good]
    review.apply(Action.EASY)  # 1-4 still change it
    assert [log.rating for log in demo_store.answers()] == [4]
    assert review.card is not None and review.card.key == "b" and review.suggested is None


def test_empty_submission_and_reveal_are_i_dont_know(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = typed_session(demo_store, settings, clock)
    review.start()
    review.apply(Submit(""))
    assert review.suggested is Rating.Again
    review.apply(Action.CONFIRM)
    review.apply(Action.REVEAL)  # shown without typing
    assert review.phase is Phase.ANSWER and review.suggested is Rating.Again
    assert review.comparison is not None and review.comparison.empty


def test_undo_brings_the_typed_answer_back(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = typed_session(demo_store, settings, clock)
    review.start()
    review.apply(Submit("answer a, I think"))
    review.apply(Action.CONFIRM)
    assert review.card is not None and review.card.key == "b" and review.draft == ""
    review.apply(Action.UNDO)
    assert review.card is not None and review.card.key == "a"
    assert review.phase is Phase.TYPING and review.draft == "answer a, I think"
    assert review.message == "Undid Good" and demo_store.answers() == []


def test_confirm_without_a_suggestion_asks_for_a_rating(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    scheduler = build_scheduler(settings)
    review = scheduled_session(demo_store, lambda _deck: scheduler, settings, clock)
    review.start()
    assert review.phase is Phase.QUESTION  # not typed: as before
    review.apply(Action.REVEAL)
    review.apply(Action.CONFIRM)
    assert review.message == "Rate it: 1 Again, 2 Hard, 3 Good, 4 Easy"
    assert demo_store.answers() == []


def test_typing_can_be_a_per_deck_setting(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    import_deck(store, make_deck("typed", {"one": ["a"]}), now=NOW)
    import_deck(store, make_deck("plain", {"one": ["b"]}), now=NOW)
    scheduler = build_scheduler(settings)
    review = scheduled_session(
        store, lambda _deck: scheduler, settings, clock, typed=lambda deck: deck == "typed"
    )
    review.start()
    phases = {}
    for _ in range(2):
        assert review.card is not None
        phases[review.card.deck_key] = review.phase
        review.apply(Submit("") if review.phase is Phase.TYPING else Action.REVEAL)
        review.apply(Action.AGAIN)
    assert phases == {"typed": Phase.TYPING, "plain": Phase.QUESTION}
    assert Settings.from_stored({"type_answers": "true"}).type_answers
    assert not Settings.from_stored({}).type_answers


# -- the editor and the keys -----------------------------------------------------------------


def test_editor_inserts_deletes_and_moves() -> None:
    editor = Editor("ab")
    editor.edit(Edit.LEFT)
    editor.insert("X")
    assert (editor.text, editor.cursor) == ("aXb", 2)
    editor.edit(Edit.BACKSPACE)
    editor.edit(Edit.DELETE)
    assert (editor.text, editor.cursor) == ("a", 1)
    editor.edit(Edit.NEWLINE)
    editor.insert("line two\x1b[31m")  # control characters never reach the text
    assert editor.text == "a\nline two[31m"
    editor.edit(Edit.UP)
    assert editor.cursor == 1  # the end of the shorter line above
    editor.edit(Edit.DOWN)
    editor.edit(Edit.LINE_START)
    assert editor.cursor == 2
    editor.edit(Edit.LINE_END)
    editor.edit(Edit.CLEAR_LINE)
    assert editor.text == "a\n"
    for _ in range(5):
        editor.edit(Edit.BACKSPACE)
    assert (editor.text, editor.cursor) == ("", 0)


def test_editor_wraps_at_spaces_and_keeps_the_cursor_in_view() -> None:
    editor = Editor("one two three four five six seven eight nine ten")
    rows, at = editor.rows(12)
    # Rows hold 11 cells of text: the twelfth is kept for the cursor.
    assert [row.plain for row in rows] == [
        "one two ",
        "three four ",
        "five six ",
        "seven ",
        "eight nine ",
        "ten ",
    ]
    assert at == 5  # the cursor, at the end, is a reversed space on the last row
    assert [row.plain for row in editor.view(12, 2)] == ["eight nine ", "ten "]
    editor.cursor = 0
    assert [row.plain for row in editor.view(12, 2)] == ["one two ", "three four "]


class Keys:
    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)

    def read(self) -> str:
        return self.keys.pop(0) if self.keys else "eof"


def test_while_typing_rating_keys_and_q_are_text_and_a_paste_is_inserted(
    demo_store: Store, settings: Settings, clock: FixedClock
) -> None:
    decoder = KeyDecoder()
    pasted = decoder.feed(b"\x1b[200~ Answer\r\nline\x1b[201~")
    assert pasted == ["paste"] and isinstance(pasted[0], Paste)
    review = typed_session(demo_store, settings, clock)
    review.start()
    term = Console(file=io.StringIO(), width=60, height=20, no_color=True)
    keys = ["3", " ", "q", "?", "backspace", "left", "u", *pasted, "f5", "enter", "enter"]
    ui = TerminalReviewUI(term, Keys(keys))
    action = ui.next_action(review)
    assert action == Submit("3 u Answer\nlineq")
    review.apply(action)
    assert ui.next_action(review) is Action.CONFIRM  # Enter takes the suggestion
    assert ui.next_action(review) is Action.QUIT  # the end of input


# -- the screen ------------------------------------------------------------------------------


def _screen_session(store: Store, settings: Settings, clock: FixedClock) -> ReviewSession:
    card = CARDS["testament-why-harmless"]
    deck = DeckSpec(
        "one",
        "Why did Stalin gain power from 1924?",
        (SectionSpec("s", "Lenin's legacy", (card,)),),
        "test",
    )
    import_deck(store, deck, now=NOW)
    review = typed_session(store, replace(settings, enable_fuzzing=False), clock)
    review.start()
    return review


TYPED = (
    "It criticised all the leaders so none of them wanted it published.\n"
    "Zinoviev and Kamenev kept Stalin as general secretary"
)


def _rows(screen: ReviewScreen, review: ReviewSession, width: int, height: int) -> list[str]:
    term = Console(file=io.StringIO(), width=width, height=height, no_color=True)
    return ["".join(seg.text for seg in row).rstrip() for row in screen.compose(term, review)]


def test_typing_screen_keeps_the_editor_and_keys_in_view(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = _screen_session(store, settings, clock)
    screen = ReviewScreen()
    _rows(screen, review, 60, 20)
    screen.editor.insert(TYPED + "\nmore " * 20)
    shown = _rows(screen, review, 60, 20)
    assert len(shown) == 20 and all(len(row) <= 60 for row in shown)
    assert "done 0" in shown[0] and "Give three reasons" in shown[3]  # the question shows
    keys = shown.index("Enter check · Alt-Enter new line · Ctrl-C quit · F1 help")
    editor = shown.index("╭─ Your answer ────────────────────────────────────────────╮")
    assert shown[keys - 1].startswith("╰") and keys - editor - 2 == 6  # half the room
    assert shown[keys - 2].startswith("│ more ")  # the end of the text, where the cursor is


def test_comparison_screen_at_60_and_80_columns(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    review = _screen_session(store, settings, clock)
    narrow, wide = ReviewScreen(), ReviewScreen()
    _rows(narrow, review, 60, 20)
    _rows(wide, review, 80, 24)
    review.apply(Submit(TYPED))
    shown = _rows(narrow, review, 60, 20)
    assert shown[:6] == [
        "Why did Stalin gain power fr… done 0 · left 1 (1 new, 0 due)",
        "╭─ Your answer ────────────────────────────────────────────╮",
        "│ It criticised all the leaders so none of them wanted it  │",
        "│ published.                                               │",
        "│ Zinoviev and Kamenev kept Stalin as general secretary    │",
        "╰──────────────────────────────────────────────────────────╯",
    ]
    assert shown[6:13] == [
        "╭─ Answer · 2 of 3 key points ─────────────────────────────╮",
        "│ ✓ It criticised all the leaders, so none wanted it       │",
        "│   published                                              │",
        "│ ✓ Zinoviev and Kamenev, fearing Trotsky more, got Stalin │",
        "│   kept as General Secretary                              │",
        "│ ✗ a stroke (March 1923) silenced Lenin before he could   │",
        "│   act, and Trotsky did not press it                      │",
    ]
    assert shown[-4:] == [
        "Suggested: Hard — Enter to confirm, 1-4 to change",
        " 1  Again 1m    2  Hard 6m    3  Good 10m    4  Easy 8d",
        "u undo · q quit · ? help",
        "",
    ]
    assert len(shown) == 20 and all(len(row) <= 60 for row in shown)
    shown = _rows(wide, review, 80, 24)
    assert shown[6:11] == [
        "╭─ Your answer ───────────────────────╮ ╭─ Answer · 2 of 3 key points ─────────╮",
        "│ It criticised all the leaders so    │ │ ✓ It criticised all the leaders, so  │",
        "│ none of them wanted it published.   │ │   none wanted it published           │",
        "│ Zinoviev and Kamenev kept Stalin as │ │ ✓ Zinoviev and Kamenev, fearing      │",
        "│ general secretary                   │ │   Trotsky more, got Stalin kept as   │",
    ]
    assert "Give three reasons why Lenin's Testament did not destroy Stalin." in shown[3]
    assert " ".join(shown).count("Suggested: Hard — Enter to confirm, 1-4 to change") == 1


def test_nothing_typed_says_so(store: Store, settings: Settings, clock: FixedClock) -> None:
    review = _screen_session(store, settings, clock)
    review.apply(Submit(""))
    shown = _rows(ReviewScreen(), review, 80, 30)
    assert any("nothing typed: I don't know" in row for row in shown)
    assert "Suggested: Again — Enter to confirm, 1-4 to change" in shown


def test_the_typing_help_lists_the_editing_keys() -> None:
    term = Console(file=io.StringIO(), width=60, height=20, no_color=True)
    shown = ["".join(seg.text for seg in row) for row in ReviewScreen().help(term, typing=True)]
    text = "\n".join(shown)
    assert "Alt-Enter" in text and "Ctrl-C Ctrl-D" in text and "other keys are text" in text
    normal = "\n".join("".join(seg.text for seg in row) for row in ReviewScreen().help(term))
    assert "take the suggested rating" in normal


def test_a_typed_card_with_a_huge_answer(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    deck = DeckSpec(
        "h", "Huge", (SectionSpec("s", "S", (CardSpec("h", "Huge?", "Word. " * 50_000),)),), "test"
    )
    import_deck(store, deck, now=NOW)
    review = typed_session(store, settings, clock)
    review.start()
    review.apply(Submit("word " * 5000))
    shown = _rows(ReviewScreen(), review, 60, 20)
    assert len(shown) == 20 and "Suggested:" in " ".join(shown)
