// Searchable, paged tables for the parameter explorer (no dependency, no network).
// A div.cbam-paged holds its rows as JSON; small tables (div.cbam-table > table) get a filter box.
(function () {
  var PAGE = 50;
  function words(q) { return q.toLowerCase().split(/\s+/).filter(Boolean); }
  function matches(cells, ws) {
    var text = cells.join(" ").toLowerCase();
    return ws.every(function (w) { return text.indexOf(w) >= 0; });
  }
  function link(text) {
    var span = document.createElement("span");
    text.split(/(https?:\/\/[^\s,;()<>"']+[^\s,;()<>"'.])/).forEach(function (part, i) {
      if (i % 2) { var a = document.createElement("a"); a.href = part; a.textContent = part; span.appendChild(a); }
      else { span.appendChild(document.createTextNode(part)); }
    });
    return span;
  }
  function paged(div) {
    var data = JSON.parse(div.querySelector("script").textContent);
    var box = document.createElement("input");
    box.type = "search"; box.placeholder = "Filter rows"; box.className = "cbam-filter";
    var info = document.createElement("span"); info.className = "cbam-info";
    var prev = document.createElement("button"); prev.textContent = "‹ previous";
    var next = document.createElement("button"); next.textContent = "next ›";
    var bar = document.createElement("div"); bar.className = "cbam-bar";
    [box, prev, next, info].forEach(function (e) { bar.appendChild(e); });
    var table = document.createElement("table");
    table.className = "cbam-grid";
    var head = table.createTHead().insertRow();
    data.columns.forEach(function (c) { var th = document.createElement("th"); th.textContent = c; head.appendChild(th); });
    var body = table.createTBody();
    div.appendChild(bar); div.appendChild(table);
    var page = 0, rows = data.rows;
    function draw() {
      var last = Math.max(0, Math.ceil(rows.length / PAGE) - 1);
      page = Math.min(Math.max(page, 0), last);
      body.innerHTML = "";
      rows.slice(page * PAGE, page * PAGE + PAGE).forEach(function (r) {
        var tr = body.insertRow();
        r.forEach(function (v) { tr.insertCell().appendChild(link(v)); });
      });
      var from = rows.length ? page * PAGE + 1 : 0;
      info.textContent = "rows " + from + "-" + Math.min(rows.length, (page + 1) * PAGE) +
        " of " + rows.length + (rows.length < data.rows.length ? " matching (" + data.rows.length + " in all)" : "");
      prev.disabled = page === 0; next.disabled = page >= last;
    }
    box.addEventListener("input", function () {
      var ws = words(box.value);
      rows = ws.length ? data.rows.filter(function (r) { return matches(r, ws); }) : data.rows;
      page = 0; draw();
    });
    prev.addEventListener("click", function () { page -= 1; draw(); });
    next.addEventListener("click", function () { page += 1; draw(); });
    draw();
  }
  function filtered(div) {
    var table = div.querySelector("table");
    if (!table || table.tBodies[0].rows.length < 15) return;
    var box = document.createElement("input");
    box.type = "search"; box.placeholder = "Filter rows"; box.className = "cbam-filter";
    div.insertBefore(box, table);
    box.addEventListener("input", function () {
      var ws = words(box.value);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        tr.style.display = matches([tr.textContent], ws) ? "" : "none";
      });
    });
  }
  function init() {
    document.querySelectorAll("div.cbam-paged").forEach(paged);
    document.querySelectorAll("div.cbam-table:not(.cbam-paged)").forEach(filtered);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
