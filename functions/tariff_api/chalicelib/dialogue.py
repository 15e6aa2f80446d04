"""Guided classification: ask the question that best separates the remaining candidates.

The classifier's candidate distribution is the prior. Questions are generated from the HS structure itself, not
from a script per product:

* **choice** questions — "Which of these best describes it?" over the competing chapters, headings or
  subheadings, with plain rewordings of their nomenclature text (plus "none of these");
* **attribute** questions — the deciding facts the nomenclature is written in (material, knitted or not,
  men's or women's, fresh/frozen/dried, electric or not, for vehicles), read off each candidate's own wording,
  then its heading's, then its chapter's;
* **national** questions — which national tariff line under the chosen HS6, from the national schedule.

Each turn picks the question with the highest expected information gain (bits) about the candidates. An answer
re-weights candidates by a soft likelihood (a mismatch keeps a little mass, so one wrong answer or one wrong
attribute reading is recoverable); "not sure" changes nothing, and that question is not asked again. The whole
state is a plain dict, so a session can be stored, resumed and replayed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from customs.hs.examples import chinese_examples, korean_examples

NOT_SURE = "not_sure"
NONE_OF_THESE = "none"
MAX_QUESTIONS = 6
CONFIDENT = 0.9  # stop asking about HS6 once one candidate holds this much probability
MIN_GAIN_BITS = 0.05
MISMATCH = 0.03  # likelihood kept by a candidate that contradicts the answer
MAX_CHOICE_OPTIONS = 5
MIN_PRIOR = 1e-4
PRIOR_TEMPER = 0.5
SIBLING_HEADINGS = 8  # the leading headings whose every subheading joins the candidates

LANGUAGES = ("en", "zh-TW", "ko")
UI_TEXT = {
    "choice": {"en": "Which of these best describes it?", "zh-TW": "下列哪一項最符合您的貨品？", "ko": "다음 중 어느 것에 가장 가깝습니까?"},
    "national": {"en": "Which national tariff line fits it best?", "zh-TW": "哪一個國家稅則號列最符合？", "ko": "어느 국가 세번이 가장 잘 맞습니까?"},
    NOT_SURE: {"en": "Not sure", "zh-TW": "不確定", "ko": "잘 모르겠음"},
    NONE_OF_THESE: {"en": "None of these", "zh-TW": "以上皆非", "ko": "해당 없음"},
}


# --- attributes read off the nomenclature wording -------------------------------------------------------


@dataclass(frozen=True)
class AttributeValue:
    id: str
    label_en: str
    label_zh: str
    label_ko: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Attribute:
    id: str
    question_en: str
    question_zh: str
    question_ko: str
    values: tuple[AttributeValue, ...]
    # Only the first level (subheading → heading → chapter) whose text matches decides.
    levels: tuple[int, ...] = (6, 4, 2)


def _value(id_: str, en: str, zh: str, ko: str, pattern: str) -> AttributeValue:
    return AttributeValue(id_, en, zh, ko, re.compile(pattern, re.IGNORECASE))


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "material",
        "What is it mainly made of?",
        "主要是什麼材質？",
        "주로 어떤 재질입니까?",
        (
            _value("cotton", "Cotton", "棉", "면", r"\bof cotton\b|\bcotton\b"),
            _value("wool", "Wool or fine animal hair", "羊毛或動物細毛", "양모 또는 동물의 부드러운 털", r"\bwool\b|fine animal hair"),
            _value("synthetic", "Synthetic or man-made fibres", "合成或人造纖維", "합성 또는 재생 섬유", r"synthetic|man-made|artificial fib"),
            _value("silk", "Silk", "絲", "견(실크)", r"\bsilk\b"),
            _value("textile_other", "Other textile material", "其他紡織材料", "기타 방직용 섬유", r"other textile materials|of textile materials|vegetable textile"),
            _value("plastics", "Plastics", "塑膠", "플라스틱", r"\bplastics?\b"),
            _value("rubber", "Rubber", "橡膠", "고무", r"\brubber\b"),
            _value("leather", "Leather", "皮革", "가죽", r"\bleather\b"),
            _value("wood", "Wood", "木材", "목재", r"\bwood(en)?\b"),
            _value("paper", "Paper or paperboard", "紙或紙板", "종이 또는 판지", r"\bpaper(board)?\b"),
            _value("glass", "Glass", "玻璃", "유리", r"\bglass\b"),
            _value("ceramic", "Ceramic or porcelain", "陶瓷", "도자기(세라믹)", r"ceramic|porcelain|\bchina\b"),
            _value("steel", "Iron or steel", "鋼鐵", "철강", r"iron or steel|\bsteel\b|\biron\b"),
            _value("aluminium", "Aluminium", "鋁", "알루미늄", r"alumini?um"),
            _value("copper", "Copper", "銅", "구리", r"\bcopper\b"),
            _value("precious", "Precious metal", "貴金屬", "귀금속", r"precious metal|\bgold\b|\bsilver\b|platinum"),
        ),
    ),
    Attribute(
        "knitted",
        "Is it knitted or crocheted?",
        "是針織或鉤針織品嗎？",
        "메리야스 편물 또는 뜨개질 편물입니까?",
        (
            _value("not_knitted", "No, woven or other", "否，梭織或其他", "아니요, 직물(우븐) 또는 기타", r"not knitted|other than knitted"),
            _value("knitted", "Yes, knitted or crocheted", "是，針織或鉤針織", "예, 메리야스 편물 또는 뜨개질 편물", r"knitted or crocheted"),
        ),
    ),
    Attribute(
        "wearer",
        "Who is it made for?",
        "適用對象是？",
        "누구를 위해 만든 것입니까?",
        (
            _value("men", "Men or boys", "男士或男童", "남성용 또는 남아용", r"men's or boys'"),
            _value("women", "Women or girls", "女士或女童", "여성용 또는 여아용", r"women's or girls'"),
            _value("babies", "Babies", "嬰兒", "유아용", r"babies'"),
        ),
        levels=(6, 4),
    ),
    Attribute(
        "state",
        "In what state is it presented?",
        "貨品呈現何種狀態？",
        "어떤 상태로 제시됩니까?",
        (
            _value("live", "Live", "活的", "산 것", r"\blive\b"),
            _value("frozen", "Frozen", "冷凍", "냉동", r"\bfrozen\b"),
            _value("fresh", "Fresh or chilled", "生鮮或冷藏", "신선 또는 냉장", r"fresh or chilled|\bfresh\b|\bchilled\b"),
            _value("dried", "Dried, salted or smoked", "乾燥、鹽醃或燻製", "건조·염장 또는 훈제", r"dried|salted|smoked|in brine"),
            _value("prepared", "Prepared or preserved", "調製或保藏", "조제 또는 저장 처리", r"prepared or preserved|preparations"),
        ),
    ),
    Attribute(
        "power",
        "Does it work electrically?",
        "是否以電力運作？",
        "전기로 작동합니까?",
        (
            _value("non_electric", "No, not electric", "否，非電動", "아니요, 전기식이 아님", r"non-electric|not electric|hand-operated|manually"),
            _value("electric", "Yes, electric", "是，電動", "예, 전기식", r"electric|battery|electro"),
        ),
        levels=(6, 4),
    ),
    Attribute(
        "vehicle",
        "Is it made for use in a motor vehicle?",
        "是否專供機動車輛使用？",
        "자동차에 사용하도록 만든 것입니까?",
        (_value("vehicle", "Yes, for motor vehicles", "是，供機動車輛用", "예, 자동차용", r"motor vehicles?|vehicles of heading|for vehicles"),),
        levels=(6, 4),
    ),
)

# Phrases that name a material only to exclude it ("of textile materials (other than cotton)").
_EXCLUSIONS = re.compile(r"\((?:other than|excluding|excl\.|not)[^)]*\)|\b(?:other than|excluding|excl\.)\s[^;,)]*", re.IGNORECASE)


def attribute_value(attribute: Attribute, texts_by_level: Mapping[int, str]) -> str | None:
    """The attribute's value for one candidate, read from the most specific level that mentions it."""
    for level in attribute.levels:
        text = _EXCLUSIONS.sub(" ", texts_by_level.get(level, ""))
        for value in attribute.values:
            if value.pattern.search(text):
                return value.id
    return None


