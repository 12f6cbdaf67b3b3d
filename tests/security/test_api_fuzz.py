"""Schemathesis against /api/v1/openapi.json, in process: whatever the schema lets a client send,
the API never answers 5xx (DESIGN §9: bad input is a 4xx JSON error, never a 500).

The requests carry a community staff member's bearer token, so they reach the operations behind
the token check; the database holds one of everything for generated ids to hit. The number of
examples per operation is kept small so the whole file runs in a few seconds; raise it locally
with YISHI_FUZZ_EXAMPLES=200.
"""
import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import api_token

EXAMPLES = int(os.environ.get("YISHI_FUZZ_EXAMPLES", "10"))


@pytest.fixture()
def api_schema(app, db):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture()
def staff_token(app, make, db):
    """A staff member of community 1, which has a body, a meeting, a proposal and a consultation."""
    from app.core.timeutil import utcnow
    from app.meetings import operations as meetings
    from app.proposals import operations as proposals
    from app.proposals import drafts

    community = make.community("阳光社区")
    staff = make.user(community, name="工作人员", roles=["staff"])
    resident = make.user(community, name="居民")
    body = community.body_by_preset("two_committees")
    make.member(body, staff, role="chair")
    start = utcnow() + timedelta(days=20)
    meeting = meetings.create_meeting(staff, body, title="月度例会", start_dt=start, place="会议室")
    meetings.add_item(staff, meeting, title="预算", description="说明")
    with app.test_request_context():
        draft = drafts.create_draft(
            resident, community, title="楼道灯不亮", category=proposals.settings_for(community).categories[0],
            problem="三单元楼道的灯坏了两个月，晚上看不见台阶。", suggestion="请物业换成声控灯。")
        proposals.publish(resident, draft)
    db.session.commit()
    return api_token(app.test_client(), staff)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_with_5xx(case, staff_token):
    response = case.call(headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code < 500, (case.as_curl_command(), response.status_code, response.text[:500])
    if response.status_code >= 400:
        # Every refusal is the one JSON error shape, with a message people can read.
        body = response.json()
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
