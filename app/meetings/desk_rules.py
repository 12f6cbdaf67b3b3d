"""What the check-in desk's search box matches: a member's name, their household's room written
building-unit-room (5-2-301), or the last four digits of their phone. Pure: the desk page filters
the same keys in the browser (static/js/desk.js `matches`), the server's search uses this."""
import re
import unicodedata

# 5栋2单元301室, 5号楼2单元301, 5/2/301, 5 2 301: all read as 5-2-301.
_SEPARATORS = re.compile(r"(号楼|楼|栋|幢|单元|[\s/\\_.,，、—–－-])+")


def address_key(building, unit, room):
    """The household's room as the desk shows and searches it, or "" without a household."""
    parts = [str(p).strip() for p in (building, unit, room)]
    return "-".join(parts) if all(parts) else ""


def normalise(query):
    """A typed query in the form the keys have: full-width to ASCII, lower case, separators as
    single dashes; a trailing dash stays (typing "5-2-" narrows to that unit)."""
    if not isinstance(query, str):
        return ""
    text = unicodedata.normalize("NFKC", query).strip().lower()
    text = _SEPARATORS.sub("-", text).replace("室", "").replace("号", "")
    return text.lstrip("-")


def keys(name, address, phone):
    """The search keys of one member, as the roster carries them."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return {"name": unicodedata.normalize("NFKC", name or "").lower(), "address": address,
            "room": address.rsplit("-", 1)[-1] if address else "", "phone4": digits[-4:]}


def matches(entry_keys, query):
    """Whether a member with `entry_keys` is found by the normalised `query` ("" finds everyone)."""
    if not query:
        return True
    if query in entry_keys["name"]:
        return True
    if entry_keys["address"] and entry_keys["address"].startswith(query):
        return True
    if "-" in query:
        return False
    return (bool(entry_keys["room"]) and entry_keys["room"].startswith(query)) or (
        query.isdigit() and bool(entry_keys["phone4"]) and entry_keys["phone4"].startswith(query))
