// The saga console's script: keeps the list live (re-fetching the server-rendered page and swapping its
// parts, so the HTML is made in one place) and draws one saga's state machine with cytoscape + dagre.
"use strict";

const LIST_REFRESH_MS = 2000;
const RUNNING_REFRESH_MS = 1500;

function refreshList() {
  fetch(window.location.href, { headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      const fresh = new DOMParser().parseFromString(html, "text/html");
      for (const selector of ["#sagas tbody", "#metrics", "#alarms"]) {
        const target = document.querySelector(selector);
        const source = fresh.querySelector(selector);
        if (target && source && target.innerHTML !== source.innerHTML) target.innerHTML = source.innerHTML;
      }
      document.getElementById("live").classList.remove("stale");
    })
    .catch(() => document.getElementById("live").classList.add("stale"))
    .finally(() => window.setTimeout(refreshList, LIST_REFRESH_MS));
}

const GRAPH_STYLE = [
  { selector: "node", style: {
      label: "data(label)", "font-size": 13, "text-valign": "center", "text-halign": "center",
      shape: "round-rectangle", width: (node) => 7.6 * node.data("label").length + 18, height: 28,
      "background-color": "#f4f5f7", "border-width": 1, "border-color": "#9aa3ad", color: "#3b4450" } },
  { selector: "node.choice", style: { shape: "diamond", height: 48, width: (node) => 8 * node.data("label").length + 50 } },
  { selector: "node.pass", style: { shape: "rectangle", "border-style": "dotted" } },
  { selector: "node.succeed, node.fail", style: { shape: "ellipse" } },
  { selector: "node.start", style: { shape: "ellipse", width: 14, height: 14, label: "", "background-color": "#3b4450" } },
  { selector: "edge", style: {
      width: 1.2, "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#b9c0c8",
      "target-arrow-color": "#b9c0c8", label: "data(label)", "font-size": 10, color: "#7a838d",
      "text-background-color": "#fff", "text-background-opacity": 0.8, "text-background-padding": "1px" } },
  { selector: "edge.catch", style: { "line-style": "dashed" } },
  { selector: "node.taken", style: { "background-color": "#dbe9ff", "border-color": "#1f6feb", "border-width": 3, color: "#0b2f66" } },
  { selector: "edge.taken", style: { width: 3.5, "line-color": "#1f6feb", "target-arrow-color": "#1f6feb", color: "#0b2f66" } },
  { selector: "node.retried", style: { "border-color": "#d29922", "border-width": 4 } },
  { selector: "node.failed", style: { "background-color": "#ffdcd7", "border-color": "#cf222e", "border-width": 4, color: "#82071e" } },
  { selector: "node.current", style: { "background-color": "#dafbe1", "border-color": "#1a7f37", "border-width": 4 } },
];

function drawGraph(container, graph) {
  const elements = [
    ...graph.nodes.map((node) => ({ group: "nodes", data: { id: node.id, label: node.label, type: node.type }, classes: node.classes })),
    ...graph.edges.map((edge, index) => ({
      group: "edges",
      data: { id: `e${index}`, source: edge.source, target: edge.target, label: edge.label },
      classes: edge.classes,
    })),
  ];
  return window.cytoscape({
    container, elements, style: GRAPH_STYLE,
    layout: { name: "dagre", rankDir: "TB", nodeSep: 30, rankSep: 40, edgeSep: 10 },
    userZoomingEnabled: true, boxSelectionEnabled: false, autoungrabify: true,
  });
}

function showSaga() {
  const api = document.body.dataset.api;
  const container = document.getElementById("graph");
  if (!api || !container) return;
  fetch(api)
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((detail) => {
      window.sagaGraph = drawGraph(container, detail.graph);
      container.dataset.drawn = "true";
      if (detail.execution && detail.execution.status === "RUNNING") {
        window.setTimeout(() => window.location.reload(), RUNNING_REFRESH_MS);
      }
    })
    .catch((error) => { container.textContent = `cannot draw the graph (${error})`; });
}

if (window.cytoscape && window.cytoscapeDagre) window.cytoscape.use(window.cytoscapeDagre);
if (document.body.dataset.page === "list") window.setTimeout(refreshList, LIST_REFRESH_MS);
if (document.body.dataset.page === "saga") showSaga();
