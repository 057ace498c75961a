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
    if (data.looking) setTimeout(loadCampaigns, 400);
  } catch (e) {
    showError($("error"), `The campaigns could not be read: ${e.message}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadCampaigns();
  if (typeof initWizard === "function") initWizard();
});
