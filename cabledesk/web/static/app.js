// cabledesk workbench: progressive enhancement only. Every page works without this file.
// No inline scripts or handlers anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // "/" focuses the search box (like many sites); Escape leaves it.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !typing(ev.target)) {
      var q = document.getElementById("q");
      if (q) {
        ev.preventDefault();
        q.focus();
        q.select();
      }
    } else if (ev.key === "Escape" && ev.target && ev.target.id === "q") {
      ev.target.blur();
    }
  });

  // Sort and mode controls submit themselves; the "Apply" button is for browsers without JS.
  document.querySelectorAll(".autosubmit").forEach(function (el) {
    el.addEventListener("change", function () {
      if (el.form) el.form.submit();
    });
  });

  function legacyCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "offscreen";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(ta);
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return legacyCopy(text); }
      );
    }
    return Promise.resolve(legacyCopy(text));
  }

  function announce(text, ok) {
    var box = document.querySelector(".copied");
    if (!box) return;
    box.textContent = "";
    box.classList.add("show"); // visible first: a hidden input cannot take focus
    if (ok) {
      box.textContent = "Copied: " + text;
    } else {
      // Last resort: show the citation selected, for Ctrl+C / long-press.
      var label = document.createElement("label");
      label.textContent = "Copy this citation: ";
      var input = document.createElement("input");
      input.value = text;
      input.readOnly = true;
      input.size = Math.min(text.length + 2, 80);
      label.appendChild(input);
      box.appendChild(label);
      input.focus();
      input.select();
    }
    window.clearTimeout(announce.timer);
    if (ok) {
      announce.timer = window.setTimeout(function () { box.classList.remove("show"); }, 4000);
    }
  }

  document.querySelectorAll("button.cite").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var text = btn.getAttribute("data-cite") || "";
      copyText(text).then(function (ok) {
        announce(text, ok);
        if (ok) {
          btn.classList.add("done");
          btn.textContent = "Copied";
          window.setTimeout(function () {
            btn.classList.remove("done");
            btn.textContent = "Copy citation";
          }, 2000);
        }
      });
    });
  });

  document.querySelectorAll("button.print").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });
})();
