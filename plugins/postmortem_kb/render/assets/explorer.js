/* postmortem-kb incident explorer: filters the compact incident array from data/explorer.json.
   Vanilla JS, no dependencies, works offline. Text is only ever set with textContent. */
(function () {
  "use strict";

  var PAGE = 100; /* rows rendered at a time; "Show more" renders the next page */
  var FACETS = ["severity", "category", "regulation", "service", "quarter", "status", "owner", "factor"];
  /* The row column each facet filters on (see explorer.py for the row format). */
  var COLUMN = { severity: 4, status: 5, category: 6, service: 7, regulation: 8, quarter: 9,
                 owner: 11, factor: 12 };
  /* Sortable columns: the value a row sorts by, and the direction a first click sorts in. */
  var SORTS = {
    incident: [function (r) { return r[0]; }, "ascending"],
    started: [function (r) { return r[3]; }, "descending"],
    severity: [function (r) { return r[4]; }, "ascending"],
    status: [function (r) { return r[5]; }, "ascending"],
    category: [function (r) { return r[6]; }, "ascending"]
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addOptions(select, labels) {
    var fragment = document.createDocumentFragment();
    labels.forEach(function (label) {
      var option = el("option", "", label);
      option.value = label;
      fragment.appendChild(option);
    });
    select.appendChild(fragment);
  }

  function setup(root, data, started) {
    var form = root.querySelector("form");
    var count = root.querySelector(".pmkb-explorer__count");
    var tbody = root.querySelector("tbody");
    var more = root.querySelector(".pmkb-explorer__more");
    var empty = root.querySelector(".pmkb-explorer__empty");
    var sortBy = "started";
    var sortDir = "descending";
    var rows = data.rows;
    var total = rows.length;

    /* One lower-case haystack per row for the free-text filter. */
    var haystacks = rows.map(function (r) {
      return [
        r[0], r[1], data.severities[r[4]], data.statuses[r[5]],
        r[6] >= 0 ? data.categories[r[6]] : "",
        r[7].map(function (s) { return data.services[s]; }).join(" "),
        r[8].map(function (g) { return data.regulations[g]; }).join(" "),
        r[9], r[10]
      ].join("\u0000").toLowerCase();
    });

    var used = function (column) {
      var seen = {};
      rows.forEach(function (r) {
        (Array.isArray(r[column]) ? r[column] : [r[column]]).forEach(function (v) { seen[v] = 1; });
      });
      return seen;
    };
    var indexesIn = function (list, column) {
      var seen = used(column);
      return list.map(function (_, i) { return i; }).filter(function (i) { return seen[i]; });
    };
    var quarters = Object.keys(used(9)).sort().reverse();
    var choices = {
      severity: [indexesIn(data.severities, 4), data.severities],
      category: [indexesIn(data.categories, 6), data.categories],
      regulation: [indexesIn(data.regulations, 8), data.regulations],
      service: [indexesIn(data.services, 7), data.services],
      quarter: [quarters, null],
      status: [indexesIn(data.statuses, 5), data.statuses],
      owner: [indexesIn(data.owners, 11), data.owners],
      factor: [indexesIn(data.factors, 12), data.factors]
    };
    /* Options carry labels (readable addresses); filtering compares list indexes. */
    var lookup = {};
    FACETS.forEach(function (name) {
      var values = choices[name][0];
      var labels = choices[name][1];
      var shown = labels ? values.map(function (i) { return labels[i]; }) : values;
      lookup[name] = {};
      shown.forEach(function (label, n) { lookup[name][label] = labels ? values[n] : label; });
      addOptions(form.elements[name], shown);
    });

    var matches = [];
    var shown = 0;

    function state() {
      var s = {
        q: form.elements.q.value.trim().toLowerCase(),
        from: form.elements.from.value,
        to: form.elements.to.value
      };
      FACETS.forEach(function (name) {
        var label = form.elements[name].value;
        s[name] = label === "" ? "" : (label in lookup[name] ? lookup[name][label] : null);
      });
      return s;
    }

    function accepts(r, i, s, words) {
      for (var f = 0; f < FACETS.length; f++) {
        var wanted = s[FACETS[f]];
        if (wanted === "") continue;
        var value = r[COLUMN[FACETS[f]]];
        if (Array.isArray(value) ? value.indexOf(wanted) < 0 : value !== wanted) return false;
      }
      if (s.from && r[3] < s.from) return false; /* YYYY-MM-DD compares as text */
      if (s.to && r[3] > s.to) return false;
      for (var w = 0; w < words.length; w++) {
        if (haystacks[i].indexOf(words[w]) < 0) return false;
      }
      return true;
    }

    function sortMatches() {
      var key = SORTS[sortBy][0];
      var sign = sortDir === "ascending" ? 1 : -1;
      matches.sort(function (a, b) {
        var x = key(rows[a]), y = key(rows[b]);
        return x < y ? -sign : x > y ? sign : a - b; /* stable: data order breaks ties */
      });
      root.querySelectorAll("th[data-sort]").forEach(function (th) {
        if (th.getAttribute("data-sort") === sortBy) th.setAttribute("aria-sort", sortDir);
        else th.removeAttribute("aria-sort");
      });
    }

    function row(r) {
      var tr = el("tr");
      var first = el("td");
      var link = el("a", "", r[0]);
      link.href = data.link[0] + r[2] + data.link[1];
      first.appendChild(link);
      first.appendChild(document.createTextNode(" " + r[1]));
      tr.appendChild(first);
      tr.appendChild(el("td", "", r[3]));
      var severity = data.severities[r[4]];
      var badge = el("span", "pmkb-badge pmkb-badge--" + severity.toLowerCase(), severity);
      var sev = el("td");
      sev.appendChild(badge);
      tr.appendChild(sev);
      tr.appendChild(el("td", "", data.statuses[r[5]]));
      tr.appendChild(el("td", "", r[7].map(function (s) { return data.services[s]; }).join(", ")));
      tr.appendChild(el("td", "", r[6] >= 0 ? data.categories[r[6]] : "—"));
      tr.appendChild(el("td", "", r[8].map(function (g) { return data.regulations[g]; }).join(", ") || "—"));
      return tr;
    }

    function renderMore() {
      var fragment = document.createDocumentFragment();
      var until = Math.min(matches.length, shown + PAGE);
      for (; shown < until; shown++) fragment.appendChild(row(rows[matches[shown]]));
      tbody.appendChild(fragment);
      more.hidden = shown >= matches.length;
      more.textContent = "Show " + Math.min(PAGE, matches.length - shown) + " more";
    }

    function apply(updateAddress) {
      var t0 = performance.now();
      var s = state();
      var words = s.q ? s.q.split(/\s+/) : [];
      matches = [];
      for (var i = 0; i < total; i++) if (accepts(rows[i], i, s, words)) matches.push(i);
      sortMatches();
      empty.hidden = matches.length > 0;
      tbody.textContent = "";
      shown = 0;
      renderMore();
      count.textContent = matches.length === total
        ? total + " incidents"
        : matches.length + " of " + total + " incidents";
      root.setAttribute("data-filter-ms", (performance.now() - t0).toFixed(1));
      if (updateAddress) {
        var params = new URLSearchParams();
        ["q"].concat(FACETS, ["from", "to"]).forEach(function (name) {
          var value = form.elements[name].value.trim();
          if (value) params.set(name, value);
        });
        if (sortBy !== "started" || sortDir !== "descending") params.set("sort", sortBy + "-" + sortDir);
        var hash = params.toString();
        history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
      }
    }

    /* Restore filters from the address (#severity=0&q=pool). */
    var initial = new URLSearchParams(location.hash.slice(1));
    initial.forEach(function (value, key) {
      if (form.elements[key]) form.elements[key].value = value;
    });
    var sortParam = (initial.get("sort") || "").split("-");
    if (SORTS[sortParam[0]] && (sortParam[1] === "ascending" || sortParam[1] === "descending")) {
      sortBy = sortParam[0];
      sortDir = sortParam[1];
    }

    /* Sortable headings: a button in each; a click sorts, a second click reverses. */
    root.querySelectorAll("th[data-sort]").forEach(function (th) {
      var name = th.getAttribute("data-sort");
      var button = el("button", "pmkb-explorer__sort", th.textContent);
      button.type = "button";
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        if (sortBy === name) sortDir = sortDir === "ascending" ? "descending" : "ascending";
        else { sortBy = name; sortDir = SORTS[name][1]; }
        apply(true);
      });
    });

    var pending = false;
    function schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; apply(true); });
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
    more.addEventListener("click", renderMore);

    apply(false);
    root.setAttribute("data-ready-ms", (performance.now() - started).toFixed(1));
    root.setAttribute("data-state", "ready");
  }

  function init() {
    var root = document.getElementById("pmkb-explorer");
    if (!root || root.getAttribute("data-state")) return;
    root.setAttribute("data-state", "loading");
    var started = performance.now();
    fetch(root.getAttribute("data-src"))
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { setup(root, data, started); })
      .catch(function (error) {
        root.setAttribute("data-state", "error");
        root.querySelector(".pmkb-explorer__count").textContent =
          "Could not load the incident data (" + error.message + "). Open the site over http(s).";
      });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init); /* Material's instant navigation */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
