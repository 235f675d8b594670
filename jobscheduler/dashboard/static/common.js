// Shared helpers. Every text from the server goes into the page through textContent (el()),
// never innerHTML, so job names, labels and log lines cannot inject markup.
"use strict";

const STATE_PREFIX = "JOB_STATUS_";

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.message || response.statusText);
    error.body = body;
    throw error;
  }
  return body;
}

function stateName(status) {
  return (status || "JOB_STATUS_UNSPECIFIED").replace(STATE_PREFIX, "");
}

function stateBadge(status) {
  const name = stateName(status);
  return el("span", { class: "state state-" + name, "data-state": name }, name);
}

function formatTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

function jobLink(job) {
  const query = new URLSearchParams({ namespace: job.namespace || "", id: job.job_id });
  return el("a", { href: "/job?" + query.toString() }, job.job_id);
}

function labelList(labels) {
  const span = el("span");
  for (const [key, value] of Object.entries(labels || {})) {
    if (key.startsWith("jobscheduler.io/") || key.startsWith("app.kubernetes.io/")) continue;
    span.append(el("span", { class: "label" }, key + "=" + value));
  }
  return span;
}

function setLive(on, text) {
  const node = document.getElementById("live");
  if (!node) return;
  node.className = "live " + (on ? "on" : "off");
  node.textContent = text;
}

function showError(node, error) {
  clear(node);
  node.append(el("p", { class: "error", role: "alert" }, error.message || String(error)));
}
