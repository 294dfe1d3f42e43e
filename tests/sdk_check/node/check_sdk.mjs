// Fidelity check: Meta's official Node.js SDK (facebook-nodejs-business-sdk), pointed at the Graph
// simulator. Cursor iteration over campaigns, ad sets and ads; filtering in dot notation; a campaign
// created, updated and deleted; async insights reports with action breakdowns; a batch; and the
// SDK's error for injected errors. Usage: node check_sdk.mjs http://127.0.0.1:PORT
import bizSdk from 'facebook-nodejs-business-sdk';

const { FacebookAdsApi, FacebookAdsApiBatch, AdAccount, AdSet, Campaign } = bizSdk;

const BASE = (process.argv[2] || '').replace(/\/+$/, '');
if (!BASE) {
  console.error('usage: node check_sdk.mjs BASE_URL');
  process.exit(2);
}
const VERSION = 'v26.0';

// The SDK reads its host and version from static getters on every call; the base URL is all that
// changes. Its default version (v24.0) is past Meta's end of life.
Object.defineProperty(FacebookAdsApi, 'GRAPH', { get: () => BASE });
Object.defineProperty(FacebookAdsApi, 'VERSION', { get: () => VERSION });

async function control(path, body, method = body === undefined ? 'GET' : 'POST') {
  const r = await fetch(`${BASE}/__control${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`control ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// A plain Graph read, to know the seeded tree without going through the SDK under test.
async function graph(path, params, method = 'GET') {
  const q = new URLSearchParams({ ...params, access_token: TOKEN });
  const url = `${BASE}/${VERSION}/${path}`;
  const r = await (method === 'GET' ? fetch(`${url}?${q}`) : fetch(url, { method, body: q }));
  const body = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

async function ledgerLength() {
  return (await control('/ledger')).entries.length;
}

async function ledgerSince(mark) {
  return (await control('/ledger')).entries.slice(mark);
}

function assert(cond, what) {
  if (!cond) throw new Error(typeof what === 'function' ? what() : what);
}

function eq(got, want, what) {
  assert(got === want, () => `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// Every item of an edge, page by page, the way the SDK's Cursor pages (it follows paging.next).
async function all(firstPage) {
  let cursor = await firstPage;
  const items = [...cursor];
  while (cursor.hasNext()) {
    cursor = await cursor.next();
    items.push(...cursor);
  }
  return items;
}

const results = { passed: 0, failed: 0 };

// One line for an error; for the SDK's request error, Graph's error object.
function describe(e) {
  if (e && e.name === 'FacebookRequestError' && e.response) return `${e.name}: ${JSON.stringify(e.response)}`;
  return `${e && e.name}: ${e && e.message}`;
}

async function check(name, fn) {
  try {
    await fn();
    results.passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    // Report and keep going, so one run shows every failure.
    results.failed += 1;
    console.log(`FAIL ${name}: ${describe(e)}`);
  }
}

// The Node SDK has no appsecret_proof (only the Python one signs calls), so this run does not require it.
await control('/config', { require_proof: false, report_polls_to_finish: 3 });
const SHAPE = { campaigns: 7, adsets_per_campaign: 2, ads_per_adset: 2 };
const seed = await control('/accounts', { ...SHAPE, days: 10, timezone_name: 'America/Los_Angeles' });
const TOKEN = seed.access_token;
// A second account on the same token, for the checks that change its tree.
const other = await control('/accounts', { campaigns: 3, adsets_per_campaign: 2, ads_per_adset: 2, days: 3, access_token: TOKEN, name_prefix: 'Filter' });
// No crash reporter: it would hook uncaught exceptions and post them to Graph.
const api = FacebookAdsApi.init(TOKEN, 'en_US', false);
const account = new AdAccount(`act_${seed.account_id}`);

async function iterates(name, edge, fetchPage, want, limit) {
  const mark = await ledgerLength();
  const items = await all(fetchPage({ limit }));
  eq(items.length, want, `${name} listed`);
  eq(new Set(items.map((i) => i.id)).size, want, `unique ${name} ids`);
  const pages = (await ledgerSince(mark)).filter((e) => e.endpoint === `/act_{id}/${edge}`);
  eq(pages.length, Math.ceil(want / limit), `${edge} pages the simulator served`);
  return items;
}

await check('version_and_base_url_are_the_simulators', async () => {
  eq(FacebookAdsApi.VERSION, VERSION, 'FacebookAdsApi.VERSION');
  const mark = await ledgerLength();
  const got = await account.read(['name', 'currency']);
  eq(got.currency, 'USD', 'currency');
  eq((await ledgerSince(mark)).filter((e) => e.path === `/act_${seed.account_id}`).length, 1, 'account reads seen');
  // The simulator builds paging.next from the version the request used.
  const page = await account.getCampaigns(['name'], { limit: 1 });
  assert(page.paging.next.startsWith(`${BASE}/${VERSION}/`), () => `paging.next ${page.paging.next}`);
});

await check('lists_campaigns_with_cursor_iteration', async () => {
  const campaigns = await iterates('campaigns', 'campaigns', (p) => account.getCampaigns(['name', 'effective_status'], p), SHAPE.campaigns, 3);
  assert(campaigns.every((c) => c.effective_status === 'ACTIVE'), 'every seeded campaign is ACTIVE');
  assert(campaigns.every((c) => c instanceof Campaign), 'the cursor yields Campaign objects');
});

await check('lists_ad_sets_with_cursor_iteration', async () => {
  const n = SHAPE.campaigns * SHAPE.adsets_per_campaign;
  const sets = await iterates('ad sets', 'adsets', (p) => account.getAdSets(['name', 'campaign_id'], p), n, 4);
  assert(sets.every((s) => s instanceof AdSet), 'the cursor yields AdSet objects');
  eq(new Set(sets.map((s) => s.campaign_id)).size, SHAPE.campaigns, 'campaigns the ad sets belong to');
});

await check('lists_ads_with_cursor_iteration', async () => {
  const n = SHAPE.campaigns * SHAPE.adsets_per_campaign * SHAPE.ads_per_adset;
  const ads = await iterates('ads', 'ads', (p) => account.getAds(['name', 'adset_id', 'campaign_id'], p), n, 5);
  eq(new Set(ads.map((a) => a.adset_id)).size, SHAPE.campaigns * SHAPE.adsets_per_campaign, 'ad sets the ads belong to');
});

// The second account's tree as Graph lists it, read without the SDK.
async function otherTree() {
  return (await graph(`act_${other.account_id}/ads`, { fields: 'campaign_id,adset_id', limit: '100' })).data;
}

await check('filters_ads_by_campaign_id_in_dot_notation', async () => {
  const tree = await otherTree();
  eq(tree.length, 12, 'ads in the second account');
  const campaign = tree[0].campaign_id;
  const want = tree.filter((a) => a.campaign_id === campaign).map((a) => a.id).sort();
  const filtering = [{ field: 'campaign.id', operator: 'IN', value: [campaign] }];
  const got = await all(new AdAccount(`act_${other.account_id}`).getAds(['campaign_id'], { filtering, limit: 3 }));
  eq(JSON.stringify(got.map((a) => a.id).sort()), JSON.stringify(want), 'ads of one campaign');
});

await check('filters_ads_by_adset_effective_status_in_dot_notation', async () => {
  const tree = await otherTree();
  const paused = tree[0].adset_id;
  // Paused with a plain call: this check is about filtering, not updates.
  await graph(paused, { status: 'PAUSED' }, 'POST');
  const want = tree.filter((a) => a.adset_id !== paused).map((a) => a.id).sort();
  const filtering = [{ field: 'adset.effective_status', operator: 'IN', value: ['ACTIVE'] }];
  const got = await all(new AdAccount(`act_${other.account_id}`).getAds(['adset_id', 'effective_status'], { filtering, limit: 4 }));
  eq(JSON.stringify(got.map((a) => a.id).sort()), JSON.stringify(want), 'ads whose ad set is active');
  assert(got.every((a) => a.effective_status === 'ACTIVE'), 'every ad listed is ACTIVE');
});

await check('creates_updates_and_deletes_a_campaign', async () => {
  // Each step's failure is kept and the next steps still run, so one run shows them all.
  const problems = [];
  const step = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${what}: ${describe(e)}`);
    }
  };
  const fields = ['name', 'status', 'effective_status', 'objective', 'special_ad_categories', 'special_ad_category_country'];
  const spec = () => ({
    name: 'SDK drivers',
    objective: 'OUTCOME_LEADS',
    special_ad_categories: ['EMPLOYMENT'],
    status: 'PAUSED',
    special_ad_category_country: ['US'],
    is_adset_budget_sharing_enabled: false,
  });
  // As Meta's README creates: on a new AdAccount object, which sends its own id in the body too
  // (the constructor records it as a change; a read clears it).
  let created;
  await step('create', async () => {
    created = await new AdAccount(`act_${seed.account_id}`).createCampaign([], spec());
  });
  // Through the account object read earlier (no id in the body), so update and delete still run.
  created = created || (await account.createCampaign([], spec()));
  assert(created instanceof Campaign && created.id, 'createCampaign gives a Campaign with an id');
  let got = await new Campaign(created.id).read(fields);
  eq(got.name, 'SDK drivers', 'name after create');
  eq(got.status, 'PAUSED', 'status after create');
  eq(got.effective_status, 'PAUSED', 'effective_status after create');
  eq(got.objective, 'OUTCOME_LEADS', 'objective');
  eq(JSON.stringify(got.special_ad_categories), '["EMPLOYMENT"]', 'special_ad_categories');
  eq(JSON.stringify(got.special_ad_category_country), '["US"]', 'special_ad_category_country');

  // As Meta's examples update: update(fields, params) on a new Campaign object, which sends the
  // campaign's own id in the body too.
  await step('update', async () => {
    const updated = await new Campaign(created.id).update([], { name: 'SDK drivers (renamed)' });
    eq(updated.success, true, 'update answer');
    got = await new Campaign(created.id).read(fields);
    eq(got.name, 'SDK drivers (renamed)', 'name after update');
    eq(got.status, 'PAUSED', 'status after update');
  });

  await step('delete', async () => {
    const deleted = await new Campaign(created.id).delete();
    eq(deleted.success, true, 'delete answer');
    got = await new Campaign(created.id).read(['status', 'effective_status']);
    eq(got.status, 'DELETED', 'status after delete');
    eq(got.effective_status, 'DELETED', 'effective_status after delete');
    const listed = await all(account.getCampaigns(['name'], { limit: 25 }));
    assert(!listed.some((c) => c.id === created.id), 'the campaigns edge leaves the deleted campaign out');
  });
  assert(problems.length === 0, () => problems.join('; '));
});

