"""Quote extraction from realistic article sentences: every way reporters mark and trim quotations."""

from __future__ import annotations

from cabledesk.trace_quotes import MIN_WORDS, article_text, extract, kind_of


def _one(text: str):
    quotes = extract(text)
    assert len(quotes) == 1, [q.text for q in quotes]
    return quotes[0]


def test_straight_double_quotes_give_text_and_offsets_into_the_article() -> None:
    text = 'The embassy said "the military was not trained to patrol the streets" in a Jan. 29 cable.'
    q = _one(text)
    assert q.text == "the military was not trained to patrol the streets"
    assert text[q.start : q.end] == q.text
    assert q.parts == [q.text]


def test_curly_quotes_with_single_quotes_inside_are_one_quote() -> None:
    text = "Feeley wrote: “Calderon’s aides call it the ‘Juarez model’ and say it will be copied in Tijuana.” Then"
    q = _one(text)
    assert q.text.startswith("Calderon’s aides") and "‘Juarez model’" in q.text
    assert q.text.endswith("Tijuana.")


def test_curly_quote_nested_in_a_straight_quote_does_not_close_it() -> None:
    text = '"The army is seen as “risk averse” even where it should succeed," the cable said.'
    q = _one(text)
    assert q.text.endswith("should succeed,")


def test_attribution_split_quote_is_one_quote_with_two_parts() -> None:
    text = "“The risk is that the more SEDENA is criticized,” it went on, “the more risk averse it will become.”"
    q = _one(text)
    assert q.parts == ["The risk is that the more SEDENA is criticized,", "the more risk averse it will become."]
    assert q.start == 1 and q.end == len(text) - 1
    assert "…" in q.text and "went on" not in q.text


def test_attribution_with_an_abbreviated_date_still_joins_the_halves() -> None:
    text = '"We will not negotiate," Ambassador Pascual wrote in a Jan. 29 cable, "until the guns are silent."'
    assert _one(text).parts == ["We will not negotiate,", "until the guns are silent."]


def test_two_sentences_with_a_full_stop_between_are_two_quotes() -> None:
    text = '"The army is slow to adapt to new threats," he said. "Its leaders distrust the civilian police forces."'
    assert len(extract(text)) == 2


def test_ellipses_in_three_spellings_are_gaps() -> None:
    for gap in ("...", "…", "[...]", ". . .", "[…]"):
        q = _one(f'It said "corruption is widespread, leading to a {gap} siege mentality among police leaders."')
        assert q.parts == ["corruption is widespread, leading to a", "siege mentality among police leaders."], gap


def test_bracketed_case_changes_and_insertions() -> None:
    q = _one('"[T]he military was not trained to patrol the streets," it said.')
    assert q.parts == ["The military was not trained to patrol the streets,"]
    q = _one('"(T)he military was not trained to patrol the streets," it said.')
    assert q.parts == ["The military was not trained to patrol the streets,"]
    q = _one('"He said [the] army was not trained to patrol the streets," it said.')
    assert q.parts == ["He said the army was not trained to patrol the streets,"]
    q = _one('"He said [the Mexican army] was not trained to patrol the streets," it said.')
    assert q.parts == ["He said", "was not trained to patrol the streets,"]


def test_quote_running_across_paragraphs_continues_when_reopened() -> None:
    text = (
        "The embassy urged Washington on. “We believe Galvan is committed to following orders.\n\n"
        "“We need to capitalize on these cracks in the door.”\n\nA spokesman declined to comment."
    )
    q = _one(text)
    assert q.parts == ["We believe Galvan is committed to following orders.", "We need to capitalize on these cracks in the door."]
    assert q.segments == [0, 1]
    assert text[q.end] == "”"


def test_unclosed_quote_not_reopened_ends_with_its_paragraph() -> None:
    text = "He wrote that “the ministry has no plan for the border\n\nThe next paragraph is the reporter’s own."
    q = _one(text)
    assert q.text == "the ministry has no plan for the border"


def test_scare_quotes_are_too_short_and_long_quotes_are_not() -> None:
    text = 'Diplomats called the army "risk averse," and the ministry "down" but "not out of the fight yet" at all.'
    quotes = extract(text)
    assert [q.text for q in quotes] == ["risk averse,", "down", "not out of the fight yet"]
    assert [q.too_short for q in quotes] == [True, True, False]
    assert MIN_WORDS == 5


def test_inch_marks_and_stray_closing_marks_are_not_quotes() -> None:
    assert extract('The screen is 15" wide and the report ran to 40 pages.') == []


def test_html_articles_are_read_as_paragraph_text() -> None:
    raw = (
        "<html><head><script>var x = '\"not a quote at all here\"';</script></head><body>"
        "<article><h1>Headline</h1><p>The cable said <em>“the military was not trained</em> to patrol the streets.”</p>"
        "<p>Second paragraph &amp; more.</p></article></body></html>"
    )
    text = article_text(raw, "html")
    assert "var x" not in text and "Second paragraph & more." in text
    q = _one(text)
    assert q.text == "the military was not trained to patrol the streets."
    assert kind_of("story.HTML") == "html" and kind_of("a.md") == "md" and kind_of("a.txt") == "txt"


def test_markdown_emphasis_inside_a_quote_is_not_part_of_the_words() -> None:
    q = _one("It said “the military was *not* trained to patrol the streets.”")
    assert q.parts == ["the military was not trained to patrol the streets."]
