// Background removal: choose images, options, live progress per file, before/after, downloads.
import { request, saveFrom, upload, watch } from "./api.js";

const $ = (id) => document.getElementById(id);
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];
const MAX_FILES = 100; // a batch's limit (POST /v1/process/batch)
const PARALLEL = 2;
let ui;
let chosen = [];
let batchId = "";

function choose(files) {
  const images = [...files].filter((file) => IMAGE_TYPES.includes(file.type));
  chosen = images.slice(0, MAX_FILES);
  const skipped = files.length - chosen.length;
  $("chosen").textContent = chosen.length
    ? `${chosen.length} image${chosen.length > 1 ? "s" : ""} chosen${skipped ? ` (${skipped} other file${skipped > 1 ? "s" : ""} left out)` : ""}.`
    : "No images chosen (PNG, JPEG or WebP).";
}

function options() {
  const form = $("remove-form");
  const background = form.background.value;
  const fields = { tier: form.tier.value, size: form.size.value, output_format: form.output_format.value };
  if (form.crop.checked) fields.crop = "true";
  if (background === "color") fields.bg_color = form.bg_color.value;
  if (background === "library") fields.background_id = form.background_id.value;
  if (background === "blur") { fields.blur_strength = form.blur_strength.value; fields.blur_style = form.blur_style.value; }
  return { fields, background };
}

function showOptions() {
  const background = $("background").value;
  for (const element of document.querySelectorAll("[data-when]")) element.hidden = element.dataset.when !== background;
}

async function loadLibrary() {
  const select = $("library");
  try {
    const { data } = await request("GET", "/v1/backgrounds?limit=50");
    select.replaceChildren(...data.items.map((item) => new Option(`${item.category}: ${item.tags.join(", ") || item.id}`, item.id)));
  } catch (error) {
    select.replaceChildren(new Option("Could not load the library", ""));
  }
}

/** One file's row: its name, progress, status, and later the comparison and download. */
function row(file) {
  const item = document.createElement("li");
  item.className = "result card";
  const id = `r${Math.random().toString(36).slice(2)}`;
  item.innerHTML = `<h3></h3><label for="${id}" class="visually-hidden"></label>
    <progress id="${id}" max="100" value="0"></progress><p class="status"></p>`;
  item.querySelector("h3").textContent = file.name;
  item.querySelector("label").textContent = `Progress of ${file.name}`;
  $("results").append(item);
  const set = (value, text) => {
    item.querySelector("progress").value = value;
    const status = item.querySelector(".status");
    if (status.textContent !== text) status.textContent = text; // announced once per change
  };
  set(0, "Waiting");
  return { file, item, set };
}

function done(entry, result) {
  entry.set(100, "Done");
  entry.item.classList.add("done");
  const name = entry.file.name.replace(/\.[^.]+$/, "");
  const extension = (result.metadata?.format || $("format").value).replace("jpeg", "jpg");
  const figure = document.createElement("figure");
  figure.className = "compare";
  figure.innerHTML = `<div class="frame"><img class="before" alt=""><div class="after"><img alt=""></div></div>
    <figcaption><label>Compare original (left) and result (right)<input type="range" min="0" max="100" value="50"></label></figcaption>`;
  const before = figure.querySelector(".before");
  before.src = URL.createObjectURL(entry.file);
  before.alt = `Original: ${entry.file.name}`;
  const after = figure.querySelector(".after img");
  after.src = result.image;
  after.alt = `Without its background: ${entry.file.name}`;
  const slider = figure.querySelector("input");
  const move = () => {
    figure.querySelector(".frame").style.setProperty("--split", `${slider.value}%`);
    slider.setAttribute("aria-valuetext", `${slider.value}% original`);
  };
  slider.addEventListener("input", move);
  move();
  const link = Object.assign(document.createElement("a"), { href: result.image, download: `${name}-no-bg.${extension}`, className: "button" });
  link.textContent = `Download ${name}-no-bg.${extension}`;
  entry.item.append(figure, link);
}