// An async report run to completion (the SDK's AdReportRun), read with cursor iteration.
async function asyncReport(actionBreakdowns) {
  const run = await account.getInsightsAsync(['ad_id', 'impressions', 'spend', 'actions'], {
    level: 'ad',
    date_preset: 'last_7d',
    time_increment: 1,
    action_breakdowns: actionBreakdowns,
  });
  assert(run.id, 'getInsightsAsync gives an AdReportRun with an id');
  const seen = [];
  for (let i = 0; i < 10 && seen.at(-1) !== 'Job Completed'; i += 1) {
    await run.get(['async_status', 'async_percent_completion']);
    seen.push(run.async_status);
  }
  eq(seen[0], 'Job Not Started', 'first status');
  eq(seen.at(-1), 'Job Completed', `last status (${seen.join(', ')})`);
  return all(run.getInsights([], { limit: 20 }));
}

async function checkTotals(rows) {
  const ads = SHAPE.campaigns * SHAPE.adsets_per_campaign * SHAPE.ads_per_adset;
  eq(rows.length, ads * 7, 'rows (ads x 7 days)');
  const since = rows.map((r) => r.date_start).sort()[0];
  const until = rows.map((r) => r.date_stop).sort().at(-1);
  const truth = await control(`/truth?account_id=${seed.account_id}&since=${since}&until=${until}`);
  const impressions = rows.reduce((s, r) => s + Number(r.impressions), 0);
  eq(impressions, truth.totals.impressions, 'impressions against the truth');
  const cents = rows.reduce((s, r) => s + Math.round(Number(r.spend) * 100), 0);
  eq(cents, truth.totals.spend_cents, 'spend in cents against the truth');
}

