"""The composer's rules on hand-built passages: what is shown of the best passage, and when a
question asks for a list. No embedder: units and their ranks are given, so each rule is tested alone."""

from __future__ import annotations

from dataclasses import replace

from assistant.compose import compose, introduces
from assistant.extractive import LIST_CUE
from assistant.models import Evidence
from assistant.scoring import AnswerParams, Scored
from assistant.units import Unit, terms
from ingest.models import Chunk


def passage(sentences: list[str], ranks: list[float]) -> tuple[list[Evidence], Scored]:
    """One chunk made of `sentences` (one unit each, in reading order) with the given unit ranks."""
    text = " ".join(sentences)
    chunk = Chunk("doc#1", "doc", text, 1, 0, len(text), ("Policy", "Personal budgets"), "SEND Policy",
                  "Oakfield Primary School", "policy", "all", "send.md")
    units, at = [], 0
    for s, r in zip(sentences, ranks):
        units.append(Unit(0, "sentence", s, at, at + len(s), score=r, rank=r))
        at += len(s) + 1
    return [Evidence(chunk, 1.0, 0.6, 3.0, 0)], Scored(units, [max(ranks)], [])


FIRST = "Personal budgets are only available to pupils with an EHC plan or under assessment for one."  # 16 words
MIDDLE = "Funding can be made available to parents and carers as a personal budget to commission their own provision."
LAST = "Parents who would like to enquire further about using a personal budget should speak first to the SENDCo."


def test_a_passage_barely_over_the_budget_is_shown_whole() -> None:
    evidence, scored = passage([FIRST, MIDDLE, LAST], [0.5, 0.6, 0.9])  # 52 words, the last line scores best
    params = AnswerParams(whole_passage=1.25)
    whole = compose(evidence, scored, params, budget=45)
    assert FIRST in whole.answer and LAST in whole.answer  # 52 <= 1.25 x 45: nothing is cut
    cut = compose(evidence, scored, replace(params, whole_passage=0.0), budget=45)
    assert FIRST not in cut.answer and LAST in cut.answer  # a window around the best line instead
    assert compose(evidence, scored, params, budget=30).answer.count("personal budget") < 3  # 52 > 37.5: cut


def test_a_line_announcing_what_follows_reads_forwards() -> None:
    before = "Staff are trained every year in how to respond to incidents of this kind."
    intro = "Immediate referral to the police should be made if:"
    after = "The incident involves an adult or a pupil aged 12 or under."
    evidence, scored = passage([before, intro, after], [0.7, 0.9, 0.4])  # the neighbour before scores higher
    answer = compose(evidence, scored, AnswerParams(), budget=24)  # room for one neighbour
    assert intro in answer.answer and after in answer.answer and before not in answer.answer
    assert introduces(scored.units[1]) and not introduces(scored.units[0])


def test_a_question_names_a_plural_to_ask_for_a_list() -> None:
    assert LIST_CUE.search("Which partners does the growth plan say we'll keep working with?")
    assert LIST_CUE.search("Which governors are responsible for SEND?")
    assert not LIST_CUE.search("Which staff development strategy is our improvement strategy tied to?")
    assert not LIST_CUE.search("Which local authority is this school in?")


def test_accents_do_not_stop_a_word_matching() -> None:
    assert terms("Tugh Temür founded an academy") == terms("Tugh Temur founded an academy")
    assert terms("the café opens") == terms("the cafe opens")


def test_a_contraction_is_the_word_it_shortens() -> None:
    # "I'm" was a focus term of its own, absent from every document: a refusal said none mention "I'm"
    assert terms("I'm worried about a child") == terms("I worried about a child") == {"worri", "child"}
    assert terms("We're sure it doesn't, and they can't") == {"sure"}
    assert terms("Luton's school") == {"luton", "school"} and "non-negoti" in terms("non-negotiable")
    assert terms("at six o'clock") >= {"o'clock"}  # an apostrophe inside a word is not a contraction


def test_the_next_line_wins_a_near_tie_with_the_previous_one() -> None:
    before = "Staff are trained every year in how to respond to incidents of this kind."
    topic = "A teacher who learns that a pupil has undergone FGM must act on it."
    rule = "The report to the police should be made by the close of the next working day."
    evidence, scored = passage([before, topic, rule], [0.62, 0.9, 0.6])  # the line before scores a little higher
    plain = compose(evidence, scored, AnswerParams(), budget=30).answer
    assert before in plain and rule not in plain
    leaning = compose(evidence, scored, AnswerParams(forward_bias=0.06), budget=30).answer
    assert rule in leaning and before not in leaning



