/* locbench leaderboard: draws the country maps from each map's compact data (offline, no library).
   A map's <g data-map> holds {f: fills, t: tooltip templates, c: ["code|fill|template|parts..."],
   h: hatch pattern id, hs: its scale, ft: template of the countries under the sample minimum, w: ["code|parts..."],
   nm: names that differ from the outline file's, k: the map's constants}. "{n}" is the country's name,
   "{0}"... its parts, "{b}" a constant (the baseline's name). */
(function () {
  "use strict";
  var C = window.LOCBENCH_COUNTRIES || {}, NS = "http://www.w3.org/2000/svg", defs = null, have = {};
  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function shared() {
    if (!defs) {
      var s = el("svg", {width: 0, height: 0, style: "position:absolute", "aria-hidden": "true", focusable: "false"});
      defs = el("defs", {});
      s.appendChild(defs);
      document.body.insertBefore(s, document.body.firstChild);
    }
    return defs;
  }
  function outline(code) {
    if (have[code] || !C[code]) return;
    shared().appendChild(el("path", {id: "c-" + code, d: C[code][1]}));
    have[code] = 1;
  }
  function hatch(id, scale) {  /* the grey hatch of too-few countries, 4 px wide at the map's zoom */
    if (have[id]) return;
    var p = el("pattern", {id: id, width: 3, height: 3, patternUnits: "userSpaceOnUse",
                           patternTransform: "rotate(45) scale(" + scale + ")"});
    p.appendChild(el("rect", {width: 3, height: 3, fill: "#e3e6ec"}));
    p.appendChild(el("line", {x1: 0, y1: 0, x2: 0, y2: 3, stroke: "#9aa3b2", "stroke-width": 1.2}));
    shared().appendChild(p);
    have[id] = 1;
  }
  function text(tpl, code, parts, m) {
    var name = (m.nm && m.nm[code]) || (C[code] ? C[code][0] : code);
    return tpl.replace(/\{(n|b|\d+)\}/g, function (_, i) {
      return i === "n" ? name : (/^\d+$/.test(i) ? parts[+i] : m.k[i]);
    });
  }
  function titled(node, words) {
    var t = el("title", {});
    t.textContent = words;
    node.appendChild(t);
    return node;
  }
  function draw(g) {
    var m = JSON.parse(g.getAttribute("data-map"));
    m.c.forEach(function (row) {
      var e = row.split("|");
      outline(e[0]);
      g.appendChild(titled(el("use", {href: "#c-" + e[0], fill: m.f[e[1]]}), text(m.t[e[2]], e[0], e.slice(3), m)));
    });
    if (m.w && m.w.length) {
      hatch(m.h, m.hs);
      var few = el("g", {fill: "url(#" + m.h + ")"}), rows = m.w.map(function (row) { return row.split("|"); });
      titled(few, rows.map(function (e) { return text(m.ft, e[0], e.slice(1), m); }).join("; "));
      rows.forEach(function (e) { outline(e[0]); few.appendChild(el("use", {href: "#c-" + e[0]})); });
      g.appendChild(few);
    }
  }
  document.querySelectorAll("g[data-map]").forEach(draw);
})();
