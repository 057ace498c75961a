// warmly studio: the page. Plain JavaScript, no build step; everything it
// needs comes from the studio's own JSON API.
"use strict";

const TOKEN = document.querySelector('meta[name="warmly-token"]').content;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const state = {
  overview: null,
  rows: [],
  byN: new Map(),
  filter: "all",
  search: "",
  sort: "input",
  shown: [],
  open: null, // person number in the detail panel
  tiles: new Map(),
  job: null,
};

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Warmly-Token": TOKEN },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = !text;
}

// ---- overview -----------------------------------------------------------

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function counts() {
  const due = state.rows.filter((r) => r.status === "due");
  const c = { due: due.length, left: state.rows.length - due.length, warnings: 0, generic: 0, failed: 0, edited: 0, checked: 0 };
  for (const r of due) {
    if (r.edited) c.edited++;
    if (!r.info) continue;
    c.checked++;
    if (r.info.preflight === "fail") c.failed++;
    else if (r.info.warnings.length) c.warnings++;
    if (r.info.generic) c.generic++;
  }
  return c;
}

function renderOverview() {
  const o = state.overview;
  if (!o) return;
  const c = counts();
  const kind = o.kind === "letter" ? ["letter", "letters"] : o.kind === "envelope" ? ["envelope", "envelopes"] : ["card", "cards"];
  const left = o.left_out.map((l) => `${l.count} ${esc(l.label)}`).join(", ");
  const link = (filter, text) => `<button class="link" data-filter="${filter}">${text}</button>`;
  $("summary-line").innerHTML = [
    `<strong>${plural(o.persons, "customer", "customers")}</strong>`,
    link("all", `<strong>${c.due}</strong> get a ${kind[0]}`),
    link("left", `${c.left} left out${left ? ` (${left})` : ""}`),
    link("warnings", plural(c.warnings, "with warnings", "with warnings")),
    link("generic", `${c.generic} generic`),
    link("edited", `${c.edited} edited`),
    link("failed", `<span class="${c.failed ? "bad" : ""}">${plural(c.failed, "fails", "fail")}</span>`),
  ].join(" · ");
  const checking = o.checked < o.total;
  $("checking").hidden = !checking;
  if (checking) {
    $("checking-bar").style.width = `${Math.round((100 * o.checked) / Math.max(1, o.total))}%`;
    $("checking-text").textContent = `Checking every piece: ${o.checked} of ${o.total} typeset`;
  }
  // Facts
  const facts = [
    ["People", `${o.people_file} — ${o.encoding}, ${o.rows} rows`],
    ["History", o.history_file || "none"],
    ["Messages", o.messages.join(", ")],
    ["Output", o.out_dir],
    ["State", o.state_dir || "none"],
  ];
  $("campaign-facts").innerHTML = facts.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`).join("");
  $("left-out").innerHTML = o.left_out.length
    ? o.left_out.map((l) => `<li><strong>${l.count} ${esc(l.label)}</strong>: ${esc(l.who.slice(0, 30).join(", "))}${l.who.length > 30 ? ", …" : ""}</li>`).join("")
    : "<li>Nobody.</li>";
  const findings = o.findings || [];
  $("findings").innerHTML = !o.findings ? '<li class="note">Composing every piece to see what check finds…</li>'
    : findings.length ? findings.map((f) => `<li class="${f.severity}"><span class="sev">${f.severity}</span> ${esc(f.text)}</li>`).join("")
    : '<li class="ok">No findings.</li>';
  const serious = findings.filter((f) => f.severity !== "note").length;
  $("findings-count").textContent = !o.findings ? "checking…" : findings.length ? `${findings.length} finding${findings.length === 1 ? "" : "s"}` : "";
  $("findings-count").hidden = !!o.findings && !findings.length;
  $("findings-count").className = serious ? "count warn" : "count";
  // Approval
  const a = o.approval;
  const banner = $("approval");
  if (a) {
    banner.hidden = false;
    banner.className = a.changed.length ? "banner warn" : "banner ok";
    banner.textContent = a.changed.length
      ? `Changed since the approval of ${a.approved_at}${a.by ? " by " + a.by : ""}: ${a.changed.join(", ")}. Look again and approve again.`
      : `Approved ${a.approved_at}${a.by ? " by " + a.by : ""} (${plural(a.pieces, "piece", "pieces")}); nothing changed since.`;
  } else banner.hidden = true;
  // The approve button says why it cannot be pressed.
  let why = "";
  if (state.job && state.job.state === "running") why = "Printing…";
  else if (c.due === 0) why = "Nobody gets a piece in this run.";
  else if (checking) why = `Checking the pieces (${o.checked} of ${o.total})…`;
  else if (c.failed) why = `${plural(c.failed, "piece fails", "pieces fail")}: fix or leave out first.`;
  $("approve").disabled = Boolean(why);
  $("approve-why").textContent = why || `${c.due} ${c.due === 1 ? kind[0] : kind[1]} ready`;
}

// ---- grid ---------------------------------------------------------------

function statusOf(r) {
  if (r.status !== "due") return "left";
  if (!r.info) return "checking";
  if (r.info.preflight === "fail") return "failed";
  if (r.info.warnings.length) return "warn";
  return "ok";
}

function matches(r) {
  const f = state.filter;
  if (f === "left" && r.status === "due") return false;
  if (f !== "left" && f !== "all" && r.status !== "due") return false;
  if (f === "warnings" && !(r.info && r.info.warnings.length && r.info.preflight !== "fail")) return false;
  if (f === "generic" && !(r.info && r.info.generic)) return false;
  if (f === "failed" && !(r.info && r.info.preflight === "fail")) return false;
  if (f === "edited" && !r.edited) return false;
  if (state.search) {
    const hay = `${r.name} ${r.company} ${r.id} ${r.postcode} ${r.city}`.toLowerCase();
    if (!state.search.split(/\s+/).every((w) => hay.includes(w))) return false;
  }
  return true;
}

const STATUS_ORDER = { failed: 0, warn: 1, checking: 2, ok: 3, left: 4 };

function sorted(rows) {
  const by = state.sort;
  const key = (r) => by === "name" ? (r.name || r.company).toLowerCase()
    : by === "postcode" ? `${r.country}\u0000${r.postcode}`
    : by === "status" ? STATUS_ORDER[statusOf(r)]
    : r.n;
  return rows.slice().sort((a, b) => {
    const x = key(a), y = key(b);
    return x < y ? -1 : x > y ? 1 : a.n - b.n;
  });
}

function badges(r) {
  const out = [];
  const s = statusOf(r);
  if (s === "failed") out.push('<span class="badge fail">fails</span>');
  if (s === "warn") out.push(`<span class="badge warn">${plural(r.info.warnings.length, "warning", "warnings")}</span>`);
  if (r.info && r.info.generic) out.push('<span class="badge generic">generic</span>');
  if (r.edited) out.push('<span class="badge edited">edited</span>');
  if (r.kind === "excluded") out.push('<span class="badge excluded">excluded</span>');
  else if (r.kind === "already_done") out.push('<span class="badge ok">printed</span>');
  else if (s === "left") out.push('<span class="badge left">left out</span>');
  if (s === "ok") out.push('<span class="badge ok">ok</span>');
  return out.join("");
}

function tileHtml(r) {
  const s = statusOf(r);
  let picture;
  if (r.kind === "already_done") picture = '<div class="thumb placeholder"><span>already printed for this campaign (in the ledger)</span></div>';
  else if (r.status !== "due") picture = `<div class="thumb placeholder"><span>${esc(r.reason)}</span></div>`;
  else if (s === "failed") picture = `<div class="thumb failed"><span>${esc(r.info.error || "cannot be made")}</span></div>`;
  else picture = `<div class="thumb"><img loading="lazy" alt="" src="api/thumb/${r.n}?v=${r.v}"></div>`;
  const facts = r.info && r.info.facts != null ? `<span class="factcount" title="history facts the text uses">${plural(r.info.facts, "fact", "facts")}</span>` : "";
  const where = [r.postcode, r.city].filter(Boolean).join(" ");
  return `${picture}<div class="tile-text"><div class="name">${esc(r.name || r.company)}</div>
    <div class="sub">${esc(r.id)}${where ? " · " + esc(where) : ""}</div>
    <div class="badges">${badges(r)}${facts}</div></div>`;
}

// Tiles are added a page at a time as the grid scrolls into view: a list
// of twenty thousand would otherwise build twenty thousand tiles at once.
const PAGE = 120;
let limit = PAGE;
let sentinel = null;

function renderGrid() {
  const grid = $("grid");
  state.shown = sorted(state.rows.filter(matches));
  const fragment = document.createDocumentFragment();
  for (const r of state.shown.slice(0, limit)) {
    let tile = state.tiles.get(r.n);
    const signature = JSON.stringify([r.v, r.status, r.reason, r.edited, r.info && [r.info.preflight, r.info.warnings.length, r.info.generic, r.info.facts]]);
    if (!tile) {
      tile = document.createElement("button");
      tile.className = "tile";
      tile.dataset.n = r.n;
      tile.addEventListener("click", () => openDetail(r.n));
      state.tiles.set(r.n, tile);
    }
    if (tile.dataset.sig !== signature) {
      tile.innerHTML = tileHtml(r);
      tile.dataset.sig = signature;
      tile.dataset.id = r.id;
      tile.dataset.status = statusOf(r);
      tile.setAttribute("aria-label", `${r.name || r.company}, ${r.id}`);
    }
    fragment.appendChild(tile);
  }
  if (state.shown.length > limit) {
    if (!sentinel) {
      sentinel = document.createElement("button");
      sentinel.className = "more quiet";
      sentinel.addEventListener("click", more);
      new IntersectionObserver((seen) => { if (seen.some((e) => e.isIntersecting)) more(); }, { rootMargin: "600px" }).observe(sentinel);
    }
    sentinel.textContent = `Show more (${state.shown.length - limit} more)`;
    fragment.appendChild(sentinel);
  }
  grid.replaceChildren(fragment);
  $("empty").hidden = state.shown.length > 0;
  $("shown").textContent = `${state.shown.length} shown`;
  for (const b of document.querySelectorAll(".filters .chip")) b.classList.toggle("active", b.dataset.filter === state.filter);
}

function more() {
  if (state.shown.length <= limit) return;
  limit += PAGE;
  renderGrid();
}

// The overview always; every piece's row too unless `light` (while the
// checker works through a long list, the rows are fetched less often).
async function refresh(light) {
  try {
    const [overview, pieces] = await Promise.all([api("api/overview"), light ? null : api("api/pieces")]);
    state.overview = overview;
    if (pieces) {
      state.rows = pieces.rows;
      state.byN = new Map(state.rows.map((r) => [r.n, r]));
    }
    renderOverview();
    if (pieces) renderGrid();
    showError("");
    return overview;
  } catch (e) {
    showError(`The studio does not answer: ${e.message}`);
    return null;
  }
}

let polling = null;
let polls = 0;
async function poll() {
  clearTimeout(polling);
  // Rows every time for a short list, every fourth time for a long one.
  const light = polls++ % 4 !== 0 && state.rows.length > 2000;
  const o = await refresh(light);
  if (o && (o.checked < o.total || !o.findings)) polling = setTimeout(poll, 1200);
  else if (o && light) refresh(false);
}

// ---- one piece ------------------------------------------------------------

function neighbour(step) {
  const i = state.shown.findIndex((r) => r.n === state.open);
  const next = state.shown[i + step];
  if (next) openDetail(next.n);
}

async function openDetail(n) {
  state.open = n;
  const panel = $("detail");
  panel.hidden = false;
  $("d-exclude").hidden = true;
  $("d-edit").hidden = true;
  const r = state.byN.get(n);
  $("d-name").textContent = r ? r.name || r.company : "";
  $("d-pages").innerHTML = '<p class="wait">Typesetting this piece…</p>';
  $("d-why").innerHTML = "";
  $("d-actions").innerHTML = "";
  let p;
  try {
    p = await api(`api/person/${n}`);
  } catch (e) {
    $("d-pages").innerHTML = `<p class="bad">${esc(e.message)}</p>`;
    return;
  }
  if (state.open !== n) return;
  state.person = p;
  $("d-name").textContent = p.name;
  $("d-badges").innerHTML = r ? badges(r) : "";
  // Pages
  if (p.status === "due" && p.info && p.info.pages) {
    $("d-pages").innerHTML = Array.from({ length: p.info.pages }, (_, i) =>
      `<figure><img alt="page ${i + 1}" src="api/page/${n}/${i + 1}?v=${p.v}"><figcaption>page ${i + 1} of ${p.info.pages}</figcaption></figure>`).join("");
  } else if (p.status === "due") {
    $("d-pages").innerHTML = `<div class="thumb failed big"><span>${esc((p.info && p.info.error) || p.compose_error || "This piece cannot be made.")}</span></div>`;
  } else {
    $("d-pages").innerHTML = `<div class="thumb placeholder big"><span>Left out: ${esc(p.reason)}</span></div>`;
  }
  // Actions
  const actions = [];
  if (p.excluded) actions.push('<button id="act-include" class="secondary">Include again</button>');
  else if (p.status === "due") actions.push('<button id="act-exclude" class="danger-quiet">Leave out…</button>');
  if (p.status === "due") actions.push('<button id="act-edit" class="secondary">Edit text</button>');
  if (p.edited != null) actions.push('<button id="act-restore" class="quiet">Use the campaign’s text</button>');
  $("d-actions").innerHTML = actions.join("");
  const on = (id, f) => { const b = $(id); if (b) b.addEventListener("click", f); };
  on("act-exclude", () => { $("d-exclude").hidden = false; $("d-edit").hidden = true; $("exclude-reason").value = ""; $("exclude-reason").focus(); });
  on("act-include", () => change("api/include", { id: p.id }, "Included again."));
  on("act-edit", () => {
    $("d-edit").hidden = false; $("d-exclude").hidden = true;
    $("edit-text").value = p.edited != null ? p.edited : (p.composed || "");
    $("edit-text").focus();
  });
  on("act-restore", () => change("api/restore", { id: p.id }, "Back to the campaign’s text."));
  // Why it says what it says
  const parts = [];
  if (p.status !== "due") parts.push(`<p class="left-reason">Left out: <strong>${esc(p.reason)}</strong></p>`);
  if (p.status !== "due" && p.insight) parts.push(`<p class="meta insight-why">${esc(p.insight.why)}</p>`);
  if (p.excluded) parts.push(`<p class="meta">Left out by hand on ${esc(p.excluded.excluded_on)}.</p>`);
  if (p.info && (p.info.error || p.info.warnings.length)) {
    parts.push(`<h3>Findings</h3><ul class="findings">${p.info.error ? `<li class="error"><span class="sev">fails</span> ${esc(p.info.error)}</li>` : ""}${p.info.warnings.map((w) => `<li class="warning">${esc(w)}</li>`).join("")}</ul>`);
  }
  if (p.status === "due") {
    const text = p.edited != null ? p.edited : p.composed;
    parts.push(`<h3>The text${p.edited != null ? ' <span class="badge edited">edited by hand</span>' : ""}</h3>
      <div class="letter">${p.salutation ? `<p>${esc(p.salutation)}</p>` : ""}${esc(text || p.compose_error || "").split(/\n{2,}/).map((para) => `<p>${para.replace(/\n/g, "<br>")}</p>`).join("")}${p.closing ? `<p>${esc(p.closing)}</p>` : ""}</div>`);
    const why = [];
    if (p.salutation) why.push(["Salutation", p.salutation]);
    if (p.lang) why.push(["Language", p.lang]);
    if (p.occasion) why.push(["Occasion", `${p.occasion.kind} ${p.occasion.date || ""}`]);
    if (p.info && p.info.facts != null) why.push(["History facts used", String(p.info.facts)]);
    if (p.insight) {
      why.push(["Segment", `${segmentLabel(p.insight.segment)} (R${p.insight.scores.r} F${p.insight.scores.f} M${p.insight.scores.m})`]);
      why.push(["Rhythm", p.insight.rhythm]);
    }
    if (p.household && p.household.length > 1) why.push(["Household", p.household.join(" + ")]);
    if (p.address) why.push(["Address", p.address.join("\n")]);
    parts.push(`<h3>Why it says this</h3><dl class="kv">${why.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v).replace(/\n/g, "<br>")}</dd>`).join("")}</dl>`);
  }
  parts.push(`<h3>History <span class="meta">(${p.events.length})</span></h3>` + (p.events.length
    ? `<ul class="events">${p.events.map((e) => `<li><span class="date">${esc(e.date)}</span> <span class="kind">${esc(e.kind)}</span> ${esc(e.summary)}</li>`).join("")}</ul>`
    : '<p class="meta">No history for this person.</p>'));
  parts.push(`<h3>Data <span class="meta">(line ${p.line})</span></h3><dl class="kv small">${p.fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`);
  $("d-why").innerHTML = parts.join("");
}

