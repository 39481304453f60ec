/* Injaaz signature pad: draw with finger, pen or mouse on a <canvas>; the drawing is kept as a
 * PNG data URL in the hidden input next to it (what the server stores). No dependencies.
 *
 * Markup: <div data-signature> <input type="hidden" name="..."> <canvas></canvas>
 *         <button type="button" data-clear>Clear</button> </div>
 */
(function () {
  "use strict";

  function SignaturePad(root) {
    this.root = root;
    this.input = root.querySelector("input[type=hidden]");
    this.canvas = root.querySelector("canvas");
    this.context = this.canvas.getContext("2d");
    this.drawing = false;
    this.last = null;
    this.hasInk = false;
    this.resize();
    this.restore();
    var pad = this;
    this.canvas.addEventListener("pointerdown", function (event) { pad.start(event); });
    this.canvas.addEventListener("pointermove", function (event) { pad.move(event); });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      pad.canvas.addEventListener(name, function (event) { pad.end(event); });
    });
    var clear = root.querySelector("[data-clear]");
    if (clear) { clear.addEventListener("click", function () { pad.clear(); }); }
    window.addEventListener("resize", function () { pad.resize(); pad.restore(); });
  }

  SignaturePad.prototype.resize = function () {
    // Draw at the device's resolution so lines stay sharp on phones.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var box = this.canvas.getBoundingClientRect();
    var width = Math.max(Math.round(box.width), 1), height = Math.max(Math.round(box.height), 1);
    this.canvas.width = width * ratio;
    this.canvas.height = height * ratio;
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.context.lineWidth = 2.2;
    this.context.lineCap = "round";
    this.context.lineJoin = "round";
    this.context.strokeStyle = "#111";
  };

  SignaturePad.prototype.point = function (event) {
    var box = this.canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  };

  SignaturePad.prototype.start = function (event) {
    event.preventDefault();
    if (this.canvas.setPointerCapture) { this.canvas.setPointerCapture(event.pointerId); }
    this.drawing = true;
    this.last = this.point(event);
    this.context.beginPath();
    this.context.arc(this.last.x, this.last.y, 1.1, 0, Math.PI * 2);
    this.context.fillStyle = "#111";
    this.context.fill();
    this.hasInk = true;
  };

  SignaturePad.prototype.move = function (event) {
    if (!this.drawing) { return; }
    event.preventDefault();
    var next = this.point(event);
    this.context.beginPath();
    this.context.moveTo(this.last.x, this.last.y);
    this.context.lineTo(next.x, next.y);
    this.context.stroke();
    this.last = next;
  };

  SignaturePad.prototype.end = function () {
    if (!this.drawing) { return; }
    this.drawing = false;
    this.save();
  };

  SignaturePad.prototype.save = function () {
    this.input.value = this.hasInk ? this.canvas.toDataURL("image/png") : "";
    this.root.dispatchEvent(new CustomEvent("signature:change", { bubbles: true }));
  };

  SignaturePad.prototype.clear = function () {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.hasInk = false;
    this.save();
  };

  SignaturePad.prototype.restore = function () {
    // After a validation error the page comes back with the drawing in the hidden input.
    var value = this.input.value, pad = this;
    if (!value || value.indexOf("data:image/") !== 0) { return; }
    var image = new Image();
    image.onload = function () {
      var box = pad.canvas.getBoundingClientRect();
      pad.context.drawImage(image, 0, 0, box.width, box.height);
      pad.hasInk = true;
    };
    image.src = value;
  };

  function init() {
    document.querySelectorAll("[data-signature]").forEach(function (root) {
      if (!root.signaturePad) { root.signaturePad = new SignaturePad(root); }
    });
  }

  window.InjaazSignaturePad = SignaturePad;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
