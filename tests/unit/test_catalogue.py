"""The catalogues hold every text of the code, each translated, with the same placeholders.

The code is extracted in memory (app.core.catalogue.extract, the same keywords and babel.cfg as
`make i18n`) and compared with app/translations/messages.pot and every language's messages.po.
"""

import pytest

from app.core import catalogue

# Until the texts of the other helpers of issue 19 (the wrapped Python literals, the English of the
# templates) are merged, the English catalogue lacks translations. DELETE THIS LINE AT MERGE: the
# completeness test is then strict.


@pytest.fixture(scope="module")
def found():
    return catalogue.problems()


def test_the_template_and_every_catalogue_hold_exactly_the_texts_of_the_code(found):
    stale = [line for line in found if ": stale," in line]
    assert not stale, "\n".join(stale[:40])


def test_every_translation_keeps_its_placeholders(found):
    broken = [line for line in found if "placeholders" in line]
    assert not broken, "\n".join(broken[:40])


def test_the_source_language_is_complete(found):
    missing = [line for line in found if line.startswith(f"{catalogue.SOURCE_LOCALE}:")]
    assert not missing, "\n".join(missing[:40])


def test_every_language_translates_every_text(found):
    missing = [line for line in found if "no translation" in line]
    assert not missing, f"{len(missing)} untranslated:\n" + "\n".join(missing[:40])


def test_a_catalogue_is_a_folder(tmp_path, monkeypatch):
    """A third language is a folder with its messages.po: nothing else to change."""
    from app.core import locale

    for code in ("zh_Hans_CN", "en", "zh_Hant"):
        (tmp_path / code / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "not-a-locale").mkdir()
    assert locale._available(str(tmp_path)) == ("zh_Hans_CN", "en", "zh_Hant")


@pytest.mark.parametrize("msgid, translation, ok", [
    ("应到 %(expected)d 人，实到 %(present)d 人", "%(present)d of %(expected)d present", True),
    ("应到 %(expected)d 人", "%(expected)s expected", False),
    ("还差 %(num)d 人", "missing people", False),
    ("完成 100%%", "100%% done", True),
])
def test_placeholders_are_compared_by_name_and_kind(msgid, translation, ok):
    assert (catalogue.placeholders(msgid) == catalogue.placeholders(translation)) is ok


def test_a_fuzzy_or_empty_translation_counts_as_missing(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog

    template = Catalog(locale="en")
    for msgid in ("甲", "乙", "丙 %(n)s"):
        template.add(msgid)
    po = Catalog(locale="en")
    po.add("甲", "A")
    po.add("乙", "B", flags=["fuzzy"])
    po.add("丙 %(n)s", "C %(m)s")
    monkeypatch.setattr(catalogue, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(catalogue, "TEMPLATE", tmp_path / "messages.pot")
    catalogue.write(tmp_path / "messages.pot", template)
    catalogue.write(catalogue.po_path("en"), po)
    found = catalogue.problems(extracted=template)
    assert found == ["en: no translation for '乙'", "en: placeholders of '丙 %(n)s' differ in 'C %(m)s'"]
