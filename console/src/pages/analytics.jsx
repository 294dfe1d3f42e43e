// Recruiter Analytics: a dashboard per account, campaign, ad set or ad (spend, reach, results,
// cost per lead over time), refreshed while a sync runs; every figure says when it was last
// updated and which days may still change.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { act, plain } from '../api.js';
import { Freshness } from '../form.jsx';
import { AccountPicker, ActionList, Table, useAccounts } from '../widgets.jsx';

const A = 'recruiter_paid_media_analytics';
const LEVELS = { campaign: 'get_insights_campaign_level', adset: 'get_insights_adset_level', ad: 'get_insights_ad_level' };
const METRICS = ['spend', 'impressions', 'reach', 'clicks', 'leads', 'cpl', 'ctr'];
const day = (d) => d.toISOString().slice(0, 10);

/** Money in minor units as the account's currency. */
const money = (minor, currency) => (minor === null || minor === undefined ? '–' : (minor / 100).toLocaleString(undefined, { style: 'currency', currency: currency || 'USD' }));

function Chart({ rows }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || !rows.length) return undefined;
    const days = [...new Set(rows.map((r) => r.date))].sort();
    const sum = (d, k) => rows.filter((r) => r.date === d).reduce((a, r) => a + (Number(r[k]) || 0), 0);
    const data = [days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), days.map((d) => sum(d, 'spend_minor') / 100), days.map((d) => sum(d, 'leads'))];
    const plot = new uPlot(
      { width: box.current.clientWidth || 900, height: 240, series: [{}, { label: 'Spend', stroke: '#2563eb' }, { label: 'Leads', stroke: '#16a34a', scale: 'n' }], axes: [{}, {}, { scale: 'n', side: 1 }] },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [rows]);
  return <div class="chart" ref={box} data-testid="chart" />;
}

export function Dashboard({ s, names }) {
  const { accounts, error: accountsError, account, setAccount } = useAccounts();
  const [level, setLevel] = useState('campaign');
  const [since, setSince] = useState(day(new Date(Date.now() - 13 * 86400000)));
  const [until, setUntil] = useState(day(new Date()));
  const [days, setDays] = useState(null);
  const [totals, setTotals] = useState(null);
  const [error, setError] = useState(null);
  const currency = accounts?.find((a) => a.id === account)?.currency;
  const load = async () => {
    if (!account) return;
    const q = { ad_account_id: account, since, until, metrics: METRICS };
    try {
      const [byDay, byObject] = await Promise.all([
        act(A, LEVELS[level], { ...q, time_increment: 'day', limit: 500 }),
        act(A, LEVELS[level], q),
      ]);
      setDays(byDay.body);
      setTotals(byObject.body);
      setError(null);
    } catch (e) {
      setError(plain(e));
    }
  };
  // Read now, then every 15 seconds while a sync may be writing.
  useEffect(() => {
    load();
    const t = setInterval(load, 15000);
    return () => clearInterval(t);
  }, [account, level, since, until]);
  if (accountsError) return <p class="form-error">{accountsError}</p>;
  return (
    <div class="dashboard">
      <div class="controls">
        <AccountPicker accounts={accounts} value={account} set={setAccount} />
        <label class="field inline"><span>Level</span>
          <select data-field="level" value={level} onChange={(e) => setLevel(e.target.value)}>{Object.keys(LEVELS).map((l) => <option value={l} data-action={`${A}/${LEVELS[l]}`}>{l}</option>)}</select>
        </label>
        <label class="field inline"><span>From</span><input type="date" data-field="since" value={since} onChange={(e) => setSince(e.target.value)} /></label>
        <label class="field inline"><span>To</span><input type="date" data-field="until" value={until} onChange={(e) => setUntil(e.target.value)} /></label>
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {totals && (
        <>
          <Freshness body={totals} />
          <dl class="kpis" data-testid="totals" data-since={totals.since} data-until={totals.until}>
            <div><dt>Spend</dt><dd data-metric="spend" data-minor={totals.totals.spend_minor}>{money(totals.totals.spend_minor, currency)}</dd></div>
            <div><dt>Reach</dt><dd data-metric="reach">{totals.totals.reach?.toLocaleString()}</dd></div>
            <div><dt>Impressions</dt><dd data-metric="impressions">{totals.totals.impressions?.toLocaleString()}</dd></div>
            <div><dt>Leads</dt><dd data-metric="leads">{totals.totals.leads}</dd></div>
            <div><dt>Cost per lead</dt><dd data-metric="cpl">{money(totals.totals.cpl_minor, currency)}</dd></div>
          </dl>
          {totals.range_may_change && <p class="note">The last days are inside the attribution window: their results may still rise.</p>}
        </>
      )}
      {days && <Chart rows={days.data} />}
      {totals && <Table testid="objects" rows={totals.data.map((r) => ({ ...r, spend: money(r.spend_minor, currency), cpl: money(r.cpl_minor, currency) }))} columns={['object_id', 'name', 'spend', 'impressions', 'reach', 'clicks', 'leads', 'cpl']} />}
      <ActionList s={s} names={names} skip={Object.values(LEVELS).map((a) => `${A}/${a}`)} />
    </div>
  );
}