function closeDetail() {
  $("detail").hidden = true;
  state.open = null;
}

async function change(path, body, done) {
  try {
    await api(path, body);
    const n = state.open;
    await refresh();
    if (n != null) await openDetail(n);
    toast(done);
    poll();
  } catch (e) {
    toast(e.message, true);
  }
}

function toast(text, bad) {
  let t = document.querySelector(".toast");
  if (!t) { t = document.createElement("div"); t.className = "toast"; t.setAttribute("role", "status"); document.body.appendChild(t); }
  t.textContent = text;
  t.classList.toggle("bad", Boolean(bad));
  t.classList.add("on");
  clearTimeout(t.timer);
  t.timer = setTimeout(() => t.classList.remove("on"), 3500);
}

// ---- message editor --------------------------------------------------------

const editor = { messages: [], lang: null, timer: null, dirty: false };

async function openEditor() {
  const data = await api("api/message");
  editor.messages = data.messages;
  editor.editable = data.editable;
  $("editor").hidden = false;
  $("langs").innerHTML = data.messages.map((m) => `<button role="tab" data-lang="${esc(m.lang)}">${esc(m.lang)}</button>`).join("");
  for (const b of $("langs").querySelectorAll("button")) b.addEventListener("click", () => pickLang(b.dataset.lang));
  const who = state.rows.filter((r) => r.status === "due");
  $("preview-who").innerHTML = who.map((r) => `<option value="${esc(r.id)}">${esc(r.name || r.company)} (${esc(r.id)})</option>`).join("");
  if (state.open != null && state.byN.get(state.open)) $("preview-who").value = state.byN.get(state.open).id;
  $("editor-save").disabled = !data.editable;
  $("editor-save").title = data.editable ? "" : "The campaign uses the template's own message (no messages folder)";
  pickLang(data.messages[0] && data.messages[0].lang);
}