// Per row (ad and day) and action type, the summed action values.
function actionSums(rows) {
  const sums = new Map();
  for (const r of rows) {
    for (const a of r.actions || []) {
      const key = `${r.ad_id} ${r.date_start} ${a.action_type}`;
      sums.set(key, (sums.get(key) || 0) + Number(a.value));
    }
  }
  return sums;
}

let byType = null;

await check('runs_an_async_report_by_action_type_and_reads_it', async () => {
  const rows = await asyncReport(['action_type']);
  await checkTotals(rows);
  assert(rows.some((r) => (r.actions || []).length > 0), 'some rows have actions');
  for (const r of rows) {
    for (const a of r.actions || []) {
      assert(typeof a.action_type === 'string' && a.value !== undefined, () => `an actions entry: ${JSON.stringify(a)}`);
    }
  }
  byType = actionSums(rows);
});

await check('action_device_breaks_each_action_type_down', async () => {
  const rows = await asyncReport(['action_type', 'action_device']);
  await checkTotals(rows);
  for (const r of rows) {
    for (const a of r.actions || []) {
      assert(typeof a.action_type === 'string' && typeof a.action_device === 'string' && a.value !== undefined, () => `an actions entry without action_device: ${JSON.stringify(a)}`);
    }
  }
  assert(byType, 'the action_type report ran');
  const byDevice = actionSums(rows);
  eq(byDevice.size, byType.size, '(ad, day, action type) keys');
  for (const [key, value] of byType) {
    eq(byDevice.get(key), value, `sum over action_device for ${key}`);
  }
});

