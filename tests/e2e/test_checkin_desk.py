"""The check-in desk on a tablet (1024×768): a tap after a name search, a card typed as a barcode
reader types it (keys, then Enter), an undo, and the chair's room screen counting along."""
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_live_room import log_in
from tests.integration.test_meetings_desk import Desk

pytestmark = pytest.mark.e2e


def meter(page, value, timeout=10):
    """Wait until the room's quorum meter shows `value` (polled from here: the page's CSP
    forbids the eval that wait_for_function would need)."""
    deadline = time.monotonic() + timeout
    while True:
        shown = page.evaluate("document.getElementById('quorum-meter').value")
        if shown == value:
            return
        assert time.monotonic() < deadline, f"the chair's meter shows {shown}, not {value}"
        page.wait_for_timeout(100)


def test_the_desk_checks_in_by_name_and_by_card_and_the_room_counts(browser, live_server, make, db):
    desk = Desk(make, db)
    errors = []
    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN", base_url=live_server.url)
    phone = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN", base_url=live_server.url)
    office = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN", base_url=live_server.url)
    try:
        # The admin prints 李秀英's card from the residents page (the server keeps only its HMAC).
        admin = log_in(office, desk.admin)
        admin.goto(f"/c/{desk.community.id}/admin/residents")
        admin.locator(f"#resident-{desk.li.id} [data-action='print-card']").click()
        code = admin.locator(f".checkin-card[data-user-id='{desk.li.id}'] [data-card-code]").get_attribute(
            "data-card-code")
        chair = log_in(phone, desk.chair)
        secretary = log_in(tablet, desk.secretary)
        for page in (chair, secretary):
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        chair.goto(f"/meetings/{desk.id}/room")
        chair.wait_for_selector("#room[data-ready='1']")
        secretary.goto(f"/meetings/{desk.id}/room")
        secretary.locator("#desk-link").click()
        secretary.wait_for_url(f"**/meetings/{desk.id}/desk")
        secretary.wait_for_selector("#desk[data-ready='1']")
        # The chair and the secretary are in the room online: 2 of 5.
        meter(chair, 2)
        expect(secretary.locator("#count-present")).to_have_attribute("data-count", "2")
        expect(secretary.locator("#count-unit")).to_have_text("人")
        expect(secretary.locator("#missing li[data-user-id]")).to_have_count(3)

        # A name, typed as it comes; one tap.
        secretary.locator("#desk-search").press_sequentially("建国")
        row = secretary.locator(f"#results li[data-user-id='{desk.zhang.id}']")
        expect(secretary.locator("#results li[data-user-id]")).to_have_count(1)
        row.locator(".desk-tap").click()
        expect(secretary.locator("#desk-result")).to_have_attribute("data-code", "checked_in")
        expect(row).to_have_attribute("data-present", "hall")
        expect(secretary.locator("#count-present")).to_have_attribute("data-count", "3")
        meter(chair, 3)

        # A card in a barcode reader: it types the code and Enter wherever the focus is.
        secretary.keyboard.type(code)
        secretary.keyboard.press("Enter")
        expect(secretary.locator("#desk-result")).to_have_attribute("data-user-id", str(desk.li.id))
        expect(secretary.locator("#desk-result")).to_have_attribute("data-status", "ok")
        expect(secretary.locator("#card-code")).to_have_value("")
        meter(chair, 4)
        expect(chair.locator("#present")).to_contain_text("李秀英")
        expect(secretary.locator("#missing li[data-user-id]")).to_have_count(1)

        # A card of nobody: refused in words, nothing counted.
        secretary.locator("#card-code").fill("ABCDE-FGHJK")
        secretary.locator("#card-code").press("Enter")
        expect(secretary.locator("#desk-result")).to_have_attribute("data-code", "unknown_card")

        # Undo the card's check-in: the chair's meter goes back.
        secretary.locator("#desk-search").fill("5-2-302")
        secretary.locator(f"#results li[data-user-id='{desk.li.id}'] .desk-undo").click()
        expect(secretary.locator("#desk-result")).to_have_attribute("data-code", "undone")
        meter(chair, 3)
        assert secretary.evaluate("document.documentElement.scrollWidth") <= 1024
        # The refused card's 404 is the only error the browser may log.
        assert [e for e in errors if "status of 404" not in e] == []
    finally:
        for context in (tablet, phone, office):
            context.close()


def y4m_of_qr(text, path, width=640, height=480):
    """A short video of a card's QR code (dark on white, centred) that Chromium's fake camera
    plays in a loop."""
    import qrcode

    qr = qrcode.QRCode(border=4)
    qr.add_data(text)
    matrix = qr.get_matrix()
    size = len(matrix)
    box = min(width, height) * 3 // 4 // size
    left, top = (width - size * box) // 2, (height - size * box) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(box):
                    start = (top + y * box + dy) * width + left + x * box
                    luma[start:start + box] = bytes([16]) * box
    chroma = bytes([128]) * (width // 2 * height // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        f.write(frame * 5)


def test_the_desk_reads_a_card_with_the_camera(browser, live_server, make, db, tmp_path):
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    desk = Desk(make, db)
    office = browser.new_context(locale="zh-CN", base_url=live_server.url)
    try:
        admin = log_in(office, desk.admin)
        admin.goto(f"/c/{desk.community.id}/admin/residents")
        admin.locator(f"#resident-{desk.wang.id} [data-action='print-card']").click()
        code = admin.locator("[data-card-code]").get_attribute("data-card-code")
    finally:
        office.close()
    video = tmp_path / "card.y4m"
    y4m_of_qr(code.replace("-", ""), video)   # the printed QR holds the bare code
    camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        tablet = camera.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN",
                                    base_url=live_server.url, permissions=["camera"])
        page = log_in(tablet, desk.secretary)
        page.goto(f"/meetings/{desk.id}/desk")
        page.wait_for_selector("#desk[data-ready='1']")
        page.locator("#camera-start").click()
        expect(page.locator("#desk-result")).to_have_attribute("data-user-id", str(desk.wang.id), timeout=15000)
        expect(page.locator("#desk-result")).to_have_attribute("data-code", "checked_in")
        page.locator("#camera-stop").click()
        expect(page.locator("#camera")).to_be_hidden()
    finally:
        camera.close()
