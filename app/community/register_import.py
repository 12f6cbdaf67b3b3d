"""Reading the residents' register (CSV or XLSX) into checked rows; no database here."""
import csv
import io
import re
from dataclasses import dataclass

COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "电话", "phone"),
    "building": ("楼栋", "楼号", "building"),
    "unit": ("单元", "unit"),
    "room": ("房号", "室", "room"),
    "representative": ("居民代表", "representative"),
    "party_member": ("党员", "party_member"),
}
REQUIRED = ("name", "phone", "building", "unit", "room")
YES = {"是", "yes", "y", "1", "true", "√", "✓"}
NO = {"否", "no", "n", "0", "false", ""}
PHONE_RE = re.compile(r"^1\d{10}$")


@dataclass(frozen=True)
class RegisterRow:
    line: int
    name: str
    phone: str
    building: str
    unit: str
    room: str
    representative: bool
    party_member: bool


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


class RegisterFileError(ValueError):
    """The file as a whole cannot be read (wrong type, no header)."""


def read_table(filename, data):
    """Rows of cells (strings) from a CSV or XLSX upload, the header first."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data)
    if name.endswith(".csv") or not name:
        return _read_csv(data)
    raise RegisterFileError("只支持 CSV 或 XLSX 文件。")


def _read_csv(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegisterFileError("无法识别文件编码，请另存为 UTF-8 编码的 CSV。")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegisterFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式。") from exc
    sheet = book.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else _cell_text(v) for v in values])
    return rows


def _cell_text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers and room numbers typed as numbers
    return str(value).strip()


def _header_map(header):
    mapping = {}
    for index, cell in enumerate(header):
        label = cell.strip().lower()
        for key, names in COLUMNS.items():
            if label in {n.lower() for n in names}:
                mapping[key] = index
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in mapping]
    if missing:
        raise RegisterFileError("缺少列：" + "、".join(missing) + "。第一行应为表头：姓名、手机号、楼栋、单元、房号、居民代表、党员。")
    return mapping


def _flag(value, label, problems):
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(f"“{label}”一栏应填“是”或“否”，而不是“{value}”")
    return False


def parse_register(table):
    """Check every row; return (rows, errors). Any error means nothing may be imported."""
    if not table:
        raise RegisterFileError("文件是空的。")
    mapping = _header_map(table[0])
    rows, errors, seen_phones = [], [], {}
    for offset, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of a spreadsheet

        def cell(key, cells=cells):
            index = mapping.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        problems = []
        for key in REQUIRED:
            if not cell(key):
                problems.append(f"缺少{COLUMNS[key][0]}")
        phone = cell("phone").replace(" ", "").replace("-", "")
        if phone and not PHONE_RE.match(phone):
            problems.append(f"手机号“{cell('phone')}”不是 11 位手机号码")
        elif phone in seen_phones:
            problems.append(f"手机号 {phone} 与第 {seen_phones[phone]} 行重复")
        if len(cell("name")) > 32:
            problems.append("姓名太长")
        representative = _flag(cell("representative"), "居民代表", problems)
        party_member = _flag(cell("party_member"), "党员", problems)
        if phone:
            seen_phones.setdefault(phone, offset)
        if problems:
            errors.append(RowError(offset, "；".join(problems)))
            continue
        rows.append(RegisterRow(offset, cell("name"), phone, cell("building"), cell("unit"),
                                cell("room"), representative, party_member))
    if not rows and not errors:
        raise RegisterFileError("文件中没有居民数据。")
    return rows, errors
