// cabledesk newsroom server: notes on the cable page. Progressive enhancement only: the note form
// works without this file (pick the paragraph in its list). No inline scripts (strict CSP).
(function () {
  "use strict";
  var form = document.getElementById("note-form");
  if (!form) return;
  var select = form.querySelector("select[name=paragraph]");
  var text = form.querySelector("textarea[name=text]");
  var home = form.parentNode;
  var homeNext = form.nextSibling;

  // A "Note ¶N" button on every numbered paragraph moves the one note form under that paragraph.
  document.querySelectorAll("button.add-note").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var n = btn.getAttribute("data-paragraph") || "0";
      if (select) select.value = n;
      var para = btn.closest(".para");
      if (para) para.appendChild(form);
      form.classList.add("at-paragraph");
      if (text) text.focus();
    });
  });

  // Picking "the whole cable" puts the form back in the notes section.
  if (select) {
    select.addEventListener("change", function () {
      if (select.value === "0" && form.classList.contains("at-paragraph")) {
        home.insertBefore(form, homeNext);
        form.classList.remove("at-paragraph");
      }
    });
  }

  // Deleting a note or tag asks first (the form still posts its CSRF token as usual).
  document.querySelectorAll("form.inline").forEach(function (f) {
    if (f.action.indexOf("/delete") < 0) return;
    f.addEventListener("submit", function (ev) {
      if (!window.confirm("Delete it for everyone who sees it?")) ev.preventDefault();
    });
  });
})();
