// Schedules (CronJobs) with their next fire times and their most recent runs. Schedules change
// rarely and runs have their own live pages, so this page refreshes on a timer.
"use strict";

const REFRESH_MS = 15000;

function runList(runs) {
  const list = el("span");
  for (const run of runs || []) {
    list.append(el("div", {}, stateBadge(run.status), " ", jobLink(run), " ",
      el("span", { class: "muted" }, formatTime(run.create_time))));
  }
  return list;
}

async function load() {
  const query = new URLSearchParams();
  const namespace = document.getElementById("f-namespace").value.trim();
  if (namespace) query.set("namespace", namespace);
  history.replaceState(null, "", query.toString() ? "/schedules?" + query : "/schedules");
  const tbody = document.querySelector("#schedules tbody");
  const message = document.getElementById("message");
  let answer;
  try {
    answer = await getJSON("/api/schedules?" + query);
  } catch (error) {
    showError(message, error);
    return;
  }
  clear(message);
  clear(tbody);
  for (const schedule of answer.schedules || []) {
    const cron = schedule.schedule || {};
    tbody.append(el("tr", { "data-schedule": schedule.job_id },
      el("td", {}, jobLink(schedule), el("div", { class: "muted" }, schedule.name || "")),
      el("td", {}, schedule.job_type || ""),
      el("td", {}, stateBadge(schedule.status)),
      el("td", {}, el("code", {}, cron.cron || ""), cron.time_zone ? " (" + cron.time_zone + ")" : ""),
      el("td", {}, ...(schedule.next_runs || []).map((time) => el("div", {}, formatTime(time)))),
      el("td", {}, formatTime(schedule.last_schedule_time)),
      el("td", {}, runList(schedule.recent_runs))));
  }
  document.getElementById("empty").hidden = (answer.schedules || []).length > 0;
}

function init() {
  const params = new URLSearchParams(location.search);
  if (params.get("namespace")) document.getElementById("f-namespace").value = params.get("namespace");
  const form = document.getElementById("filters");
  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
  setInterval(load, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", init);
