/* Injaaz inspector forms: repeating items, the HVAC asset → system → description chain, and
 * photo uploads as soon as they are picked (so a slow network or a validation error never loses
 * them). Everything here is an enhancement: without JavaScript the form still posts its files.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-inspection-form]");
  if (!form) { return; }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var submit = form.querySelector("button[type=submit]");
  var pending = 0;
  var MAX_BYTES = 10 * 1024 * 1024;
  var TYPES = ["image/jpeg", "image/png", "image/webp"];

  function busy(delta) {
    pending += delta;
    submit.disabled = pending > 0;
    submit.textContent = pending > 0 ? "Uploading photos…" : submit.getAttribute("data-label");
  }
  submit.setAttribute("data-label", submit.textContent);

  /* --- photos --- */

  /* The photo ids follow the thumbnails' order, which is the order the inspector picked the
   * photos in: each photo gets its place when picked, whichever upload finishes first. */
  function syncIds(container) {
    var input = container.querySelector("input[type=hidden][name$=photo_ids]");
    var list = Array.prototype.map.call(container.querySelectorAll(".thumbs li[data-id]"), function (item) {
      return item.getAttribute("data-id");
    });
    input.value = list.join(",");
    return list;
  }

  function placeThumb(container, label) {
    var item = document.createElement("li");
    item.className = "pending";
    var image = document.createElement("img");
    image.alt = label || "photo";
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.setAttribute("aria-label", "Remove photo");
    remove.textContent = "×";
    item.appendChild(image);
    item.appendChild(remove);
    container.querySelector(".thumbs").appendChild(item);
    return item;
  }

  function status(container, text) {
    container.querySelector(".upload-status").textContent = text;
  }

  function check(container, file) {
    var limit = parseInt(container.getAttribute("data-limit"), 10) || 100;
    if (TYPES.indexOf(file.type) < 0 && !/\.(jpe?g|png|webp)$/i.test(file.name)) {
      return file.name + ": only JPEG, PNG and WebP photos can be added.";
    }
    if (file.size > MAX_BYTES) {
      return file.name + ": larger than 10 MB.";
    }
    if (container.querySelectorAll(".thumbs li").length >= limit) {
      return "At most " + limit + " photos per item.";
    }
    return "";
  }

  function upload(container, file, item) {
    var body = new FormData();
    body.append("photo", file, file.name);
    busy(1);
    return fetch(container.getAttribute("data-upload-url"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().catch(function () { return { success: false, error: "HTTP " + response.status }; });
    }).then(function (answer) {
      if (!answer.success) {
        item.remove();
        status(container, file.name + ": " + (answer.error || "not added") + " Add it again.");
        return;
      }
      if (!item.isConnected) { return; }  // removed while it was uploading
      item.setAttribute("data-id", String(answer.id));
      item.className = "";
      item.querySelector("img").src = answer.view_url;
      var count = syncIds(container).length;
      status(container, count + " photo" + (count === 1 ? "" : "s") + " added.");
    }).catch(function () {
      item.remove();
      status(container, file.name + ": the upload did not reach the server. Add it again.");
    }).then(function () { busy(-1); });
  }

  function setupPhotos(container) {
    if (container.getAttribute("data-ready")) { return; }
    container.setAttribute("data-ready", "1");
    var input = container.querySelector("input[type=file]");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";  // uploaded now: not posted again with the form
      var queue = [], running = 0;
      files.forEach(function (file) {
        var problem = check(container, file);
        if (problem) { status(container, problem); return; }
        queue.push({ file: file, item: placeThumb(container, file.name) });
      });
      function next() {  // three at a time, like the old upload queue
        while (running < 3 && queue.length) {
          running += 1;
          var entry = queue.shift();
          upload(container, entry.file, entry.item).then(function () { running -= 1; next(); });
        }
      }
      next();
    });
    container.addEventListener("click", function (event) {
      if (!event.target.classList.contains("remove")) { return; }
      event.target.closest("li").remove();
      syncIds(container);
    });
  }

  /* --- HVAC chain --- */

  var taxonomyNode = document.getElementById("hvac-taxonomy");
  var taxonomy = taxonomyNode ? JSON.parse(taxonomyNode.textContent) : null;

  function setupChain(item) {
    if (!taxonomy) { return; }
    var asset = item.querySelector("select[name$=-asset]");
    var system = item.querySelector("select[name$=-system]");
    var text = item.querySelector("input[name$=-description]");
    if (!asset || !system || !text) { return; }
    var choice = document.createElement("select");
    choice.name = text.name;
    choice.id = text.id + "-choice";
    text.insertAdjacentElement("afterend", choice);

    function fillSystems() {
      var systems = taxonomy[asset.value] || {}, keep = system.value;
      system.innerHTML = "";
      system.appendChild(new Option(asset.value ? "Choose a system" : "Choose an asset first", ""));
      Object.keys(systems).forEach(function (name) { system.appendChild(new Option(name, name, false, name === keep)); });
      fillDescriptions();
    }
    function fillDescriptions() {
      var descriptions = (taxonomy[asset.value] || {})[system.value] || [], keep = choice.value || text.value;
      var listed = descriptions.length > 0;
      // A system with descriptions offers them; one without yet takes free text.
      choice.hidden = choice.disabled = !listed;
      text.hidden = text.disabled = listed;
      choice.innerHTML = "";
      choice.appendChild(new Option("Choose a description", ""));
      descriptions.forEach(function (name) { choice.appendChild(new Option(name, name, false, name === keep)); });
    }
    asset.addEventListener("change", fillSystems);
    system.addEventListener("change", fillDescriptions);
    fillSystems();
  }

  /* --- repeating items --- */

  function setupItem(item) {
    item.querySelectorAll("[data-photos]").forEach(setupPhotos);
    setupChain(item);
    var remove = item.querySelector("[data-remove-item]");
    if (remove) {
      remove.addEventListener("click", function () {
        // The index stays counted; an item posted with no values is ignored by the server.
        item.remove();
        renumber();
      });
    }
  }

  function renumber() {
    form.querySelectorAll("[data-items] [data-item]").forEach(function (item, index) {
      var number = item.querySelector("[data-item-number]");
      if (number) { number.textContent = String(index + 1); }
    });
  }

  var items = form.querySelector("[data-items]");
  var template = form.querySelector("template[data-item-template]");
  var add = form.querySelector("[data-add-item]");
  if (items && template && add) {
    var prefix = template.getAttribute("data-prefix");
    var total = form.querySelector("input[name=" + prefix + "-TOTAL_FORMS]");
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var item = holder.firstElementChild;
      items.appendChild(item);
      total.value = String(index + 1);
      setupItem(item);
      item.querySelectorAll("[data-signature]").forEach(function (root) { root.signaturePad = new window.InjaazSignaturePad(root); });
      renumber();
      var first = item.querySelector("select, input:not([type=hidden]), textarea");
      if (first) { first.focus(); }
    });
  }

  form.querySelectorAll("[data-item]").forEach(setupItem);
  form.querySelectorAll(":scope > [data-photos], fieldset:not([data-item]) [data-photos]").forEach(setupPhotos);
  renumber();

  form.addEventListener("submit", function (event) {
    if (pending > 0) { event.preventDefault(); return; }
    submit.disabled = true;
    submit.textContent = "Submitting…";
  });
})();

// Back to a submitted form (browser cache): make the button usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) { return; }
  var button = document.querySelector("form[data-inspection-form] button[type=submit]");
  if (button) { button.disabled = false; button.textContent = button.getAttribute("data-label") || "Submit"; }
});