# --- wording ---------------------------------------------------------------------------------------------


def _labels(english: str, code: str) -> dict[str, str]:
    """An option's label: the English HS wording, and on the Chinese and Korean pages the same with trade names of the
    code in that language (the HS wording has no Chinese or Korean text here)."""
    labels = {"en": english}
    if examples_zh := chinese_examples(code, limit=2):
        labels["zh-TW"] = f"{english}（例：{'、'.join(examples_zh)}）"
    if examples_ko := korean_examples(code, limit=2):
        labels["ko"] = f"{english} (예: {', '.join(examples_ko)})"
    return labels


def plain_wording(description: str, limit: int = 110) -> str:
    """A readable rewording of nomenclature text: references to other headings dropped, first clauses kept."""
    text = re.sub(r"\s*[,;]?\s*\b(?:n\.e\.c\.|excluding\b|other than\b)[^;]*", "", description, flags=re.IGNORECASE)
    text = re.sub(r"\bof headings?(?: no\.)? \d{4}(?: to \d{4})?|\bin chapter \d+\b|\bof subheadings?[^;,]*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s{2,}", " ", text).strip(" ;,")
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:] if text else description


# --- questions ---------------------------------------------------------------------------------------------


@dataclass
class Question:
    id: str
    kind: str  # "choice" | "attribute" | "national"
    text: dict[str, str]
    options: list[dict[str, Any]]  # {"id", "label": {"en", "zh-TW", "ko"}}
    assignment: dict[str, str | None]  # candidate key -> option id (None: the question does not decide it)

    def view(self, lang: str) -> dict[str, Any]:
        def pick(texts: Mapping[str, str]) -> str:
            return texts.get(lang) or texts["en"]

        return {
            "id": self.id,
            "kind": self.kind,
            "text": pick(self.text),
            "options": [{"id": o["id"], "label": pick(o["label"])} for o in self.options]
            + [{"id": NOT_SURE, "label": pick(UI_TEXT[NOT_SURE])}],
        }


