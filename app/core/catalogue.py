"""The catalogues: extract the texts for people from the code, update each language, check them.

`make i18n` runs `python -m app.core.catalogue update` (extract into app/translations/messages.pot,
update every language's messages.po, fill the source language's msgstr with its msgid, compile);
`make setup` runs `compile` (messages.po -> messages.mo). The tests call `problems()`: a catalogue
that misses a text of the code, keeps one the code no longer has, leaves one untranslated (fuzzy
counts as untranslated) or changes a translation's placeholders.

A language is a folder app/translations/<locale>/LC_MESSAGES: `python -m app.core.catalogue add
zh_Hant` makes one from messages.pot; the switch and Accept-Language offer it once compiled.
"""
import os
import re
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
SOURCE_LOCALE = "zh_Hans_CN"   # the msgids are Simplified Chinese: its msgstr is the msgid
# The marking functions, as Babel's keyword specs: Flask-Babel's, and app.core.i18n's N_ and NP_.
KEYWORDS = {
    "_": None, "_l": None, "gettext": None, "lazy_gettext": None,
    "ngettext": (1, 2), "lazy_ngettext": (1, 2), "N_": None, "NP_": (1, 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdifr])|%%")


def extract():
    """A Catalog of every text for people in the code and templates (in memory)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    # Walk app/ only (not node_modules or the virtualenv): babel.cfg's patterns start with app/.
    method_map = [(pattern.removeprefix("app/"), method) for pattern, method in method_map]
    options_map = {pattern.removeprefix("app/"): options for pattern, options in options_map.items()}
    catalog = Catalog(project="Yishi", domain="messages", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT / "app"), method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, None, [("app/" + filename, lineno)], auto_comments=comments, context=context,
                    flags=("python-format",) if _has_placeholder(message) else ())
    return catalog


def _has_placeholder(message):
    texts = message if isinstance(message, (tuple, list)) else (message,)
    return any("%(" in text for text in texts)


def locales():
    """The languages present: the folders of app/translations."""
    return sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())


def po_path(locale):
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def read(path, locale=None):
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def write(path, catalog):
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=0, sort_by_file=True, ignore_obsolete=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def fill_source(catalog):
    """The source language translates each text to itself."""
    for message in catalog:
        if not message.id:
            continue
        message.string = message.id if not message.pluralizable else tuple(
            message.id[min(i, 1)] for i in range(catalog.num_plurals))
        message.flags.discard("fuzzy")


def update():
    """Extract, then bring every language up to the code (new texts untranslated, changed ones
    fuzzy for a translator to check), the source language filled in; then compile."""
    template = extract()
    write(TEMPLATE, template)
    for locale in locales():
        path = po_path(locale)
        catalog = read(path, locale) if path.exists() else Catalog(locale=locale, domain="messages")
        catalog.update(template)
        if locale == SOURCE_LOCALE:
            fill_source(catalog)
        write(path, catalog)
    compile_all()


def add(locale):
    """A new language, from the template: `python -m app.core.catalogue add zh_Hant`."""
    path = po_path(locale)
    if path.exists():
        raise SystemExit(f"{path} exists already")
    catalog = Catalog(locale=locale, domain="messages")
    catalog.update(read(TEMPLATE))
    write(path, catalog)
    compile_all()


def compile_all(only_stale=False):
    """messages.po -> messages.mo for every language (fuzzy entries left out)."""
    for locale in locales():
        po, mo = po_path(locale), po_path(locale).with_suffix(".mo")
        if not po.exists() or (only_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime):
            continue
        catalog = read(po, locale)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        # Whole or not at all: two test workers may compile at once while a server reads.
        partial = mo.with_name(f".messages.mo.{os.getpid()}")
        partial.write_bytes(buffer.getvalue())
        os.replace(partial, mo)


def placeholders(text):
    """The named placeholders of a text, with their kind ("num:d"), and each "%%"."""
    return sorted(match.group(0) if match.group(0) == "%%" else f"{match.group(1)}:{match.group(2)}"
                  for match in PLACEHOLDER.finditer(text or ""))


def _keys(catalog):
    return {message.id if not message.pluralizable else message.id[0]
            for message in catalog if message.id}


def problems(extracted=None):
    """What is wrong with the catalogues, as sentences (empty when all is well)."""
    found = []
    extracted = extracted or extract()
    code = _keys(extracted)
    if not TEMPLATE.exists():
        return [f"{TEMPLATE} is missing: run make i18n"]
    for name, catalog in [("messages.pot", read(TEMPLATE))] + [
            (locale, read(po_path(locale), locale)) for locale in locales() if po_path(locale).exists()]:
        have = _keys(catalog)
        for msgid in sorted(code - have):
            found.append(f"{name}: stale, lacks {msgid!r} (run make i18n)")
        for msgid in sorted(have - code):
            found.append(f"{name}: stale, keeps {msgid!r} that the code no longer has (run make i18n)")
        if name == "messages.pot":
            continue
        for message in catalog:
            if not message.id:
                continue
            key = message.id if not message.pluralizable else message.id[0]
            strings = message.string if message.pluralizable else (message.string,)
            if "fuzzy" in message.flags or not all(strings):
                found.append(f"{name}: no translation for {key!r}")
                continue
            # The same names (a translation may reorder them, or say a repeated one once).
            wanted = {frozenset(placeholders(text)) for text in
                      (message.id if message.pluralizable else (message.id,))}
            for text in strings:
                mine = frozenset(placeholders(text))
                # A plural form may leave out the number where the language says "one" in words.
                if mine not in wanted and not (message.pluralizable and mine < max(wanted, key=len)):
                    found.append(f"{name}: placeholders of {key!r} differ in {text!r}")
    return found


def main(argv):
    command = argv[1] if len(argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "compile":
        compile_all(only_stale="--stale" in argv)
    elif command == "add" and len(argv) > 2:
        add(argv[2])
    elif command == "check":
        found = problems()
        print("\n".join(found) or "catalogues complete and up to date")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