function failed(entry, message) {
  entry.set(100, `Failed: ${message}`);
  entry.item.classList.add("failed");
}

async function single(entry, fields) {
  const form = new FormData();
  form.append("file", entry.file, entry.file.name);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  entry.set(0, "Uploading");
  try {
    let { data } = await upload("/v1/process/remove-background", form, (share) => entry.set(share * 40, share < 1 ? "Uploading" : "Removing the background"));
    if (data.status !== "completed") {
      entry.set(50, "Removing the background");
      const job = await watch(data.id, (update) => entry.set(Math.max(50, update.progress), `Removing the background (${update.status})`));
      if (job.status !== "completed") throw new Error(job.message || job.error || "the job failed");
      data = job.results[0];
    }
    done(entry, data);
  } catch (error) {
    failed(entry, error.message);
  }
}

async function batch(entries, tier) {
  const form = new FormData();
  for (const entry of entries) form.append("files", entry.file, entry.file.name);
  form.append("options", JSON.stringify({ tier }));
  const report = (share) => entries.forEach((e) => e.set(share * 40, "Uploading"));
  try {
    const { data } = await upload("/v1/process/batch", form, report);
    batchId = data.id;
    const byJob = new Map(data.files.map((file, n) => [file.job_id, entries[n]]));
    const shown = new Set();
    const final = await watch(data.id, (update) => {
      for (const file of update.files) {
        const entry = byJob.get(file.job_id);
        if (!entry || shown.has(file.job_id)) continue;
        if (file.status === "failed") { shown.add(file.job_id); failed(entry, file.message || file.error); continue; }
        const result = update.results.find((r) => r.id === file.job_id);
        if (result) { shown.add(file.job_id); done(entry, result); } else entry.set(file.status === "processing" ? 60 : 45, `In the batch: ${file.status}`);
      }
    });
    $("zip").hidden = !final.results.length;
  } catch (error) {
    entries.forEach((entry) => failed(entry, error.message));
  }
}

async function run(event) {
  event.preventDefault();
  if (!chosen.length) { ui.notify("Choose one or more images first."); $("files").focus(); return; }
  ui.notify("");
  $("results").replaceChildren();
  $("zip").hidden = true;
  $("start").disabled = true;
  const { fields, background } = options();
  const entries = chosen.map(row);
  try {
    if (background === "own") {
      const own = $("own-bg").files[0];
      if (!own) throw new Error("Choose a background image, or another background option.");
      const form = new FormData();
      form.append("file", own, own.name);
      fields.background_id = (await upload("/v1/backgrounds", form)).data.id;
    }
    const plain = Object.keys(fields).length === 3 && fields.size === "full" && fields.output_format === "png";
    if (entries.length > 1 && plain) {
      await batch(entries, fields.tier); // one request, one charge, one ZIP
    } else {
      const queue = [...entries];
      await Promise.all(Array.from({ length: PARALLEL }, async () => {
        while (queue.length) await single(queue.shift(), fields);
      }));
    }
  } catch (error) {
    ui.notify(error.message);
    entries.forEach((entry) => entry.item.classList.contains("done") || failed(entry, error.message));
  } finally {
    $("start").disabled = false;
    ui.refreshCredits();
  }
}

export function start(shell) {
  ui = shell;
  $("files").addEventListener("change", (event) => choose(event.target.files));
  $("folder").addEventListener("change", (event) => choose(event.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => { event.preventDefault(); drop.classList.remove("over"); choose(event.dataTransfer.files); });
  $("background").addEventListener("change", showOptions);
  $("remove-form").addEventListener("submit", run);
  $("zip").addEventListener("click", () => saveFrom(`/v1/background-remover/batch/${encodeURIComponent(batchId)}/download`, "backdrop-results.zip").catch((e) => ui.notify(e.message)));
  showOptions();
  loadLibrary();
}
