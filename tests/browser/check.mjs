// check.mjs SPEC.json -- load kueri pages in Debian's headless Chromium and
// check them as a person would see them; prints TAP.
//
// SPEC: { "base": "http://127.0.0.1:PORT", "out": "DIR", "pages": [
//   { "name": "front", "path": "/front.html",
//     "title": "substring of <title>",
//     "text": ["strings the visible text must contain"],
//     "count": { "css selector": N },
//     "absent": ["css selectors that must match nothing"],
//     "notext": ["strings the page's whole HTML (markup, attributes,
//                hidden text) must not contain: private canaries"],
//     "status": 200 (default),
//     "steps": [ {"click": "css"} | {"select": ["css", "value"]} |
//                {"fill": ["css", "text"]} ]  -- what a person does after
//              loading `path`; the checks then apply to the page it ends on,
//     "url": "substring the final URL must contain (decoded)",
//     "json": N  -- the final URL, asked again with Accept:
//              application/json as a program would, must answer OData JSON
//              with N rows in "value" } ] }
//
// Every page, at a desktop and a phone width, also must: answer 200 with a
// Content-Security-Policy that forbids scripts and X-Content-Type-Options:
// nosniff; log no console error and throw no page error; open no dialog
// (an alert() from an injected value would); contain no <script>; make no
// request outside `base` (such requests are aborted and fail the page);
// have the stylesheet applied (the policy allows it by hash: a wrong hash
// shows as an unstyled header); and not scroll sideways on the phone.
// A full-page screenshot of each is saved as OUT/NAME-{desktop,mobile}.png.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const origin = new URL(spec.base).origin;
let n = 0, failed = 0;
function ok(cond, what, detail) {
  n++;
  console.log(`${cond ? '' : 'not '}ok ${n} - ${what}`);
  if (!cond) {
    failed++;
    if (detail !== undefined) console.log(`#   ${String(detail).slice(0, 600).replace(/\n/g, '\n#   ')}`);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync'],
});

const sizes = [
  { tag: 'desktop', viewport: { width: 1280, height: 800 } },
  { tag: 'mobile', viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 },
];

try {
  for (const p of spec.pages) {
    for (const sz of sizes) {
      const what = `${p.name} [${sz.tag}]`;
      const ctx = await browser.newContext({ viewport: sz.viewport, isMobile: !!sz.isMobile,
                                             deviceScaleFactor: sz.deviceScaleFactor || 1 });
      const page = await ctx.newPage();
      const errors = [], outside = [], dialogs = [];
      page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', e => errors.push(String(e)));
      page.on('dialog', d => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      await page.route('**/*', route => {
        const u = route.request().url();
        if (u.startsWith('data:') || new URL(u).origin === origin) return route.continue();
        outside.push(u);
        return route.abort();
      });
      let resp = await page.goto(spec.base + p.path, { waitUntil: 'load' });
      let stepFailed = null;
      for (const st of p.steps || []) {
        if (stepFailed) break;
        try {
        if (st.click) {
          const [r] = await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
                                         page.locator(st.click).first().click({ timeout: 10000 })]);
          resp = r;
        } else if (st.select) {
          await page.locator(st.select[0]).first().selectOption(st.select[1]);
        } else if (st.fill) {
          await page.locator(st.fill[0]).first().fill(st.fill[1]);
        }
        } catch (e) {
          stepFailed = `${JSON.stringify(st)}: ${String(e).split('\n')[0]}`;
        }
      }
      if (p.steps)
        ok(!stepFailed, `${what}: every step could be done`, stepFailed);
      const h = resp ? resp.headers() : {};
      const want = p.status || 200;
      ok(resp && resp.status() === want, `${what}: ${want}`, resp && resp.status());
      if (p.url) {
        const u = decodeURIComponent(page.url());
        ok(u.includes(p.url), `${what}: ends on an OData URL with ${p.url}`, u);
      }
      if (p.json !== undefined) {
        // A program honours 503 + Retry-After (the time budget, hit when
        // an ASan build shares a busy machine) by asking again; three tries.
        let r;
        for (let t = 0; t < 3; t++) {
          r = await fetch(page.url(), { headers: { Accept: 'application/json' } });
          const ra = Number(r.headers.get('retry-after'));
          if (r.status !== 503 || !(ra > 0)) break;
          await r.arrayBuffer();
          await new Promise(res => setTimeout(res, ra * 1000));
        }
        const ct = r.headers.get('content-type') || '';
        let rows = -1;
        try { rows = (await r.json()).value.length; } catch (e) { rows = String(e); }
        ok(r.status === 200 && ct.startsWith('application/json') && rows === p.json,
           `${what}: the same URL answers a program JSON with ${p.json} rows`,
           `${r.status} ${ct} rows=${rows}`);
      }
      const csp = h['content-security-policy'] || '';
      ok(/default-src 'none'/.test(csp) && !/script-src|unsafe/.test(csp),
         `${what}: Content-Security-Policy forbids every script`, csp);
      ok(h['x-content-type-options'] === 'nosniff', `${what}: X-Content-Type-Options nosniff`);
      if (p.title)
        ok((await page.title()).includes(p.title), `${what}: title has "${p.title}"`, await page.title());
      const body = await page.evaluate(() => document.body.innerText);
      for (const t of p.text || [])
        ok(body.includes(t), `${what}: shows "${t}"`, body.slice(0, 400));
      for (const [sel, want] of Object.entries(p.count || {})) {
        const got = await page.locator(sel).count();
        ok(got === want, `${what}: ${want} × ${sel}`, `got ${got}`);
      }
      const html = await page.content();
      for (const t of p.notext || [])
        ok(!html.includes(t), `${what}: the page does not contain "${t}"`);
      for (const sel of p.absent || []) {
        const got = await page.locator(sel).count();
        ok(got === 0, `${what}: no ${sel}`, `got ${got}`);
      }
      ok(await page.locator('script').count() === 0, `${what}: no <script> in the DOM`);
      const bg = await page.evaluate(() => {
        const e = document.querySelector('header.site');
        return e ? getComputedStyle(e).backgroundColor : '';
      });
      ok(bg === 'rgb(23, 50, 92)', `${what}: the inline stylesheet applies under the policy`, bg);
      if (sz.tag === 'mobile') {
        const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
        ok(sw <= iw + 1, `${what}: no sideways scrolling (${sw} ≤ ${iw})`);
      }
      await page.screenshot({ path: `${spec.out}/${p.name}-${sz.tag}.png`, fullPage: true });
      ok(dialogs.length === 0, `${what}: no dialog opened (no injected script ran)`, dialogs.join(' | '));
      // Chromium logs the document's own non-2xx status as a console
      // error; on a page whose status is expected (an error page) that
      // one line is not a fault of the page.
      const errs = p.status ? errors.filter(e => !/responded with a status of \d{3}/.test(e))
                            : errors;
      ok(errs.length === 0, `${what}: no console error`, errs.join('\n'));
      ok(outside.length === 0, `${what}: no request leaves the server`, outside.join('\n'));
      await ctx.close();
    }
  }
} catch (e) {
  ok(false, 'browser run', e && e.stack);
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
