"""Reading the residents' register: every bad row is named, nothing half-read."""
import io

import pytest
from openpyxl import Workbook

from app.community.register_import import RegisterFileError, parse_register, read_table

HEADER = "姓名,手机号,楼栋,单元,房号,居民代表,党员\n"


def table(text):
    return read_table("register.csv", text.encode("utf-8"))


def test_good_rows():
    rows, errors = parse_register(table(HEADER + "张三,13800000001,1,2,301,是,否\n李四,13800000002,1,2,301,,是\n"))
    assert errors == []
    assert [(r.name, r.representative, r.party_member) for r in rows] == [
        ("张三", True, False), ("李四", False, True)]


def test_every_bad_row_is_named_with_its_reason():
    rows, errors = parse_register(table(
        HEADER
        + "张三,13800000001,1,2,301,是,否\n"
        + "李四,1380000,1,2,302,否,否\n"          # short phone
        + ",13800000003,1,2,303,否,否\n"          # no name
        + "王五,13800000001,1,2,304,否,否\n"      # duplicate phone
        + "赵六,13800000005,1,2,305,也许,否\n"    # not yes/no
    ))
    assert [e.line for e in errors] == [3, 4, 5, 6]
    assert "11 位" in errors[0].message
    assert "缺少姓名" in errors[1].message
    assert "与第 2 行重复" in errors[2].message
    assert "也许" in errors[3].message


def test_gbk_csv_from_excel_is_read():
    data = (HEADER + "张三,13800000001,1,2,301,是,否\n").encode("gb18030")
    rows, errors = parse_register(read_table("r.csv", data))
    assert rows[0].name == "张三" and not errors


def test_xlsx_with_numbers_as_cells():
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "楼栋", "单元", "房号", "居民代表", "党员"])
    sheet.append(["张三", 13800000001, 1, 2, 301, "是", "否"])
    buf = io.BytesIO()
    book.save(buf)
    rows, errors = parse_register(read_table("r.xlsx", buf.getvalue()))
    assert not errors
    assert (rows[0].phone, rows[0].building, rows[0].room) == ("13800000001", "1", "301")


@pytest.mark.parametrize("text, message", [
    ("", "空"),
    ("名字,电话\n张三,1\n", "缺少列"),
    (HEADER, "没有居民数据"),
])
def test_unreadable_files_are_refused_whole(text, message):
    with pytest.raises(RegisterFileError, match=message):
        parse_register(table(text))


def test_wrong_file_type():
    with pytest.raises(RegisterFileError):
        read_table("photo.jpg", b"\xff\xd8\xff")
