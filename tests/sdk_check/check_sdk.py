"""Fidelity check: Meta's official facebook-business SDK, pointed at the Graph simulator.

Lists campaigns with the SDK's cursor iteration, creates and updates a campaign, runs an async
insights report to completion and reads it, and gets FacebookRequestError with the right code and
subcode for injected errors. Usage: python check_sdk.py http://127.0.0.1:PORT
"""

import json
import sys
import urllib.request

from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.campaign import Campaign
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

BASE = sys.argv[1].rstrip("/")
APP_ID, APP_SECRET = "1000000000000001", "sim-app-secret"
results = {"passed": 0, "failed": 0}


def control(path, body=None, method="POST"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + "/__control" + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def check(name, fn):
    try:
        fn()
        results["passed"] += 1
        print(f"ok   {name}")
    except Exception as e:  # report and keep going, so one run shows every failure
        results["failed"] += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")


control("/config", {"require_proof": True, "report_polls_to_finish": 3})
seed = control("/accounts", {"campaigns": 23, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 10,
                             "timezone_name": "America/Los_Angeles"})
ACCOUNT = "act_" + seed["account_id"]
FacebookSession.GRAPH = BASE
FacebookAdsApi.init(APP_ID, APP_SECRET, seed["access_token"], api_version="v26.0")
account = AdAccount(ACCOUNT)


def lists_campaigns_with_cursor_iteration():
    before = len(control("/ledger", method="GET")["entries"])
    campaigns = list(account.get_campaigns(fields=["name", "effective_status"], params={"limit": 5}))
    assert len(campaigns) == 23, len(campaigns)
    assert len({c["id"] for c in campaigns}) == 23
    assert all(c["effective_status"] == "ACTIVE" for c in campaigns)
    pages = [e for e in control("/ledger", method="GET")["entries"][before:] if e["endpoint"] == "/act_{id}/campaigns"]
    assert len(pages) == 5, f"expected 5 pages of 5, simulator saw {len(pages)} calls"
    assert all(e["params"].get("appsecret_proof") == "<redacted>" for e in pages), "the SDK sent appsecret_proof"


def creates_and_updates_a_campaign():
    created = account.create_campaign(params={
        "name": "SDK drivers", "objective": "OUTCOME_LEADS",
        "special_ad_categories": ["EMPLOYMENT"], "status": "PAUSED",
        "special_ad_category_country": ["US"], "is_adset_budget_sharing_enabled": False,
    })
    cid = created["id"]
    Campaign(cid).api_update(params={"name": "SDK drivers (renamed)"})
    got = Campaign(cid).api_get(fields=["name", "status", "effective_status", "special_ad_categories", "objective"])
    assert got["name"] == "SDK drivers (renamed)", got
    assert got["status"] == "PAUSED" and got["effective_status"] == "PAUSED", got
    assert got["special_ad_categories"] == ["EMPLOYMENT"], got


def refuses_a_campaign_without_special_ad_categories():
    try:
        account.create_campaign(params={"name": "no category", "objective": "OUTCOME_LEADS"})
    except FacebookRequestError as e:
        assert e.api_error_code() == 100, e.api_error_code()
        assert e.body()["error"]["error_user_title"] == "Special Ad Categories Required"
        return
    raise AssertionError("the campaign was created")


def runs_an_async_report_and_reads_it():
    job = account.get_insights(is_async=True, params={
        "level": "ad", "date_preset": "last_7d", "time_increment": 1,
        "fields": ["ad_id", "impressions", "spend", "clicks"],
    })
    seen = []
    for _ in range(10):
        job = job.api_get()
        seen.append(job["async_status"])
        if job["async_status"] == "Job Completed":
            break
    assert seen[-1] == "Job Completed", seen
    assert seen[0] == "Job Not Started", seen
    rows = list(job.get_result(params={"limit": 50}))
    assert len(rows) == 46 * 7, len(rows)
    since = min(r["date_start"] for r in rows)
    until = max(r["date_stop"] for r in rows)
    truth = control(f"/truth?account_id={seed['account_id']}&since={since}&until={until}", method="GET")
    assert sum(int(r["impressions"]) for r in rows) == truth["totals"]["impressions"]
    cents = sum(round(float(r["spend"]) * 100) for r in rows)
    assert cents == truth["totals"]["spend_cents"], (cents, truth["totals"])


def injected_throttling_is_a_request_error_with_code_and_subcode():
    control("/faults", {"kind": "throttle", "code": 17})
    try:
        list(account.get_campaigns(params={"limit": 1}))
    except FacebookRequestError as e:
        assert e.api_error_code() == 17 and e.api_error_subcode() == 2446079, (e.api_error_code(), e.api_error_subcode())
        assert e.api_transient_error() is True
        return
    raise AssertionError("no error")


def an_expired_token_is_190_463():
    control("/faults", {"kind": "token_expired"})
    try:
        account.api_get(fields=["name"])
    except FacebookRequestError as e:
        assert e.api_error_code() == 190 and e.api_error_subcode() == 463, (e.api_error_code(), e.api_error_subcode())
        assert e.api_error_type() == "OAuthException"
        return
    raise AssertionError("no error")


for fn in [lists_campaigns_with_cursor_iteration, creates_and_updates_a_campaign,
           refuses_a_campaign_without_special_ad_categories, runs_an_async_report_and_reads_it,
           injected_throttling_is_a_request_error_with_code_and_subcode, an_expired_token_is_190_463]:
    check(fn.__name__, fn)
print(f"sdk check: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
