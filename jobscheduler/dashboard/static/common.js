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

// Credentials: with AUTH_MODE=kubernetes every /api/ request carries the Kubernetes token the
// user typed once into the sign-in form. It is kept in sessionStorage (this tab, this origin;
// gone when the tab closes), never in a URL or a cookie, and sent only as an Authorization
// header, so live streams are fetch() reads too (EventSource cannot send headers).
const TOKEN_KEY = "jobscheduler.token";

function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function apiHeaders(accept) {
  const headers = { Accept: accept };
  const token = storedToken();
  if (token) headers.Authorization = "Bearer " + token;
  return headers;
}

function signedOut(message) {
  const had = storedToken() !== "";
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(had ? "The token was not accepted: " + message : message);
}

function showSignIn(message) {
  if (document.getElementById("signin")) return;
  const input = el("input", { type: "password", name: "token", id: "signin-token",
    autocomplete: "off", spellcheck: "false", required: "" });
  const form = el("form", { id: "signin", class: "panel signin" },
    el("h2", {}, "Sign in"),
    el("p", { class: "muted" }, message),
    el("p", { class: "muted" }, "Paste a Kubernetes token, e.g. from: kubectl create token <serviceaccount>"),
    el("label", {}, "Token ", input),
    el("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    location.reload();
  });
  document.querySelector("main").prepend(form);
  input.focus();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

async function getJSON(url) {
  const response = await fetch(url, { headers: apiHeaders("application/json"), credentials: "omit" });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) signedOut(body.message || "sign in to see jobs");
  if (!response.ok) {
    const error = new Error(body.message || response.statusText);
    error.body = body;
    throw error;
  }
  return body;
}

// Server-sent events over fetch(), with EventSource's interface: addEventListener("open" |
// "error" | <event name>, listener), close(), reconnecting after the server's "retry:".
class LiveStream {
  constructor(url) {
    this.url = url;
    this.listeners = new Map();
    this.retryMs = 3000;
    this.closed = false;
    this.controller = null;
    setTimeout(() => this.connect(), 0);
  }

  addEventListener(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, []);
    this.listeners.get(name).push(listener);
  }

  dispatch(name, data) {
    for (const listener of this.listeners.get(name) || []) listener({ type: name, data });
  }

  close() {
    this.closed = true;
    if (this.controller) this.controller.abort();
  }

  async connect() {
    if (this.closed) return;
    this.controller = new AbortController();
    try {
      const response = await fetch(this.url, { headers: apiHeaders("text/event-stream"),
        credentials: "omit", signal: this.controller.signal });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        if (response.status === 401) signedOut(body.message || "sign in to see jobs");
        this.closed = true; // a refusal does not change by asking again
        this.dispatch("failure", JSON.stringify(body));
        return;
      }
      this.dispatch("open", "");
      await this.read(response.body.getReader());
    } catch (error) {
      if (this.closed) return;
    }
    if (this.closed) return;
    this.dispatch("error", "");
    setTimeout(() => this.connect(), this.retryMs);
  }

  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.message(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  message(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      const field = colon >= 0 ? line.slice(0, colon) : line;
      const value = colon >= 0 ? line.slice(colon + 1).replace(/^ /, "") : "";
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (data.length) this.dispatch(name, data.join("\n"));
  }
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

document.addEventListener("DOMContentLoaded", () => {
  if (!storedToken()) return;
  const button = el("button", { type: "button", id: "signout", class: "signout" }, "Sign out");
  button.addEventListener("click", signOut);
  document.querySelector("header").append(button);
});
