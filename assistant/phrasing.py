"""The question inside a chat message: greetings, hedges and thanks taken off before searching.

People type to a chat assistant the way they talk: "Hi, quick question: what's our SEND
non-negotiable? Thanks!". Every word of that is searched for and scored as something the
documents must mention, so "quick", "question" and "thanks" counted as absent from every
document: measured on the tune halves (`python -m evals.phrasing`), such frames cost 6–8 points
of answer containment and raised false refusals from about 2% to as much as 16%.

`core_question` removes, from the start and the end only, the frames of a chat message
(greetings, apologies, "can you tell me", "I was wondering if", "thanks in advance") and keeps
the rest verbatim. The words inside a question are never touched, so a question that is
*about* something ("what help is there for new staff?") keeps every content word. What the user
typed is still what the answer and the history show.
"""

from __future__ import annotations

import re

_SEP = r"[\s,.!:;?\-–—…]*"  # what separates a frame from the question
_ASK = r"(?:tell me|let me know|explain|help(?: me)?(?: understand| find out| with)?|find out|check|clarify|confirm)"
_SILLY = r"(?:silly|stupid|daft|basic|dumb|obvious|simple|quick|random|odd|weird|naive)"
#: Frames that open a chat message, each matched whole at the start (case-insensitive).
LEADING = (
    r"(?:hi|hiya|hello|hey|hallo|greetings|dear ethos|yo)(?: there| all| everyone| team| ethos)?(?=[\s,.!:;\-–—])",
    r"good (?:morning|afternoon|evening|day)(?: all| everyone| team| ethos)?",
    r"(?:morning|afternoon|evening)(?=[,.!:;\-–—])",
    r"(?:i'?m |i am )?(?:so )?(?:sorry|apologies)(?: to (?:bother|trouble|pester) you)?(?: again)?(?: if this is (?:an? )?"
    rf"(?:{_SILLY} )?(?:question|one|thing)| if this is {_SILLY}| if (?:this|that) has been asked(?: before)?)?(?:,? but)?",
    rf"(?:this )?(?:(?:is|may be|might be|could be|is probably|probably) )?(?:a |just a )?(?:bit of a )?(?:very |really )?"
    rf"{_SILLY} (?:question|q|one)(?: for you)?(?:,? but| here)?(?=[\s,.!:;?\-–—])",
    r"(?:a |my )?question(?: for you)?(?=[,.!:;\-–—])",
    r"(?:i'?m|i am|i'?ve|i have) (?:just |only )?(?:new|started|joined|arrived)(?: (?:here|to the (?:school|trust|team)|"
    r"at the (?:school|trust)|this (?:term|week|year)|recently)(?=[\s,.!:;\-–—])|(?=[,.!:;\-–—]))(?:,? (?:so|and)\b)?",
    rf"(?:(?:please,? )?(?:can|could|would|will) you(?: please)?(?: possibly)? {_ASK}|please {_ASK}|(?:do|does) (?:you|anyone|anybody) know|"
    r"any ?(?:one|body) know|i (?:was|am|'m) (?:just )?wondering|just wondering|wondering|i(?:'d| would) like to know|"
    r"i (?:want|need) to know|i(?:'d| would) love to know|any idea(?:s)?|i have a question(?: for you)?|"
    r"(?:a )?question for you|i was hoping you could (?:tell me|help))(?: (?:please|whether|if))?",
    rf"(?:if |whether )?you (?:can|could|would|might)(?: please)? {_ASK}",
)
#: Frames that close one, matched whole at the end.
TRAILING = (
    r"(?:(?:many|big|huge) )?thanks?(?: you)?(?: (?:so|very) much| a lot| loads| again)?(?: in advance)?(?: for (?:your|any) help)?",
    r"thank you(?: (?:so|very) much)?(?: in advance)?(?: for (?:your|any) help)?",
    r"(?:cheers|ta|thx|ty|pls|plz)",
    r"(?<!as they )(?<!as you )(?<!as we )(?<!as she )(?<!as he )(?<!if you )please",  # not "vote as they please"
    r"(?:any help|all help|help)(?: would be| is)?(?: (?:much|greatly|really))? appreciated",
    r"(?:much|greatly) appreciated",
    r"if (?:you can|possible|you know|that makes sense)",
)
#: A message opening like a question: typed without its "?", it is embedded as the question it is.
INTERROGATIVE = re.compile(r"(?:what|whats|when|where|who|whom|whose|which|why|how|is|are|was|were|do|does|did|can|could|"
                           r"should|would|will|may|might|must|has|have|had|shall|am)\b", re.I)
_LEADING = re.compile(rf"^\s*(?:{'|'.join(LEADING)}){_SEP}", re.I)
_TRAILING = re.compile(rf"(?<![\w'’])(?:{'|'.join(TRAILING)})[\s,.!?:;\-–—…)(]*$", re.I)


def core_question(message: str) -> str:
    """`message` without the chat frames at its start and end; the message itself when nothing else is left."""
    original = message.strip()
    text = normalised = original.replace("’", "'")
    changed = True
    while changed:
        changed = False
        for rx in (_LEADING, _TRAILING):
            m = rx.search(text)
            if m and text[: m.start()].strip(" ,.;:-–—") + text[m.end():].strip():
                text = (text[: m.start()] + text[m.end():]).strip(" ,;:-–—")
                changed = True
    if not re.search(r"\w", text):
        return original
    if text == normalised:
        text = original  # nothing came off: the message as typed
    else:
        text = text[0].upper() + text[1:]  # "what's our…" after "Hi, " reads as the question it is
        if original[-1:] == "?" and text[-1:] not in "?.!":
            text += "?"  # "…dinner money? Thanks!" stays a question
    if INTERROGATIVE.match(text) and text[-1:] not in "?.!:;":
        text += "?"  # typed without its question mark, it is still a question (and is embedded as one)
    return text
