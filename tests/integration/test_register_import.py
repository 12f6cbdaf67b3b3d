"""Importing the residents' register: all or nothing, households, memberships, activation letters."""
import io
import re

from app.auth.models import User
from app.community.models import Household, Membership
from tests.conftest import login

HEADER = "姓名,手机号,楼栋,单元,房号,居民代表,党员\n"


def upload(client, community, text, filename="register.csv"):
    data = {"file": (io.BytesIO(text.encode("utf-8")), filename)}
    return client.post(f"/c/{community.id}/admin/import", data=data, content_type="multipart/form-data")


def test_one_bad_row_imports_nothing_and_names_it(client, make):
    community = make.community()
    login(client, make.user(community, roles=["admin"]))
    before = User.query.count()
    response = upload(client, community, HEADER + "张三,13800000001,9,1,901,是,否\n"
                      "李四,1380000,9,1,902,否,否\n王五,13800000003,9,1,903,否,是\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "没有导入任何居民" in page
    assert "第 3 行" in page and "11 位" in page
    assert User.query.count() == before
    assert Household.query.filter_by(building="9").count() == 0


def test_phone_already_registered_is_a_bad_row(client, make):
    community = make.community()
    admin = make.user(community, roles=["admin"])
    login(client, admin)
    response = upload(client, community, HEADER + f"张三,{admin.phone},1,1,101,否,否\n")
    assert response.status_code == 422
    assert "已有账号" in response.get_data(as_text=True)


def test_import_creates_households_memberships_and_letters(client, make, db):
    community = make.community()
    login(client, make.user(community, roles=["admin"]))
    response = upload(client, community, HEADER + "张三,13800000001,1,1,101,是,否\n"
                      "张妻,13800000002,1,1,101,否,是\n王五,13800000003,2,1,201,否,否\n")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="letter"') == 3
    codes = re.findall(r'<dd class="code">([A-Z0-9]{8})</dd>', page)
    assert len(codes) == 3
    zhang = User.query.filter_by(phone="13800000001").one()
    wife = User.query.filter_by(phone="13800000002").one()
    assert zhang.household_id == wife.household_id
    assert zhang.is_verified and not zhang.is_activated
    reps = community.body_by_preset("representatives_assembly")
    party = community.body_by_preset("party_members_assembly")
    assert {m.user.phone for m in Membership.query.filter_by(body_id=reps.id)} == {"13800000001"}
    assert {m.user.phone for m in Membership.query.filter_by(body_id=party.id)} == {"13800000002"}
    client.post("/auth/logout")

    # The printed code activates the account once.
    form = {"phone": "13800000001", "code": codes[0].lower(), "password": "my-password",
            "confirm": "my-password"}
    assert client.post("/auth/activate", data=form).status_code == 302
    client.post("/auth/logout")
    again = client.post("/auth/activate", data=form)
    assert again.status_code == 422 and "激活码不正确" in again.get_data(as_text=True)
    assert client.post("/auth/login", data={"phone": "13800000001", "password": "my-password"}).status_code == 302


def test_reprinting_letters_replaces_the_codes(client, make):
    community = make.community()
    login(client, make.user(community, roles=["admin"]))
    first = upload(client, community, HEADER + "张三,13800000001,1,1,101,否,否\n").get_data(as_text=True)
    old_code = re.search(r'<dd class="code">([A-Z0-9]{8})</dd>', first).group(1)
    user = User.query.filter_by(phone="13800000001").one()
    again = client.post(f"/c/{community.id}/admin/letters", data={"user_id": user.id}).get_data(as_text=True)
    new_code = re.search(r'<dd class="code">([A-Z0-9]{8})</dd>', again).group(1)
    client.post("/auth/logout")
    old = client.post("/auth/activate", data={"phone": user.phone, "code": old_code,
                                               "password": "my-password", "confirm": "my-password"})
    assert old.status_code == 422
    new = client.post("/auth/activate", data={"phone": user.phone, "code": new_code,
                                               "password": "my-password", "confirm": "my-password"})
    assert new.status_code == 302


def test_xlsx_import(client, make):
    from openpyxl import Workbook

    community = make.community()
    login(client, make.user(community, roles=["admin"]))
    book = Workbook()
    book.active.append(["姓名", "手机号", "楼栋", "单元", "房号", "居民代表", "党员"])
    book.active.append(["张三", 13800000001, 1, 1, 101, "是", "否"])
    buf = io.BytesIO()
    book.save(buf)
    buf.seek(0)
    response = client.post(f"/c/{community.id}/admin/import", data={"file": (buf, "名册.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert User.query.filter_by(phone="13800000001").one().name == "张三"


def test_wrong_file_type_is_refused(client, make):
    community = make.community()
    login(client, make.user(community, roles=["admin"]))
    response = client.post(f"/c/{community.id}/admin/import",
                           data={"file": (io.BytesIO(b"GIF89a"), "x.gif")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "只支持 CSV 或 XLSX" in response.get_data(as_text=True)


def test_the_letter_names_the_link_the_pages_show(client, make):
    community = make.community()
    link = re.compile(r'<a [^>]*href="/auth/activate"[^>]*>([^<]+)</a>')
    labels = {link.search(client.get(page).get_data(as_text=True)).group(1) for page in ("/", "/auth/login")}
    assert len(labels) == 1
    label = labels.pop()
    assert f"<h1>{label}</h1>" in client.get("/auth/activate").get_data(as_text=True)
    login(client, make.user(community, roles=["admin"]))
    letter = upload(client, community, HEADER + "张三,13800000001,1,1,101,否,否\n").get_data(as_text=True)
    assert f"「{label}」" in letter
