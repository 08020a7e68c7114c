# ruff: noqa: RUF001
"""Task tagging beyond English (issue 12): the lexicon's words in other languages and scripts.

Every prompt here was written for this test (none is taken from an evaluation source). The
windows are matched as bytes, where RE2 reads Latin-1: ``\\b`` never fires next to a CJK,
Cyrillic or accented letter, ``(?i)`` folds none of them, and a character class holds bytes.
The tests pin each of those traps down, as well as the words themselves.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from llmaudit.tagging import tag_requests
from llmaudit.tagging.lexicon import byte_safe, join_patterns, load_lexicon, needs_non_ascii, split_by_script


def tag(texts: list[str], system: list[str | None] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"user_text": texts})
    if system is not None:
        frame["system_text"] = system
    return tag_requests(frame)


def byte_match(texts: list[str], pattern: str) -> list[bool]:
    """``pattern`` over ``texts`` as the tagger matches its windows: as bytes."""
    return pc.match_substring_regex(pa.array(texts).cast(pa.large_binary()), pattern).to_pylist()


@pytest.mark.parametrize(
    ("text", "task_type"),
    [
        # Chinese: a code request, a translation, a word problem, a question, a role play
        ("帮我用 Go 实现一个并发安全的计数器，并写上注释。", "code"),
        ("请将这封邮件翻译成日语，语气要正式一些。", "translation"),
        ("书架上有三层，每层放十二本书，一共有多少本书？", "math"),
        ("量子纠缠的定义是什么？", "qa"),
        ("假设你是一位宋代的茶商，向顾客介绍你的新茶。", "creative"),
        ("请用两三句话总结下面这篇关于城市交通的报道。", "summarization"),
        ("甲、乙、丙三人中只有一人说了真话，请问谁是小偷？", "reasoning"),
        # "function" is a maths word too: only writing one is code
        ("求函数 f(x) 在区间 [0, 2] 上的最大值和导数。", "math"),
        ("某市推行夜间公交后交通事故减少了。以下哪项如果为真，最能削弱上述论证？", "reasoning"),
        (
            "Night buses cut accidents, the planner says. Which of the following, if true, most weakens that?",
            "reasoning",
        ),
        # Russian: translation (capitalized at the start), summary, classification, math
        ("Переведи на немецкий: «Поезд опаздывает на десять минут».", "translation"),
        ("ПЕРЕВЕДИ ЭТО ПИСЬМО НА ФРАНЦУЗСКИЙ, ПОЖАЛУЙСТА.", "translation"),
        ("Кратко изложи содержание этой статьи о солнечных батареях.", "summarization"),
        ("Определи тональность отзыва: «Доставка быстрая, но коробка была мятой».", "classification"),
        ("Реши уравнение 3x + 7 = 22 и объясни каждый шаг.", "math"),
        ("Напиши функцию на Rust, которая сортирует вектор строк.", "code"),
        # Japanese: summary, code, question
        ("以下の会議メモを三行で要約してください。", "summarization"),
        ("このスクリプトがエラーで止まる理由を調べて、修正したコードを書いてください。", "code"),
        ("富士山の高さはどれくらいですか？", "qa"),
        # Korean: translation, code
        ("이 안내문을 영어로 번역해 주세요.", "translation"),
        ("파이썬으로 파일의 줄 수를 세는 함수를 작성해 주세요.", "code"),
        # Spanish, Portuguese, French, German
        ("Extrae los nombres de las personas y las fechas del siguiente texto.", "extraction"),
        ("Escriba un poema sobre el mar en otoño.", "creative"),
        ("Traduza este parágrafo para o inglês.", "translation"),
        ("Quantas maçãs restam se eu comer três das dez que comprei?", "math"),
        ("Résumez cet article en trois phrases.", "summarization"),
        ("Écrivez une lettre de motivation pour un poste de boulanger.", "creative"),
        ("Übersetze die Bedienungsanleitung ins Englische.", "translation"),
        ("Schreibe eine Geschichte über einen Leuchtturmwärter.", "creative"),
    ],
)
def test_task_words_in_other_languages(text: str, task_type: str) -> None:
    out = tag([text])
    assert out["task_type"][0] == task_type, out["tag_reasons"][0]


def test_system_prompt_in_spanish_names_an_extraction_task() -> None:
    system = (
        "Eres un asistente de facturación. Extrae el número de factura, la fecha y el importe "
        "total del mensaje del cliente y devuélvelos en formato JSON."
    )
    user = "Hola, ¿me pueden ayudar? La factura F-2291 del 3 de marzo por 118,40 € no me cuadra."
    out = tag([user], system=[system])
    assert out["task_type"][0] == "extraction"
    assert "sys:extraction" in out["tag_reasons"][0] or "kw:extract" in out["tag_reasons"][0]


def test_long_cjk_message_is_read_over_its_first_characters_not_bytes() -> None:
    # 80 CJK characters of context (240 bytes) before the instruction: past the 200-byte head
    # window, within its first 200 characters, and not in the 100-byte tail either.
    context = "这是我们公司去年第四季度在华东地区的销售情况记录。" * 3 + "内容如下。"
    message = context + "请把上面的内容翻译成英文。" + "附录：" + "数据" * 60
    assert len(context.encode()) > 200 and len(message) > 200
    out = tag([message])
    assert out["task_type"][0] == "translation"


def test_curly_quotes_and_dashes_are_not_math_notation() -> None:
    # A byte class of "∑√≤π…" used to match any UTF-8 text sharing a byte with them:
    # curly quotes, dashes, all of CJK.
    structure = load_lexicon().structure["math_notation"]
    texts = ["She wrote “see you soon” — and left.", "日本語の文章です", "Привет, мир", "x ≤ 3", "2 × 4"]
    assert byte_match(texts, structure) == [False, False, False, True, True]


def test_question_mark_at_the_end_in_any_width() -> None:
    out = tag(["Is the museum open on Mondays?", "博物馆周一开门吗？", "東京は晴れ", "Готово"])
    assert [("question" in r.split(",")) for r in out["tag_reasons"]] == [True, True, False, False]


def test_byte_safe_folds_case_and_bounds_words_in_any_script() -> None:
    pattern = "(?i)" + byte_safe(r"\<код\>")
    texts = ["напиши код", "Код ниже", "КОД", "кодекс законов", "эпизод", "code"]
    assert byte_match(texts, pattern) == [True, True, True, False, False, False]
    assert byte_match(["Über alles", "über", "uber"], "(?i)" + byte_safe("über")) == [True, True, False]


def test_byte_safe_refuses_multibyte_characters_in_a_class() -> None:
    with pytest.raises(ValueError, match="character class"):
        byte_safe("[≤≥]")
    assert byte_safe(r"[a-z\]]+") == r"[a-z\]]+"  # ASCII classes are left alone


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\<переведи", True),
        (r"json ?格式", True),
        (r"^\s*(?:что|кто)\>", True),  # every alternative of the group needs one
        (r"^\s*(?:что|who)\>", False),
        (r"\<funci(?:ó|o)n\>", False),  # "funcion" is ASCII
        (r"é?x", False),
        (r"\bsummar(?:y|ise)\b", False),
    ],
)
def test_which_patterns_need_a_non_ascii_character(pattern: str, needs: bool) -> None:
    assert needs_non_ascii(pattern) is needs


def test_split_by_script_matches_what_the_whole_lexicon_matches() -> None:
    # The script part runs only on windows with a non-ASCII byte: exact only if it never
    # matches ASCII text, and if both parts together match what the joined patterns match.
    lexicon_file = resources.files("llmaudit.tagging").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(lexicon_file)
    texts = [
        "Переведи это на английский",
        "请总结这篇文章",
        "Resuma o texto",
        "Escribe una funcion en Python",
        "Write a función in Go",
        "日本語に訳して",
        "How many apples are left?",
        "Résumé: 履歴書を書いて",
    ]
    for name, spec in data["task_types"].items():
        whole = byte_match(texts, join_patterns(spec["patterns"]))
        ascii_part, script_part = split_by_script(spec["patterns"])
        split = byte_match(texts, ascii_part)
        if script_part is not None:
            assert not any(byte_match([t for t in texts if t.isascii()], script_part)), name
            split = [a or b for a, b in zip(split, byte_match(texts, script_part), strict=True)]
        assert split == whole, name
