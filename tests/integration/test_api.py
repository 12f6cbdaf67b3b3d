"""The JSON API skeleton: tokens, /me, JSON errors, the generated OpenAPI document."""
from app.auth.models import ApiToken
from tests.conftest import PASSWORD, api_token


def test_token_and_me(client, make):
    user = make.user(make.community(), name="张三")
    response = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_at"].endswith("+00:00")
    # Only a hash is kept at rest.
    stored = ApiToken.query.one()
    assert stored.token_hash != body["token"] and len(stored.token_hash) == 64
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["name"] == "张三"


def test_missing_or_wrong_token_is_a_json_401(client, make):
    make.user(make.community())
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.is_json
        error = response.get_json()["error"]
        assert error["code"] in {"missing_token", "invalid_token"} and error["message"]


def test_session_cookie_does_not_authenticate_the_api(client, make, auth):
    user = make.user(make.community())
    auth(client, user)
    assert client.get("/api/v1/me").status_code == 401


def test_bad_credentials_and_bad_input(client, make):
    user = make.user(make.community())
    wrong = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": "wrong"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_credentials"
    invalid = client.post("/api/v1/auth/token", json={"phone": "abc"})
    assert invalid.status_code == 422
    error = invalid.get_json()["error"]
    assert error["code"] == "invalid" and "password" in error["details"]["json"]
    garbage = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert 400 <= garbage.status_code < 500 and "error" in garbage.get_json()


def test_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/v1/auth/token")
    assert wrong_method.status_code == 405 and wrong_method.is_json


def test_expired_token_is_refused(client, make, db):
    from datetime import timedelta

    user = make.user(make.community())
    token = api_token(client, user)
    stored = ApiToken.query.one()
    stored.expires_dt -= timedelta(days=365)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_openapi_document_is_generated(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/auth/token", "/api/v1/me"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "Error" in spec["components"]["schemas"]
    assert not any(name.startswith("Error1") for name in spec["components"]["schemas"])
