"""A resident signs up and logs in, in Chromium at phone width."""
import pytest

pytestmark = pytest.mark.e2e


def test_sign_up_then_log_in(page, make, db):
    community = make.community("阳光社区")
    page.goto("/")
    assert page.locator("h1").inner_text() == "议事"
    page.get_by_role("link", name="注册成为居民").click()
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_label("姓名").fill("张阿姨")
    page.get_by_label("密码", exact=True).fill("secret-pass")
    page.get_by_label("再次输入密码").fill("secret-pass")
    page.get_by_label("所在社区").select_option(str(community.id))
    page.get_by_label("楼栋").fill("3")
    page.get_by_label("单元").fill("2")
    page.get_by_label("房号").fill("501")
    page.get_by_role("button", name="提交注册").click()
    page.wait_for_url("**/auth/me")
    assert "注册成功" in page.content()
    assert page.locator("#user-state").inner_text() == "待审核"

    page.get_by_role("button", name="退出").click()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("手机号").fill("13812345678")
    page.get_by_label("密码").fill("wrong-pass")
    page.get_by_role("button", name="登录").click()
    assert "手机号或密码不正确" in page.content()
    page.get_by_label("密码").fill("secret-pass")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="张阿姨").is_visible()

    # Large type is one tap away and stays on.
    page.get_by_role("button", name="大字模式").click()
    assert "large-type" in page.locator("body").get_attribute("class")
    page.reload()
    assert "large-type" in page.locator("body").get_attribute("class")
    # Nothing is wider than a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
