/* Injaaz inspector forms, after a refused submit: move focus to the first answer that needs
 * attention (a field, a signature, an item's photos, or the items list itself), scrolled into
 * view, so a phone user lands on it instead of at the top of a long form. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-inspection-form]");
  if (!form) { return; }
  var marked = form.querySelector(".field.invalid, [data-photos] .error, fieldset.item > .error, p.error[data-error-for]");
  if (!marked) { return; }
  var CONTROLS = "select, textarea, input:not([type=hidden]), canvas";
  function usable(root) {  // the HVAC chain hides whichever of a description's two inputs is unused
    return Array.prototype.find.call(root.querySelectorAll(CONTROLS), function (element) {
      return !element.hidden && !element.disabled;
    }) || null;
  }
  var control = null;
  if (marked.matches(".field.invalid")) {
    control = usable(marked);
  } else if (marked.closest("[data-photos]")) {
    control = marked.closest("[data-photos]").querySelector("input[type=file]");
  } else if (marked.closest("fieldset.item")) {
    control = usable(marked.closest("fieldset.item"));
  } else {
    var firstItem = form.querySelector("[data-items] [data-item]");
    control = (firstItem && usable(firstItem)) || form.querySelector("[data-add-item]");
  }
  var target = control || marked;
  if (target.tagName === "CANVAS" && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
})();
