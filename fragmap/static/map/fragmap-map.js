/* fragmap published map: styling by month/layer/measure, tooltips, legend, controls and the
   keyboard path through the data table. Inlined by fragmap.maps after Leaflet; the folium
   layers call FM.bind* for each feature and the page calls FM.start() once they exist.
   Every data string is written with textContent, never as HTML. */
var FM = (function () {
  "use strict";
  var D = null, T = null, ctx = null;
  var state = { month: null, cat: null, measure: "rate", town: "" };
  var areaLayers = [], townLabels = [];

  function data() {
    if (D === null) {
      D = JSON.parse(document.getElementById("fm-data").textContent);
      T = D.text;
      state.month = D.months[D.months.length - 1];
      state.cat = D.categories[0];
    }
    return D;
  }
  function fmt(x, dec) {
    return x.toLocaleString(D.locale, { minimumFractionDigits: dec, maximumFractionDigits: dec });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function cell(i) {
    var c = data().cells[state.month][state.cat];
    var y = c.yoy[String(i)], p = (c.n_prev || {})[String(i)];  // sparse
    return { value: c.value[i], suppressed: c.suppressed[i], yoy: y === undefined ? null : y,
             status: (c.yoyStatus || {})[String(i)] || "non_calcolabile", prev: p === undefined ? null : p };
  }
  function denominator(cat) {  // the residents the layer's rate is per 1,000 of (65+ for older people)
    var col = (D.denominator || {})[cat || state.cat];
    return col && D.areas[col] ? col : "population";
  }
  function per1000(cat) {
    var col = denominator(cat);
    return col !== "population" && T["per1000_" + col] ? T["per1000_" + col] : T.per1000;
  }
  function rate(i, v, cat) {  // the published rate as shown (fragmap.classify.shown_rate), never computed here
    var r = D.cells[state.month][cat || state.cat].rate[i];
    return r === undefined ? null : r;
  }
  function measure(i, c) {
    if (c.value === null) return null;
    return state.measure === "count" ? c.value : rate(i, c.value);
  }
  function classOf(x) {
    var k = D.classes[state.cat][state.measure];
    if (x === 0 && k.zero) return 0;
    var off = k.zero ? 1 : 0;
    for (var j = 0; j < k.upper.length; j++) { if (x <= k.upper[j] + 1e-9) return off + j; }
    return k.colours.length - 1;
  }
  function areaStyle(feature) {
    var i = feature.properties.i, c = cell(i), x = measure(i, c);
    var s = { weight: 0.8, color: "#ffffff", opacity: 1, fillOpacity: D.background ? BG_FILL_OPACITY : 0.85 };
    if (c.suppressed === 1) { s.fillColor = "url(#fm-hatch)"; }
    else if (c.suppressed === 2) { s.fillColor = "url(#fm-hatch2)"; }
    else if (x === null) { s.fillColor = "url(#fm-nodata)"; }
    else { s.fillColor = D.classes[state.cat][state.measure].colours[classOf(x)]; }
    return s;
  }
  function tip(i) {
    var c = cell(i), box = el("div");
    box.appendChild(el("strong", null, D.areas.name[i]));
    function line(text) { box.appendChild(el("div", null, text)); }
    line(D.labels[state.cat] + " · " + D.monthLabels[state.month] + " (" + T.window + ")");
    if (c.suppressed === 1) { line(T.reports + ": < " + D.threshold); }
    else if (c.suppressed === 2) { line(T.reports + ": " + T.nd); line(T.hiddenOther); }
    else if (c.value === null) { line(T.na); }
    else {
      line(T.reports + ": " + fmt(c.value, 0));
      var r = rate(i, c.value);
      if (r !== null) line(fmt(r, 1) + " " + per1000());
      if (c.prev !== null) line(T.yearBefore + ": " + fmt(c.prev, 0));
      // the change only with its status: "stabile" and "non calcolabile" never look alike
      line(T.yoy + ": " + (c.yoy !== null ? (c.yoy > 0 ? "+" : "") + fmt(c.yoy, 0) + "% · " : "") +
           (T.yoyStatus[c.status] || T.yoyStatus.non_calcolabile));
    }
    if (D.areas.estimated[i]) line(T.estimated);
    return box;
  }

  // out of the tab order in every browser (Chromium makes a path with a tooltip focusable):
  // the data table is the keyboard path, its rows highlight the areas, the legend names the rest
  function noTab(layer) {
    layer.on("add", function () {
      var e = layer.getElement();
      e.setAttribute("tabindex", "-1");
      e.setAttribute("focusable", "false");
    });
  }
  function bindArea(feature, layer) {
    var i = feature.properties.i;
    areaLayers[i] = layer;
    layer.on("add", function () {
      var e = layer.getElement();
      e.setAttribute("data-fm-area", String(i));
    });
    noTab(layer);
    layer.bindTooltip(function () { return tip(i); }, { sticky: true });
    layer.on("mouseover", function () { layer.setStyle({ weight: 2.5, color: "#000000" }); });
    layer.on("mouseout", function () { if (ctx) ctx.areas.resetStyle(layer); });
  }
  function bindTown(feature) {
    townLabels.push({ name: feature.properties.name, at: feature.properties.label });
  }
  /* ---- service markers: a shape per type as well as a colour (colours alone merge for
     protanopes and deuteranopes); drawn as the circle marker's own SVG path, so hover,
     tooltips and bounds stay Leaflet's; the legend draws the same shape ---- */
  function shapePath(shape, x, y, r) {
    function poly(pts) {
      return "M" + pts.map(function (q) { return (x + q[0]).toFixed(2) + "," + (y + q[1]).toFixed(2); }).join("L") + "Z";
    }
    var a, k, pts = [];
    switch (shape) {
      case "square": a = r * 0.9; return poly([[-a, -a], [a, -a], [a, a], [-a, a]]);
      case "diamond": a = r * 1.25; return poly([[0, -a], [a, 0], [0, a], [-a, 0]]);
      case "triangle": a = r * 1.3; return poly([[0, -a], [a * 0.95, a * 0.65], [-a * 0.95, a * 0.65]]);
      case "plus":
        a = r * 1.1; k = r * 0.4;
        return poly([[-k, -a], [k, -a], [k, -k], [a, -k], [a, k], [k, k], [k, a], [-k, a], [-k, k], [-a, k], [-a, -k], [-k, -k]]);
      case "star":
        for (k = 0; k < 10; k++) {
          a = (k % 2 ? r * 0.62 : r * 1.4);
          pts.push([a * Math.sin(k * Math.PI / 5), -a * Math.cos(k * Math.PI / 5)]);
        }
        return poly(pts);
      default:  // circle
        return "M" + (x - r) + "," + y + "a" + r + "," + r + " 0 1,0 " + 2 * r + ",0a" + r + "," + r + " 0 1,0 " + (-2 * r) + ",0Z";
    }
  }
  function shapeIcon(shape, fill) {  // the legend's swatch: the marker's shape, 16 px
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), path = document.createElementNS(NS, "path");
    svg.setAttribute("viewBox", "0 0 18 18"); svg.setAttribute("width", "18"); svg.setAttribute("height", "18");
    svg.setAttribute("class", "fm-shape"); svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    path.setAttribute("d", shapePath(shape, 9, 9, 5.5));
    path.setAttribute("fill", fill); path.setAttribute("stroke", "#222222"); path.setAttribute("stroke-width", "1.5");
    svg.appendChild(path);
    return svg;
  }
  function bindService(feature, layer) {
    var p = feature.properties, d = data(), shape = (d.serviceShapes || {})[p.t] || "circle";
    layer.setStyle({ fillColor: d.serviceColours[p.t] || "#ffffff", radius: d.serviceRadius[p.t] || 5 });
    layer.options.className = "fm-service fm-shape-" + shape;
    layer._updatePath = function () {  // this marker's shape instead of Leaflet's circle (SVG renderer)
      if (this._empty && this._empty()) { this._renderer._setPath(this, "M0 0"); return; }
      this._renderer._setPath(this, shapePath(shape, this._point.x, this._point.y, this._radius));
    };
    layer.bindTooltip(el("div", null, p.name + " (" + (d.serviceTypes[p.t] || p.t) + ")"));
    noTab(layer);
  }
  var whereFeats = [];
  function whereTotals() {
    var g = whereFeats.filter(function (q) { return q.solution !== "optimal"; });
    var o = whereFeats.filter(function (q) { return q.solution === "optimal"; });
    var known = g.length > 0 && g.every(function (q) { return q.value !== null && q.value !== undefined; });
    return { greedy: known ? g.reduce(function (a, q) { return a + q.value; }, 0) : null, nGreedy: g.length, nOptimal: o.length };
  }
  function bindWhereNext(feature, layer) {
    var p = feature.properties;
    data();
    whereFeats.push(p);
    noTab(layer);
    if (p.solution === "optimal") {
      // a small filled dot: inside a ranked site's ring when the site is in both sets
      layer.setStyle({ fillColor: "#6a1b6a", radius: 4.5, weight: 1.5 });
      layer.bindTooltip(function () {
        var box = el("div"), tot = whereTotals();
        box.appendChild(el("strong", null, T.whereOptimal.replace("{k}", String(tot.nOptimal))));
        if (p.name) box.appendChild(el("div", null, p.name));
        var known = p.value !== null && p.value !== undefined && tot.greedy !== null;
        box.appendChild(el("div", null, known ? T.whereTotals.replace("{optimal}", fmt(p.value, 0))
          .replace("{greedy}", fmt(tot.greedy, 0)).replace("{k}", String(tot.nGreedy)) : T.whereHidden));
        box.appendChild(el("div", null, T.whereNested));
        return box;
      });
      return;
    }
    var box = el("div");
    box.appendChild(el("strong", null, T.whereRank.replace("{rank}", String(p.rank))));
    if (p.name) box.appendChild(el("div", null, p.name));
    box.appendChild(el("div", null, T.whereReached + ": " + (p.value === null || p.value === undefined ? T.nd : fmt(p.value, 0))));
    layer.bindTooltip(box);
  }

  /* ---- background: roads, river, railway, parks under the areas; place names above them ----
     Two panes of their own: lines and fills under the areas' overlay pane (z 350 < 400), names
     over it (z 450) but under tooltips; neither takes the pointer, the keyboard or a screen
     reader's attention (aria-hidden: the data table is the accessible path). */
  var BG_FILL_OPACITY = 0.62;
  var BG_STYLE = {
    outline: { color: "#6b6b6b", weight: 1.2, dashArray: "5 3", fill: false },
    park: { stroke: false, fillColor: "#d7e8cb", fillOpacity: 1 },
    water: { stroke: false, fillColor: "#b9d7ee", fillOpacity: 1 },
    waterline: { color: "#8dbbe3", weight: 2.5, fill: false },
    rail: { color: "#7d7d7d", weight: 1.3, dashArray: "6 3", fill: false },
    road3: { color: "#c9c9c9", weight: 1.2, fill: false },
    road2: { color: "#b3b3b3", weight: 1.8, fill: false },
    road1: { color: "#9d9d9d", weight: 2.6, fill: false }
  };
  // the zoom from which a label is drawn: by rank, street names a step later
  function minZoom(lab) {
    var z = [0, 10, 13, 14.5][lab[2]] || 15;
    return lab[1] === "street" ? Math.max(z, 14) + (lab[2] - 2) : z;
  }
  function drawBackground(map) {
    var B = D.background;
    ["fm-bg", "fm-bglabels"].forEach(function (name, k) {
      var pane = map.createPane(name);
      pane.style.zIndex = k ? 450 : 350;
      pane.style.pointerEvents = "none";
      pane.setAttribute("aria-hidden", "true");
    });
    var renderer = L.svg({ pane: "fm-bg" });
    B.layers.forEach(function (layer) {
      var st = BG_STYLE[layer.k] || {}, o = { pane: "fm-bg", renderer: renderer, interactive: false };
      for (var key in st) o[key] = st[key];
      L.geoJSON(layer.g, { style: function () { return o; }, interactive: false, pane: "fm-bg" }).addTo(map);
    });
    var marks = B.labels.map(function (lab) {
      var span = el("span", "k-" + lab[1] + " r" + lab[2], lab[0]);
      if (lab[5]) span.style.transform = "translate(-50%, -50%) rotate(" + lab[5] + "deg)";
      var m = L.marker([lab[4], lab[3]], { pane: "fm-bglabels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "fm-bgl", iconSize: null, html: span }) });
      m.addTo(map);
      return { lab: lab, m: m };
    });
    // most important first (the order of the data): a label is shown from its zoom on,
    // unless it would overlap one already shown or a town's name
    function declutter() {
      var z = map.getZoom(), boxes = [];
      map.getContainer().classList.toggle("fm-zlow", z < 13);  // smaller names when a whole town shows
      Array.prototype.forEach.call(document.querySelectorAll(".fm-town span"), function (s) {
        boxes.push(s.getBoundingClientRect());
      });
      function free(r) {
        return !boxes.some(function (b) {
          return !(r.right + 2 < b.left || b.right + 2 < r.left || r.bottom + 1 < b.top || b.bottom + 1 < r.top);
        });
      }
      marks.forEach(function (p) {
        var e = p.m.getElement();
        if (!e) return;
        var span = e.firstChild;
        e.style.display = "";
        span.style.marginTop = "0px";
        span.style.marginLeft = "0px";
        var show = false;
        if (z >= minZoom(p.lab)) {
          // on its point, else just above, below, right or left of it (street names stay on their street)
          var shifts = p.lab[1] === "street" ? [[0, 0]] : [[0, 0], [0, -1], [0, 1], [1, 0], [-1, 0]];
          var r0 = span.getBoundingClientRect();
          for (var j = 0; j < shifts.length && !show; j++) {
            var dx = shifts[j][0] * (r0.width / 2 + 6), dy = shifts[j][1] * (r0.height + 2);
            var r = { left: r0.left + dx, right: r0.right + dx, top: r0.top + dy, bottom: r0.bottom + dy };
            if (free(r)) {
              show = true; boxes.push(r);
              span.style.marginTop = dy + "px"; span.style.marginLeft = dx + "px";
            }
          }
        }
        if (!show) e.style.display = "none";
      });
    }
    map.on("zoomend", declutter);
    B.attribution.forEach(function (a) {
      map.attributionControl.addAttribution(el("div", null, a).innerHTML);  // plain text: Leaflet reads HTML
    });
    return declutter;
  }

  /* ---- legend ---- */
  function legendRow(parent, swatchClass, colour, text) {
    var row = el("div"), sw = el("span", "sw " + (swatchClass || ""));
    if (colour) sw.style.background = colour;
    if (D.background && (swatchClass === "" || swatchClass === "hatch" || swatchClass === "hatch2")) sw.style.opacity = BG_FILL_OPACITY;
    sw.setAttribute("aria-hidden", "true");
    row.appendChild(sw); row.appendChild(document.createTextNode(text));
    parent.appendChild(row);
    return sw;
  }
  function buildLegend(body) {
    body.textContent = "";
    body.appendChild(el("h2", null, D.labels[state.cat] + " · " + (state.measure === "rate" ? per1000() : T.reports)));
    body.appendChild(el("div", null, D.monthLabels[state.month] + " (" + T.window + ")"));
    var k = D.classes[state.cat][state.measure];
    for (var j = 0; j < k.colours.length; j++) legendRow(body, "", k.colours[j], k.labels[j]);
    legendRow(body, "hatch", D.patterns.primary.css, T.legendPrimary);
    legendRow(body, "hatch2", D.patterns.protective.css, T.legendOther);
    legendRow(body, "", D.patterns.missing.css, T.na);
    if (ctx.services && ctx.map.hasLayer(ctx.services)) {
      body.appendChild(el("h3", null, T.services));
      D.serviceOrder.forEach(function (t) {
        var row = el("div", "fm-service-row");
        row.setAttribute("data-fm-shape", (D.serviceShapes || {})[t] || "circle");
        row.appendChild(shapeIcon((D.serviceShapes || {})[t] || "circle", D.serviceColours[t]));
        row.appendChild(document.createTextNode(D.serviceTypes[t]));
        body.appendChild(row);
      });
    }
    if (ctx.iso && ctx.map.hasLayer(ctx.iso)) {
      body.appendChild(el("h3", null, T.isochrones));
      D.isoBands.forEach(function (b) {
        var sw = legendRow(body, "line", null, b.label);
        sw.style.borderTopStyle = b.line;
        sw.style.borderTopWidth = b.weight + "px";
      });
    }
    if (ctx.whereNext && ctx.map.hasLayer(ctx.whereNext)) {
      body.appendChild(el("h3", null, T.whereNext));
      var sw = legendRow(body, "dot", "#ffffff", T.whereLegend);
      sw.style.borderColor = "#6a1b6a"; sw.style.borderWidth = "3px";
      if (whereTotals().nOptimal) {
        legendRow(body, "dot", "#6a1b6a", T.whereOptimalLegend).style.borderColor = "#6a1b6a";
        body.appendChild(el("div", "note", T.whereNested));
      }
    }
    body.appendChild(el("div", "src", T.sourcesShort));
  }
  function makeLegend(map) {
    // built once: setPosition() re-adds the control, and must get the same filled box back
    var control = L.control({ position: "bottomright" });
    var div = L.DomUtil.create("div", "fm-legend");
    var btn = el("button", "fm-legend-toggle", T.legend);
    btn.type = "button";
    btn.setAttribute("aria-controls", "fm-legend-body");
    var body = el("div", "fm-legend-body");
    body.id = "fm-legend-body";
    btn.setAttribute("aria-expanded", map.getSize().x >= 600 ? "true" : "false");
    btn.addEventListener("click", function () {
      var now = btn.getAttribute("aria-expanded") !== "true";
      btn.setAttribute("aria-expanded", now ? "true" : "false");
      div.classList.toggle("fm-user-open", now);
    });
    div.appendChild(btn); div.appendChild(body);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    control.onAdd = function () { return div; };
    control.update = function () {
      buildLegend(body);
      body.style.maxHeight = Math.max(map.getSize().y - 70, 120) + "px";
    };
    return control;
  }

  /* ---- view: fit both towns clear of the zoom buttons, town labels and legend ---- */
  function legendRect(map, div) {
    var m = map.getContainer().getBoundingClientRect(), r = div.getBoundingClientRect();
    return L.bounds(L.point(r.left - m.left - 4, r.top - m.top - 4), L.point(r.right - m.left + 4, r.bottom - m.top + 4));
  }
  function covered(map, rect, layers) {
    var n = 0;
    layers.forEach(function (layer) {
      var b = layer.getBounds();
      var px = L.bounds(map.latLngToContainerPoint(b.getNorthWest()), map.latLngToContainerPoint(b.getSouthEast()));
      if (px.intersects(rect)) n += 1;
    });
    return n;
  }
  function fit(map, bounds, legend, layers) {
    // clear of the buttons: beside them (a tall frame wastes its width so), or below them
    // when that zooms closer (a wide town in a phone's narrow frame)
    var tl = L.point(52, 28), edge = L.point(10, 10), below = L.point(10, 122);
    if (map.getBoundsZoom(bounds, false, below.add(edge)) > map.getBoundsZoom(bounds, false, tl.add(edge))) tl = below;
    map.fitBounds(bounds, { paddingTopLeft: tl, paddingBottomRight: edge, animate: false });
    // put the legend in the corner where it covers fewest areas ...
    var best = null;
    ["bottomright", "topright"].forEach(function (pos) {
      legend.setPosition(pos);
      var n = covered(map, legendRect(map, legend.getContainer()), layers);
      if (best === null || n < best.n) best = { pos: pos, n: n };
    });
    legend.setPosition(best.pos);
    if (best.n === 0) return;
    // ... and if it still covers some, keep them clear of it (beside or above/below, whichever zooms closer)
    var div = legend.getContainer(), w = div.offsetWidth + 14, h = div.offsetHeight + 14, size = map.getSize();
    var top = best.pos === "topright";
    var side = { tl: tl, br: L.point(w, 10) };
    var across = top ? { tl: L.point(tl.x, Math.max(tl.y, h)), br: edge } : { tl: tl, br: L.point(10, h) };
    var zSide = map.getBoundsZoom(bounds, false, side.tl.add(side.br));
    var zAcross = map.getBoundsZoom(bounds, false, across.tl.add(across.br));
    var pad = (zSide >= zAcross && size.x - w > 120) ? side : across;
    map.fitBounds(bounds, { paddingTopLeft: pad.tl, paddingBottomRight: pad.br, animate: false });
  }

  /* ---- view controls: zoom buttons in the page's language, "reset view", a polite wheel ---- */
  function viewControls(map, home) {
    L.control.zoom({ position: "topleft", zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
    var reset = L.control({ position: "topleft" });
    reset.onAdd = function () {
      var bar = L.DomUtil.create("div", "leaflet-bar fm-reset");
      var b = el("button", null, "\u2302");
      b.type = "button";
      b.title = T.resetView;
      b.setAttribute("aria-label", T.resetView);
      b.addEventListener("click", function () { map.setView(home.center, home.zoom, { animate: false }); });
      bar.appendChild(b);
      L.DomEvent.disableClickPropagation(bar);
      return bar;
    };
    reset.addTo(map);
    // the wheel scrolls the host page until the reader chooses the map (a click, the keyboard
    // focus), and zooms at once with ctrl/cmd held; leaving the map gives the wheel back
    var box = map.getContainer();
    map.scrollWheelZoom.disable();
    function on() { map.scrollWheelZoom.enable(); box.classList.add("fm-wheel"); }
    function off() { map.scrollWheelZoom.disable(); box.classList.remove("fm-wheel"); }
    map.on("click", on);
    map.on("focus", on);
    map.on("blur", off);
    box.addEventListener("mouseleave", function () { if (document.activeElement !== box) off(); });
    box.addEventListener("wheel", function (e) {
      if (map.scrollWheelZoom.enabled() || !(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      map.setZoomAround(map.mouseEventToContainerPoint(e), map.getZoom() + (e.deltaY < 0 ? 1 : -1));
    }, { passive: false });
  }

  function start(o) {
    data();
    ctx = o;
    var map = o.map;
    map.attributionControl.setPrefix(false);
    // on a phone (or a small frame) the options fold into one line, the map takes the rest
    var options = document.getElementById("fm-options");
    if (options && (window.innerWidth < 600 || window.innerHeight < 500)) {
      document.documentElement.classList.add("fm-narrow");
      options.open = false;
      map.invalidateSize({ animate: false });
    }
    if (options) options.addEventListener("toggle", function () { map.invalidateSize({ animate: false }); });
    try { if (window.self !== window.top) document.documentElement.classList.add("fm-embedded"); }
    catch (e) { document.documentElement.classList.add("fm-embedded"); }
    // hatch patterns for hidden counts, in the SVG the areas are drawn in
    var svg = document.querySelector("#fm-map .leaflet-overlay-pane svg");
    if (svg) {
      var NS = "http://www.w3.org/2000/svg", defs = document.createElementNS(NS, "defs");
      // fragmap.classify.PATTERNS, written by the library (no data string in them)
      defs.innerHTML = D.patterns.primary.svg + D.patterns.protective.svg + D.patterns.missing.svg;
      svg.insertBefore(defs, svg.firstChild);
    }
    // town names: small text labels (non-interactive divIcons) on the north edge of each comune
    if (townLabels.length) {
      L.layerGroup(townLabels.map(function (t) {
        return L.marker([t.at[1], t.at[0]], { interactive: false, keyboard: false,
          icon: L.divIcon({ className: "fm-town", iconSize: null, html: el("span", null, t.name) }) });
      })).addTo(map);
    }
    var declutter = D.background ? drawBackground(map) : null;
    var legend = makeLegend(map);
    legend.addTo(map);
    legend.update();
    state.town = townFromUrl();
    var view = townView(o, state.town), bounds = view.bounds, shapes = view.shapes;
    fit(map, bounds, legend, shapes);
    // bounded to the towns: a few steps out from the fitted view at most, panning near them only
    var home = {};
    function setHome() {
      home.center = map.getCenter(); home.zoom = map.getZoom();
      map.setMinZoom(Math.max(Math.floor(home.zoom) - 2, 0));
      map.setMaxBounds(map.getBounds().pad(0.5));  // the fitted view (towns, legend margin) and some
    }
    map.options.maxBoundsViscosity = 1.0;
    setHome();
    viewControls(map, home);
    if (declutter) declutter();
    // print: the map box changes size (A4), so lay the view out again, and back after printing
    function relayout() {
      map.setMaxBounds(null);
      map.setMinZoom(0);
      map.invalidateSize({ animate: false });
      fit(map, bounds, legend, shapes);
      setHome();
      if (declutter) declutter();
    }
    // the town view (and all towns): the view, its bounds and "reset view" follow it, the
    // table lists its areas, the URL remembers it so the website can embed one town
    function chooseTown(slug, said) {
      state.town = slug;
      view = townView(o, slug); bounds = view.bounds; shapes = view.shapes;
      relayout();
      rememberTown(slug);
      Array.prototype.forEach.call(document.querySelectorAll("input[name=fm-town]"), function (r) {
        r.checked = r.value === slug;
      });
      refresh(said);
    }
    Array.prototype.forEach.call(document.querySelectorAll("input[name=fm-town]"), function (r) {
      r.checked = r.value === state.town;
      r.addEventListener("change", function (e) { if (e.target.checked) chooseTown(e.target.value, true); });
    });
    window.addEventListener("hashchange", function () {
      var slug = townFromUrl();
      if (slug !== state.town) chooseTown(slug, true);
    });
    window.addEventListener("beforeprint", relayout);
    window.addEventListener("afterprint", relayout);
    if (window.matchMedia) {
      var mq = window.matchMedia("print");
      if (mq.addEventListener) mq.addEventListener("change", relayout);
    }

    var mapDiv = document.getElementById("fm-map");
    function refresh(said) {
      o.areas.setStyle(areaStyle);
      legend.update();
      updateTable();
      var st = document.getElementById("fm-options-state");
      if (st) st.textContent = (state.town ? townOf(state.town).name + " · " : "") + D.labels[state.cat] + " · " + D.monthLabels[state.month] + " · " +
        (state.measure === "rate" ? per1000() : T.countName);
      if (said) announce();
      mapDiv.setAttribute("data-state", state.month + "|" + state.cat + "|" + state.measure);
    }
    document.getElementById("fm-month").addEventListener("change", function (e) { state.month = e.target.value; refresh(true); });
    function radios(name, key) {
      Array.prototype.forEach.call(document.querySelectorAll("input[name=" + name + "]"), function (r) {
        r.addEventListener("change", function (e) { state[key] = e.target.value; refresh(true); });
      });
    }
    radios("fm-cat", "cat");
    radios("fm-measure", "measure");
    // white casings under the walking-distance lines and halos around the proposed sites: they
    // stay visible on the darkest classes (where the help desks are), drawn with their layer
    var casing = { "fm-iso": null, "fm-where": null };
    if (o.iso) {
      casing["fm-iso"] = L.geoJSON(o.iso.toGeoJSON(), { interactive: false, style: function (f) {
        var w = (f.properties.style || {}).weight || 2;
        return { color: "#ffffff", weight: w + 3, opacity: 0.9, fill: false, className: "fm-casing" };
      } });
    }
    if (o.whereNext) {
      casing["fm-where"] = L.layerGroup(o.whereNext.getLayers().map(function (m) {
        return L.circleMarker(m.getLatLng(), { radius: m.options.radius || 8, weight: 8, color: "#ffffff",
          opacity: 0.95, fill: false, interactive: false, className: "fm-casing" });
      }));
    }
    [["fm-services", o.services], ["fm-iso", o.iso], ["fm-where", o.whereNext]].forEach(function (p) {
      var box = document.getElementById(p[0]), layer = p[1], under = casing[p[0]];
      if (!box || !layer) return;
      box.addEventListener("change", function () {
        if (box.checked) {
          if (under) map.addLayer(under);
          map.addLayer(layer);
          if (under) layer.bringToFront();
        } else {
          map.removeLayer(layer);
          if (under) map.removeLayer(under);
        }
        // points over lines: the services, then the proposed sites (with their halos), on top
        if (o.services && map.hasLayer(o.services)) o.services.bringToFront();
        if (o.whereNext && map.hasLayer(o.whereNext)) { casing["fm-where"].eachLayer(function (c) { c.bringToFront(); }); o.whereNext.bringToFront(); }
        legend.update();
      });
    });
    // keyboard path: a focused (or hovered) table row highlights its area and shows its figures
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-fm-area]"), function (row) {
      var layer = areaLayers[Number(row.getAttribute("data-fm-area"))];
      if (!layer) return;
      function on(e) {
        row.classList.add("fm-active");
        layer.setStyle({ weight: 3, color: "#000000" });
        layer.bringToFront();
        // from the keyboard, bring the area into view first, so its highlight and figures are seen
        if (e && e.type === "focus") map.panInside(layer.getCenter(), { padding: [80, 80], animate: false });
        layer.openTooltip(layer.getCenter());
      }
      function off() {
        row.classList.remove("fm-active");
        o.areas.resetStyle(layer);
        layer.closeTooltip();
      }
      row.addEventListener("focus", on); row.addEventListener("blur", off);
      row.addEventListener("mouseenter", on); row.addEventListener("mouseleave", off);
    });
    refresh();
  }

  /* ---- a view per town (and all of them), remembered in the URL: mappa.html#comune=vigevano ---- */
  function townOf(slug) {
    var ts = data().towns || [];
    for (var k = 0; k < ts.length; k++) { if (ts[k].slug === slug) return { name: ts[k].name, index: k }; }
    return null;
  }
  // "#comune=vigevano" (or "?comune=vigevano"); an unknown or missing town is the whole view
  function townFromUrl() {
    var re = new RegExp("(?:^|[#?&])" + D.townParam + "=([^&#]*)"), m = null;
    try { m = re.exec(window.location.hash) || re.exec(window.location.search); } catch (e) { m = null; }
    var slug = "";
    if (m) { try { slug = decodeURIComponent(m[1]).toLowerCase(); } catch (e) { slug = ""; } }
    return townOf(slug) ? slug : "";
  }
  function rememberTown(slug) {
    var url = window.location.pathname + window.location.search + (slug ? "#" + D.townParam + "=" + slug : "");
    try { window.history.replaceState(null, "", url); }
    catch (e) { if (slug) window.location.hash = D.townParam + "=" + slug; }
  }
  // the bounds and shapes a view fits: the town's areas and outline, or every area and outline
  function townView(o, slug) {
    var t = slug ? townOf(slug) : null, shapes = [], bounds = L.latLngBounds([]);
    o.areas.getLayers().forEach(function (layer) {
      if (!t || D.areas.town[layer.feature.properties.i] === t.index) shapes.push(layer);
    });
    if (o.towns) o.towns.getLayers().forEach(function (layer) {
      if (!t || layer.feature.properties.name === t.name) shapes.push(layer);
    });
    if (!shapes.length) return townView(o, "");
    shapes.forEach(function (layer) { bounds.extend(layer.getBounds()); });
    return { bounds: bounds, shapes: shapes };
  }
  function inTown(i) {
    var t = state.town ? townOf(state.town) : null;
    return !t || D.areas.town[i] === t.index;
  }

  /* ---- the data table follows month and measure, marks the layer, and says so politely ---- */
  function tableCell(i, cat) {
    var c = D.cells[state.month][cat];
    var v = c.value[i], h = c.suppressed[i];
    if (h === 1) return { text: "< " + D.threshold, title: null };
    if (h === 2) return { text: T.nd, title: T.hiddenOther };
    if (v === null) return { text: T.nd, title: T.na };
    if (state.measure === "count") return { text: fmt(v, 0), title: null };
    var r = rate(i, v, cat);
    return r === null ? { text: T.nd, title: T.na } : { text: fmt(r, 1), title: null };
  }
  function updateTable() {
    var month = D.monthLabels[state.month];
    var cap = T.captions[state.measure].replace("{month}", month);
    if (state.measure === "rate") {
      D.categories.forEach(function (c) {
        if (denominator(c) !== "population") cap += " · " + D.labels[c] + ": " + per1000(c);
      });
    }
    if (state.town) cap += " · " + townOf(state.town).name;
    document.getElementById("fm-caption").textContent = cap;
    Array.prototype.forEach.call(document.querySelectorAll("th[data-fm-col]"), function (th) {
      th.classList.toggle("fm-col-active", th.getAttribute("data-fm-col") === state.cat);
    });
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-fm-area]"), function (row) {
      var i = Number(row.getAttribute("data-fm-area")), tds = row.querySelectorAll("td");
      row.hidden = !inTown(i);
      D.categories.forEach(function (cat, k) {
        var td = tds[k], x = tableCell(i, cat);
        if (!td) return;
        td.textContent = x.text;
        if (x.title) td.title = x.title; else td.removeAttribute("title");
        td.classList.toggle("fm-col-active", cat === state.cat);
      });
      var last = tds[D.categories.length], tot = D.cells[state.month][D.categories[0]];
      if (last) {  // the total per 1,000 residents, of the month shown
        var r = tot.suppressed[i] || tot.value[i] === null ? null : rate(i, tot.value[i], D.categories[0]);
        last.textContent = r === null ? T.nd : fmt(r, 1);
      }
    });
    var sum = document.getElementById("fm-summary");
    if (sum && T.summaries[state.month]) sum.textContent = T.summaries[state.month];
  }
  function announce() {
    var live = document.getElementById("fm-live");
    if (!live) return;
    live.textContent = (state.town ? townOf(state.town).name + ": " : "") + T.announce.replace("{layer}", D.labels[state.cat]).replace("{month}", D.monthLabels[state.month])
      .replace("{measure}", state.measure === "rate" ? per1000() : T.countName);
  }

  return { areaStyle: areaStyle, bindArea: bindArea, bindTown: bindTown, bindService: bindService,
           bindWhereNext: bindWhereNext, start: start };
})();