def entropy(probabilities: Iterable[float]) -> float:
    return -sum(p * math.log2(p) for p in probabilities if p > 0)


def expected_gain(weights: Mapping[str, float], assignment: Mapping[str, str | None], option_ids: Sequence[str]) -> float:
    """Expected reduction of the candidates' entropy (bits) from asking; undecided candidates fit any answer."""
    total = sum(weights.values())
    if total <= 0 or not option_ids:
        return 0.0
    prior = {key: w / total for key, w in weights.items()}
    spread = 1.0 / len(option_ids)
    gain = entropy(prior.values())
    for option in option_ids:
        posterior = {k: p * _likelihood(assignment.get(k), option, spread) for k, p in prior.items()}
        mass = sum(posterior.values())
        if mass > 0:
            gain -= mass * entropy(v / mass for v in posterior.values())
    return gain


def _likelihood(candidate_option: str | None, answer: str, spread: float) -> float:
    """P(answer | candidate): a distribution over the ``1/spread`` options for every candidate."""
    if candidate_option is None:
        return spread
    n_options = round(1 / spread)
    normalizer = 1.0 + (n_options - 1) * MISMATCH
    return (1.0 if candidate_option == answer else MISMATCH) / normalizer


# --- the engine ---------------------------------------------------------------------------------------------