def test_a_compound_word_is_one_thing_asked_about() -> None:
    from assistant.scoring import focus_of
    from assistant.vocabulary import default_vocabulary

    focus = focus_of("What's our SEND non-negotiable?", default_vocabulary(), lambda stem: 1, 100)
    assert [f.label for f in focus] == ["SEND", "non-negotiable"]  # not "non", "negotiable" and the compound
    compound = focus[1]
    assert compound.found_in("Non-negotiables are established.", terms("Non-negotiables are established."))
    assert not compound.found_in("non-disadvantaged learners", terms("non-disadvantaged learners"))


def test_in_charge_of_is_asked_as_who_leads_or_is_responsible() -> None:
    from assistant.scoring import focus_of
    from assistant.vocabulary import default_vocabulary

    # "charge" on its own was a focus term no policy holds: "who's in charge of SEND?" was refused for it
    focus = focus_of("Who's in charge of SEND?", default_vocabulary(), lambda stem: 1, 100)
    role = next(f for f in focus if f.group is not None and "leads" in f.group.variants)
    assert not any(f.group is None and "charg" in f.stems for f in focus)
    for line in ("Mrs Okafor leads the plan.", "The SENDCo is responsible for the register."):
        assert role.found_in(line, terms(line))


def test_money_is_asked_for_as_funding() -> None:
    from assistant.vocabulary import default_vocabulary

    # "How much catch-up money did we get?" was refused: the plan says "funding" and "funds", never "money"
    assert "funding" in default_vocabulary().expansion("How much catch-up money did we get?").lower()


def test_a_worry_is_asked_for_as_a_concern_and_new_staff_as_induction() -> None:
    from assistant.vocabulary import default_vocabulary

    vocabulary = default_vocabulary()
    # policies say "concern" and "induction"; staff say "worried" and "new staff"
    assert "concern" in vocabulary.expansion("Who do I go to if my worry is about another teacher?").lower()
    assert "induction" in vocabulary.expansion("What safeguarding training do new staff get?").lower()


def test_a_labelled_list_item_starts_below_its_label() -> None:
    """With two passages each is introduced by where it comes from; an item is not run into the label."""
    first = Chunk("doc#1", "doc", "Pupils earn house points.", 1, 0, 25, ("Rewards",), "Behaviour Policy",
                  "Oakfield Primary School", "policy", "all", "b.md")
    item = "Inclusive approaches are valued."
    second = Chunk("doc2#1", "doc2", item, 1, 0, len(item), ("Phase 3",), "Improvement Strategy",
                   "Oakfield Primary School", "plan", "all", "s.md")
    units = [Unit(0, "sentence", first.text, 0, 25, score=0.9, rank=0.9),
             Unit(1, "item", item, 0, len(item), score=0.88, rank=0.88)]
    evidence = [Evidence(first, 1.0, 0.6, 3.0, 0), Evidence(second, 0.9, 0.6, 3.0, 1)]
    answer = compose(evidence, Scored(units, [0.9, 0.88], []), AnswerParams(second_margin=0.1), budget=60)
    assert "*Behaviour Policy (Rewards):* **Pupils earn house points.** [1]" in answer.answer
    assert "*Improvement Strategy (Phase 3):*\n- **Inclusive approaches are valued.** [2]" in answer.answer


def test_a_runner_up_repeating_the_first_passages_best_line_is_not_shown() -> None:
    """A document that repeats a line (the same aim under two phases) must not show it twice."""
    line = "Leadership roles are developed across schools."
    chunks = [Chunk(f"doc#{k}", "doc", f"{line} Other text {k}.", 1, 100 * k, 100 * k + len(line) + 14,
                    (f"Phase {k}",), "Growth Plan", "Oakfield Primary School", "plan", "all", "g.md") for k in (1, 2)]
    units = [Unit(0, "sentence", line, 0, len(line), score=0.9, rank=0.9),
             Unit(1, "sentence", line, 100, 100 + len(line), score=0.89, rank=0.89)]
    evidence = [Evidence(c, 1.0, 0.6, 3.0, k) for k, c in enumerate(chunks)]
    params = AnswerParams(second_margin=0.1, second_same_doc=1.0)
    answer = compose(evidence, Scored(units, [0.9, 0.89], []), params, budget=60)
    assert answer.answer.count(line) == 1 and len(answer.citations) == 1
    units[1].text = "A different line about leadership."
    assert len(compose(evidence, Scored(units, [0.9, 0.89], []), params, budget=60).citations) == 2