function pickLang(lang) {
  const m = editor.messages.find((x) => x.lang === lang);
  if (!m) return;
  editor.lang = lang;
  for (const b of $("langs").querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.lang === lang));
  $("editor-file").textContent = m.file;
  $("source").value = m.source;
  gutter();
  preview();
}

function gutter(bad) {
  const lines = $("source").value.split("\n").length;
  $("gutter").innerHTML = Array.from({ length: lines }, (_, i) => i + 1 === bad ? `<b>${i + 1}</b>` : String(i + 1)).join("\n");
  $("gutter").scrollTop = $("source").scrollTop;
}

async function preview() {
  const status = $("editor-status");
  status.className = "editor-status wait";
  status.textContent = "Typesetting the preview…";
  const r = await api("api/message/preview", { lang: editor.lang, source: $("source").value, id: $("preview-who").value }).catch((e) => ({ ok: false, error: e.message }));
  if (!r.ok) {
    status.className = "editor-status bad";
    status.textContent = r.line ? `Line ${r.line}: ${r.error}` : r.error;
    gutter(r.line);
    return;
  }
  gutter();
  status.className = "editor-status ok";
  status.textContent = r.warnings && r.warnings.length ? `Preview of ${r.id}. Note: ${r.warnings.join("; ")}` : `Preview of ${r.id}: no problems.`;
  $("preview-pages").innerHTML = r.pages.map((src, i) => `<figure><img alt="page ${i + 1}" src="${src}"></figure>`).join("");
}

