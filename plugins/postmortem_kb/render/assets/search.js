/* postmortem-kb search: ranks incidents from the sharded index in search-index/ (written by
   render/search_index.py), fetching only the shards of the words typed, the facet lists of the
   filters set and the files of the results shown. Loaded by the page's small inline loader when
   the search box gets focus or '/' is pressed; never on a page view where nobody searches.
   Vanilla JS, no dependencies; text is only ever set with textContent. */
(function () {
  "use strict";

  var EXACT = -2; /* the slot of an id term: a doc it matches needs no other word */
  var SHOWN = 10; /* results listed; "more" lists the next ones */
  var FACETS = {
    severity: "Severity", category: "Root cause", regulation: "Regulation", service: "Service",
    quarter: "Quarter", status: "Status", owner: "Action owner", overdue: "Overdue actions"
  };

  /* --- lunr's Porter stemmer (the Python `lunr` package's, which builds the index) ---------- */
  var stem = (function () {
    var b, k, k0, j;
    function at(i) { return i < 0 ? b.charAt(b.length + i) : b.charAt(i); }
    function cons(i) {
      var c = at(i);
      if (c === "a" || c === "e" || c === "i" || c === "o" || c === "u") return false;
      if (c === "y") return i === k0 ? true : !cons(i - 1);
      return true;
    }
    function m() {
      var n = 0, i = k0;
      for (;;) { if (i > j) return n; if (!cons(i)) break; i++; }
      i++;
      for (;;) {
        for (;;) { if (i > j) return n; if (cons(i)) break; i++; }
        i++; n++;
        for (;;) { if (i > j) return n; if (!cons(i)) break; i++; }
        i++;
      }
    }
    function vowelinstem() { for (var i = k0; i <= j; i++) if (!cons(i)) return true; return false; }
    function doublec(x) { if (x < k0 + 1) return false; if (at(x) !== at(x - 1)) return false; return cons(x); }
    function cvc(i) {
      if (i < k0 + 2 || !cons(i) || cons(i - 1) || !cons(i - 2)) return false;
      var c = at(i);
      return !(c === "w" || c === "x" || c === "y");
    }
    function ends(s) {
      var len = s.length;
      if (s.charAt(len - 1) !== at(k)) return false;
      if (len > k - k0 + 1) return false;
      if (b.slice(k - len + 1, k + 1) !== s) return false;
      j = k - len;
      return true;
    }
    function setto(s) { b = b.slice(0, j + 1) + s + b.slice(j + s.length + 1); k = j + s.length; }
    function r(s) { if (m() > 0) setto(s); }
    function step1ab() {
      if (at(k) === "s") {
        if (ends("sses")) k -= 2;
        else if (ends("ies")) setto("i");
        else if (at(k - 1) !== "s") k -= 1;
      }
      if (ends("eed")) { if (m() > 0) k -= 1; }
      else if ((ends("ed") || ends("ing")) && vowelinstem()) {
        k = j;
        if (ends("at")) setto("ate");
        else if (ends("bl")) setto("ble");
        else if (ends("iz")) setto("ize");
        else if (doublec(k)) { k -= 1; var c = at(k); if (c === "l" || c === "s" || c === "z") k += 1; }
        else if (m() === 1 && cvc(k)) setto("e");
      }
    }
    function step1c() { if (ends("y") && vowelinstem()) b = b.slice(0, k) + "i" + b.slice(k + 1); }
    var STEP2 = {
      a: [["ational", "ate"], ["tional", "tion"]], c: [["enci", "ence"], ["anci", "ance"]],
      e: [["izer", "ize"]], l: [["bli", "ble"], ["alli", "al"], ["entli", "ent"], ["eli", "e"], ["ousli", "ous"]],
      o: [["ization", "ize"], ["ation", "ate"], ["ator", "ate"]],
      s: [["alism", "al"], ["iveness", "ive"], ["fulness", "ful"], ["ousness", "ous"]],
      t: [["aliti", "al"], ["iviti", "ive"], ["biliti", "ble"]], g: [["logi", "log"]]
    };
    var STEP3 = {
      e: [["icate", "ic"], ["ative", ""], ["alize", "al"]], i: [["iciti", "ic"]],
      l: [["ical", "ic"], ["ful", ""]], s: [["ness", ""]]
    };
    function table(rules) {
      if (!rules) return;
      for (var i = 0; i < rules.length; i++) if (ends(rules[i][0])) { r(rules[i][1]); return; }
    }
    var STEP4 = {
      a: ["al"], c: ["ance", "ence"], e: ["er"], i: ["ic"], l: ["able", "ible"],
      n: ["ant", "ement", "ment", "ent"], s: ["ism"], t: ["ate", "iti"], u: ["ous"], v: ["ive"], z: ["ize"]
    };
    function step4() {
      var c = at(k - 1), found = false;
      if (c === "o") {
        found = (ends("ion") && (at(j) === "s" || at(j) === "t")) || ends("ou");
      } else {
        var list = STEP4[c];
        if (!list) return;
        for (var i = 0; i < list.length && !found; i++) found = ends(list[i]);
      }
      if (found && m() > 1) k = j;
    }
    function step5() {
      j = k;
      if (at(k) === "e") { var a = m(); if (a > 1 || (a === 1 && !cvc(k - 1))) k -= 1; }
      if (at(k) === "l" && doublec(k) && m() > 1) k -= 1;
    }
    return function (word) {
      b = word; k = word.length - 1; k0 = 0; j = 0;
      if (k <= k0 + 1) return b;
      step1ab(); step1c(); table(STEP2[at(k - 1)]); table(STEP3[at(k)]); step4(); step5();
      return b.slice(k0, k + 1);
    };
  })();

  /* --- the index ----------------------------------------------------------------------------- */
  var WORD = /[\p{L}\p{N}]+/gu;
  var loader = document.getElementById("pmkb-search-loader");
  var root = loader ? loader.getAttribute("data-root") : "./";
  var base = new URL(root + "search-index/", document.baseURI);
  var files = {};

  function fetchJSON(name) {
    if (!files[name]) {
      files[name] = fetch(new URL(name, base)).then(function (response) {
        if (!response.ok) throw new Error(name + ": HTTP " + response.status);
        return response.json();
      });
    }
    return files[name];
  }
  var meta = null;
  function loadMeta() {
    return fetchJSON("meta.json").then(function (data) {
      meta = data; meta.stopSet = new Set(data.stop); return data;
    });
  }

  function normalId(text) { return text.toLowerCase().replace(/(^|[^0-9])0+(?=[0-9])/g, "$1"); }
  function words(text) { return text.toLowerCase().match(WORD) || []; }
  function stems(text) {
    return words(text).filter(function (w) { return !meta.stopSet.has(w); }).map(stem);
  }

  function shardOf(term) {
    for (var n = term.length; n > 0; n--) {
      var number = meta.shards[term.slice(0, n)];
      if (number !== undefined) return number;
    }
    return null;
  }
  function shard(term) {
    var number = shardOf(term);
    return number === null ? Promise.resolve({}) : fetchJSON("t/" + number + ".json");
  }
  /* The shards that may hold words starting with `prefix`: the one its longest key names,
     and (at most 8) shards of longer keys that start with it. */
  function prefixShards(prefix) {
    var numbers = [], own = shardOf(prefix), longer = [];
    if (own !== null) numbers.push(own);
    for (var key in meta.shards) {
      if (key.length > prefix.length && key.indexOf(prefix) === 0) longer.push(meta.shards[key]);
    }
    return longer.length <= 8 ? numbers.concat(longer) : numbers;
  }
  function decode(deltas) {
    var out = [], doc = 0;
    for (var i = 0; i < deltas.length; i++) { doc += deltas[i]; out.push(doc); }
    return out;
  }
  function facetDocs(name, value) {
    return fetchJSON("f/" + name + ".json").then(function (lists) {
      return new Set(decode(lists[value] || []));
    });
  }

  /* The query: its words, stems and id; what each term counts. */
  function parse(text) {
    var ws = words(text);
    var ss = stems(text);
    var wanted = [], pieces = text.split(/\s+/).filter(Boolean), ids = 0;
    pieces.forEach(function (piece) {
      if (/[0-9]/.test(piece) && /^[\p{L}\p{N}_-]+$/u.test(piece)) {
        wanted.push(["#" + normalId(piece), 1, EXACT]);
        ids++;
      }
      if (/^[a-z0-9][a-z0-9-]*$/i.test(piece)) wanted.push(["@" + piece.toLowerCase(), 1, -1]);
    });
    var unique = Array.from(new Set(ss));
    unique.forEach(function (s, i) { wanted.push([s, 1, i]); });
    for (var i = 0; i + 1 < ss.length; i++) wanted.push([ss[i] + " " + ss[i + 1], 2, -1]);
    if (ss.length > 1) wanted.push(["=" + ss.join(" "), 1, -1]); /* a whole title */
    var last = ws.length && !/\s$/.test(text) ? ws[ws.length - 1] : "";
    return {
      words: ws, stems: unique, wanted: wanted, prefix: last.length >= 3 ? last : "",
      idOnly: ids > 0 && ids === pieces.length
    };
  }

  /* Doc numbers, best first, for a query and {facet: value} filters. */
  function rank(text, filters) {
    return loadMeta().then(function () {
      var q = parse(text);
      var names = Object.keys(filters).filter(function (n) { return filters[n]; });
      var terms = q.wanted.map(function (w) { return w[0]; });
      var around = q.prefix ? prefixShards(q.prefix) : [];
      return Promise.all([
        Promise.all(terms.map(shard).concat(around.map(function (n) {
          return fetchJSON("t/" + n + ".json");
        }))),
        Promise.all(names.map(function (n) { return facetDocs(n, filters[n]); }))
      ]).then(function (loaded) {
        var shards = loaded[0], sets = loaded[1];
        var allowed = null;
        sets.forEach(function (set) {
          allowed = allowed === null ? set : new Set(Array.from(set).filter(function (d) { return allowed.has(d); }));
        });
        if (!q.wanted.length && !q.prefix) {
          if (allowed === null) return [];
          return Array.from(allowed).sort(function (a, c) { return a - c; });
        }
        var scores = new Map(), covered = new Map(), exact = new Set();
        var add = function (postings, weight, slot) {
          var df = postings.length / 2, idf = Math.log(1 + meta.count / df), doc = 0;
          for (var i = 0; i < postings.length; i += 2) {
            doc += postings[i];
            if (allowed !== null && !allowed.has(doc)) continue;
            scores.set(doc, (scores.get(doc) || 0) + postings[i + 1] * idf * weight);
            if (slot === EXACT) exact.add(doc);
            else if (slot >= 0) covered.set(doc, (covered.get(doc) || 0) | (1 << Math.min(slot, 30)));
          }
        };
        q.wanted.forEach(function (w, i) {
          var postings = shards[i][w[0]];
          if (postings) add(postings, w[1], w[2]);
        });
        if (q.prefix) {
          /* The word being typed: terms that start with it count half (at most 30 of them). */
          var own = stem(q.prefix), slot = q.stems.indexOf(own), found = 0;
          shards.slice(terms.length).forEach(function (table) {
            for (var term in table) {
              if (found >= 30) break;
              if (term !== own && term.indexOf(q.prefix) === 0 && term.indexOf(" ") < 0) {
                add(table[term], 0.5, slot); found++;
              }
            }
          });
        }
        if (q.idOnly && exact.size) {
          /* Only ids typed, and they name incidents: those incidents are the answer. */
          return Array.from(exact).sort(function (a, c) { return a - c; });
        }
        var total = q.stems.length;
        var ranked = Array.from(scores.keys()).map(function (doc) {
          var bits = covered.get(doc) || 0, n = 0;
          while (bits) { n += bits & 1; bits >>>= 1; }
          var share = total && !exact.has(doc) ? n / total : 1;
          return [doc, scores.get(doc) * share * share];
        });
        ranked.sort(function (a, c) { return c[1] - a[1] || a[0] - c[0]; });
        return ranked.map(function (pair) { return pair[0]; });
      });
    });
  }

  /* --- marking matched words ----------------------------------------------------------------- */
  function matcher(q) {
    var wanted = new Set(q.stems);
    return function (word) {
      var lower = word.toLowerCase();
      if (meta.stopSet.has(lower)) return false;
      return wanted.has(stem(lower)) || (q.prefix !== "" && lower.indexOf(q.prefix) === 0);
    };
  }
  /* `text` into the node as text, with the matched words in <mark>. */
  function marked(node, text, hit) {
    var last = 0, match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) {
      if (!hit(match[0])) continue;
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var mark = document.createElement("mark");
      mark.className = "pmkb-hit";
      mark.textContent = match[0];
      node.appendChild(mark);
      last = match.index + match[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }
  function excerpt(text, hit, size) {
    var match, first = -1;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) if (hit(match[0])) { first = match.index; break; }
    if (first < 0) return null;
    var start = Math.max(0, first - size / 2);
    if (start > 0) start = text.indexOf(" ", start) + 1;
    var end = Math.min(text.length, start + size);
    return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }
  function clip(text, size) { return text.length > size ? text.slice(0, size).replace(/\s+\S*$/, "") + " …" : text; }

  /* Mark the words of `?h=` on an incident page (a search result opened). */
  function highlightPage() {
    var h = new URLSearchParams(location.search).get("h");
    var article = document.querySelector("article.md-content__inner") || document.querySelector("article");
    if (!h || !article) return Promise.resolve(0);
    return loadMeta().then(function () {
      var hit = matcher(parse(h + " "));
      var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
      var nodes = [], node;
      while ((node = walker.nextNode())) {
        var parent = node.parentNode;
        if (parent && !/^(SCRIPT|STYLE|MARK|TEXTAREA)$/.test(parent.nodeName)) nodes.push(node);
      }
      var count = 0;
      nodes.forEach(function (text) {
        var value = text.nodeValue, any = false, match;
        WORD.lastIndex = 0;
        while ((match = WORD.exec(value)) !== null) if (hit(match[0])) { any = true; break; }
        if (!any) return;
        var span = marked(document.createDocumentFragment(), value, hit);
        count += span.querySelectorAll("mark").length;
        text.parentNode.replaceChild(span, text);
      });
      var first = article.querySelector("mark.pmkb-hit");
      if (first) first.scrollIntoView({ block: "center" });
      document.documentElement.setAttribute("data-pmkb-highlighted", String(count));
      return count;
    });
  }

  /* --- the search box and its panel ---------------------------------------------------------- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setup(box) {
    var input = box.querySelector("input");
    var panel = box.querySelector(".pmkb-search__panel");
    var filters = {}, generation = 0, shown = SHOWN, active = -1, timer = null;
    var form = el("div", "pmkb-search__facets");
    var status = el("p", "pmkb-search__status");
    var list = el("ol", "pmkb-search__results");
    list.setAttribute("role", "listbox");
    var more = el("button", "pmkb-search__more", "More results");
    more.type = "button";
    more.hidden = true;
    panel.append(form, status, list, more);

    loadMeta().then(function () {
      Object.keys(FACETS).forEach(function (name) {
        var values = meta.facets[name] || [];
        if (!values.length) return;
        var select = el("select");
        select.name = name;
        select.setAttribute("aria-label", FACETS[name]);
        select.appendChild(el("option", "", FACETS[name] + ": any")).value = "";
        values.forEach(function (pair) {
          var option = el("option", "", pair[0] + " (" + pair[1] + ")");
          option.value = pair[0];
          select.appendChild(option);
        });
        select.addEventListener("change", function () { filters[name] = select.value; run(); });
        form.appendChild(select);
      });
      box.setAttribute("data-state", "ready");
      if (input.value) run();
    }, function (error) { status.textContent = "Search is unavailable: " + error.message; });

    function open() { panel.hidden = false; }
    function close() { panel.hidden = true; active = -1; }
    function select(n) {
      var items = list.querySelectorAll("li");
      if (!items.length) return;
      active = (n + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", String(i === active)); });
      items[active].scrollIntoView({ block: "nearest" });
    }

    function render(docs, q, started, mine) {
      list.textContent = "";
      active = -1;
      var hit = matcher(q);
      var page = docs.slice(0, shown);
      var h = q.words.join(" ");
      status.textContent = docs.length ? docs.length + (docs.length === 1 ? " incident" : " incidents") : "No incident matches";
      more.hidden = docs.length <= shown;
      var items = page.map(function (doc) {
        var item = el("li", "pmkb-search__result");
        item.setAttribute("role", "option");
        list.appendChild(item);
        return fetchJSON("d/" + doc + ".json").then(function (d) {
          if (mine !== generation) return;
          var link = el("a", "pmkb-search__link");
          link.href = new URL(root + d.url, document.baseURI).pathname + (h ? "?h=" + encodeURIComponent(h) : "");
          link.appendChild(el("span", "pmkb-search__id", d.id));
          marked(link.appendChild(el("span", "pmkb-search__title")), d.title, hit);
          item.appendChild(link);
          var tags = [d.facets.severity[0], d.facets.status[0], d.facets.quarter[0]].concat(d.facets.service);
          item.appendChild(el("span", "pmkb-search__tags", tags.join(" · ")));
          marked(item.appendChild(el("p", "pmkb-search__summary")), clip(d.summary, 220), hit);
          for (var i = 0; i < d.sections.length; i++) {
            var part = excerpt(d.sections[i][1], hit, 160);
            if (part === null) continue;
            var snippet = item.appendChild(el("p", "pmkb-search__snippet"));
            snippet.appendChild(el("strong", "", d.sections[i][0] + ": "));
            marked(snippet, part, hit);
            break;
          }
        });
      });
      Promise.all(items).then(function () {
        if (mine !== generation) return;
        box.setAttribute("data-ms", String(Math.round(performance.now() - started)));
        box.setAttribute("data-results", String(docs.length));
        box.setAttribute("data-done", String(mine));
      });
    }

    function run() {
      var text = input.value, mine = ++generation, started = performance.now();
      var anyFilter = Object.keys(filters).some(function (n) { return filters[n]; });
      box.setAttribute("data-run", String(mine));
      box.setAttribute("data-query", text);
      if (!text.trim() && !anyFilter) {
        list.textContent = ""; status.textContent = ""; more.hidden = true;
        box.setAttribute("data-results", "0");
        box.setAttribute("data-done", String(mine));
        return;
      }
      open();
      box.setAttribute("data-busy", "1");
      rank(text, filters).then(function (docs) {
        if (mine !== generation) return;
        box.removeAttribute("data-busy");
        render(docs, parse(text), started, mine);
      }, function (error) { status.textContent = "Search failed: " + error.message; });
    }

    input.addEventListener("input", function () {
      shown = SHOWN;
      clearTimeout(timer);
      timer = setTimeout(run, 60);
    });
    input.addEventListener("focus", open);
    more.addEventListener("click", function () { shown += SHOWN; run(); });
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); select(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); select(active - 1); }
      else if (event.key === "Enter" && event.target === input) {
        var items = list.querySelectorAll("li a");
        var target = items[active >= 0 ? active : 0];
        if (target) { event.preventDefault(); location.href = target.href; }
      } else if (event.key === "Escape") { close(); input.blur(); }
    });
    document.addEventListener("click", function (event) { if (!box.contains(event.target)) close(); });
    if (document.activeElement === input) open();
  }

  window.pmkbSearch = { stem: stem, rank: rank, normalId: normalId, ready: loadMeta };
  var box = document.querySelector(".pmkb-search");
  if (box) setup(box);
  highlightPage();
})();
