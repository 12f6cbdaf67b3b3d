"""The API's validation errors (422) speak Chinese, with the usual shape and field details."""


def test_missing_and_malformed_fields_are_told_in_chinese(client, db):
    response = client.post("/api/v1/auth/token", json={"phone": "12345", "extra": 1})
    assert response.status_code == 422
    assert response.get_json() == {"error": {
        "code": "invalid", "message": "提交的内容有误。",
        "details": {"json": {"phone": ["格式不正确。"], "password": ["必填项，不能缺少。"],
                             "extra": ["不认识的字段。"]}},
    }}


def test_a_query_out_of_range_is_told_in_chinese(client, db):
    response = client.get("/api/v1/notices?per_page=1000&year=abc")
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]["query"]
    assert details == {"per_page": ["不能小于 1，不能大于 100。"], "year": ["应为整数。"]}


def test_a_body_that_is_not_json_is_told_in_chinese(client, db):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    error = response.get_json()["error"]
    assert 400 <= response.status_code < 500
    assert error["details"] == {"json": ["请求内容不是有效的 JSON。"]}
