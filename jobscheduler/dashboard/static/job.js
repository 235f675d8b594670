// One job: its status (live through WatchJob), a timeline of what happened to it, the
// Kubernetes events about it and its pods, and its logs (GetJobLogs, following if asked).
"use strict";

const params = new URLSearchParams(location.search);
const namespace = params.get("namespace") || "";
const jobId = params.get("id") || "";
const base = "/api/jobs/" + encodeURIComponent(namespace || "-") + "/" + encodeURIComponent(jobId);
const seen = []; // state changes observed on this page: {time, text}
let logSource = null;

function fact(list, name, value) {
  if (value === undefined || value === null || value === "") return;
  list.append(el("dt", {}, name), el("dd", {}, value instanceof Node ? value : String(value)));
}

function renderJob(job) {
  document.title = job.job_id + " · jobscheduler";
  document.getElementById("title").textContent = job.job_id;
  const state = document.getElementById("state");
  clear(state);
  state.append(stateBadge(job.status));
  const facts = document.getElementById("facts");
  clear(facts);
  fact(facts, "Name", job.name);
  fact(facts, "Namespace", job.namespace);
  fact(facts, "Type", job.job_type);
  fact(facts, "Kind", job.k8s_kind);
  fact(facts, "State", stateName(job.status));
  fact(facts, "Reason", job.reason);
  fact(facts, "Message", job.message);
  fact(facts, "Active / succeeded / failed",
    (job.active || 0) + " / " + (job.succeeded || 0) + " / " + (job.failed || 0));
  fact(facts, "Attempts", job.attempts);
  fact(facts, "Created by", job.created_by);
  if (job.schedule_id) {
    const link = el("a", { href: "/schedules?" + new URLSearchParams({ namespace: job.namespace }) },
      job.schedule_id);
    fact(facts, "Schedule", link);
  }
  if (job.schedule) fact(facts, "Cron", job.schedule.cron + (job.schedule.time_zone ? " (" + job.schedule.time_zone + ")" : ""));
  fact(facts, "Labels", labelList(job.labels));
  renderTimeline(job);
}

let lastJob = null;
let lastEvents = [];

function renderTimeline(job) {
  if (job) lastJob = job;
  job = lastJob;
  if (!job) return;
  const entries = [];
  const add = (time, text) => { if (time) entries.push({ time, text }); };
  add(job.create_time, "Created");
  add(job.start_at, "Start requested for this time");
  add(job.start_time, "Started");
  add(job.last_schedule_time, "Last run scheduled");
  add(job.completion_time, "Finished: " + stateName(job.status));
  for (const event of lastEvents) add(event.last_time, event.object_kind + " " + event.reason + ": " + event.message);
  for (const change of seen) entries.push(change);
  entries.sort((a, b) => new Date(a.time) - new Date(b.time));
  const list = document.getElementById("timeline");
  clear(list);
  for (const entry of entries) {
    list.append(el("li", {}, el("time", { datetime: entry.time }, formatTime(entry.time)), entry.text));
  }
}

async function loadEvents() {
  const tbody = document.querySelector("#events tbody");
  try {
    const answer = await getJSON(base + "/events");
    lastEvents = answer.events || [];
  } catch (error) {
    showError(document.getElementById("message"), error);
    return;
  }
  clear(tbody);
  for (const event of lastEvents) {
    tbody.append(el("tr", {},
      el("td", {}, formatTime(event.last_time)),
      el("td", {}, event.type),
      el("td", {}, event.reason),
      el("td", {}, event.object_kind + "/" + event.object_name),
      el("td", { class: "num" }, event.count),
      el("td", {}, event.message)));
  }
  document.getElementById("no-events").hidden = lastEvents.length > 0;
  renderTimeline(null);
}

function watchJob() {
  const source = new LiveStream(base + "/watch");
  source.addEventListener("open", () => setLive(true, "live"));
  source.addEventListener("error", () => setLive(false, "reconnecting"));
  source.addEventListener("job", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "TYPE_CHANGED") {
      seen.push({ time: new Date().toISOString(), text: "Now " + stateName(event.job.status) + (event.job.reason ? " (" + event.job.reason + ")" : "") });
    }
    if (event.type === "TYPE_DELETED") {
      seen.push({ time: new Date().toISOString(), text: "Deleted" });
      setLive(false, "deleted");
      source.close();
    }
    renderJob(event.job);
    loadEvents();
  });
  source.addEventListener("end", () => {
    setLive(false, "finished");
    source.close();
  });
  source.addEventListener("failure", (message) => {
    showError(document.getElementById("message"), JSON.parse(message.data));
    source.close();
  });
}

function streamLogs() {
  if (logSource) logSource.close();
  const pre = document.getElementById("logs");
  clear(pre);
  const follow = document.getElementById("follow").checked;
  logSource = new LiveStream(base + "/logs?" + new URLSearchParams({ follow: follow ? "1" : "0" }));
  let keptNoted = false;
  logSource.addEventListener("log", (message) => {
    const chunk = JSON.parse(message.data);
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (chunk.kept && !keptNoted) {
      // Kept logs: the tail the service kept of pods that are gone (cancel, suspend, cleanup).
      const note = document.createElement("span");
      note.className = "kept-note";
      note.textContent = "[kept logs: pods are gone]\n";
      pre.append(note);
      keptNoted = true;
    }
    pre.append(document.createTextNode(chunk.text));
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  });
  logSource.addEventListener("end", () => logSource.close());
  logSource.addEventListener("failure", (message) => {
    pre.append(document.createTextNode("\n[" + JSON.parse(message.data).message + "]\n"));
    logSource.close();
  });
}

async function init() {
  if (!jobId) {
    showError(document.getElementById("message"), new Error("no job id in the address (?id=...)"));
    return;
  }
  try {
    const status = await getJSON(base);
    renderJob(status.job_info);
  } catch (error) {
    showError(document.getElementById("message"), error);
    setLive(false, "not live");
    return;
  }
  await loadEvents();
  watchJob();
  if (lastJob && lastJob.k8s_kind !== "CronJob") streamLogs();
  document.getElementById("follow").addEventListener("change", streamLogs);
}

document.addEventListener("DOMContentLoaded", init);
