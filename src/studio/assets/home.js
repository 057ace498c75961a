// warmly studio: the home page — the folder's campaigns, the calendar of
// the coming twelve months, and the new-campaign wizard. Plain JavaScript,
// no build step; everything comes from the studio's own JSON API.
"use strict";

const TOKEN = document.querySelector('meta[name="warmly-token"]').content;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

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

function showError(box, text) {
  box.textContent = text || "";
  box.hidden = !text;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
function day(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-").map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

// ---- campaigns and calendar ----------------------------------------------

function campaignItem(c, today) {
  const open = `/c/${encodeURIComponent(c.name)}/`;
  if (c.error) {
    return `<li class="campaign broken"><div class="c-main"><a class="c-name" href="${open}">${esc(c.title)}</a>
      <span class="meta">${esc(c.file)}</span></div>
      <p class="c-error">Cannot be planned: ${esc(c.error)}</p></li>`;
  }
  const when = !c.next_due ? "" : c.next_due < today
    ? `due since <strong>${day(c.next_due)}</strong>, not made yet`
    : `next due <strong>${day(c.next_due)}</strong>`;
  const next = c.next_due ? `${when} · ${plural(c.due_year, "piece", "pieces")} in the coming year` : "nobody due in the coming year";
  const last = c.last_run ? `last run ${day(c.last_run[0])}: ${plural(c.last_run[1], "piece", "pieces")}` : "not run yet";
  const what = c.template ? `${esc(c.template)} · ${esc(c.occasion)}` : "reading…";
  return `<li class="campaign"><div class="c-main"><a class="c-name" href="${open}">${esc(c.title)}</a>
    <span class="meta">${what} · ${esc(c.file)}</span></div>
    <p class="c-when">${c.template ? `${next}<br><span class="meta">${last}</span>` : '<span class="meta">Looking at the campaign…</span>'}</p>
    <a class="secondary button" href="${open}">Open</a></li>`;
}

function renderCalendar(months) {
  $("calendar").innerHTML = months.map((m) => {
    const items = m.items.map((i) => `<li class="${i.overdue ? "overdue" : ""}"><a href="/c/${encodeURIComponent(i.campaign)}/">
      <strong>${i.count}</strong> ${esc(i.title)}</a> <span class="meta">${esc(i.occasion)}${i.overdue ? " · overdue" : ""}</span></li>`).join("");
    const total = m.items.reduce((n, i) => n + i.count, 0);
    return `<div class="month${total ? "" : " quiet-month"}"><h3>${esc(m.label)}</h3>
      ${items ? `<ul class="plain">${items}</ul>` : '<p class="meta">nobody due</p>'}</div>`;
  }).join("");
}

async function loadCampaigns() {
  try {
    const data = await api("/home/api/campaigns");
    $("campaigns").innerHTML = data.campaigns.map((c) => campaignItem(c, data.today)).join("");
    $("no-campaigns").hidden = data.campaigns.length > 0;
    $("looking").textContent = data.looking ? `Looking at ${plural(data.campaigns.length, "campaign", "campaigns")}…` : "";
    renderCalendar(data.calendar);
    if (data.looking) setTimeout(loadCampaigns, 150);
  } catch (e) {
    showError($("error"), `The campaigns could not be read: ${e.message}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadCampaigns();
  if (typeof initWizard === "function") initWizard();
});

// ---- the new-campaign wizard ---------------------------------------------

const STEPS = ["Customer list", "Columns", "Occasion", "Sender", "Message", "Create"];
const OCCASIONS = [
  { kind: "christmas", label: "Christmas", text: "a card to everyone for Christmas", template: "card", motif: "christmas" },
  { kind: "new-year", label: "New Year", text: "a card to everyone for the new year", template: "card", motif: "new-year" },
  { kind: "birthday", label: "Birthdays", text: "a card on each customer's birthday (needs a birthday column)", template: "card", motif: "birthday" },
  { kind: "anniversary", label: "Customer anniversaries", text: "a card each year since the customer came to you", template: "card", motif: "anniversary" },
  { kind: "after-order", label: "Thank you after an order", text: "a letter some days after each order (needs a history)", template: "letter", motif: "thank-you" },
  { kind: "keep-in-touch", label: "Keep in touch", text: "a letter when you have not heard from a customer for a while (needs a history)", template: "letter", motif: "botanical" },
];
const SENDER = [["company", "Company"], ["name", "Your name"], ["role", "Role"], ["street", "Street"], ["postal_code", "Postcode"], ["city", "City"], ["country", "Country (code)"], ["phone", "Phone"], ["email", "E-mail"], ["web", "Web"]];

const wiz = {
  step: 0, files: [], people: "", history: "", inspect: null, historyInspect: null, mapping: {},
  occasion: "christmas", days: 7, silence: 180, date: "", template: "card", motif: "christmas", name: "",
  sender: {}, senderFrom: "", language: "de", messages: {}, lang: "de", draft: null, busy: false,
};

function wizardError(text) { showError($("wizard-error"), text); }
function note(text) { $("wizard-note").textContent = text || ""; }

function openWizard() {
  $("wizard").hidden = false;
  wiz.step = 0;
  showStep();
}
function closeWizard() { $("wizard").hidden = true; }

function renderSteps() {
  $("steps").innerHTML = STEPS.map((s, i) => `<li class="${i === wiz.step ? "current" : i < wiz.step ? "done" : ""}"><span>${i + 1}</span> ${esc(s)}</li>`).join("");
  $("wizard-back").disabled = wiz.step === 0 || wiz.busy;
  $("wizard-next").textContent = wiz.step === STEPS.length - 1 ? "Create campaign" : "Next";
}

// Why the wizard cannot go on from this step (nothing when it can).
function blocked() {
  if (wiz.busy) return "One moment…";
  switch (wiz.step) {
    case 0: return !wiz.inspect ? "Choose your customer list."
      : wiz.inspect.error ? "This file cannot be used: see the message above."
      : wiz.inspect.rows === 0 ? "This file has no customers below its header." : "";
    case 1: return wiz.check && wiz.check.missing.length ? `Choose a column for: ${wiz.check.missing.join(", ")}.` : "";
    case 2: return !wiz.name.trim() ? "Give the campaign a name." : "";
    case 3: return !(wiz.sender.company || wiz.sender.name) ? "Give at least your company or your name." : "";
    case 4: return wiz.draft && !wiz.draft.ok ? "Fix the message first (see below it)." : "";
    case 5: return wiz.exists ? "Choose another name: this one is taken." : "";
    default: return "";
  }
}

function refreshFoot() {
  const why = blocked();
  $("wizard-next").disabled = !!why;
  note(why);
}

// The message step waits a moment after each keystroke before it asks
// for a new preview; leaving the step forgets that wait.
let messageTimer = null;

async function showStep() {
  clearTimeout(messageTimer);
  renderSteps();
  wizardError("");
  const body = $("wizard-body");
  body.innerHTML = '<p class="wait">One moment…</p>';
  try {
    await [stepFiles, stepColumns, stepOccasion, stepSender, stepMessage, stepCreate][wiz.step](body);
  } catch (e) {
    wizardError(e.message);
  }
  refreshFoot();
}

// Step 1: the files of the folder.
async function stepFiles(body) {
  const data = await api("/home/api/files");
  wiz.files = data.files;
  if (!wiz.files.length) {
    body.innerHTML = `<p class="big-line">There is no customer list in <code>${esc(data.folder)}</code> yet.</p>
      <p>Export the list from your program (Excel, Outlook, DATEV, lexoffice, sevDesk, Shopify, WooCommerce, HubSpot, Google Contacts or vCard) and save it into this folder, then choose “Look again”.</p>
      <button id="files-again" class="secondary">Look again</button>`;
    $("files-again").addEventListener("click", () => showStep());
    return;
  }
  const option = (f, chosen) => `<option value="${esc(f.name)}" ${f.name === chosen ? "selected" : ""}>${esc(f.name)} (${size(f.bytes)})</option>`;
  body.innerHTML = `<div class="form-grid">
    <label for="people-file">Your customer list <small>the people who get a card or letter</small></label>
    <select id="people-file"><option value="">— choose a file —</option>${wiz.files.map((f) => option(f, wiz.people)).join("")}</select>
    <label for="history-file">Their history <small>orders, meetings, projects — optional, makes the texts personal</small></label>
    <select id="history-file"><option value="">— none —</option>${wiz.files.map((f) => option(f, wiz.history)).join("")}</select>
  </div>
  <div id="recognised"></div>`;
  const inspectPeople = async () => {
    wiz.people = $("people-file").value;
    wiz.inspect = null;
    wiz.check = null;
    if (wiz.people) await inspect();
    refreshFoot();
  };
  const inspectHistory = async () => {
    wiz.history = $("history-file").value;
    wiz.historyInspect = null;
    if (wiz.history) await inspect();
    refreshFoot();
  };
  $("people-file").addEventListener("change", inspectPeople);
  $("history-file").addEventListener("change", inspectHistory);
  if (wiz.people) await inspect();
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// What warmly recognised in the chosen files.
async function inspect() {
  const box = $("recognised");
  box.innerHTML = '<p class="wait">Reading the file…</p>';
  wiz.busy = true;
  refreshFoot();
  try {
    wiz.inspect = wiz.people ? await api("/home/api/inspect", { file: wiz.people, history: wiz.history || null }) : null;
  } catch (e) {
    wiz.inspect = { error: e.message };
  } finally {
    wiz.busy = false;
  }
  const i = wiz.inspect;
  if (!i) { box.innerHTML = ""; return; }
  if (i.error) {
    box.innerHTML = `<div class="banner error" role="alert"><strong>${esc(wiz.people)} cannot be read.</strong><br>${esc(i.error)}</div>`;
    return;
  }
  wiz.mapping = {};
  const history = i.history ? `<p><strong>${esc(i.history.file)}</strong>: ${esc(i.history.source)} — ${esc(i.history.summary)}</p>` : "";
  const problems = i.problems.length ? `<details><summary>${plural(i.problems.length, "thing", "things")} to look at in the file</summary><ul class="plain">${i.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul></details>` : "";
  box.innerHTML = `<div class="recognised">
    <p class="big-line">warmly recognised <strong>${esc(i.source)}</strong></p>
    <p class="meta">${esc(i.description)}</p>
    <p class="meta">${esc(i.format)} · ${plural(i.rows, "row", "rows")}</p>
    ${history}
    ${i.errors ? `<p class="bad">${plural(i.errors, "row has", "rows have")} an error — the next step shows which.</p>` : ""}
    ${problems}
  </div>`;
}

// Step 2: which column is which, with real rows.
async function stepColumns(body) {
  const i = wiz.inspect;
  // The empty choice keeps warmly's own (or none, where it found none).
  const choices = (field) => `<option value="">${field.header ? `${esc(field.header)} (found by warmly)` : "— none —"}</option>`
    + i.headers.map((h) => `<option ${wiz.mapping[field.field] === h ? "selected" : ""}>${esc(h)}</option>`).join("");
  body.innerHTML = `<p>Each field warmly needs, and the column of <strong>${esc(wiz.people)}</strong> it comes from. warmly chose what it recognised; change what is wrong.</p>
    <div class="mapping-grid">
      <table class="mapping"><thead><tr><th>Field</th><th>Column in your file</th></tr></thead>
      <tbody>${i.fields.map((f) => `<tr class="${f.required ? "required" : ""}"><th scope="row"><label for="map-${f.field}">${esc(f.label)}${f.required ? ` <span class="req">${esc(f.required)}</span>` : ""}</label></th>
        <td><select id="map-${f.field}" data-field="${f.field}">${choices(f)}</select></td></tr>`).join("")}</tbody></table>
      <div><h3>As warmly reads the first rows</h3><div id="rows-preview"></div><div id="rows-failing"></div></div>
    </div>`;
  body.querySelectorAll("select[data-field]").forEach((s) => s.addEventListener("change", () => {
    if (s.value) wiz.mapping[s.dataset.field] = s.value; else delete wiz.mapping[s.dataset.field];
    checkMapping();
  }));
  await checkMapping();
}

async function checkMapping() {
  wiz.busy = true;
  refreshFoot();
  try {
    wiz.check = await api("/home/api/mapping", { file: wiz.people, mapping: wiz.mapping });
  } catch (e) {
    wiz.check = { missing: [], rows: [], failing: [], error: e.message };
  } finally {
    wiz.busy = false;
  }
  const c = wiz.check;
  $("rows-preview").innerHTML = c.error ? `<div class="banner error">${esc(c.error)}</div>` :
    `<table class="rows"><thead><tr><th>Line</th><th>Name</th><th>Address</th></tr></thead><tbody>${c.rows.map((r) =>
      `<tr><td>${r.line}</td><td>${esc(r.name)}</td><td>${r.address.map(esc).join("<br>")}</td></tr>`).join("")}</tbody></table>`;
  $("rows-failing").innerHTML = c.failing && c.failing.length ? `<h3>Rows that will not get a piece</h3><ul class="plain bad">${c.failing.map((f) =>
    `<li>line ${f.line}: ${esc(f.reason)}</li>`).join("")}</ul>` : "";
  refreshFoot();
}

// Step 3: what for, and how it looks.
async function stepOccasion(body) {
  if (!wiz.name) wiz.name = defaultName();
  body.innerHTML = `<fieldset class="choices"><legend>What is the campaign for?</legend>${OCCASIONS.map((o) =>
    `<label class="choice"><input type="radio" name="occasion" value="${o.kind}" ${o.kind === wiz.occasion ? "checked" : ""}> <strong>${esc(o.label)}</strong> <span class="meta">${esc(o.text)}</span></label>`).join("")}</fieldset>
    <div class="form-grid">
      <label for="c-days">Days after the order <small>thank-you letters</small></label><input id="c-days" type="number" min="0" max="365" value="${wiz.days}">
      <label for="c-silence">Days without contact <small>keep in touch</small></label><input id="c-silence" type="number" min="1" max="3650" value="${wiz.silence}">
      <label for="c-template">Card or letter</label><select id="c-template"><option value="card">folded card (A6)</option><option value="letter">letter (DIN A4, window envelope)</option></select>
      <label for="c-motif">Card picture</label><select id="c-motif">${["christmas", "new-year", "birthday", "anniversary", "thank-you", "botanical"].map((m) => `<option>${m}</option>`).join("")}</select>
      <label for="c-language">Language of customers without one</label><select id="c-language"><option value="de">German</option><option value="en">English</option></select>
      <label for="c-name">Name of the campaign <small>also its file name</small></label><input id="c-name" type="text" maxlength="60" value="${esc(wiz.name)}">
    </div>`;
  $("c-template").value = wiz.template;
  $("c-motif").value = wiz.motif;
  $("c-language").value = wiz.language;
  // The number of days only where the occasion has one.
  const days = () => {
    for (const [id, kind] of [["c-days", "after-order"], ["c-silence", "keep-in-touch"]]) {
      const off = wiz.occasion !== kind;
      $(id).hidden = off;
      body.querySelector(`label[for="${id}"]`).hidden = off;
    }
  };
  days();
  body.querySelectorAll('input[name="occasion"]').forEach((r) => r.addEventListener("change", () => {
    const o = OCCASIONS.find((x) => x.kind === r.value);
    wiz.occasion = o.kind;
    wiz.template = o.template;
    wiz.motif = o.motif;
    wiz.name = defaultName();
    wiz.messages = {};
    $("c-template").value = wiz.template;
    $("c-motif").value = wiz.motif;
    $("c-name").value = wiz.name;
    days();
    refreshFoot();
  }));
  const bind = (id, key, f = (v) => v) => $(id).addEventListener("input", () => { wiz[key] = f($(id).value); refreshFoot(); });
  bind("c-days", "days", Number);
  bind("c-silence", "silence", Number);
  bind("c-template", "template");
  bind("c-motif", "motif");
  bind("c-language", "language");
  bind("c-name", "name");
}

function defaultName() {
  const year = new Date().getFullYear();
  const names = { christmas: `weihnachten-${year}`, "new-year": `neujahr-${year + 1}`, birthday: "geburtstage", anniversary: "kundenjubilaeum", "after-order": "danke-nach-bestellung", "keep-in-touch": "in-kontakt-bleiben" };
  return names[wiz.occasion] || "kampagne";
}

// Step 4: who writes.
async function stepSender(body) {
  const known = await api("/home/api/senders");
  if (!Object.keys(wiz.sender).length && known.senders.length) wiz.sender = Object.assign({}, known.senders[0].sender);
  body.innerHTML = `${known.senders.length ? `<p>Taken from <strong>${esc(known.senders[0].campaign)}</strong>; change what is different.</p>` : "<p>Your company as it stands on the letterhead and the return address.</p>"}
    <div class="form-grid">${SENDER.map(([k, label]) => `<label for="s-${k}">${esc(label)}</label><input id="s-${k}" type="text" maxlength="120" value="${esc(wiz.sender[k] || "")}">`).join("")}</div>`;
  for (const [k] of SENDER) {
    $(`s-${k}`).addEventListener("input", () => { wiz.sender[k] = $(`s-${k}`).value; refreshFoot(); });
  }
}

// The campaign as the wizard has it, for the server.
function setup() {
  return {
    name: wiz.name.trim(), people: wiz.people, history: wiz.history || null, mapping: wiz.mapping,
    occasion: wiz.occasion, days: wiz.days, silence: wiz.silence, template: wiz.template, motif: wiz.motif,
    language: wiz.language, sender: wiz.sender, messages: wiz.messages,
  };
}

// Step 5: the message, with three real recipients.
async function stepMessage(body) {
  body.innerHTML = `<div class="wizard-editor">
    <div class="code">
      <div class="row"><div id="w-langs" class="tabs" role="tablist"></div><span class="spacer"></span></div>
      <textarea id="w-source" spellcheck="true" aria-label="Message" rows="14"></textarea>
      <div id="w-status" class="editor-status" aria-live="polite">Making the preview…</div>
      <div id="w-facts"></div>
    </div>
    <div id="w-preview" class="pages preview" aria-label="Preview for three customers"></div>
  </div>`;
  await draft(true);
  const source = $("w-source");
  source.addEventListener("input", () => {
    wiz.messages[wiz.lang] = source.value;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => draft(false), 350);
  });
}

function renderLangs() {
  const langs = Object.keys(wiz.messages);
  $("w-langs").innerHTML = langs.map((l) => `<button role="tab" data-lang="${l}" aria-selected="${l === wiz.lang}">${l === "de" ? "Deutsch" : l === "en" ? "English" : l}</button>`).join("");
  $("w-langs").querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    wiz.lang = b.dataset.lang;
    $("w-source").value = wiz.messages[wiz.lang] || "";
    renderLangs();
    draft(false);
  }));
}

async function draft(first) {
  wiz.busy = true;
  refreshFoot();
  const started = performance.now();
  try {
    wiz.draft = await api("/home/api/draft", Object.assign(setup(), { preview_lang: wiz.lang }));
  } catch (e) {
    wiz.draft = { ok: false, error: e.message, preview: [], facts: [] };
  } finally {
    wiz.busy = false;
  }
  // The person went on meanwhile: the message step is not on the page.
  if (!$("w-status")) return refreshFoot();
  const d = wiz.draft;
  if (d.messages) {
    for (const [l, text] of Object.entries(d.messages)) if (!(l in wiz.messages)) wiz.messages[l] = text;
  }
  if (first) {
    if (!(wiz.lang in wiz.messages)) wiz.lang = Object.keys(wiz.messages)[0] || "de";
    $("w-source").value = wiz.messages[wiz.lang] || "";
    renderLangs();
  }
  const status = $("w-status");
  status.className = `editor-status ${d.ok ? "ok" : "bad"}`;
  status.textContent = d.ok ? `${plural(d.pieces, "customer gets", "customers get")} a piece in the coming year. Preview in ${Math.round(performance.now() - started)} ms.` : d.error;
  $("w-facts").innerHTML = d.facts && d.facts.length ? `<h3>What the history offers</h3><ul class="plain facts-list">${d.facts.map((f) =>
    `<li><button class="link insert" data-snippet="${esc(f.snippet)}" title="Insert at the cursor"><code>${esc(f.snippet)}</code></button> <span class="meta">${esc(f.text)}</span></li>`).join("")}</ul>` : "";
  $("w-facts").querySelectorAll("button.insert").forEach((b) => b.addEventListener("click", () => insert(b.dataset.snippet)));
  $("w-preview").innerHTML = (d.preview || []).map((p) => `<figure><figcaption><strong>${esc(p.name)}</strong> · ${esc(p.id)}${p.error ? ` · <span class="bad">${esc(p.error)}</span>` : ""}</figcaption>
    ${p.pages.map((src, n) => `<img alt="${esc(p.name)}, page ${n + 1}" src="${src}">`).join("")}</figure>`).join("") || '<p class="wait">Nobody to show yet.</p>';
  refreshFoot();
}

function insert(snippet) {
  const s = $("w-source");
  const at = s.selectionStart ?? s.value.length;
  s.value = s.value.slice(0, at) + snippet + s.value.slice(s.selectionEnd ?? at);
  s.focus();
  s.selectionStart = s.selectionEnd = at + snippet.length;
  s.dispatchEvent(new Event("input"));
}

// Step 6: what will be written.
async function stepCreate(body) {
  const d = await api("/home/api/draft", Object.assign(setup(), { preview_lang: wiz.lang, files_only: true }));
  wiz.exists = d.exists;
  body.innerHTML = `<p class="big-line">Ready: <strong>${esc(wiz.name)}</strong></p>
    ${d.exists ? `<div class="banner error" role="alert">A campaign named “${esc(wiz.name)}” is in the folder already: go back one step and give this one another name.</div>` : ""}
    <p>${plural(d.pieces, "customer gets", "customers get")} a ${esc(wiz.template)} in the coming year. “Create campaign” writes these files into the folder; nothing else is changed:</p>
    <ul class="plain files">${(d.files || []).map((f) => `<li><code>${esc(f)}</code></li>`).join("")}</ul>
    <p class="meta">Then the campaign opens: look at every piece, fix what needs fixing, approve and print.</p>`;
}

async function next() {
  if (blocked()) return;
  if (wiz.step < STEPS.length - 1) {
    wiz.step++;
    return showStep();
  }
  wiz.busy = true;
  refreshFoot();
  try {
    const done = await api("/home/api/create", setup());
    window.location.href = done.url;
  } catch (e) {
    wizardError(e.message);
  } finally {
    wiz.busy = false;
    refreshFoot();
  }
}

function initWizard() {
  $("new-campaign").addEventListener("click", openWizard);
  $("wizard-close").addEventListener("click", closeWizard);
  $("wizard-back").addEventListener("click", () => { if (wiz.step > 0) { wiz.step--; showStep(); } });
  $("wizard-next").addEventListener("click", next);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("wizard").hidden) closeWizard(); });
}
