"""Reading the residents' register (CSV or XLSX) into checked rows; no database here."""
import csv
import io
import re
from dataclasses import dataclass

from app.core.i18n import N_, Message, render

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
    """The file as a whole cannot be read (wrong type, no header). Its argument is a msgid (N_) or
    a Message, said in the reader's language when shown (`str(error)`)."""

    def __str__(self):
        message = self.args[0] if self.args else ""
        return str(message if isinstance(message, Message) else Message(message))


class Problems(list):
    """What is wrong with one row: Messages, shown together in the reader's language."""

    def __str__(self):
        return render(N_("；")).join(str(p) for p in self)

    def __contains__(self, text):
        return text in str(self)


def read_table(filename, data):
    """Rows of cells (strings) from a CSV or XLSX upload, the header first."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data)
    if name.endswith(".csv") or not name:
        return _read_csv(data)
    raise RegisterFileError(N_("只支持 CSV 或 XLSX 文件。"))


def _read_csv(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegisterFileError(N_("无法识别文件编码，请另存为 UTF-8 编码的 CSV。"))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _read_xlsx(data):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegisterFileError(N_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from exc
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
        raise RegisterFileError(Message(N_("缺少列：%(columns)s。第一行应为表头：姓名、手机号、楼栋、单元、房号、居民代表、党员。"),
                                        columns="、".join(missing)))
    return mapping


def _flag(value, label, problems):
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(Message(N_("“%(column)s”一栏应填“是”或“否”，而不是“%(value)s”"), column=label, value=value))
    return False


def parse_register(table):
    """Check every row; return (rows, errors). Any error means nothing may be imported."""
    if not table:
        raise RegisterFileError(N_("文件是空的。"))
    mapping = _header_map(table[0])
    rows, errors, seen_phones = [], [], {}
    for offset, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of a spreadsheet

        def cell(key, cells=cells):
            index = mapping.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        problems = Problems()
        for key in REQUIRED:
            if not cell(key):
                problems.append(Message(N_("缺少%(column)s"), column=COLUMNS[key][0]))
        phone = cell("phone").replace(" ", "").replace("-", "")
        if phone and not PHONE_RE.match(phone):
            problems.append(Message(N_("手机号“%(phone)s”不是 11 位手机号码"), phone=cell("phone")))
        elif phone in seen_phones:
            problems.append(Message(N_("手机号 %(phone)s 与第 %(line)d 行重复"), phone=phone, line=seen_phones[phone]))
        if len(cell("name")) > 32:
            problems.append(Message(N_("姓名太长")))
        representative = _flag(cell("representative"), "居民代表", problems)
        party_member = _flag(cell("party_member"), "党员", problems)
        if phone:
            seen_phones.setdefault(phone, offset)
        if problems:
            errors.append(RowError(offset, problems))
            continue
        rows.append(RegisterRow(offset, cell("name"), phone, cell("building"), cell("unit"),
                                cell("room"), representative, party_member))
    if not rows and not errors:
        raise RegisterFileError(N_("文件中没有居民数据。"))
    return rows, errors