@dataclass
class DialogueEngine:
    """Pure logic over a state dict; the nomenclature and national schedule are injected."""

    nomenclature: Any
    national_lines: Callable[[str], list[dict[str, Any]]] = field(default=lambda hs6: [])
    max_questions: int = MAX_QUESTIONS
    confident: float = CONFIDENT

    # --- state lifecycle ---------------------------------------------------------------------------

    def start(self, description: str, candidates: Sequence[Mapping[str, Any]], lang: str = "en") -> dict[str, Any]:
        """A new state from the classifier's candidates ([{"hs6", "probability"}], best first)."""
        weights: dict[str, float] = {}
        for candidate in candidates:
            # Tempered: the classifier is over-confident between close siblings, so its prior is flattened a
            # little and a confident-looking but wrong top candidate still gets a question.
            weights[candidate["hs6"]] = max(float(candidate["probability"]) ** PRIOR_TEMPER, MIN_PRIOR)
        # Siblings of the leading headings join with a small prior, so a subheading the classifier ranked low
        # under the right heading can still be reached by answering.
        leading_headings: list[str] = []
        for hs6 in sorted(weights, key=weights.get, reverse=True):  # type: ignore[arg-type]
            if hs6[:4] not in leading_headings:
                leading_headings.append(hs6[:4])
        for heading in leading_headings[:SIBLING_HEADINGS]:
            for sibling in self.nomenclature.children(heading) if heading in self.nomenclature else []:
                weights.setdefault(sibling, MIN_PRIOR)
        state = {
            "description": description,
            "lang": lang if lang in LANGUAGES else "en",
            "weights": weights,
            "asked": [],
            "history": [],
            "question": None,
            "status": "asking",
            "national": None,  # {"hs6", "lines": [...], "chosen": code | None}
        }
        self._advance(state)
        return state

    def answer(self, state: dict[str, Any], question_id: str, option_id: str) -> dict[str, Any]:
        """Apply one answer; raises ValueError naming the problem if the answer does not fit the question."""
        question = state.get("question")
        if state["status"] != "asking" or question is None:
            raise ValueError("session is finished: no question is open")
        if question["id"] != question_id:
            raise ValueError(f"question_id {question_id!r} is not the open question {question['id']!r}")
        offered = [o["id"] for o in question["options"]] + [NOT_SURE]
        if option_id not in offered:
            raise ValueError(f"option_id {option_id!r} is not offered; choose one of {offered}")
        label = next((o["label"] for o in question["options"] if o["id"] == option_id), UI_TEXT[NOT_SURE])
        state["asked"].append(question_id)
        state["history"].append(
            {"question_id": question_id, "question": question["text"], "answer_id": option_id, "answer": label}
        )
        if option_id != NOT_SURE:
            if question["kind"] == "national":
                self._apply_national(state, question, option_id)
            else:
                spread = 1.0 / max(1, len(question["options"]))
                for key in state["weights"]:
                    state["weights"][key] *= _likelihood(question["assignment"].get(key), option_id, spread)
        self._advance(state)
        return state

    # --- views ---------------------------------------------------------------------------------------

    def ranked(self, state: Mapping[str, Any]) -> list[tuple[str, float]]:
        total = sum(state["weights"].values()) or 1.0
        return sorted(((k, w / total) for k, w in state["weights"].items()), key=lambda kv: -kv[1])

    def best(self, state: Mapping[str, Any]) -> tuple[str, float]:
        return self.ranked(state)[0]

    def view(self, state: Mapping[str, Any], top: int = 5) -> dict[str, Any]:
        lang = state["lang"]
        question = state.get("question")
        candidates = [
            {"hs6": hs6, "probability": round(p, 4), "description": self.nomenclature.description(hs6), "path_text": self._path_text(hs6),
             "examples_zh": chinese_examples(hs6), "examples_ko": korean_examples(hs6)}
            for hs6, p in self.ranked(state)[:top]
        ]
        result = None
        if state["status"] == "done":
            hs6, probability = self.best(state)
            national = state.get("national") or {}
            lines = national.get("lines") if national.get("hs6") == hs6 else self.national_lines(hs6)
            chosen = national.get("chosen")
            result = {
                "hs6": hs6,
                "probability": round(probability, 4),
                "description": self.nomenclature.description(hs6),
                "examples_zh": chinese_examples(hs6),
                "examples_ko": korean_examples(hs6),
                "path": self._path(hs6),
                "path_text": self._path_text(hs6),
                "alternatives": candidates[1:],
                "national_line": next((line for line in lines or [] if line["code"] == chosen), None)
                or ((lines or [None])[0] if len(lines or []) == 1 else None),
                "national_lines": lines or [],
                "questions_asked": len(state["history"]),
            }
        return {
            "status": state["status"],
            "description": state["description"],
            "read_as": state.get("read_as"),
            "lang": lang,
            "question": Question(**_question_fields(question)).view(lang) if question else None,
            "candidates": candidates,
            "history": [
                {**h, "question": h["question"].get(lang) or h["question"]["en"], "answer": h["answer"].get(lang) or h["answer"]["en"]}
                for h in state["history"]
            ],
            "result": result,
        }

    # --- choosing the next question ----------------------------------------------------------------------

    def _advance(self, state: dict[str, Any]) -> None:
        state["question"] = None
        if len(state["history"]) >= self.max_questions:
            state["status"] = "done"
            return
        hs6, probability = self.best(state)
        if probability < self.confident:
            question = self._best_question(state)
            if question is not None:
                state["question"] = _question_dict(question)
                return
        national = self._national_question(state, hs6)
        if national is not None:
            state["question"] = _question_dict(national)
            return
        state["status"] = "done"

    def _best_question(self, state: Mapping[str, Any]) -> Question | None:
        weights = state["weights"]
        best: tuple[float, int, Question] | None = None
        for preference, question in enumerate(self._candidate_questions(state)):
            if question.id in state["asked"]:
                continue
            gain = expected_gain(weights, question.assignment, [o["id"] for o in question.options])
            # Ties go to attribute questions (listed first): they read more naturally than lists of headings.
            if gain >= MIN_GAIN_BITS and (best is None or gain > best[0] + 1e-9):
                best = (gain, preference, question)
        return best[2] if best else None

    def _candidate_questions(self, state: Mapping[str, Any]) -> list[Question]:
        keys = [k for k, _ in self.ranked(state) if state["weights"][k] > 0]
        texts = {k: self.texts_by_level(k) for k in keys}
        questions: list[Question] = []
        for attribute in ATTRIBUTES:
            assignment = {k: attribute_value(attribute, texts[k]) for k in keys}
            used = [v for v in attribute.values if any(a == v.id for a in assignment.values())]
            if len(used) < 2 and not (len(attribute.values) == 1 and used):
                continue
            options = [{"id": v.id, "label": {"en": v.label_en, "zh-TW": v.label_zh, "ko": v.label_ko}} for v in used]
            if len(attribute.values) == 1:  # a yes/no attribute: "no" is the absence of the wording
                options.append({"id": "no", "label": {"en": "No", "zh-TW": "否", "ko": "아니요"}})
                assignment = {k: (a if a else None) for k, a in assignment.items()}
            questions.append(Question(attribute.id, "attribute", {"en": attribute.question_en, "zh-TW": attribute.question_zh, "ko": attribute.question_ko},
                                      options, assignment))
        # Once a person picked a heading, asking for its chapter (or another heading) again only repeats them.
        decided = {h["question_id"].split(":")[0] for h in state["history"] if h["question_id"].startswith(("chapter:", "heading:", "subheading:")) and h["answer_id"] not in (NOT_SURE, NONE_OF_THESE)}
        for level, length in (("chapter", 2), ("heading", 4)):
            if "heading" in decided or "subheading" in decided or (level == "chapter" and "chapter" in decided):
                continue
            questions.extend(self._choice(state, keys, level, length))
        questions.extend(self._subheading_choice(state, keys))
        return questions

    def _choice(self, state: Mapping[str, Any], keys: list[str], level: str, length: int) -> list[Question]:
        mass: dict[str, float] = {}
        for k in keys:
            mass[k[:length]] = mass.get(k[:length], 0.0) + state["weights"][k]
        ranked = sorted(mass, key=mass.get, reverse=True)  # type: ignore[arg-type]
        return self._list_question(level, ranked, keys, length, lambda g: self.nomenclature.description(g))

    def _subheading_choice(self, state: Mapping[str, Any], keys: list[str]) -> list[Question]:
        heading = self.best(state)[0][:4]
        within = [k for k in keys if k.startswith(heading)]
        if len(within) < 2:
            return []
        # Candidates outside the heading are not decided by this question (None), those inside are.
        question = self._list_question("subheading", within, within, 6, self._own_text)
        for q in question:
            q.assignment.update({k: None for k in keys if not k.startswith(heading)})
        return question

    def _list_question(
        self, level: str, ranked: list[str], keys: list[str], length: int, wording: Callable[[str], str]
    ) -> list[Question]:
        """"Which of these best describes it?": all groups if they fit in the options, else the leading ones
        plus "none of these" (2–6 options before "not sure")."""
        if len(ranked) < 2:
            return []
        groups = ranked if len(ranked) <= MAX_CHOICE_OPTIONS + 1 else ranked[:MAX_CHOICE_OPTIONS]
        options = [{"id": g, "label": _labels(plain_wording(wording(g)), g)} for g in groups]
        assignment: dict[str, str | None] = {k: (k[:length] if k[:length] in groups else NONE_OF_THESE) for k in keys}
        if len(groups) < len(ranked):
            options.append({"id": NONE_OF_THESE, "label": dict(UI_TEXT[NONE_OF_THESE])})
        return [Question(f"{level}:{','.join(groups)}", "choice", dict(UI_TEXT["choice"]), options, assignment)]

    def _national_question(self, state: dict[str, Any], hs6: str) -> Question | None:
        national = state.get("national")
        if national is None or national.get("hs6") != hs6:
            national = {"hs6": hs6, "lines": self.national_lines(hs6), "chosen": None, "prefix": hs6}
            state["national"] = national
        lines = [line for line in national["lines"] if line["code"].startswith(national["prefix"])]
        if national["chosen"] or len(lines) <= 1:
            if len(lines) == 1:
                national["chosen"] = lines[0]["code"]
            return None
        # Group by the next level of the national code (8 then 10 digits) so each question stays short.
        for width in (8, 10):
            groups: dict[str, list[dict[str, Any]]] = {}
            for line in lines:
                groups.setdefault(line["code"][:width], []).append(line)
            if 2 <= len(groups) <= MAX_CHOICE_OPTIONS + 1:
                break
        else:
            return None
        qid = f"national:{national['prefix']}:{width}"
        if qid in state["asked"]:
            return None
        options = [
            {"id": code, "label": {"en": plain_wording(members[0]["self_describing_text"].split(" — under:")[0]) if len(members) == 1 else plain_wording(members[0]["description"]) + (f" (+{len(members) - 1} more)" if len(members) > 1 else "")}}
            for code, members in groups.items()
        ]
        return Question(qid, "national", dict(UI_TEXT["national"]), options, {})

    def _apply_national(self, state: dict[str, Any], question: Mapping[str, Any], option_id: str) -> None:
        national = state["national"]
        national["prefix"] = option_id
        matching = [line for line in national["lines"] if line["code"].startswith(option_id)]
        if len(matching) == 1:
            national["chosen"] = matching[0]["code"]

    # --- nomenclature helpers ------------------------------------------------------------------------------

    def texts_by_level(self, hs6: str) -> dict[int, str]:
        return {6: self._own_text(hs6), 4: self.nomenclature.description(hs6[:4]), 2: self.nomenclature.description(hs6[:2])}

    def _own_text(self, hs6: str) -> str:
        return self.nomenclature.description(hs6)

    def _path(self, hs6: str) -> list[dict[str, str]]:
        levels = {2: "chapter", 4: "heading", 6: "subheading"}
        return [{"level": levels[n], "code": hs6[:n], "description": self.nomenclature.description(hs6[:n])} for n in (2, 4, 6)]

    def _path_text(self, hs6: str) -> str:
        return " > ".join(step["description"] for step in self._path(hs6))


def _question_dict(question: Question) -> dict[str, Any]:
    return {"id": question.id, "kind": question.kind, "text": question.text, "options": question.options, "assignment": question.assignment}


def _question_fields(question: Mapping[str, Any]) -> dict[str, Any]:
    return {k: question[k] for k in ("id", "kind", "text", "options", "assignment")}