await check('runs_a_batch_of_two_reads_and_an_update', async () => {
  const campaigns = await all(account.getCampaigns(['name'], { limit: 25 }));
  const [a, b] = campaigns;
  const answers = [];
  // Callbacks per call only: the constructor's would take index 0 of the per-call lists.
  const batch = new FacebookAdsApiBatch(api);
  const keep = (i) => (r) => { answers[i] = r; };
  const fail = (i) => (r) => { answers[i] = { failed: r }; };
  batch.add('GET', [a.id], { fields: 'name,status' }, null, keep(0), fail(0));
  batch.add('GET', [b.id], { fields: 'name,objective' }, null, keep(1), fail(1));
  batch.add('POST', [b.id], { status: 'PAUSED' }, null, keep(2), fail(2));
  const mark = await ledgerLength();
  const retry = await batch.execute();
  eq(retry, null, 'calls left to retry');
  for (let i = 0; i < 3; i += 1) {
    assert(answers[i] && !answers[i].failed, () => `answer ${i}: ${JSON.stringify(answers[i] && answers[i].failed && answers[i].failed.body)}`);
  }
  eq(answers[0].body.id, a.id, 'first read id');
  eq(answers[0].body.name, a.name, 'first read name');
  eq(answers[1].body.objective, 'OUTCOME_LEADS', 'second read objective');
  eq(answers[2].body.success, true, 'update answer');
  const after = await new Campaign(b.id).read(['status']);
  eq(after.status, 'PAUSED', 'status after the batched update');

  const seen = await ledgerSince(mark);
  const envelopes = seen.filter((e) => !e.batch && e.path === '/');
  eq(envelopes.length, 1, 'batch calls to /');
  eq(envelopes[0].method, 'POST', 'batch method');
  const items = seen.filter((e) => e.batch);
  eq(JSON.stringify(items.map((e) => `${e.method} ${e.path}`)), JSON.stringify([`GET /${a.id}`, `GET /${b.id}`, `POST /${b.id}`]), 'batch items');
  eq(items[0].params.fields, 'name,status', 'first item fields');
  eq(items[2].params.status, 'PAUSED', 'update item status');
  eq(seen.filter((e) => !e.batch && e.path !== '/').length, 1, 'calls outside the batch (the read-back)');
});

// The SDK rejects with FacebookRequestError (not exported by the package, so checked by name);
// its `response` is Graph's `error` object.
async function graphError(call) {
  try {
    await call();
  } catch (e) {
    eq(e.name, 'FacebookRequestError', `error class (${e.message})`);
    assert(e instanceof Error, 'a FacebookRequestError is an Error');
    return e;
  }
  throw new Error('no error');
}

await check('injected_throttling_is_a_request_error_with_code_and_subcode', async () => {
  await control('/faults', { kind: 'throttle', code: 17 });
  const e = await graphError(() => account.getCampaigns(['name'], { limit: 1 }));
  eq(e.status, 400, 'HTTP status');
  eq(e.response.code, 17, 'code');
  eq(e.response.error_subcode, 2446079, 'error_subcode');
  eq(e.response.is_transient, true, 'is_transient');
  assert(typeof e.response.fbtrace_id === 'string', 'fbtrace_id');
});

// Last: the fault expires the token for good.
await check('an_expired_token_is_190_463', async () => {
  await control('/faults', { kind: 'token_expired' });
  const e = await graphError(() => account.read(['name']));
  eq(e.response.code, 190, 'code');
  eq(e.response.error_subcode, 463, 'error_subcode');
  eq(e.response.type, 'OAuthException', 'type');
});

console.log(`sdk check: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
