"""Fidelity check: Meta's official facebook-business SDK, pointed at the Graph simulator.

Lists campaigns, ad sets and ads with the SDK's cursor iteration, filters ads in dot notation,
creates, updates and deletes a campaign, runs async insights reports (with action breakdowns) to
completion and reads them, runs a batch, and gets FacebookRequestError with the right code and
subcode for injected errors. Usage: python check_sdk.py http://127.0.0.1:PORT
"""

import hashlib
import hmac
import json
import sys
import urllib.parse
import urllib.request

from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adset import AdSet
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


def graph(path, params, method="GET"):
    """A plain Graph call, to know the seeded tree without going through the SDK under test."""
    token = seed["access_token"]
    proof = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    query = urllib.parse.urlencode({**params, "access_token": token, "appsecret_proof": proof})
    url = f"{BASE}/v26.0/{path}"
    req = (urllib.request.Request(f"{url}?{query}") if method == "GET"
           else urllib.request.Request(url, data=query.encode(), method=method))
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def ledger_mark():
    return len(control("/ledger", method="GET")["entries"])


def ledger_since(mark):
    return control("/ledger", method="GET")["entries"][mark:]


def check(name, fn):
    try:
        fn()
        results["passed"] += 1
        print(f"ok   {name}")
    except Exception as e:  # report and keep going, so one run shows every failure
        results["failed"] += 1
        # The SDK's own text for a request error runs over many lines; one line per check.
        text = json.dumps(e.body().get("error", e.body())) if isinstance(e, FacebookRequestError) else str(e)
        print(f"FAIL {name}: {type(e).__name__}: {text}")


control("/config", {"require_proof": True, "report_polls_to_finish": 3})
seed = control("/accounts", {"campaigns": 23, "adsets_per_campaign": 1, "ads_per_adset": 2, "days": 10,
                             "timezone_name": "America/Los_Angeles"})
ACCOUNT = "act_" + seed["account_id"]
# A second account on the same token, for the checks that change its tree.
other = control("/accounts", {"campaigns": 3, "adsets_per_campaign": 2, "ads_per_adset": 2, "days": 3,
                              "access_token": seed["access_token"], "name_prefix": "Filter"})
FacebookSession.GRAPH = BASE
api = FacebookAdsApi.init(APP_ID, APP_SECRET, seed["access_token"], api_version="v26.0")
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