async function saveMessage() {
  try {
    await api("api/message/save", { lang: editor.lang, source: $("source").value });
    const m = editor.messages.find((x) => x.lang === editor.lang);
    if (m) m.source = $("source").value;
    toast("Message saved; every piece is checked again.");
    poll();
  } catch (e) {
    toast(e.message, true);
  }
}

// ---- who are we losing? ----------------------------------------------------

const SEGMENT_LABELS = { at_risk: "at risk", cant_lose: "can’t lose" };
const segmentLabel = (s) => SEGMENT_LABELS[s] || s;

async function openInsights() {
  $("insights").hidden = false;
  $("insights-meta").textContent = "Reading every customer’s history…";
  const r = await api("api/insights");
  $("insights-meta").textContent = `${plural(r.people, "customer", "customers")}, ${r.buyers} with an order, on ${r.date}`;
  $("insights-rule").textContent = `A customer lapses after ${r.rule.multiple} × their usual interval (with ${r.rule.min_orders} orders or more), else after ${r.rule.days} days without an order. Scores 1–3: recency against their own rhythm, frequency, money.`;
  $("insights-segments").innerHTML = r.segments.map((s) =>
    `<div class="segment${s.segment === "at_risk" || s.segment === "cant_lose" ? " risk" : ""}" data-segment="${esc(s.segment)}"><div class="n">${s.count}</div><div><strong>${esc(segmentLabel(s.segment))}</strong></div><div class="who">${esc(s.who)}</div></div>`).join("");
  $("insights-risk-line").textContent = r.at_risk.length
    ? `${plural(r.at_risk.length, "customer", "customers")} with ${r.value_at_risk.toFixed(2)} in orders so far; ${r.lapsing} of them past their own rhythm now (a win-back writes to them)${r.opted_out ? `; ${r.opted_out} opted out of mail, a call might reach them` : ""}. Click one to see them.`
    : "Nobody is overdue.";
  $("insights-risk").querySelector("tbody").innerHTML = r.at_risk.map((a) => `<tr data-n="${a.n ?? ""}" data-id="${esc(a.id)}">
      <td><strong>${esc(a.name)}</strong> <span class="meta">${esc(a.id)}</span></td>
      <td>${esc(segmentLabel(a.segment))}${a.lapsing ? ' <span class="badge fail">lapsing</span>' : ""}${a.opted_out ? ' <span class="badge excluded">no mail</span>' : ""}</td>
      <td class="num">${a.orders}</td>
      <td>${a.interval_days != null ? `${a.interval_days} days ±${a.spread_days}` : "—"}</td>
      <td>${esc(a.last_order)}</td>
      <td class="num">${a.days_silent} days</td>
      <td class="num">${a.ratio != null ? a.ratio.toFixed(1) + "×" : "—"}</td>
      <td class="num">${a.total.toFixed(2)}</td></tr>`).join("");
  for (const row of $("insights-risk").querySelectorAll("tbody tr")) {
    row.addEventListener("click", () => {
      if (row.dataset.n === "") return;
      $("insights").hidden = true;
      openDetail(Number(row.dataset.n));
    });
  }
  $("insights-control").innerHTML = r.control.length
    ? r.control.map((c) => `<li><strong>${esc(c.campaign)}</strong>: ${esc(c.words)}</li>`).join("")
    : "<li>No control group yet. A campaign with <code>[select] control = 10</code> keeps about one in ten due out of the mail; later this compares who ordered again, with a letter and without. The win-back campaign has one.</li>";
}

