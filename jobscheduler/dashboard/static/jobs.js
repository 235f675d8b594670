// The job list: one ListJobs for the first view, then WatchJobs (server-sent events) keeps
// every row's state live. Filters live in the URL, so a reload or a shared link keeps them.
"use strict";

const rows = new Map(); // "namespace/job_id" -> <tr>
let source = null;

function filters() {
  const form = document.getElementById("filters");
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value.trim()) query.append(name, value.trim());
  return query;
}

function rowFor(job) {
  return el("tr", { "data-job": job.job_id, "data-state": stateName(job.status) },
    el("td", {}, jobLink(job)),
    el("td", {}, job.name || ""),
    el("td", {}, job.job_type || ""),
    el("td", {}, stateBadge(job.status)),
    el("td", {}, job.namespace || ""),
    el("td", {}, formatTime(job.create_time)),
    el("td", {}, formatTime(job.start_time)),
    el("td", {}, formatTime(job.completion_time)),
    el("td", { class: "num" }, (job.succeeded || 0) + "/" + (job.failed || 0)),
    el("td", {}, labelList(job.labels)),
    el("td", { class: "muted" }, job.message || ""));
}

function upsert(job, flash) {
  const key = job.namespace + "/" + job.job_id;
  const row = rowFor(job);
  if (flash) row.className = "flash";
  const tbody = document.querySelector("#jobs tbody");
  const old = rows.get(key);
  if (old) old.replaceWith(row);
  else tbody.prepend(row);
  rows.set(key, row);
  document.getElementById("empty").hidden = rows.size > 0;
}

function remove(job) {
  const key = job.namespace + "/" + job.job_id;
  const row = rows.get(key);
  if (row) row.remove();
  rows.delete(key);
  document.getElementById("empty").hidden = rows.size > 0;
}

function matchesState(job) {
  const wanted = document.getElementById("f-state").value;
  return !wanted || stateName(job.status) === wanted;
}

async function load() {
  const query = filters();
  history.replaceState(null, "", query.toString() ? "/?" + query : "/");
  rows.clear();
  clear(document.querySelector("#jobs tbody"));
  clear(document.getElementById("message"));
  if (source) source.close();
  query.set("page_size", "200");
  try {
    const page = await getJSON("/api/jobs?" + query);
    const jobs = (page.jobs || []).slice().sort((a, b) => (a.created_at || 0) - (b.created_at || 0));
    for (const job of jobs) upsert(job, false);
    document.getElementById("empty").hidden = rows.size > 0;
  } catch (error) {
    showError(document.getElementById("message"), error);
    setLive(false, "not live");
    return;
  }
  query.delete("page_size");
  watch(query);
}

function watch(query) {
  source = new LiveStream("/api/watch?" + query);
  source.addEventListener("open", () => setLive(true, "live"));
  source.addEventListener("error", () => setLive(false, "reconnecting"));
  source.addEventListener("job", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "TYPE_DELETED" || !matchesState(event.job)) remove(event.job);
    else upsert(event.job, event.type === "TYPE_CHANGED");
  });
  source.addEventListener("failure", (message) => {
    showError(document.getElementById("message"), JSON.parse(message.data));
  });
}

async function init() {
  const params = new URLSearchParams(location.search);
  for (const name of ["namespace", "job_type", "state", "label"]) {
    const field = document.querySelector(`#filters [name="${name}"]`);
    if (field && params.get(name)) field.value = params.get(name);
  }
  try {
    const types = await getJSON("/api/job-types");
    const select = document.getElementById("f-type");
    for (const type of types.job_types || []) select.append(el("option", { value: type.name }, type.name));
    if (params.get("job_type")) select.value = params.get("job_type");
  } catch (error) {
    showError(document.getElementById("message"), error);
  }
  const form = document.getElementById("filters");
  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}

document.addEventListener("DOMContentLoaded", init);
