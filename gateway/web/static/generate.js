// Image generation: prompt and settings, progress step by step, the images as a gallery.
import { request } from "./api.js";

const $ = (id) => document.getElementById(id);
let ui;
let running = "";

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function gallery(generation) {
  const items = generation.images.map((image, n) => {
    const item = document.createElement("li");
    item.className = "card";
    const img = Object.assign(document.createElement("img"), { src: image.thumbnail || image.url, alt: `Image ${n + 1} for “${generation.prompt}”${image.filtered ? " (withheld by the safety filter)" : ""}`, loading: "lazy" });
    const link = Object.assign(document.createElement("a"), { href: image.url, download: `generated-${n + 1}.png`, textContent: `Download image ${n + 1}` });
    const seed = Object.assign(document.createElement("p"), { className: "hint", textContent: `${image.width}×${image.height}, seed ${image.seed}` });
    item.append(img, seed, link);
    return item;
  });
  $("gallery").prepend(...items);
}

async function generate(event) {
  event.preventDefault();
  const form = event.target;
  if (!form.reportValidity()) return;
  const fields = Object.fromEntries(new FormData(form));
  const body = { prompt: fields.prompt, numImages: Number(fields.numImages), aspectRatio: fields.aspectRatio, steps: Number(fields.steps), guidanceScale: Number(fields.guidanceScale) };
  if (fields.negativePrompt) body.negativePrompt = fields.negativePrompt;
  if (fields.seed !== "") body.seed = Number(fields.seed);
  ui.notify("");
  const progress = $("gen-progress");
  $("gen-status").hidden = false;
  progress.value = 0;
  $("gen-message").textContent = "Starting";
  form.querySelector("button[type=submit]").disabled = true;
  try {
    const { data } = await request("POST", "/v1/images/generate", body);
    running = data.generation.id;
    $("gen-cancel").hidden = false;
    let status = data.generation.status;
    while (!["completed", "failed"].includes(status)) {
      await pause(700);
      const { data: step } = await request("GET", `/v1/images/generate/${encodeURIComponent(running)}/progress`);
      progress.value = step.progress;
      $("gen-message").textContent = step.message || step.status;
      status = step.status;
    }
    const { data: final } = await request("GET", `/v1/images/generate/${encodeURIComponent(running)}`);
    if (final.generation.status === "failed") throw new Error(final.generation.error || "The generation failed");
    progress.value = 100;
    $("gen-message").textContent = `Done: ${final.generation.images.length} image(s)`;
    gallery(final.generation);
  } catch (error) {
    $("gen-message").textContent = `Stopped: ${error.message}`;
    ui.notify(error.message);
  } finally {
    running = "";
    $("gen-cancel").hidden = true;
    form.querySelector("button[type=submit]").disabled = false;
    ui.refreshCredits();
  }
}

export function start(shell) {
  ui = shell;
  $("gen-form").addEventListener("submit", generate);
  $("gen-cancel").addEventListener("click", () => running && request("DELETE", `/v1/images/generate/${encodeURIComponent(running)}`).catch((e) => ui.notify(e.message)));
}
