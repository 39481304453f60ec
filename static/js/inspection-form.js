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

  function ids(container) {
    var input = container.querySelector("input[type=hidden][name$=photo_ids]");
    return { input: input, list: input.value ? input.value.split(",").filter(Boolean) : [] };
  }

  function addThumb(container, id, url, label) {
    var item = document.createElement("li");
    item.setAttribute("data-id", id);
    var image = document.createElement("img");
    image.src = url;
    image.alt = label || "photo";
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.setAttribute("aria-label", "Remove photo");
    remove.textContent = "×";
    item.appendChild(image);
    item.appendChild(remove);
    container.querySelector(".thumbs").appendChild(item);
  }

  function status(container, text) {
    container.querySelector(".upload-status").textContent = text;
  }

  function upload(container, file) {
    var limit = parseInt(container.getAttribute("data-limit"), 10) || 100;
    if (TYPES.indexOf(file.type) < 0 && !/\.(jpe?g|png|webp)$/i.test(file.name)) {
      status(container, file.name + ": only JPEG, PNG and WebP photos can be added.");
      return Promise.resolve();
    }
    if (file.size > MAX_BYTES) {
      status(container, file.name + ": larger than 10 MB.");
      return Promise.resolve();
    }
    if (ids(container).list.length >= limit) {
      status(container, "At most " + limit + " photos per item.");
      return Promise.resolve();
    }
    var body = new FormData();
    body.append("photo", file, file.name);
    busy(1);
    return fetch(container.getAttribute("data-upload-url"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().catch(function () { return { success: false, error: "HTTP " + response.status }; });
    }).then(function (answer) {
      if (!answer.success) { status(container, file.name + ": " + (answer.error || "not added") + " Add it again."); return; }
      var current = ids(container);
      current.list.push(String(answer.id));
      current.input.value = current.list.join(",");
      addThumb(container, answer.id, answer.view_url, file.name);
      status(container, current.list.length + " photo" + (current.list.length === 1 ? "" : "s") + " added.");
    }).catch(function () {
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
      var queue = files.slice(), running = 0;
      function next() {  // three at a time, like the old upload queue
        while (running < 3 && queue.length) {
          running += 1;
          upload(container, queue.shift()).then(function () { running -= 1; next(); });
        }
      }
      next();
    });
    container.addEventListener("click", function (event) {
      if (!event.target.classList.contains("remove")) { return; }
      var item = event.target.closest("li");
      var current = ids(container);
      current.input.value = current.list.filter(function (id) { return id !== item.getAttribute("data-id"); }).join(",");
      item.remove();
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