async function writeWinBack() {
  try {
    const r = await api("api/insights/campaign", {});
    const box = $("winback-done");
    box.hidden = false;
    box.innerHTML = `Written: <code>${esc(r.file)}</code>, with its messages in <code>${esc(r.messages)}</code>. ${r.open ? `<a href="${esc(r.open)}">Open it in the studio</a>, or look at it in a terminal with <code>${esc(r.check)}</code>.` : `Look at it with <code>${esc(r.check)}</code>, then open it with <code>${esc(r.studio)}</code>.`}`;
    toast("Win-back campaign written.");
  } catch (e) {
    toast(e.message, true);
  }
}

// ---- approve and print -----------------------------------------------------

function openApprove() {
  const c = counts();
  const o = state.overview;
  const excluded = state.rows.filter((r) => r.kind === "excluded").length;
  $("approve-plan").innerHTML = `<p class="big-line"><strong>${c.due}</strong> ${o.kind === "letter" ? "letters" : "cards"} for ${esc(o.campaign)}, dated ${esc(o.date)}.</p>
    <ul class="plain">
      <li>${plural(c.warnings, "piece has warnings", "pieces have warnings")}${c.generic ? `, ${c.generic} generic` : ""}</li>
      <li>${c.edited} with a text edited by hand</li>
      <li>${c.left} left out${excluded ? `, ${excluded} of them by you` : ""}</li>
    </ul>
    <p class="meta">The files go to ${esc(o.out_dir)}. The approval is kept in the campaign’s state folder.</p>`;
  $("approve-dialog").hidden = false;
  $("approve-by").focus();
}

