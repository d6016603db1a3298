/* zenrun viewer, browser side: focus after layout, search and state filter,
 * lineage highlight, zoom buttons, minimap, and live patches applied to the
 * drawn graph (so a refresh never re-runs the layout or moves the view). */
(function () {
  "use strict";
  const TRANSIENT = ["match", "dimmed", "faded", "lineage"];
  const state = window.zenrunViewer = window.zenrunViewer || {search: "", filter: [], layout: null, bb: null};

  function getCy() {
    const root = document.getElementById("lineage");
    if (!root) { return null; }
    if (window.cy && window.cy.container && window.cy.container() === root) { return window.cy; }
    const holder = [root, ...root.querySelectorAll("*")].find(el => el._cyreg && el._cyreg.cy);
    return holder ? holder._cyreg.cy : null;
  }

  function focusNode(cy, id) {
    if (!id) { return; }
    const node = cy.$id(id);
    if (!node.length) { return; }
    cy.$(":selected").unselect();
    node.select();
    if (cy.zoom() < 1) { cy.zoom(1); }
    cy.center(node);
  }

  function applySearch(cy, centre) {
    const text = (state.search || "").trim().toLowerCase();
    const wanted = [].concat(...(state.filter || []).map(v => v.split(",")));
    let matches = cy.collection();
    cy.batch(() => {
      cy.elements(".match, .dimmed").removeClass("match dimmed");
      if (text) {
        matches = cy.nodes().filter(n => ((n.data("search") || "") + " " + (n.data("label") || ""))
          .toLowerCase().includes(text));
        matches.addClass("match");
      }
      if (wanted.length) {
        // "states": the node's states, space-separated (a string: an array would be a new
        // object in every drawing, and the graph component would update every node).
        const states = n => (n.data("states") || "").split(" ").filter(Boolean);
        const steps = cy.nodes().filter(n => states(n).some(s => wanted.includes(s)));
        const kept = steps.union(steps.outgoers("node").filter(n => !states(n).length));
        cy.elements().difference(kept).difference(kept.edgesWith(kept))
          .filter(e => !(e.isNode() && e.hasClass("group-box"))).addClass("dimmed");
        if (!text) { matches = steps; }
      }
    });
    if (centre && matches.length) {
      cy.fit(matches, 80);
      if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(matches); }
    }
    return matches.length;
  }

  function highlight(cy, node) {
    let lineage = node.predecessors().union(node.successors()).union(node);
    // A member of a big group: its group's box stands for it in the graph (see lineage.py).
    const box = node.data("box") ? cy.$id(node.data("box")) : cy.collection();
    if (box.connectedEdges().length) { lineage = lineage.union(box.predecessors()).union(box.successors()).union(box); }
    cy.batch(() => {
      cy.elements().removeClass("lineage").addClass("faded");
      lineage.removeClass("faded").addClass("lineage");
      // The box of an expanded group holding a node of the lineage stays opaque.
      const boxes = new Set(lineage.map(n => n.data("box")).filter(Boolean));
      cy.nodes(".group-box").filter(b => boxes.has(b.id())).removeClass("faded");
    });
  }

  // The minimap draws node positions on a small canvas: cy.png() of a graph of
  // thousands of nodes takes seconds, this takes milliseconds.
  function updateMinimap(cy) {
    const box = document.getElementById("minimap");
    if (!box) { return; }
    const nodes = cy.nodes().filter(n => !n.hasClass("group-box") && !n.hasClass("bend"));
    if (nodes.length < 40) { box.style.display = "none"; state.bb = null; return; }
    box.style.display = "block";
    const canvas = box.querySelector("canvas");
    const bb = state.bb = nodes.boundingBox({includeLabels: false});
    const scale = state.mmScale = Math.min(220 / (bb.w || 1), 140 / (bb.h || 1));
    canvas.width = Math.max(24, Math.ceil(bb.w * scale));
    canvas.height = Math.max(24, Math.ceil(bb.h * scale));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = theme() === "dark" ? "#16181d" : "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const colours = {};  // n.style() per node takes long on thousands: once per look
    nodes.forEach(n => {
      const p = n.position();
      const size = n.hasClass("group") ? 6 : 3;
      const look = n.data("kind") + ":" + n.data("state");
      ctx.fillStyle = colours[look] || (colours[look] = n.style("background-color"));
      ctx.fillRect((p.x - bb.x1) * scale - size / 2, (p.y - bb.y1) * scale - size / 2, size, size);
    });
    updateRect(cy);
  }

  function updateRect(cy) {
    const box = document.getElementById("minimap");
    const bb = state.bb;
    if (!box || !bb || box.style.display === "none") { return; }
    const canvas = box.querySelector("canvas");
    const rect = box.querySelector(".viewport");
    const scale = state.mmScale;
    const ext = cy.extent();
    const left = Math.max(0, (ext.x1 - bb.x1) * scale), top = Math.max(0, (ext.y1 - bb.y1) * scale);
    rect.style.left = left + "px";
    rect.style.top = top + "px";
    rect.style.width = Math.max(2, Math.min(canvas.width - left, (ext.x2 - Math.max(ext.x1, bb.x1)) * scale)) + "px";
    rect.style.height = Math.max(2, Math.min(canvas.height - top, (ext.y2 - Math.max(ext.y1, bb.y1)) * scale)) + "px";
  }

  // An expanded group's box around its members (once they are placed by a layout).
  function fitBoxes(cy) {
    cy.batch(() => cy.nodes(".group-box").forEach(box => {
      const members = cy.nodes().filter(n => n.data("box") === box.id());
      if (!members.length) { return; }
      const bb = members.boundingBox({includeLabels: true});
      box.data({w: bb.w + 24, h: bb.h + 24});
      box.position({x: (bb.x1 + bb.x2) / 2, y: (bb.y1 + bb.y2) / 2});
    }));
  }

  // Where each group node and each expanded group's box is: an expanded group's members, or
  // a collapsed group, are placed there, and nothing else moves.
  function notePlaces(cy) {
    const places = state.places = state.places || {};
    cy.nodes(".group").forEach(n => { places[n.id()] = Object.assign({}, n.position()); });
    cy.nodes(".group-box").forEach(n => {
      if (places[n.data("group")]) { return; }  // where it was drawn collapsed: it goes back there
      const bb = n.boundingBox({includeLabels: false});
      places[n.data("group")] = {x: (bb.x1 + bb.x2) / 2, y: bb.y1 + 40, top: true};
    });
  }

  // Members in a grid (a step, its outputs to its right) below the group's place; moved
  // below the whole graph when that grid would cover other nodes.
  function placeGroup(cy, options) {
    const expand = options.zenrunExpand, collapse = options.zenrunCollapse;
    const places = state.places || {};
    cy.batch(() => {
      if (collapse) {
        const at = places[collapse] || {x: 0, y: 0};
        const group = cy.$id(collapse);
        group.position({x: at.x, y: at.y});
        group.outgoers("node.artifact").forEach((a, k) => a.position({x: at.x + 70, y: at.y + 30 * k}));
        return;
      }
      const box = cy.$id("box:" + expand);
      const inBox = n => n.data("box") === box.id();
      const members = cy.nodes(".step").filter(inBox);
      if (!members.length) { return; }
      const at = places[expand] || {x: 0, y: 0};
      const outputs = members.map(m => m.outgoers("node").filter(inBox));
      const rows = Math.max(1, ...outputs.map(o => o.length));
      const cellW = 150, cellH = Math.max(56, 26 * rows + 20);
      const cols = Math.max(1, Math.ceil(Math.sqrt(members.length * cellH / cellW)));
      const width = cols * cellW, height = Math.ceil(members.length / cols) * cellH;
      let left = at.x - width / 2, top = at.top ? at.y : at.y - cellH / 2;
      const inside = cy.nodes().filter(n => !n.hasClass("group-box") && !inBox(n) && (() => {
        const p = n.position();
        return p.x > left - 40 && p.x < left + width + 40 && p.y > top - 40 && p.y < top + height + 40;
      })());
      if (inside.length) {
        const bb = cy.nodes().filter(n => !n.same(box) && !inBox(n)).boundingBox({includeLabels: true});
        top = bb.y2 + 80;
      }
      members.forEach((m, k) => {
        const x = left + (k % cols) * cellW + 20, y = top + Math.floor(k / cols) * cellH + 20;
        m.position({x: x, y: y});
        outputs[k].forEach((a, j) => a.position({x: x + 60, y: y + 26 * j}));
      });
      // Anything else new (outputs drawn for the first time) next to what feeds it.
      cy.nodes().filter(n => !n.hasClass("group-box") && n.position("x") === 0 && n.position("y") === 0 &&
        !inBox(n)).forEach(n => {
        const from = n.incomers("node")[0];
        if (from) { n.position({x: from.position("x") + 60, y: from.position("y")}); }
      });
    });
  }

  // Where the new elements of an expansion or a collapse go, computed before they are added
  // (placeGroup's rules, on their JSON): nothing is moved once drawn, nothing else moves.
  function newPositions(cy, data) {
    const places = state.places || {};
    const pos = {};
    const nodes = data.add.filter(e => !("source" in e.data));
    const edges = data.add.filter(e => "source" in e.data);
    const isNew = new Set(nodes.map(n => n.data.id));
    const removed = new Set(data.remove);
    const at0 = places[data.zenrunExpand || data.zenrunCollapse] || {x: 0, y: 0};
    if (data.zenrunCollapse) {
      pos[data.zenrunCollapse] = {x: at0.x, y: at0.y};
      let k = 0;
      edges.forEach(e => {
        const t = e.data.target;
        if (e.data.source === data.zenrunCollapse && isNew.has(t) && !pos[t]) {
          pos[t] = {x: at0.x + 70, y: at0.y + 30 * k++};
        }
      });
    } else {
      const boxId = "box:" + data.zenrunExpand;
      const inBox = new Set(nodes.filter(n => n.data.box === boxId).map(n => n.data.id));
      const members = nodes.filter(n => n.data.box === boxId && n.data.kind === "step").map(n => n.data.id);
      const memberSet = new Set(members);
      const outs = {};
      edges.forEach(e => {
        const d = e.data;
        if (memberSet.has(d.source) && inBox.has(d.target) && !memberSet.has(d.target)) {
          (outs[d.source] = outs[d.source] || []).push(d.target);
        }
      });
      const rows = Math.max(1, ...members.map(m => (outs[m] || []).length));
      const cellW = 150, cellH = Math.max(56, 26 * rows + 20);
      const cols = Math.max(1, Math.ceil(Math.sqrt(members.length * cellH / cellW)));
      const width = cols * cellW, height = Math.ceil(members.length / cols) * cellH;
      const left = at0.x - width / 2;
      let top = at0.top ? at0.y : at0.y - cellH / 2;
      const others = cy.nodes().filter(n => !n.hasClass("group-box") && !removed.has(n.id()));
      const inside = others.some(n => {
        const p = n.position();
        return p.x > left - 40 && p.x < left + width + 40 && p.y > top - 40 && p.y < top + height + 40;
      });
      if (inside) { top = others.boundingBox({includeLabels: true}).y2 + 80; }
      members.forEach((m, k) => {
        const x = left + (k % cols) * cellW + 20, y = top + Math.floor(k / cols) * cellH + 20;
        pos[m] = {x: x, y: y};
        (outs[m] || []).forEach((a, j) => { pos[a] = {x: x + 60, y: y + 26 * j}; });
      });
      // The box: the members' grid, drawn under them.
      const box = nodes.find(n => n.data.id === boxId);
      if (box) {
        box.data.w = width;
        box.data.h = Math.ceil(members.length / cols) * cellH;
        pos[boxId] = {x: left + width / 2, y: top + box.data.h / 2};
      }
    }
    // Anything else new (outputs drawn for the first time) next to what feeds it.
    nodes.forEach(n => {
      const id = n.data.id;
      if (pos[id] || n.data.kind === "group-box") { return; }
      const from = edges.find(e => e.data.target === id);
      const p = from && (pos[from.data.source] || (cy.$id(from.data.source).length && cy.$id(from.data.source).position()));
      pos[id] = p ? {x: p.x + 60, y: p.y} : {x: at0.x, y: at0.y};
    });
    return pos;
  }

  function afterLayout(cy, options) {
    const t0 = performance.now();
    if (options && (options.zenrunExpand || options.zenrunCollapse) && state.placed !== options.zenrunNonce) {
      placeGroup(cy, options);
    }
    if (state.placed !== (options && options.zenrunNonce)) { fitBoxes(cy); }
    notePlaces(cy);
    // The container may have moved or changed size while the page settled (fonts, the
    // run picker, scroll bars): measure it again, or the first click misses its node.
    cy.resize();
    requestAnimationFrame(() => cy.resize());
    cy.batch(() => cy.elements(".faded, .lineage").removeClass("faded lineage"));
    applySearch(cy, false);
    if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(); }
    focusNode(cy, options && options.zenrunFocus);
    updateMinimap(cy);
    state.afterLayoutMs = performance.now() - t0;  // the benchmark reads these
    state.drawnAt = performance.now();  // since navigation start
    state.laidOut = options && options.zenrunNonce;
    // The frame that paints the graph, then what waited for it (the sidebar tree).
    requestAnimationFrame(() => setTimeout(() => {
      state.paintedAt = performance.now();  // (the benchmark reads it)
      const set = window.dash_clientside && window.dash_clientside.set_props;
      if (!state.treeAsked && set) { state.treeAsked = true; set("graph-drawn", {data: Date.now()}); }
    }, 0));
  }

  // Cytoscape maps a click through the container's position measured earlier; the page
  // may have moved the graph since (a panel opening above it): measure again first.
  function keepPosition(cy) {
    let last = null;
    const measure = () => {
      const r = cy.container().getBoundingClientRect();
      if (!last || r.left !== last.left || r.top !== last.top || r.width !== last.width || r.height !== last.height) {
        last = r;
        cy.resize();
      }
    };
    ["mousedown", "touchstart", "wheel"].forEach(type => cy.container().addEventListener(type, measure, true));
  }

  // -- keyboard: Tab reaches the graph, arrows walk its edges, Enter opens, Escape closes --
  const visible = n => n.visible() && !n.hasClass("group-box") && !n.hasClass("bend") && !n.hasClass("dimmed");

  // Neighbours across the invisible bend nodes that carry long edges.
  function across(node, step) {
    let found = node.cy().collection();
    let frontier = node;
    for (let hops = 0; hops < 50 && frontier.length; hops++) {
      const next = step(frontier);
      found = found.union(next.filter(visible));
      frontier = next.filter(n => n.hasClass("bend"));
    }
    return found;
  }

  function nearest(nodes, y) {
    return nodes.sort((a, b) => Math.abs(a.position("y") - y) - Math.abs(b.position("y") - y))[0];
  }

  // A member of an expanded big group, drawn without edges (its box has them, see lineage.py).
  const boxed = n => Boolean(n.data("box")) && !n.connectedEdges().length;

  // A big group's members in reading order: by row of its grid, then left to right.
  function groupOrder(cy, box) {
    return cy.nodes().filter(n => n.data("box") === box.id() && boxed(n) && visible(n))
      .sort((a, b) => a.position("y") - b.position("y") || a.position("x") - b.position("x"));
  }

  // Arrows inside a big group: left and right to the previous and next member (past the ends:
  // what the group reads, what reads it), up and down to the member above or below.
  function inGroup(cy, current, key) {
    const box = cy.$id(current.data("box"));
    const members = groupOrder(cy, box);
    const k = members.toArray().findIndex(n => n.same(current));
    const {x, y} = current.position();
    if (key === "ArrowRight" || key === "ArrowLeft") {
      const right = key === "ArrowRight";
      const next = members[right ? k + 1 : k - 1];
      if (next) { return next; }
      return nearest(across(box, right ? c => c.outgoers("node") : c => c.incomers("node")), y);
    }
    const side = members.filter(n => key === "ArrowDown" ? n.position("y") > y : n.position("y") < y);
    if (!side.length) { return null; }
    const row = nearest(side, y).position("y");
    return side.filter(n => n.position("y") === row)
      .sort((a, b) => Math.abs(a.position("x") - x) - Math.abs(b.position("x") - x))[0];
  }

  function moveTo(cy, node) {
    if (!node) { return; }
    cy.$(":selected").unselect();
    node.select();
    const p = node.renderedPosition();
    if (p.x < 20 || p.y < 20 || p.x > cy.width() - 20 || p.y > cy.height() - 20) { cy.center(node); }
    state.cursor = node.id();
  }

  function onKey(cy, ev) {
    const current = cy.$(":selected").filter(visible)[0] || (state.cursor && cy.$id(state.cursor).filter(visible)[0]);
    const key = ev.key;
    if (key === "Escape") {
      cy.$(":selected").unselect();
      cy.batch(() => cy.elements(".faded, .lineage").removeClass("faded lineage"));
      const set = window.dash_clientside && window.dash_clientside.set_props;
      if (set) {
        set("selected", {data: null});
        const run = new URLSearchParams(window.location.search).get("run");
        set("url", {search: run ? "?run=" + encodeURIComponent(run) : ""});
      }
    } else if (key === "Enter" || key === " ") {
      if (current) { current.emit("tap"); }
    } else if (key.startsWith("Arrow")) {
      if (!current) {  // start at the first node upstream of all, top left
        const roots = cy.nodes().filter(n => visible(n) && !across(n, c => c.incomers("node")).length);
        moveTo(cy, roots.sort((a, b) => a.position("x") - b.position("x") || a.position("y") - b.position("y"))[0]);
      } else if (boxed(current)) {
        moveTo(cy, inGroup(cy, current, key));
      } else if (key === "ArrowRight" || key === "ArrowLeft") {
        const right = key === "ArrowRight";
        let next = across(current, right ? c => c.outgoers("node") : c => c.incomers("node"));
        // An expanded big group's box: into its first member (from upstream) or its last.
        (right ? current.outgoers("node") : current.incomers("node")).filter(".group-box").forEach(box => {
          const members = groupOrder(cy, box);
          if (members.length) { next = next.union(members[right ? 0 : members.length - 1]); }
        });
        moveTo(cy, nearest(next, current.position("y")));
      } else {  // up and down: the other nodes fed by the same upstream, by height
        const parents = across(current, c => c.incomers("node"));
        let siblings = parents.length ? across(parents, c => c.outgoers("node"))
          : cy.nodes().filter(n => visible(n) && !across(n, c => c.incomers("node")).length);
        siblings = siblings.filter(n => n.id() !== current.id());
        const y = current.position("y");
        const side = siblings.filter(n => key === "ArrowDown" ? n.position("y") > y : n.position("y") < y);
        moveTo(cy, nearest(side, y));
      }
    } else {
      return;
    }
    ev.preventDefault();
  }

  function keyboard(cy) {
    const box = cy.container();
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "application");
    box.setAttribute("aria-label", "lineage graph: arrow keys move between connected nodes " +
      "(and between the members of an expanded group), " +
      "Enter opens a node's details, Escape closes them, / searches");
    box.addEventListener("keydown", ev => onKey(cy, ev));
  }

  // -- themes: the browser's (prefers-color-scheme) unless one was picked with the button --
  const darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function theme() {
    const picked = document.documentElement.dataset.theme;
    return picked || (darkQuery && darkQuery.matches ? "dark" : "light");
  }
  function applyTheme() {
    const cy = getCy();
    const label = getComputedStyle(document.documentElement).getPropertyValue("--zr-label").trim();
    if (cy && label) {
      cy.style().selector("node").style("color", label).selector(".artifact")
        .style("color", theme() === "dark" ? "#ffc078" : "#6b3e00").update();
    }
    state.theme = theme();
  }
  try {
    const saved = window.localStorage.getItem("zenrun-theme");
    if (saved === "dark" || saved === "light") { document.documentElement.dataset.theme = saved; }
  } catch (e) { /* storage refused (file://, privacy settings): follow the browser */ }
  if (darkQuery && darkQuery.addEventListener) { darkQuery.addEventListener("change", applyTheme); }
  document.addEventListener("click", ev => {
    if (!ev.target || !ev.target.closest || !ev.target.closest("#theme-toggle")) { return; }
    const next = theme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { window.localStorage.setItem("zenrun-theme", next); } catch (e) { /* not kept */ }
    applyTheme();
  });

  document.addEventListener("keydown", ev => {
    const target = ev.target;
    const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      const search = document.getElementById("search");
      if (search) { ev.preventDefault(); search.focus(); search.select(); }
    }
  });

  function attach(cy) {
    cy.scratch("_zenrun", true);
    // dash-cytoscape sends every element back to Dash after each add or remove (a JSON copy
    // of the whole graph, compared again with the list it has: seconds on thousands): the
    // elements here only change through the component's own list (see ``changed``).
    cy.removeListener("add remove dragfree");
    applyTheme();
    keepPosition(cy);
    keyboard(cy);
    cy.on("layoutstart", () => { state.layoutStart = performance.now(); });
    cy.on("layoutstop", e => afterLayout(cy, e.layout && e.layout.options));
    cy.on("tap", "node", e => highlight(cy, e.target));
    cy.on("tap", e => {
      if (e.target === cy) { cy.batch(() => cy.elements(".faded, .lineage").removeClass("faded lineage")); }
    });
    let pending = false;
    cy.on("viewport", () => {
      if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; updateRect(cy); }); }
    });
    const box = document.getElementById("minimap");
    if (box) {
      box.addEventListener("click", ev => {
        const bb = state.bb;
        if (!bb) { return; }
        const r = box.querySelector("canvas").getBoundingClientRect();
        const scale = state.mmScale;
        const x = bb.x1 + (ev.clientX - r.left) / scale;
        const y = bb.y1 + (ev.clientY - r.top) / scale;
        cy.pan({x: cy.width() / 2 - x * cy.zoom(), y: cy.height() / 2 - y * cy.zoom()});
      });
    }
    // The first layout may have run before these handlers existed.
    if (state.layout && state.laidOut !== state.layout.zenrunNonce && cy.nodes().length) {
      afterLayout(cy, state.layout);
    }
  }

  setInterval(() => {
    const cy = getCy();
    if (cy && !cy.scratch("_zenrun")) { attach(cy); }
  }, 20);

  // The elements the graph component has, changed: less the removed, updated (keeping the
  // transient classes drawn on them), plus the added at ``positions``. Returned as the
  // component's new elements, it adds and removes only those, in one batch, and its list stays
  // what the graph holds (a later drawing is compared with it).
  function changed(cy, current, change, positions) {
    const removed = new Set(change.remove || []);
    const update = change.update || {};
    const kept = (current || []).filter(e => !removed.has(e.data.id)).map(e => {
      const upd = update[e.data.id];
      if (!upd) { return e; }
      const node = cy.$id(e.data.id);
      const keep = TRANSIENT.filter(c => node.length && node.hasClass(c));
      return Object.assign({}, e, {data: Object.assign({}, e.data, upd.data),
        classes: [upd.classes].concat(keep).join(" ")});
    });
    const added = (change.add || []).map(e => positions[e.data.id]
      ? Object.assign({}, e, {position: positions[e.data.id]}) : e);
    return kept.concat(added);
  }

  // New nodes of a live refresh (outputs of steps that just finished) go next to their producer.
  function patchPositions(cy, patch) {
    const pos = {}, fanout = {};
    const edges = (patch.add || []).filter(e => "source" in e.data);
    (patch.add || []).filter(e => !("source" in e.data)).forEach(n => {
      const from = edges.find(e => e.data.target === n.data.id);
      const source = from && cy.$id(from.data.source);
      if (source && source.length) {
        const p = source.position(), k = fanout[from.data.source] = (fanout[from.data.source] || 0) + 1;
        pos[n.data.id] = {x: p.x + 70, y: p.y + 20 * (k + source.outdegree())};
      }
    });
    return pos;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    zenrun: {
      noteLayout: function (layout) {
        state.layout = layout;
        return window.dash_clientside.no_update;
      },
      // A group expanded or collapsed: its elements arrive without a layout (see draw in
      // app.py); once they are in the graph, place them and finish as after a layout.
      place: function (data) {
        if (!data) { return window.dash_clientside.no_update; }
        let tries = 0;
        const ready = cy => data.zenrunExpand ? cy.$id("box:" + data.zenrunExpand).length
          : cy.$id(data.zenrunCollapse).length;
        const run = () => {
          const cy = getCy();
          if (cy && ready(cy)) { afterLayout(cy, data); } else if (tries++ < 600) { requestAnimationFrame(run); }
        };
        run();
        return data.zenrunNonce;
      },
      // An expansion or a collapse sent as a change (see draw in app.py): the elements the
      // graph component has, less the removed, plus the added, placed. The component then
      // adds and removes only those, in one batch.
      placeElements: function (data, current) {
        const cy = getCy();
        if (!data || !data.add || !cy) { return window.dash_clientside.no_update; }
        state.placed = data.zenrunNonce;
        state.changeAt = performance.now();  // the benchmark reads these
        const elements = changed(cy, current, data, newPositions(cy, data));
        state.changedAt = performance.now();
        return elements;
      },
      patch: function (patch, current) {
        const cy = getCy();
        if (!cy || !patch) { return window.dash_clientside.no_update; }
        const elements = changed(cy, current, patch, patchPositions(cy, patch));
        if (state.search || (state.filter || []).length) {
          requestAnimationFrame(() => applySearch(cy, false));  // once the component has them
        }
        return elements;
      },
      search: function (text, filter) {
        state.search = text || "";
        state.filter = filter || [];
        const cy = getCy();
        if (!cy) { return ""; }
        const n = applySearch(cy, true);
        if (!state.search && !state.filter.length) { return ""; }
        return n === 1 ? "1 match" : n + " matches";
      },
      // A canvas has a largest size (Chromium: 16,384 px a side, 268 M pixels); beyond it
      // cy.png() gives an empty image. Scale 2 for small graphs, down to fit for big ones.
      exportPng: function (_n, run) {
        const cy = getCy();
        if (!cy || !cy.nodes().length) { return window.dash_clientside.no_update; }
        const bb = cy.elements().boundingBox();
        const side = 8000, area = 60e6;
        const scale = Math.min(2, side / Math.max(bb.w, 1), side / Math.max(bb.h, 1),
          Math.sqrt(area / Math.max(bb.w * bb.h, 1)));
        const blob = cy.png({output: "blob", full: true, bg: "#ffffff", scale: scale});
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = (run || "lineage") + ".png";
        document.body.appendChild(link);
        link.click();
        setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 10000);
        return scale;
      },
      zoom: function () {
        const cy = getCy();
        const trig = (window.dash_clientside.callback_context.triggered || [])[0];
        if (!cy || !trig) { return window.dash_clientside.no_update; }
        const centre = {x: cy.width() / 2, y: cy.height() / 2};
        if (trig.prop_id.startsWith("zoom-in")) { cy.zoom({level: cy.zoom() * 1.25, renderedPosition: centre}); }
        else if (trig.prop_id.startsWith("zoom-out")) { cy.zoom({level: cy.zoom() / 1.25, renderedPosition: centre}); }
        else { cy.fit(undefined, 20); }
        return cy.zoom();
      }
    }
  });
})();
