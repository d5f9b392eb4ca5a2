// The API client of the web app: the session, JSON and multipart requests, live progress.
// The access token lives in sessionStorage (this tab only, gone when it closes, short-lived);
// the refresh token only in memory. Nothing is written to localStorage.

const KEY = "backdrop.session";
let refreshToken = "";
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error?.message || `The request failed (HTTP ${status})`);
    this.status = status;
    this.code = typeof body?.error === "string" ? body.error : body?.error?.code || "";
  }
}

export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
  },
  set(auth) {
    refreshToken = auth.refresh_token || "";
    sessionStorage.setItem(KEY, JSON.stringify({ token: auth.token, email: auth.user?.email || "" }));
  },
  clear() { refreshToken = ""; sessionStorage.removeItem(KEY); },
  onSignedOut(callback) { onSignedOut = callback; },
};

function headers(extra = {}) {
  const token = session.get()?.token;
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

async function refreshed() {
  if (!refreshToken) return false;
  const response = await fetch("/v1/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (!response.ok) return false;
  session.set(await response.json());
  return true;
}

async function body(response) {
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : null;
}

/** A JSON request to the API; ApiError on an error status (401: the session has ended). */
export async function request(method, path, json, retry = true) {
  const init = { method, headers: headers(json === undefined ? {} : { "Content-Type": "application/json" }) };
  if (json !== undefined) init.body = JSON.stringify(json);
  const response = await fetch(path, init);
  if (response.status === 401 && retry && (await refreshed())) return request(method, path, json, false);
  if (response.status === 401) { session.clear(); onSignedOut("Your session has ended: log in again."); }
  const data = await body(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data };
}

/** A multipart POST with upload progress (fetch cannot report it); resolves with {status, data}. */
export function upload(path, form, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onerror = () => reject(new ApiError(0, { message: "The network connection failed" }));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 401) { session.clear(); onSignedOut("Your session has ended: log in again."); }
      if (xhr.status >= 400) reject(new ApiError(xhr.status, data));
      else resolve({ status: xhr.status, data });
    };
    xhr.send(form);
  });
}

/** Calls onUpdate with every BatchJob of a job or batch until it ends (SSE; polling if the stream breaks). */
export async function watch(id, onUpdate) {
  const path = `/v1/process/jobs/${encodeURIComponent(id)}`;
  let last = null;
  try {
    const response = await fetch(`${path}/events`, { headers: headers({ Accept: "text/event-stream" }) });
    if (!response.ok || !response.body) throw new Error("no stream");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
        if (data.trim()) { last = JSON.parse(data); onUpdate(last); }
      }
    }
  } catch { /* fall back to polling below */ }
  while (!last || !["completed", "failed"].includes(last.status)) {
    if (last) await new Promise((r) => setTimeout(r, 1000));
    last = (await request("GET", path)).data;
    onUpdate(last);
  }
  return last;
}

/** Fetches an authenticated file and saves it under `name`. */
export async function saveFrom(path, name) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, await body(response));
  saveBlob(await response.blob(), name);
}

export function saveBlob(blob, name) {
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
