/* Follows a report job on the submission page: polls the job's JSON status and shows the
 * progress, then the downloads (or the error). Markup: <section data-job data-status-url>.
 *
 * Each poll sends the last ETag back (If-None-Match); the server answers 304 while the job has
 * not moved. The wait grows while nothing changes (1 s, 2 s, then every 5 s), starts again at
 * 1 s after a change, and polling stops once the job is done or failed.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-job][data-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var downloads = box.querySelector("[data-downloads]");
  var DELAYS = [1000, 2000, 5000];
  var unchanged = 0;
  var failures = 0;
  var etag = null;

  function link(href, label) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.className = "button";
    anchor.textContent = label;
    anchor.setAttribute("data-download", label);
    return anchor;
  }

  function finished(status) { return status === "done" || status === "failed"; }

  function show(job) {
    var status = job.status || job.state;
    var progress = Number(job.progress || 0);
    bar.value = progress;
    box.setAttribute("data-status", status);
    if (status === "done") {
      text.textContent = "Reports ready.";
      downloads.innerHTML = "";
      if (job.pdf_url) { downloads.appendChild(link(job.pdf_url, "Download PDF")); }
      if (job.excel_url) { downloads.appendChild(link(job.excel_url, "Download Excel")); }
      return;
    }
    if (status === "failed") {
      text.textContent = "Report generation failed: " + (job.error_message || "unknown error") + ".";
      return;
    }
    text.textContent = (status === "running" ? "Generating reports… " : "Waiting for the report worker… ") + progress + "%";
  }

  function later() {
    window.setTimeout(poll, DELAYS[Math.min(unchanged, DELAYS.length - 1)]);
  }

  function poll() {
    var headers = { Accept: "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (job) {
        failures = 0;
        if (job === null) {
          unchanged += 1;
        } else {
          unchanged = 0;
          show(job);
          if (finished(job.status || job.state)) { return; }
        }
        later();
      })
      .catch(function () {
        failures += 1;
        text.textContent = "Cannot reach the server; retrying…";
        window.setTimeout(poll, Math.min(30000, 2000 * failures));
      });
  }

  if (finished(box.getAttribute("data-status"))) { return; }
  poll();
})();
