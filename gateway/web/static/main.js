// The app's shell: signing in, the views behind #hash routes, notices.
import { request, session } from "./api.js";
import * as remove from "./remove.js";
import * as generate from "./generate.js";
import * as account from "./account.js";

const $ = (id) => document.getElementById(id);
const VIEWS = { remove, generate, account, keys: account.keys };
const started = new Set();

export function notify(message) {
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = !message;
}

export async function refreshCredits() {
  try {
    const { data } = await request("GET", "/v1/credits?limit=1");
    $("credits-badge").textContent = `${data.balance} credits · ${data.plan}`;
  } catch { /* shown on the account page */ }
}

function show() {
  const signedIn = Boolean(session.get());
  const name = signedIn ? (location.hash.slice(1) in VIEWS ? location.hash.slice(1) : "remove") : "auth";
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== `view-${name}`;
  $("nav").hidden = $("who").hidden = !signedIn;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.hash === `#${name}`) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  document.title = `${document.querySelector(`#view-${name} h1`).textContent} · Backdrop`;
  if (!signedIn) return;
  const view = VIEWS[name];
  if (!started.has(name)) { started.add(name); view.start?.({ notify, refreshCredits }); }
  view.show?.();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const action = event.submitter?.value || "login";
  if (!form.reportValidity()) return;
  const fields = Object.fromEntries(new FormData(form));
  const body = { email: fields.email, password: fields.password };
  if (action === "register") body.name = fields.name || fields.email.split("@")[0];
  try {
    const { data } = await request("POST", `/v1/auth/${action}`, body, false);
    session.set(data);
    form.reset();
    notify("");
    if (!location.hash) location.hash = "remove";
    show();
    refreshCredits();
    $("main").focus();
  } catch (error) {
    notify(error.message);
  }
}

session.onSignedOut((message) => { notify(message); show(); });
$("auth-form").addEventListener("submit", signIn);
$("logout").addEventListener("click", async () => {
  try { await request("POST", "/v1/auth/logout", {}, false); } catch { /* signed out either way */ }
  session.clear();
  started.clear();
  location.reload();
});
addEventListener("hashchange", () => { show(); $("main").focus(); });
// The skip link moves focus without touching the #route.
document.querySelector(".skip").addEventListener("click", (event) => { event.preventDefault(); $("main").focus(); });
show();
if (session.get()) refreshCredits();
document.body.dataset.ready = "true";
performance.mark("backdrop-interactive"); // tests/bench/web_app.py reads it
