"""The official MCP Python SDK against adgate's /mcp, as an agent would use it.

usage: check_mcp.py URL ADMIN_KEY RECRUITER_KEY AD_ACCOUNT AD_SET CAMPAIGN

Prints one JSON object with what it saw; exits 1 with the reason on the first surprise. The
Rust test that runs it then checks what reached D1 and the simulator.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def fail(why):
    print(json.dumps({"ok": False, "why": why}))
    sys.exit(1)


def text(result):
    return " ".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def session(url, key, mode, work):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=httpx2.Timeout(30, read=60)) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            return await work(client)


async def main():
    url, admin, recruiter, account, ad_set, campaign = sys.argv[1:7]
    seen = {}

    async def as_recruiter(c):
        seen["protocol"] = c.session.protocol_version
        tools = {t.name: t for t in (await c.list_tools()).tools}
        seen["recruiter_tools"] = sorted(tools)
        budget = tools.get("update_ad_set_budget") or fail("no update_ad_set_budget tool")
        if "idempotency_key" not in budget.input_schema.get("required", []):
            fail("mutations must require an idempotency_key")
        if not tools["delete_campaign"].annotations.destructive_hint:
            fail("delete_campaign must be marked destructive")
        args = {"ad_account_id": account, "ad_set_id": ad_set, "daily_budget_minor": 5500, "idempotency_key": "mcp-budget-1"}
        first = await c.call_tool("update_ad_set_budget", args)
        second = await c.call_tool("update_ad_set_budget", args)
        if first.is_error or second.is_error:
            fail(f"budget change refused: {text(first)} / {text(second)}")
        if first.structured_content != second.structured_content:
            fail("the same idempotency key must give the same result")
        seen["budget_after"] = first.structured_content["object"]["daily_budget"]
        held = await c.call_tool("delete_campaign", {"ad_account_id": account, "campaign_id": campaign, "idempotency_key": "mcp-delete-1"})
        if held.is_error or "Waiting for approval" not in text(held):
            fail(f"a deletion must wait for approval, as a result: {text(held)}")
        approval = held.structured_content["approval"]["id"]
        seen["approval_id"] = approval
        status = await c.call_tool("get_approval_status", {"approval_id": approval})
        if status.is_error or status.structured_content["status"] != "pending":
            fail(f"get_approval_status: {text(status)}")
        bad = await c.call_tool("update_ad_set_budget", {"ad_account_id": account, "ad_set_id": ad_set, "daily_budget_minor": 0, "idempotency_key": "mcp-bad"})
        if not bad.is_error or "daily_budget_minor" not in text(bad):
            fail(f"an invalid argument is a tool error naming the field: {text(bad)}")
        seen["invalid_argument"] = text(bad)
        keyless = await c.call_tool("pause_campaign", {"ad_account_id": account, "campaign_id": campaign})
        if not keyless.is_error or "idempotency_key" not in text(keyless):
            fail(f"a mutation without a key is a tool error: {text(keyless)}")
        try:
            await c.call_tool("rotate_credentials", {"idempotency_key": "x"})
            fail("an admin tool must be unknown to a recruiter")
        except Exception as e:  # MCPError: a protocol error, as the spec says for unknown tools
            seen["unknown_tool"] = str(e)
        await c.send_ping()

    async def as_admin(c):
        tools = sorted(t.name for t in (await c.list_tools()).tools)
        seen["admin_tools"] = tools
        events = await c.call_tool("get_audit_events", {"limit": 50})
        if events.is_error:
            fail(f"read: {text(events)}")
        seen["audit_rows_seen"] = len(events.structured_content["data"])

    await session(url, recruiter, "auto", as_recruiter)
    await session(url, admin, "legacy", as_admin)
    if set(seen["recruiter_tools"]) >= set(seen["admin_tools"]) or "rotate_credentials" in seen["recruiter_tools"]:
        fail("a recruiter must see fewer tools than an admin")
    print(json.dumps({"ok": True, **seen}))


asyncio.run(main())