def iterates(edge, listing, want, limit):
    """Every item of an account edge with the SDK's cursor; checks the pages the simulator served."""
    mark = ledger_mark()
    items = list(listing(params={"limit": limit}))
    assert len(items) == want, (edge, len(items))
    assert len({i["id"] for i in items}) == want, f"{edge} ids are not unique"
    pages = [e for e in ledger_since(mark) if e["endpoint"] == f"/act_{{id}}/{edge}"]
    assert len(pages) == -(-want // limit), f"expected {-(-want // limit)} pages of {edge}, simulator saw {len(pages)}"
    assert all(e["params"].get("appsecret_proof") == "<redacted>" for e in pages), "the SDK sent appsecret_proof"
    return items


def lists_ad_sets_with_cursor_iteration():
    sets = iterates("adsets", lambda params: account.get_ad_sets(fields=["name", "campaign_id"], params=params), 23, 5)
    assert all(isinstance(s, AdSet) for s in sets)
    assert len({s["campaign_id"] for s in sets}) == 23


def lists_ads_with_cursor_iteration():
    ads = iterates("ads", lambda params: account.get_ads(fields=["name", "adset_id"], params=params), 46, 10)
    assert len({a["adset_id"] for a in ads}) == 23


def other_tree():
    """The second account's ads as Graph lists them."""
    return graph(f"act_{other['account_id']}/ads", {"fields": "campaign_id,adset_id", "limit": 100})["data"]


def filters_ads_by_campaign_id_in_dot_notation():
    tree = other_tree()
    assert len(tree) == 12, len(tree)
    campaign = tree[0]["campaign_id"]
    want = sorted(a["id"] for a in tree if a["campaign_id"] == campaign)
    filtering = [{"field": "campaign.id", "operator": "IN", "value": [campaign]}]
    got = AdAccount("act_" + other["account_id"]).get_ads(fields=["campaign_id"], params={"filtering": filtering, "limit": 3})
    assert sorted(a["id"] for a in got) == want, (sorted(a["id"] for a in got), want)


def filters_ads_by_adset_effective_status_in_dot_notation():
    tree = other_tree()
    paused = tree[0]["adset_id"]
    # Paused with a plain call: this check is about filtering, not updates.
    graph(paused, {"status": "PAUSED"}, method="POST")
    want = sorted(a["id"] for a in tree if a["adset_id"] != paused)
    filtering = [{"field": "adset.effective_status", "operator": "IN", "value": ["ACTIVE"]}]
    got = list(AdAccount("act_" + other["account_id"]).get_ads(fields=["adset_id", "effective_status"],
                                                              params={"filtering": filtering, "limit": 4}))
    assert sorted(a["id"] for a in got) == want, (sorted(a["id"] for a in got), want)
    assert all(a["effective_status"] == "ACTIVE" for a in got)


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


def deletes_a_campaign():
    created = account.create_campaign(params={
        "name": "SDK drivers to delete", "objective": "OUTCOME_LEADS",
        "special_ad_categories": ["EMPLOYMENT"], "status": "PAUSED",
        "special_ad_category_country": ["US"], "is_adset_budget_sharing_enabled": False,
    })
    cid = created["id"]
    # Raises on an error answer; the SDK drops {"success": true} from what it returns.
    Campaign(cid).api_delete()
    got = Campaign(cid).api_get(fields=["status", "effective_status"])
    assert got["status"] == "DELETED" and got["effective_status"] == "DELETED", got
    listed = account.get_campaigns(fields=["name"], params={"limit": 25})
    assert cid not in {c["id"] for c in listed}, "the campaigns edge lists the deleted campaign"


def refuses_a_campaign_without_special_ad_categories():
    try:
        account.create_campaign(params={"name": "no category", "objective": "OUTCOME_LEADS"})
    except FacebookRequestError as e:
        assert e.api_error_code() == 100, e.api_error_code()
        assert e.body()["error"]["error_user_title"] == "Special Ad Categories Required"
        return
    raise AssertionError("the campaign was created")


def async_report(params):
    """An async report (the SDK's AdReportRun) polled to completion, read with cursor iteration."""
    job = account.get_insights(is_async=True, params={"level": "ad", "date_preset": "last_7d", "time_increment": 1, **params})
    seen = []
    for _ in range(10):
        job = job.api_get()
        seen.append(job["async_status"])
        if job["async_status"] == "Job Completed":
            break
    assert seen[-1] == "Job Completed", seen
    assert seen[0] == "Job Not Started", seen
    return list(job.get_result(params={"limit": 50}))


def check_totals(rows):
    assert len(rows) == 46 * 7, len(rows)
    since = min(r["date_start"] for r in rows)
    until = max(r["date_stop"] for r in rows)
    truth = control(f"/truth?account_id={seed['account_id']}&since={since}&until={until}", method="GET")
    assert sum(int(r["impressions"]) for r in rows) == truth["totals"]["impressions"]
    cents = sum(round(float(r["spend"]) * 100) for r in rows)
    assert cents == truth["totals"]["spend_cents"], (cents, truth["totals"])


def runs_an_async_report_and_reads_it():
    check_totals(async_report({"fields": ["ad_id", "impressions", "spend", "clicks"]}))


def action_sums(rows):
    """Per row (ad and day) and action type, the summed action values."""
    sums = {}
    for r in rows:
        for a in r.get("actions", []):
            key = (r["ad_id"], r["date_start"], a["action_type"])
            sums[key] = sums.get(key, 0) + int(a["value"])
    return sums


by_type = {}


def runs_an_async_report_by_action_type():
    rows = async_report({"fields": ["ad_id", "impressions", "spend", "actions"], "action_breakdowns": ["action_type"]})
    check_totals(rows)
    assert any(r.get("actions") for r in rows), "no row has actions"
    by_type.update(action_sums(rows))


def action_device_breaks_each_action_type_down():
    rows = async_report({"fields": ["ad_id", "impressions", "spend", "actions"],
                         "action_breakdowns": ["action_type", "action_device"]})
    check_totals(rows)
    for r in rows:
        for a in r.get("actions", []):
            assert "action_type" in a and "action_device" in a and "value" in a, f"an actions entry without action_device: {a}"
    assert by_type, "the action_type report did not run"
    by_device = action_sums(rows)
    assert by_device == by_type, [k for k in by_type if by_device.get(k) != by_type[k]][:5]


def runs_a_batch_of_two_reads_and_an_update():
    first, second = list(account.get_campaigns(fields=["name"], params={"limit": 2}))[:2]
    answers, failures = {}, {}
    batch = api.new_batch()

    def keep(i):
        return lambda r: answers.__setitem__(i, r.json())

    def fail(i):
        return lambda r: failures.__setitem__(i, r.json())

    Campaign(first["id"]).api_get(fields=["name", "status"], batch=batch, success=keep(0), failure=fail(0))
    Campaign(second["id"]).api_get(fields=["name", "objective"], batch=batch, success=keep(1), failure=fail(1))
    Campaign(second["id"]).api_update(params={"status": "PAUSED"}, batch=batch, success=keep(2), failure=fail(2))
    mark = ledger_mark()
    assert batch.execute() is None, "calls left to retry"
    assert not failures, failures
    assert answers[0]["id"] == first["id"] and answers[0]["name"] == first["name"], answers[0]
    assert answers[1]["objective"] == "OUTCOME_LEADS", answers[1]
    assert answers[2]["success"] is True, answers[2]
    assert Campaign(second["id"]).api_get(fields=["status"])["status"] == "PAUSED"
    seen = ledger_since(mark)
    envelopes = [e for e in seen if not e["batch"] and e["path"] == "/"]
    assert len(envelopes) == 1 and envelopes[0]["method"] == "POST", envelopes
    assert envelopes[0]["status"] == 200, envelopes[0]
    # The SDK's batch paths end in "/" (node id, empty endpoint).
    items = [(e["method"], e["path"].rstrip("/")) for e in seen if e["batch"]]
    assert items == [("GET", f"/{first['id']}"), ("GET", f"/{second['id']}"), ("POST", f"/{second['id']}")], items
    assert [e for e in seen if e["batch"]][2]["params"]["status"] == "PAUSED"


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


# The expired token goes last: the fault expires the token for good.
for fn in [lists_campaigns_with_cursor_iteration, lists_ad_sets_with_cursor_iteration, lists_ads_with_cursor_iteration,
           filters_ads_by_campaign_id_in_dot_notation, filters_ads_by_adset_effective_status_in_dot_notation,
           creates_and_updates_a_campaign, deletes_a_campaign, refuses_a_campaign_without_special_ad_categories,
           runs_an_async_report_and_reads_it, runs_an_async_report_by_action_type,
           action_device_breaks_each_action_type_down, runs_a_batch_of_two_reads_and_an_update,
           injected_throttling_is_a_request_error_with_code_and_subcode, an_expired_token_is_190_463]:
    check(fn.__name__, fn)
print(f"sdk check: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
