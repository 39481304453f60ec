/* Follows a report job on the submission page: polls the job's JSON status every 2 s and shows
 * the progress, then the downloads (or the error). Markup: <section data-job data-status-url>.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-job][data-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var downloads = box.querySelector("[data-downloads]");
  var failures = 0;

  function link(href, label) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.className = "button";
    anchor.textContent = label;
    anchor.setAttribute("data-download", label);
    return anchor;
  }

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
      return true;
    }
    if (status === "failed") {
      text.textContent = "Report generation failed: " + (job.error_message || "unknown error") + ".";
      return true;
    }
    text.textContent = (status === "running" ? "Generating reports… " : "Waiting for the report worker… ") + progress + "%";
    return false;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) { failures = 0; if (!show(job)) { window.setTimeout(poll, 2000); } })
      .catch(function () {
        failures += 1;
        text.textContent = "Cannot reach the server; retrying…";
        window.setTimeout(poll, Math.min(30000, 2000 * failures));
      });
  }
  poll();
})();
