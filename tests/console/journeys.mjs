// Drives the console in headless Chromium (playwright-core with the system browser) for the
// end-to-end tests: `node journeys.mjs PHASE` with ADGATE_URL, the keys and SHOTS in the
// environment. Prints one JSON line: what the page showed and every request it made, which the
// Rust test checks against D1 and the simulator's ledger.
import { chromium } from 'playwright-core';

const env = (k) => process.env[k] || '';
const base = `${env('ADGATE_URL')}/console/`;
const phase = process.argv[2];
const out = { phase, requests: [], shown: {} };

const browser = await chromium.launch({ executablePath: env('CHROMIUM') || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.on('request', (r) => {
  const u = new URL(r.url());
  if (!u.pathname.startsWith('/console')) out.requests.push({ method: r.method(), path: u.pathname, idempotency_key: r.headers()['idempotency-key'] || null });
});
page.on('pageerror', (e) => { out.page_errors = [...(out.page_errors || []), String(e)]; });
const shot = (name) => page.screenshot({ path: `${env('SHOTS')}/${name}.png` });
const go = async (surface, id) => {
  await page.goto(`${base}#/${surface}/${id}`);
  await page.waitForSelector(`main[data-current-page="${id}"]`);
  await page.waitForLoadState('networkidle');
};
const fill = (form, field, value) => page.fill(`[data-form="${form}"] [data-field="${field}"]`, value);
const pick = (form, field, value) => page.selectOption(`[data-form="${form}"] [data-field="${field}"]`, value);
const R = 'recruiter_paid_media';

async function signIn(key) {
  await page.goto(base);
  await page.fill('input[name="key"]', key);
  await page.click('form.signin button');
  await page.waitForSelector('nav .who');
  out.shown.url_has_key = page.url().includes(key);
}

try {
  if (phase === 'build') {
    await signIn(env('RECRUITER_KEY'));
    await go('outreach', 'wizard');
    const c = `${R}/create_campaign_draft`;
    await fill(c, 'campaign.name', 'Drivers console 2026-12');
    // A value the server refuses is shown at its field, in plain words (the browser checks
    // bounds itself; a country code's form only the server knows).
    await fill(c, 'campaign.special_ad_category_country', 'Texas');
    await page.click(`[data-form="${c}"] button[type=submit]`);
    await page.waitForSelector(`[data-form="${c}"] [data-error-for]`);
    out.shown.field_error = await page.getAttribute(`[data-form="${c}"] [data-error-for]`, 'data-error-for');
    out.shown.field_error_text = await page.textContent(`[data-form="${c}"] [data-error-for]`);
    await fill(c, 'campaign.special_ad_category_country', 'US');
    await page.click(`[data-form="${c}"] button[type=submit]`);
    await page.waitForSelector('[data-step="creative"]');
    const k = `${R}/create_creative_draft`;
    for (const [f, v] of [['creative.name', 'Console creative'], ['creative.page_id', '4242'], ['creative.link', 'https://jobs.example.com/drivers'], ['creative.message', 'Drive with us'], ['creative.headline', 'Now hiring']]) await fill(k, f, v);
    await page.click(`[data-form="${k}"] button[type=submit]`);
    await page.waitForSelector('[data-step="adset"]');
    await shot('outreach-wizard');
    const a = `${R}/create_ad_set_draft`;
    for (const [f, v] of [['ad_set.name', 'Drivers TX'], ['ad_set.daily_budget_minor', '5000']]) await fill(a, f, v);
    await pick(a, 'ad_set.optimization_goal', 'LINK_CLICKS');
    await pick(a, 'ad_set.billing_event', 'IMPRESSIONS');
    await pick(a, 'ad_set.destination_type', 'WEBSITE');
    await fill(a, 'ad_set.targeting.geo_locations.countries', 'US');
    await page.click(`[data-form="${a}"] button[type=submit]`);
    await page.waitForSelector('[data-step="check"]');
    await page.click(`[data-form="${R}/validate_campaign_draft"] button[type=submit]`);
    await page.waitForSelector('[data-testid="valid"], [data-testid="problems"]');
    out.shown.valid = await page.isVisible('[data-testid="valid"]');
    // Launch with a double click: one intent, one change.
    await page.dblclick(`[data-form="${R}/launch_campaign_draft"] button[type=submit]`);
    await page.waitForSelector('[data-testid="held"]');
    out.shown.held = await page.textContent('[data-testid="held"]');
    out.shown.draft = await page.textContent('[data-testid="draft-id"]');
    out.shown.reachable = { 'outreach/wizard': await page.locator('[data-action], [data-form]').evaluateAll((s) => s.map((x) => x.dataset.action || x.dataset.form)) };
    await shot('outreach-launch-held');
  } else if (phase === 'approve') {
    await signIn(env('ADMIN_KEY'));
    await go('admin', 'approvals');
    await shot('admin-approvals');
    const item = page.locator('[data-approval]').first();
    out.shown.approval = await item.getAttribute('data-approval');
    out.shown.approval_text = await item.textContent();
    await item.locator('button.primary').click();
    await page.waitForSelector('[data-approval]', { state: 'detached' });
    await go('admin', 'audit');
    await page.waitForSelector('[data-audit-action="launch_campaign_draft"][data-outcome="succeeded"]');
    out.shown.audit = await page.locator('[data-testid="audit"] li').evaluateAll((ls) => ls.map((l) => `${l.dataset.auditAction}:${l.dataset.outcome}`));
    await shot('admin-audit');
  } else if (phase === 'dashboard') {
    await signIn(env('RECRUITER_KEY'));
    await go('analytics', 'dashboard');
    await page.fill('[data-field="since"]', env('SINCE'));
    await page.fill('[data-field="until"]', env('UNTIL'));
    await page.waitForSelector(`[data-testid="totals"][data-since="${env('SINCE')}"][data-until="${env('UNTIL')}"]`);
    await page.waitForSelector('[data-testid="chart"] canvas');
    out.shown.spend_minor = Number(await page.getAttribute('[data-metric="spend"]', 'data-minor'));
    out.shown.freshness = await page.textContent('[data-testid="freshness"]');
    await shot('analytics-dashboard');
  } else if (phase === 'forbidden') {
    await signIn(env('RECRUITER_KEY'));
    out.shown.surfaces = await page.locator('nav [data-surface]').evaluateAll((s) => s.map((x) => x.dataset.surface));
    await page.goto(`${base}#/admin/approvals`);
    await page.waitForSelector('main[data-current-page]');
    out.shown.landed_on = await page.getAttribute('main', 'data-current-page');
    // A forged call from the page's own context, with the recruiter's key.
    out.shown.forged_status = await page.evaluate(async () => {
      const r = await fetch('/v1/actions/admin_meta_ads_governance/set_daily_budget_caps', { method: 'POST', headers: { Authorization: `Bearer ${sessionStorage.getItem('adgate.key')}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'forged-1' }, body: '{"caps":{}}' });
      return r.status;
    });
    out.shown.actions = await page.locator('[data-action]').evaluateAll((s) => s.map((x) => x.dataset.action));
  } else if (phase === 'parity') {
    await signIn(env('ADMIN_KEY'));
    const pages = await page.locator('nav a[data-page]').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(2).split('/')));
    out.shown.reachable = {};
    for (const [surface, id] of pages) {
      await go(surface, id);
      out.shown.reachable[`${surface}/${id}`] = await page.locator('[data-action], [data-form]').evaluateAll((s) => s.map((x) => x.dataset.action || x.dataset.form));
      await shot(`${surface}-${id}`);
    }
  }
} catch (e) {
  out.error = String(e.stack || e);
  await shot(`failed-${phase}`).catch(() => {});
}
await browser.close();
console.log(JSON.stringify(out));