async function approve() {
  try {
    await api("api/approve", { by: $("approve-by").value });
  } catch (e) {
    toast(e.message, true);
    return;
  }
  $("approve-dialog").hidden = true;
  $("job").hidden = false;
  $("job-done").hidden = true;
  $("job-close").hidden = true;
  watchJob();
}

async function watchJob() {
  const job = await api("api/job").catch(() => null);
  if (!job) return setTimeout(watchJob, 800);
  state.job = job;
  const pct = job.total ? Math.round((100 * job.done) / job.total) : 0;
  $("job-bar").style.width = `${job.state === "running" ? pct : 100}%`;
  if (job.state === "running") {
    let line = job.phase === "printing the pieces" ? `Printing ${job.done} of ${job.total}` : job.phase[0].toUpperCase() + job.phase.slice(1) + "…";
    if (job.rate) line += ` · ${job.rate}/s`;
    if (job.left_s != null) line += ` · ${Math.floor(job.left_s / 60)}:${String(job.left_s % 60).padStart(2, "0")} left`;
    $("job-line").textContent = line;
    return setTimeout(watchJob, 400);
  }
  $("job-title").textContent = job.state === "done" ? "Printed" : "Printed with problems";
  $("job-line").textContent = job.error || `All ${job.total} pieces are written.`;
  $("job-line").className = job.error ? "bad" : "";
  $("job-done").hidden = false;
  $("job-close").hidden = false;
  const label = { print: "Print file", proof: "Proof sheet", manifest: "Manifest", piece: "", other: "" };
  const size = (b) => b > 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`;
  const main = job.outputs.filter((o) => o.kind !== "piece");
  const pieces = job.outputs.filter((o) => o.kind === "piece");
  $("job-links").innerHTML = main.map((o) => `<li><a href="out/${encodeURIComponent(o.name)}" target="_blank" rel="noopener">${label[o.kind] ? `<strong>${label[o.kind]}</strong> ` : ""}${esc(o.name)}</a> <span class="meta">${size(o.bytes)}</span></li>`).join("")
    + `<li><details><summary>${plural(pieces.length, "PDF", "PDFs")}, one per recipient</summary><ul class="pdfs">${pieces.map((o) => `<li><a href="out/${encodeURIComponent(o.name)}" target="_blank" rel="noopener">${esc(o.name)}</a></li>`).join("")}</ul></details></li>`;
  refresh();
}

// ---- wiring ------------------------------------------------------------------

function setFilter(f) {
  state.filter = f;
  limit = PAGE;
  renderGrid();
}

document.addEventListener("DOMContentLoaded", () => {
  const accent = document.body.dataset.accent;
  if (/^#[0-9a-fA-F]{3,8}$/.test(accent)) document.documentElement.style.setProperty("--accent", accent);
  $("search").addEventListener("input", (e) => { state.search = e.target.value.trim().toLowerCase(); limit = PAGE; renderGrid(); });
  $("sort").addEventListener("change", (e) => { state.sort = e.target.value; limit = PAGE; renderGrid(); });
  document.addEventListener("click", (e) => {
    const f = e.target.closest("[data-filter]");
    if (f) setFilter(f.dataset.filter);
  });
  $("close").addEventListener("click", closeDetail);
  $("prev").addEventListener("click", () => neighbour(-1));
  $("next").addEventListener("click", () => neighbour(1));
  $("exclude-cancel").addEventListener("click", () => { $("d-exclude").hidden = true; });
  $("exclude-confirm").addEventListener("click", () => {
    const reason = $("exclude-reason").value.trim();
    if (!reason) { toast("Say in a few words why.", true); $("exclude-reason").focus(); return; }
    change("api/exclude", { id: state.person.id, reason }, "Left out. render, check and due see it too.");
  });
  $("exclude-reason").addEventListener("keydown", (e) => { if (e.key === "Enter") $("exclude-confirm").click(); });
  $("edit-cancel").addEventListener("click", () => { $("d-edit").hidden = true; });
  $("edit-save").addEventListener("click", () => change("api/edit", { id: state.person.id, text: $("edit-text").value }, "Text saved for this person."));
  $("open-editor").addEventListener("click", () => openEditor().catch((e) => toast(e.message, true)));
  $("open-insights").addEventListener("click", () => openInsights().catch((e) => toast(e.message, true)));
  $("insights-close").addEventListener("click", () => { $("insights").hidden = true; });
  $("write-winback").addEventListener("click", writeWinBack);
  $("editor-close").addEventListener("click", () => { $("editor").hidden = true; refresh(); });
  $("editor-save").addEventListener("click", saveMessage);
  $("source").addEventListener("input", () => { gutter(); clearTimeout(editor.timer); editor.timer = setTimeout(preview, 450); });
  $("source").addEventListener("scroll", () => { $("gutter").scrollTop = $("source").scrollTop; });
  $("preview-who").addEventListener("change", preview);
  $("approve").addEventListener("click", openApprove);
  $("approve-cancel").addEventListener("click", () => { $("approve-dialog").hidden = true; });
  $("approve-confirm").addEventListener("click", approve);
  $("job-close").addEventListener("click", () => { $("job").hidden = true; });
  $("reload").addEventListener("click", () => change("api/reload", {}, "Data and messages read again."));
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
    if (e.key === "Escape") {
      if (!$("approve-dialog").hidden) $("approve-dialog").hidden = true;
      else if (!$("editor").hidden) $("editor").hidden = true;
      else if (!$("insights").hidden) $("insights").hidden = true;
      else if (!$("detail").hidden) closeDetail();
      return;
    }
    if (typing || $("detail").hidden) return;
    if (e.key === "j" || e.key === "ArrowRight") neighbour(1);
    if (e.key === "k" || e.key === "ArrowLeft") neighbour(-1);
  });
  poll();
});
