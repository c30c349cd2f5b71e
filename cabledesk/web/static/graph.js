// cabledesk citation graph: draws /api/graph JSON with the vendored Cytoscape (static/vendor/).
// No inline scripts (CSP). Without JS the page lists the same cables as links.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof window.cytoscape !== "function") return;
  var src = box.getAttribute("data-src");
  if (!src) return;

  function cableUrl(id) {
    return "/cable/" + encodeURIComponent(id);
  }

  function elements(data) {
    var els = [];
    data.nodes.forEach(function (n) {
      var cls = [n.in_corpus ? "in" : "out"];
      if (n.start) cls.push("start");
      if (!n.in_corpus && n.in_manifest) cls.push("released");
      els.push({
        group: "nodes",
        data: {
          id: n.id,
          label: n.id,
          level: n.level || 0,
          inCorpus: !!n.in_corpus,
          title: n.subject || (n.in_corpus ? "" : n.in_manifest ? "not in this corpus; released in 2011" : "not in this corpus")
        },
        classes: cls.join(" ")
      });
    });
    data.edges.forEach(function (e, i) {
      els.push({
        group: "edges",
        data: { id: "e" + i, source: e.source, target: e.target, label: e.labels || "" }
      });
    });
    return els;
  }

  function draw(data) {
    var hasStart = data.nodes.some(function (n) { return n.start; });
    var layout = hasStart
      ? {
          name: "concentric",
          concentric: function (node) { return 3 - node.data("level"); },
          levelWidth: function () { return 1; },
          minNodeSpacing: 70,
          avoidOverlap: true,
          animate: false
        }
      : { name: "cose", animate: false, nodeRepulsion: function () { return 9000; }, randomize: false };
    var cy = window.cytoscape({
      container: box,
      elements: elements(data),
      layout: layout,
      wheelSensitivity: 0.3,
      minZoom: 0.2,
      maxZoom: 3,
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "font-size": 11,
            "font-family": "system-ui, DejaVu Sans, sans-serif",
            "text-valign": "bottom",
            "text-margin-y": 4,
            color: "#1b1f24",
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.8,
            "text-background-padding": 1,
            width: 18,
            height: 18,
            "background-color": "#1d4e89"
          }
        },
        { selector: "node.in", style: { cursor: "pointer" } },
        {
          selector: "node.out",
          style: { "background-color": "#ffffff", "border-width": 2, "border-style": "dashed", "border-color": "#8a949e", color: "#5c6670" }
        },
        { selector: "node.out.released", style: { "border-style": "solid", "border-color": "#4d8a4d" } },
        {
          selector: "node.start",
          style: { "background-color": "#f1c453", "border-width": 3, "border-color": "#14304f", width: 26, height: 26, "font-weight": "bold" }
        },
        {
          selector: "edge",
          style: {
            width: 1.5,
            "line-color": "#9aa4ae",
            "target-arrow-color": "#9aa4ae",
            "target-arrow-shape": "triangle",
            "curve-style": "bezier",
            label: "data(label)",
            "font-size": 9,
            color: "#5c6670"
          }
        },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#f4a261" } }
      ]
    });
    if (cy.zoom() > 1.3) {
      cy.zoom(1.3); // a handful of nodes should not fill the screen with giant labels
      cy.center();
    }
    cy.on("tap", "node", function (ev) {
      var n = ev.target;
      if (n.data("inCorpus")) window.location.assign(cableUrl(n.id()));
    });
    cy.on("mouseover", "node", function (ev) {
      box.title = ev.target.id() + (ev.target.data("title") ? " — " + ev.target.data("title") : "");
    });
    cy.on("mouseout", "node", function () { box.title = ""; });
    box.setAttribute("data-ready", String(cy.nodes().length));
    window.cabledeskGraph = cy; // for tests and the browser console
  }

  fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(draw)
    .catch(function (err) {
      box.textContent = "The graph could not be drawn (" + err.message + "); the cables are listed below.";
      box.classList.add("graph-failed");
    });
})();
