// Credits, plan and history; API keys.
import { request } from "./api.js";

const $ = (id) => document.getElementById(id);
let ui;
let page = 1;

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  return td;
}

function list(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([term, value]) => [
    Object.assign(document.createElement("dt"), { textContent: term }),
    Object.assign(document.createElement("dd"), { textContent: value ?? "—" }),
  ]));
}

const when = (stamp) => (stamp ? new Date(stamp).toLocaleString() : "never");

async function history() {
  const { data } = await request("GET", `/v1/process/jobs?page=${page}&limit=10&sortBy=createdAt&sortOrder=desc`);
  const { jobs, pagination } = data.data;
  const body = $("history");
  body.replaceChildren();
  for (const job of jobs) {
    const row = body.insertRow();
    [when(job.createdAt), job.filename || job.id, job.tier, job.status, job.creditsUsed].forEach((t) => cell(row, t));
  }
  if (!jobs.length) cell(body.insertRow(), "Nothing yet.").colSpan = 5;
  $("page").textContent = `Page ${pagination.page} of ${Math.max(pagination.totalPages, 1)}`;
  $("prev").disabled = !pagination.hasPrev;
  $("next").disabled = !pagination.hasNext;
}

export function start(shell) {
  ui = shell;
  $("prev").addEventListener("click", () => { page -= 1; history().catch((e) => ui.notify(e.message)); });
  $("next").addEventListener("click", () => { page += 1; history().catch((e) => ui.notify(e.message)); });
}

export async function show() {
  try {
    const [{ data: credits }, { data: sub }] = await Promise.all([request("GET", "/v1/credits?limit=1"), request("GET", "/v1/subscription")]);
    list($("credits"), [["Balance", credits.balance], ["Monthly grant", credits.monthly_grant], ["Resets", when(credits.reset_date)]]);
    const plan = sub.data;
    list($("plan"), [["Plan", plan.plan], ["Status", plan.status || (plan.hasSubscription ? "active" : "free")],
      ["Tiers", (plan.allowedTiers || []).join(", ")]]);
    await history();
  } catch (error) {
    ui.notify(error.message);
  }
}

async function listKeys() {
  const { data } = await request("GET", "/v1/api-keys");
  const body = $("keys");
  body.replaceChildren();
  for (const key of data.api_keys) {
    const row = body.insertRow();
    [key.name, `${key.prefix}…`, when(key.created_at), when(key.last_used_at)].forEach((t) => cell(row, t));
    const button = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Delete" });
    button.setAttribute("aria-label", `Delete key ${key.name}`);
    button.addEventListener("click", async () => {
      if (!confirm(`Delete the key “${key.name}”? Programs using it stop working.`)) return;
      try { await request("DELETE", `/v1/api-keys/${encodeURIComponent(key.id)}`); await listKeys(); } catch (e) { ui.notify(e.message); }
    });
    cell(row, "").append(button);
  }
  if (!data.api_keys.length) cell(body.insertRow(), "No keys yet.").colSpan = 5;
}

export const keys = {
  start(shell) {
    ui = shell;
    $("key-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const { data } = await request("POST", "/v1/api-keys", { name: $("key-name").value });
        $("key-value").value = data.key;
        $("new-key").hidden = false;
        $("key-value").focus();
        $("key-value").select();
        event.target.querySelector("button").blur();
        $("key-name").value = "";
        await listKeys();
      } catch (error) { ui.notify(error.message); }
    });
  },
  show: () => listKeys().catch((error) => ui.notify(error.message)),
};
