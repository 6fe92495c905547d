// The page of `wordseq serve`: one panel per model, each a set of forms that call the JSON API and
// draw the answers (tables, bars, coloured tokens, SVG maps, trees and heat maps). Plain JavaScript,
// no build step and nothing fetched from elsewhere; every model string is inserted as text, never as HTML.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const KIND_TITLES = {
    vectors: "Word vectors",
    ngram: "N-gram language model",
    neural_lm: "Neural language model",
    classifier: "Text classifier",
    tagger: "Sequence tagger",
    parser: "Dependency parser",
    translator: "Translator",
  };
  const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#9333ea", "#ea580c"];
  const SEND_HINT = "Ctrl+Enter sends";
  const METHOD_NAMES = { pca: "PCA", tsne: "t-SNE" };
  let limits = {};
  let idCounter = 0;
  const tokenInfo = new WeakMap();

  // ---------------------------------------------------------------- small DOM helpers

  /** An HTML element with attributes (on* keys become listeners) and children (strings become text). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  /** An SVG element, the same way. */
  function svgEl(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function uid(prefix) {
    idCounter += 1;
    return `${prefix}-${idCounter}`;
  }

  function fmt(x, digits = 3) {
    return Number.isFinite(x) ? x.toFixed(digits) : String(x);
  }

  function pct(p) {
    if (!Number.isFinite(p)) return String(p);
    if (p >= 0.01) return `${(100 * p).toFixed(1)}%`;
    return `${(100 * p).toPrecision(2)}%`;
  }

  function colorFor(key, keys) {
    const i = keys.indexOf(key);
    return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
  }

  function hashColor(text) {
    let h = 0;
    for (const ch of text) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return `hsl(${h % 360} 70% 88%)`;
  }

  /** Background colour of a token by its probability: red (rare) to green (likely) on a log scale. */
  function probColor(p) {
    const t = Math.max(0, Math.min(1, (Math.log10(Math.max(p, 1e-12)) + 4) / 4));
    return `hsl(${Math.round(120 * t)} 75% ${86 - 6 * t}%)`;
  }

  function splitWords(text) {
    return text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);
  }

  // ---------------------------------------------------------------- API calls

  class ApiError extends Error {}

  async function errorFrom(resp) {
    let message = `${resp.status} ${resp.statusText}`;
    try {
      const body = await resp.json();
      if (body && body.error) message = `${body.error} (HTTP ${resp.status})`;
    } catch (_) {
      /* not JSON: keep the status line */
    }
    return new ApiError(message);
  }

  async function getJSON(url) {
    const resp = await fetch(url, { headers: { Accept: "application/json" } });
    if (!resp.ok) throw await errorFrom(resp);
    return resp.json();
  }

  async function postJSON(url, body, signal) {
    const resp = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    if (!resp.ok) throw await errorFrom(resp);
    return resp.json();
  }

  /** POST, then read the NDJSON answer line by line as it arrives, calling onItem for each object. */
  async function postStream(url, body, signal, onItem) {
    const resp = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
      body: JSON.stringify(body),
      signal,
    });
    if (!resp.ok) throw await errorFrom(resp);
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const flush = (final) => {
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) onItem(JSON.parse(line));
      }
      if (final && buffer.trim()) onItem(JSON.parse(buffer));
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      flush(false);
    }
    buffer += decoder.decode();
    flush(true);
  }

  function apiUrl(model, op) {
    return `api/${encodeURIComponent(model)}/${op}`;
  }

  // ---------------------------------------------------------------- forms

  function inputField(label, attrs, hint) {
    const id = uid("f");
    const hintId = hint ? `${id}-hint` : null;
    const input = el(attrs.tag || "input", { id, ...attrs, tag: null, "aria-describedby": hintId });
    if (attrs.tag === "textarea" && attrs.value) input.value = attrs.value;
    return {
      input,
      node: el("div", { class: `field field-${attrs.name}` }, el("label", { for: id }, label), input,
        hint ? el("small", { class: "hint", id: hintId }, hint) : null),
    };
  }

  function selectField(label, name, options, value) {
    const id = uid("f");
    const input = el("select", { id, name },
      options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
    return { input, node: el("div", { class: `field field-${name}` }, el("label", { for: id }, label), input) };
  }

  function checkField(label, name, checked) {
    const id = uid("f");
    const input = el("input", { id, name, type: "checkbox", checked });
    return { input, node: el("div", { class: `field field-check field-${name}` }, input, el("label", { for: id }, label)) };
  }

  /**
   * A card with a form: fields, a submit button, an error line (role=alert) and a result area.
   * run(values, result) does the work; an exception's message is shown in the card.
   */
  function card(op, title, fields, submitLabel, run, extraButtons = []) {
    const button = el("button", { type: "submit", class: "primary" }, submitLabel);
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const status = el("p", { class: "status", "aria-live": "polite" });
    const result = el("div", { class: `result result-${op}`, "aria-live": "polite" });
    const form = el("form", { class: `op op-${op}`, novalidate: false },
      el("div", { class: "fields" }, fields.map((f) => f.node)),
      el("div", { class: "buttons" }, button, extraButtons));
    // Ctrl+Enter (or Cmd+Enter) in a text area sends the form, as Enter does in a one-line field
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      error.textContent = "";
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      try {
        await run(result, status);
      } catch (err) {
        if (err && err.name === "AbortError") {
          status.textContent = "Stopped.";
        } else {
          status.textContent = "";
          error.textContent = err instanceof ApiError ? err.message : `Error: ${err && err.message ? err.message : err}`;
          error.hidden = false;
        }
      } finally {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    });
    const node = el("section", { class: `card card-${op}` }, el("h3", {}, title), form, error, status, result);
    return { node, form, result, status, error, button };
  }

  function numberValue(input, fallback) {
    const v = input.value.trim();
    if (v === "") return fallback;
    const n = Number(v);
    return Number.isFinite(n) ? n : fallback;
  }

  // ---------------------------------------------------------------- tokens with probabilities

  function tokenSpan(tok, withSpaceBefore) {
    const span = el("span", {
      class: "token",
      tabindex: 0,
      style: `background:${probColor(tok.prob)}`,
      "aria-label": `${tok.token}: probability ${pct(tok.prob)}`,
    }, tok.token);
    tokenInfo.set(span, tok);
    return withSpaceBefore ? [document.createTextNode(" "), span] : [span];
  }

  /** Word models put a space between tokens, character models nothing; the summary says which when it can. */
  function levelOf(model) {
    const s = model.summary || {};
    const level = s.level || (s.config && s.config.level) || (s.extra && s.extra.level);
    return level === "char" ? "char" : level ? "word" : null;
  }

  function guessChar(tokens) {
    return tokens.length >= 4 && tokens.every((t) => [...t].length <= 1);
  }

  function probLegend() {
    const stops = [[1e-4, "0.01%"], [1e-3, "0.1%"], [1e-2, "1%"], [0.1, "10%"], [1, "100%"]];
    return el("div", { class: "legend", "aria-hidden": "true" }, "probability: ",
      stops.map(([p, text]) => el("span", { class: "legend-swatch", style: `background:${probColor(p)}` }, text)));
  }

  function showTooltip(target) {
    const tip = document.getElementById("tooltip");
    const tok = tokenInfo.get(target);
    if (!tip || !tok) return;
    tip.replaceChildren(
      el("div", { class: "tip-head" }, el("code", {}, JSON.stringify(tok.token)), ` ${pct(tok.prob)}`),
      (tok.alternatives || []).length
        ? el("table", { class: "tip-alts" },
          el("caption", {}, "top alternatives"),
          el("tbody", {}, tok.alternatives.map((a) => el("tr", { class: a.token === tok.token ? "chosen" : "" },
            el("td", {}, el("code", {}, JSON.stringify(a.token))), el("td", { class: "num" }, pct(a.prob))))))
        : el("div", { class: "hint" }, "no alternatives"));
    tip.hidden = false;
    const r = target.getBoundingClientRect();
    const tr = tip.getBoundingClientRect();
    let left = r.left + window.scrollX;
    left = Math.min(left, window.scrollX + document.documentElement.clientWidth - tr.width - 8);
    let top = r.bottom + window.scrollY + 6;
    if (r.bottom + tr.height + 12 > window.innerHeight) top = r.top + window.scrollY - tr.height - 6;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${Math.max(4, top)}px`;
  }

  function hideTooltip() {
    const tip = document.getElementById("tooltip");
    if (tip) tip.hidden = true;
  }

  document.addEventListener("mouseover", (e) => {
    const t = e.target.closest && e.target.closest(".token");
    if (t) showTooltip(t);
  });
  document.addEventListener("mouseout", (e) => {
    const t = e.target.closest && e.target.closest(".token");
    if (t && !t.contains(e.relatedTarget)) hideTooltip();
  });
  document.addEventListener("focusin", (e) => {
    if (e.target.classList && e.target.classList.contains("token")) showTooltip(e.target);
  });
  document.addEventListener("focusout", (e) => {
    if (e.target.classList && e.target.classList.contains("token")) hideTooltip();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") hideTooltip();
  });

  // ---------------------------------------------------------------- vectors

  function vectorsPanel(model) {
    const name = model.name;
    const maxTopn = limits.max_topn || 100;
    const asked = [];
    const analogies = [];
    let mapWordsEdited = false;
    const remember = (...words) => {
      for (const w of words) if (w && !asked.includes(w)) asked.push(w);
      if (!mapWordsEdited) mapWords.input.value = asked.join(" ");
    };

    // neighbours
    const nWord = inputField("Word", { name: "word", type: "text", required: true, autocomplete: "off", placeholder: "king" });
    const nTopn = inputField("How many", { name: "topn", type: "number", min: 1, max: maxTopn, value: 10 });
    const neighbors = card("neighbors", "Nearest neighbours", [nWord, nTopn], "Find neighbours", async (result) => {
      const word = nWord.input.value.trim();
      if (!word) throw new Error("type a word");
      const data = await postJSON(apiUrl(name, "neighbors"), { word, topn: numberValue(nTopn.input, 10) });
      remember(data.word || word);
      result.replaceChildren(scoreTable(data.neighbors, "word", "cosine", "cosine", `Nearest neighbours of ${data.word || word}`));
    });

    // analogies
    const aA = inputField("a", { name: "a", type: "text", required: true, autocomplete: "off", placeholder: "man" });
    const aB = inputField("is to b", { name: "b", type: "text", required: true, autocomplete: "off", placeholder: "king" });
    const aC = inputField("as c", { name: "c", type: "text", required: true, autocomplete: "off", placeholder: "woman" });
    const aExp = inputField("expected d (optional)", { name: "expected", type: "text", autocomplete: "off", placeholder: "queen" });
    const aMethod = selectField("Method", "method", [["3cosadd", "3CosAdd"], ["3cosmul", "3CosMul"]], "3cosadd");
    const aTopn = inputField("How many", { name: "topn", type: "number", min: 1, max: maxTopn, value: 10 });
    const analogy = card("analogy", "Analogy: a is to b as c is to ?", [aA, aB, aC, aExp, aMethod, aTopn], "Solve", async (result) => {
      const [a, b, c] = [aA.input.value.trim(), aB.input.value.trim(), aC.input.value.trim()];
      if (!a || !b || !c) throw new Error("fill in a, b and c");
      const expected = aExp.input.value.trim() || null;
      const data = await postJSON(apiUrl(name, "analogy"),
        { a, b, c, method: aMethod.input.value, topn: numberValue(aTopn.input, 10), expected });
      const answers = data.answers || [];
      const d = expected || (answers[0] && answers[0].word);
      remember(a, b, c, d);
      if (d) analogies.push([a, b, c, d]);
      const nodes = [];
      if (answers.length) {
        nodes.push(el("p", { class: "answer" }, `${a} : ${b} :: ${c} : `, el("strong", { class: "answer-word" }, answers[0].word)));
      }
      if (data.expected) {
        nodes.push(el("p", { class: "expected-rank" }, data.expected_rank
          ? ["expected ", el("strong", {}, data.expected), ` ranks ${data.expected_rank}`]
          : ["expected ", el("strong", {}, data.expected), " is not in the vocabulary"]));
      }
      nodes.push(scoreTable(answers, "word", "score", "score", `Answers (${aMethod.input.selectedOptions[0].text})`, data.expected));
      result.replaceChildren(...nodes);
    });

    // doesn't match
    const dWords = inputField("Words (three or more)", { name: "words", type: "text", required: true, autocomplete: "off", placeholder: "breakfast cereal dinner lunch" });
    const odd = card("doesnt_match", "Which word doesn't match?", [dWords], "Find the odd one", async (result) => {
      const words = splitWords(dWords.input.value);
      if (words.length < 3) throw new Error("give at least three words");
      const data = await postJSON(apiUrl(name, "doesnt_match"), { words });
      result.replaceChildren(
        el("p", { class: "answer" }, "odd one out: ", el("strong", { class: "answer-word" }, data.odd)),
        scoreTable(data.scores, "word", "cosine_to_mean", "cosine to the mean", "Cosine of each word to the mean", data.odd));
    });

    // map
    const mapWords = inputField("Words", { name: "words", type: "text", autocomplete: "off", placeholder: "king queen man woman" },
      "filled with the words asked about above");
    mapWords.input.addEventListener("input", () => { mapWordsEdited = mapWords.input.value.trim() !== ""; });
    const mapN = inputField("Neighbours each", { name: "neighbors", type: "number", min: 0, max: maxTopn, value: 8 });
    const mapMethod = selectField("Projection", "method", [["pca", "PCA"], ["tsne", "t-SNE"]], "pca");
    const mapArrows = checkField("draw the analogies asked as arrows", "arrows", true);
    const map = card("map", "Map of the words and their neighbours", [mapWords, mapN, mapMethod, mapArrows], "Draw the map", async (result, status) => {
      const words = splitWords(mapWords.input.value);
      if (!words.length) throw new Error("give some words (or ask for neighbours first)");
      status.textContent = mapMethod.input.value === "tsne" ? "Running t-SNE…" : "";
      const body = { words, neighbors: numberValue(mapN.input, 8), method: mapMethod.input.value,
        analogies: mapArrows.input.checked ? analogies.filter((q) => q.every((w) => words.includes(w))) : [] };
      const data = await postJSON(apiUrl(name, "map"), body);
      status.textContent = "";
      result.replaceChildren(drawMap(data));
    });

    return [neighbors.node, analogy.node, odd.node, map.node];
  }

  function scoreTable(rows, key, value, valueLabel, caption, highlight) {
    const max = Math.max(1e-9, ...rows.map((r) => Math.abs(r[value])));
    return el("table", { class: "scores" },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "#"), el("th", { scope: "col" }, key), el("th", { scope: "col" }, valueLabel))),
      el("tbody", {}, rows.map((r, i) => el("tr", { class: r[key] === highlight ? "highlight" : "" },
        el("td", { class: "num rank" }, i + 1),
        el("td", { class: "word" }, r[key]),
        el("td", { class: "num" },
          el("span", { class: "bar", style: `width:${Math.max(0, (60 * r[value]) / max)}px`, "aria-hidden": "true" }),
          fmt(r[value]))))));
  }

  /** The 2-D map as SVG: points and labels, analogy arrows; wheel zooms about the cursor, drag pans. */
  function drawMap(data) {
    const W = 960;
    const H = 520;
    const PAD = { left: 36, right: 110, top: 36, bottom: 30 };
    const points = data.points || [];
    if (!points.length) return el("p", {}, "No points to draw.");
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // one scale for both axes, so that the projection's distances are not stretched
    const availW = W - PAD.left - PAD.right;
    const availH = H - PAD.top - PAD.bottom;
    const scale = Math.min(availW / (x1 - x0 || 1), availH / (y1 - y0 || 1));
    const offX = PAD.left + (availW - scale * (x1 - x0)) / 2;
    const offY = PAD.top + (availH - scale * (y1 - y0)) / 2;
    const sx = (x) => offX + (x - x0) * scale;
    const sy = (y) => offY + (y1 - y) * scale;
    const groups = [...new Set(points.map((p) => p.group))];
    const view = { k: 1, x: 0, y: 0 };
    const markerId = uid("arrow");

    const root = svgEl("svg", {
      class: "map", viewBox: `0 0 ${W} ${H}`, role: "img", tabindex: 0,
      "aria-label": `${METHOD_NAMES[data.method] || data.method || ""} map of ${points.length} words; scroll or press + and - to zoom, drag or arrow keys to pan, 0 to reset`,
    });
    root.append(svgEl("defs", {}, svgEl("marker", {
      id: markerId, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse",
    }, svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }))));
    root.append(svgEl("rect", { class: "map-bg", x: 0, y: 0, width: W, height: H }));
    const arrowLayer = svgEl("g", { class: "arrows" });
    const pointLayer = svgEl("g", { class: "points" });
    root.append(arrowLayer, pointLayer);

    const byWord = new Map(points.map((p) => [p.word, p]));
    const items = points.map((p) => {
      const color = colorFor(p.group, groups);
      const circle = svgEl("circle", { r: p.query ? 6 : 4, fill: color, class: p.query ? "query" : "neighbour" },
        svgEl("title", {}, `${p.word} (${p.group})`));
      const label = svgEl("text", { class: p.query ? "label query" : "label", fill: p.query ? "#111" : "#333" }, p.word);
      pointLayer.append(svgEl("g", { class: "point", "data-word": p.word }, circle, label));
      return { p, circle, label };
    });
    const arrows = (data.arrows || []).filter((a) => byWord.has(a.from) && byWord.has(a.to)).map((a) => {
      const line = svgEl("line", { class: "arrow", "marker-end": `url(#${markerId})` },
        svgEl("title", {}, `${a.from} → ${a.to}`));
      arrowLayer.append(line);
      return { from: byWord.get(a.from), to: byWord.get(a.to), line };
    });

    const place = (p) => [sx(p.x) * view.k + view.x, sy(p.y) * view.k + view.y];
    // labels are placed words-asked-first at the first free spot around their point; a label with no free
    // spot is hidden (its point keeps its tooltip) and comes back when zooming in makes room
    const labelOrder = [...items].sort((a, b) => Number(b.p.query) - Number(a.p.query));
    const overlaps = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
    function placeLabels() {
      const taken = [];
      for (const { p, label } of labelOrder) {
        const [x, y] = place(p);
        const w = [...p.word].length * (p.query ? 7.9 : 6.9) + 2;
        const h = p.query ? 13 : 12;
        const spots = [[x + 7, y - 6, "start"], [x + 7, y + 15, "start"], [x - 7, y - 6, "end"], [x - 7, y + 15, "end"]];
        let free = null;
        for (const [lx, ly, anchor] of spots) {
          const box = anchor === "start" ? [lx, ly - h, lx + w, ly + 3] : [lx - w, ly - h, lx, ly + 3];
          if (!taken.some((t) => overlaps(t, box))) {
            free = { lx, ly, anchor, box };
            break;
          }
        }
        if (free) {
          label.setAttribute("x", free.lx);
          label.setAttribute("y", free.ly);
          label.setAttribute("text-anchor", free.anchor);
          label.removeAttribute("visibility");
          taken.push(free.box);
        } else {
          label.setAttribute("visibility", "hidden");
        }
      }
    }
    function update() {
      for (const { p, circle } of items) {
        const [x, y] = place(p);
        circle.setAttribute("cx", x);
        circle.setAttribute("cy", y);
      }
      placeLabels();
      for (const { from, to, line } of arrows) {
        const [ax, ay] = place(from);
        const [bx, by] = place(to);
        const len = Math.hypot(bx - ax, by - ay) || 1;
        const trim = Math.min(8, len / 3);
        line.setAttribute("x1", ax + ((bx - ax) * trim) / len);
        line.setAttribute("y1", ay + ((by - ay) * trim) / len);
        line.setAttribute("x2", bx - ((bx - ax) * trim) / len);
        line.setAttribute("y2", by - ((by - ay) * trim) / len);
      }
    }
    function toSvg(clientX, clientY) {
      const r = root.getBoundingClientRect();
      return [((clientX - r.left) / r.width) * W, ((clientY - r.top) / r.height) * H];
    }
    function zoom(factor, cx, cy) {
      const k = Math.max(0.2, Math.min(40, view.k * factor));
      const f = k / view.k;
      view.x = cx - (cx - view.x) * f;
      view.y = cy - (cy - view.y) * f;
      view.k = k;
      update();
    }
    root.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [cx, cy] = toSvg(e.clientX, e.clientY);
      zoom(Math.exp(-e.deltaY * 0.0015), cx, cy);
    }, { passive: false });
    let drag = null;
    root.addEventListener("pointerdown", (e) => {
      drag = { id: e.pointerId, at: toSvg(e.clientX, e.clientY) };
      root.setPointerCapture(e.pointerId);
      root.classList.add("dragging");
    });
    root.addEventListener("pointermove", (e) => {
      if (!drag || drag.id !== e.pointerId) return;
      const at = toSvg(e.clientX, e.clientY);
      view.x += at[0] - drag.at[0];
      view.y += at[1] - drag.at[1];
      drag.at = at;
      update();
    });
    const endDrag = () => { drag = null; root.classList.remove("dragging"); };
    root.addEventListener("pointerup", endDrag);
    root.addEventListener("pointercancel", endDrag);
    const reset = () => { view.k = 1; view.x = 0; view.y = 0; update(); };
    root.addEventListener("keydown", (e) => {
      const step = 30;
      const keys = {
        "+": () => zoom(1.25, W / 2, H / 2), "=": () => zoom(1.25, W / 2, H / 2), "-": () => zoom(0.8, W / 2, H / 2),
        0: reset, ArrowLeft: () => { view.x += step; update(); }, ArrowRight: () => { view.x -= step; update(); },
        ArrowUp: () => { view.y += step; update(); }, ArrowDown: () => { view.y -= step; update(); },
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
    update();

    const controls = el("div", { class: "map-controls" },
      el("button", { type: "button", onclick: () => zoom(1.25, W / 2, H / 2), "aria-label": "Zoom in" }, "+"),
      el("button", { type: "button", onclick: () => zoom(0.8, W / 2, H / 2), "aria-label": "Zoom out" }, "−"),
      el("button", { type: "button", onclick: reset }, "Reset view"),
      el("span", { class: "hint" }, `${METHOD_NAMES[data.method] || data.method || ""} · ${points.length} points · ${arrows.length} arrows · scroll to zoom, drag to pan`));
    const legend = el("ul", { class: "map-legend", "aria-label": "Groups" },
      groups.map((g) => el("li", {}, el("span", { class: "dot", style: `background:${colorFor(g, groups)}` }), g)));
    return el("figure", { class: "map-figure" }, controls, root, legend);
  }

  // ---------------------------------------------------------------- language models

  function lmPanel(model) {
    const name = model.name;
    const maxTokens = limits.max_tokens || 1000;
    let level = levelOf(model);

    const gPrompt = inputField("Prompt", { tag: "textarea", name: "prompt", rows: 2, placeholder: "the prompt (may be empty)" }, SEND_HINT);
    const gMax = inputField("Max tokens", { name: "max_tokens", type: "number", min: 1, max: maxTokens, value: Math.min(50, maxTokens) });
    const gTemp = inputField("Temperature", { name: "temperature", type: "number", min: 0, step: 0.05, value: 1.0 });
    const gTopK = inputField("Top-k (0 = all)", { name: "top_k", type: "number", min: 0, step: 1, value: 0 });
    const gTopP = inputField("Top-p", { name: "top_p", type: "number", min: 0, max: 1, step: 0.05, value: 1.0 });
    const gBeam = inputField("Beam", { name: "beam", type: "number", min: 1, max: limits.max_beam || 32, step: 1, value: 1 });
    const gSeed = inputField("Seed (optional)", { name: "seed", type: "number", step: 1 });
    let controller = null;
    const stop = el("button", { type: "button", class: "stop", disabled: true, onclick: () => controller && controller.abort() }, "Stop");
    const gen = card("generate", "Generate", [gPrompt, gMax, gTemp, gTopK, gTopP, gBeam, gSeed], "Generate", async (result, status) => {
      const seedText = gSeed.input.value.trim();
      const body = {
        prompt: gPrompt.input.value,
        max_tokens: numberValue(gMax.input, 50),
        temperature: numberValue(gTemp.input, 1.0),
        top_k: numberValue(gTopK.input, 0),
        top_p: numberValue(gTopP.input, 1.0),
        beam: numberValue(gBeam.input, 1),
        seed: seedText === "" ? null : Number(seedText),
      };
      const text = el("div", { class: "tokens generated" });
      if (body.prompt) text.append(el("span", { class: "prompt" }, body.prompt));
      result.replaceChildren(text, probLegend());
      status.textContent = body.beam > 1 ? "Searching…" : "Generating…";
      controller = new AbortController();
      stop.disabled = false;
      const tokens = [];
      try {
        await postStream(apiUrl(name, "generate"), body, controller.signal, (item) => {
          if (item.error) throw new ApiError(item.error);
          if (item.done) {
            status.textContent = `Done: ${item.tokens} token${item.tokens === 1 ? "" : "s"}.`;
            text.dataset.done = "true";
            return;
          }
          tokens.push(item.token);
          const charLevel = level ? level === "char" : guessChar(tokens);
          const space = !charLevel && (tokens.length > 1 || body.prompt !== "");
          text.append(...tokenSpan(item, space));
          status.textContent = `Generating… ${tokens.length} tokens`;
        });
      } catch (err) {
        if (!tokens.length) result.replaceChildren();
        throw err;
      } finally {
        stop.disabled = true;
        controller = null;
      }
    }, [stop]);

    const sText = inputField("Text", { tag: "textarea", name: "text", rows: 3, placeholder: "paste some text to score" }, SEND_HINT);
    const score = card("score", "Score a text (perplexity)", [sText], "Score", async (result) => {
      const data = await postJSON(apiUrl(name, "score"), { text: sText.input.value });
      const toks = data.tokens || [];
      const charLevel = level ? level === "char" : guessChar(toks.map((t) => t.token));
      const text = el("div", { class: "tokens scored" }, toks.map((t, i) => tokenSpan(t, !charLevel && i > 0)));
      result.replaceChildren(
        el("dl", { class: "metrics" },
          el("dt", {}, "perplexity"), el("dd", { class: "perplexity" }, fmt(data.perplexity, 2)),
          el("dt", {}, "nats"), el("dd", {}, fmt(data.nats, 2)),
          el("dt", {}, "tokens scored"), el("dd", {}, data.tokens_scored)),
        text, probLegend());
    });
    return [gen.node, score.node];
  }

  // ---------------------------------------------------------------- tasks

  function textCard(model, op, title, button, placeholder, extra, render) {
    const t = inputField("Text", { tag: "textarea", name: "text", rows: 2, placeholder }, SEND_HINT);
    return card(op, title, [t, ...extra.map((e) => e.field)], button, async (result) => {
      const text = t.input.value.trim();
      if (!text) throw new Error("type some text");
      const body = { text };
      for (const e of extra) body[e.key] = e.value();
      const data = await postJSON(apiUrl(model.name, op), body);
      result.replaceChildren(...[render(data)].flat());
    }).node;
  }

  function classifierPanel(model) {
    return [textCard(model, "classify", "Classify a text", "Classify", "a text to classify", [], (data) => {
      const probs = data.probabilities || [];
      return [
        el("p", { class: "answer" }, "label: ", el("strong", { class: "answer-word" }, data.label)),
        el("table", { class: "probs" },
          el("caption", {}, "Probability of each label"),
          el("tbody", {}, probs.map((p) => el("tr", { class: p.label === data.label ? "highlight" : "" },
            el("th", { scope: "row" }, p.label),
            el("td", { class: "bar-cell" }, el("div", { class: "prob-bar", role: "meter", "aria-valuemin": 0, "aria-valuemax": 1,
              "aria-valuenow": p.prob, "aria-label": `${p.label} ${pct(p.prob)}` },
            el("div", { class: "prob-fill", style: `width:${(100 * p.prob).toFixed(2)}%` }))),
            el("td", { class: "num" }, pct(p.prob)))))),
      ];
    })];
  }

  function taggerPanel(model) {
    return [textCard(model, "tag", "Tag a sentence", "Tag", "a sentence to tag", [], (data) => {
      const tokens = data.tokens || [];
      const spans = [...(data.spans || [])].sort((a, b) => a.start - b.start);
      const out = el("div", { class: "tagged" });
      let i = 0;
      const tokenNode = (t) => el("span", { class: "tagged-token" }, el("span", { class: "form" }, t.token), el("span", { class: "tag" }, t.tag));
      for (const span of spans) {
        while (i < span.start && i < tokens.length) out.append(tokenNode(tokens[i++]));
        if (span.start < i) continue;
        const mark = el("mark", { class: "entity", style: `background:${hashColor(span.label)}`, "data-label": span.label });
        while (i < span.end && i < tokens.length) mark.append(tokenNode(tokens[i++]));
        mark.append(el("span", { class: "entity-label" }, span.label));
        out.append(mark);
      }
      while (i < tokens.length) out.append(tokenNode(tokens[i++]));
      return [out, el("p", { class: "hint" }, spans.length ? `${spans.length} span(s) highlighted` : "no spans in this tag set or sentence")];
    })];
  }

  function parserPanel(model) {
    return [textCard(model, "parse", "Parse a sentence", "Parse", "a sentence to parse", [], (data) => drawTree(data.tokens || []))];
  }

  /** The dependency tree: words on a line, labelled arcs from head to dependent above them, nested by span. */
  function drawTree(tokens) {
    if (!tokens.length) return el("p", {}, "No tokens.");
    const widths = tokens.map((t) => Math.max(56, 8.5 * Math.max([...t.form].length, [...(t.upos || "")].length) + 22));
    const centers = [];
    let x = 16;
    for (const w of widths) { centers.push(x + w / 2); x += w; }
    const W = x + 16;
    const index = new Map(tokens.map((t, i) => [Number(t.id), i]));
    const arcs = tokens.filter((t) => Number(t.head) !== 0 && index.has(Number(t.head)))
      .map((t) => ({ dep: index.get(Number(t.id)), head: index.get(Number(t.head)), label: t.deprel }))
      .map((a) => ({ ...a, lo: Math.min(a.dep, a.head), hi: Math.max(a.dep, a.head) }))
      .sort((a, b) => (a.hi - a.lo) - (b.hi - b.lo));
    for (const a of arcs) {
      const inner = arcs.filter((b) => b !== a && b.level && b.lo >= a.lo && b.hi <= a.hi);
      a.level = 1 + Math.max(0, ...inner.map((b) => b.level));
    }
    const STEP = 34;
    const maxLevel = Math.max(1, ...arcs.map((a) => a.level));
    const base = maxLevel * STEP + 40;
    const H = base + 46;
    const markerId = uid("dep");
    const rootX = centers.slice();
    const root = svgEl("svg", { class: "tree", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-label": `dependency tree of ${tokens.length} words` });
    root.append(svgEl("defs", {}, svgEl("marker", { id: markerId, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      svgEl("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }))));
    // each word's arc ends spread over its width so that nested arcs do not cross at the word: arcs to the left
    // on its left half (the farthest, the highest, nearest the middle), the root in the middle, arcs to the
    // right on its right half (again the farthest nearest the middle)
    const ends = tokens.map(() => []);
    for (const a of arcs) {
      ends[a.head].push({ a, end: "x1", other: a.dep });
      ends[a.dep].push({ a, end: "x2", other: a.head });
    }
    tokens.forEach((t, i) => {
      if (Number(t.head) === 0) ends[i].push({ a: null, other: i });
      const side = (e) => Math.sign(e.other - i);
      const list = ends[i].sort((p, q) => side(p) - side(q) || q.other - p.other);
      const step = Math.min(9, (widths[i] - 20) / Math.max(1, list.length - 1));
      list.forEach((e, k) => {
        const x = centers[i] + (k - (list.length - 1) / 2) * step;
        if (e.a) e.a[e.end] = x;
        else rootX[i] = x;
      });
    });
    for (const a of arcs) {
      const { x1, x2 } = a;
      const h = a.level * STEP;
      const y = base - 18;
      root.append(svgEl("g", { class: "arc" },
        svgEl("path", { d: `M${x1},${y} C${x1},${y - h} ${x2},${y - h} ${x2},${y}`, "marker-end": `url(#${markerId})` }),
        svgEl("text", { class: "deprel", x: (x1 + x2) / 2, y: y - 0.75 * h - 4, "text-anchor": "middle" }, a.label),
        svgEl("title", {}, `${tokens[a.head].form} → ${tokens[a.dep].form} (${a.label})`)));
    }
    tokens.forEach((t, i) => {
      if (Number(t.head) === 0) {
        root.append(svgEl("g", { class: "arc root" },
          svgEl("line", { x1: rootX[i], y1: 14, x2: rootX[i], y2: base - 18, "marker-end": `url(#${markerId})` }),
          svgEl("text", { class: "deprel", x: rootX[i] + 4, y: 12 }, t.deprel || "root")));
      }
      root.append(svgEl("text", { class: "form", x: centers[i], y: base, "text-anchor": "middle" }, t.form));
      const upos = t.upos && t.upos !== "_" ? t.upos : "";
      root.append(svgEl("text", { class: "upos", x: centers[i], y: base + 18, "text-anchor": "middle" }, upos));
    });
    return el("div", { class: "tree-wrap" }, root);
  }

  function translatorPanel(model) {
    const beam = inputField("Beam", { name: "beam", type: "number", min: 1, max: limits.max_beam || 32, value: 5 });
    return [textCard(model, "translate", "Translate", "Translate", "a sentence to translate",
      [{ field: beam, key: "beam", value: () => numberValue(beam.input, 5) }], (data) => {
        const words = (data.target || []).filter((w) => w !== "</s>");
        const out = [el("p", { class: "answer translation" }, words.join(" "))];
        if (data.attention) out.push(drawAttention(data.source || [], data.target || [], data.attention));
        else out.push(el("p", { class: "hint" }, "this model has no attention to show"));
        return out;
      })];
  }

  /** Attention as a heat map: a row per target word, a column per source word, darker = more weight. */
  function drawAttention(source, target, weights) {
    const CELL = 30;
    const charW = 7.5;
    const left = Math.max(40, 12 + charW * Math.max(...target.map((w) => [...w].length)));
    const top = Math.max(40, 16 + 0.75 * charW * Math.max(...source.map((w) => [...w].length)));
    const W = left + CELL * source.length + 10;
    const H = top + CELL * target.length + 10;
    const root = svgEl("svg", { class: "attention", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-label": `attention of ${target.length} target words over ${source.length} source words` });
    source.forEach((s, j) => {
      const cx = left + CELL * j + CELL / 2;
      root.append(svgEl("text", { class: "src", x: cx, y: top - 8, transform: `rotate(-45 ${cx} ${top - 8})` }, s));
    });
    target.forEach((t, i) => {
      const cy = top + CELL * i + CELL / 2 + 4;
      root.append(svgEl("text", { class: "tgt", x: left - 8, y: cy, "text-anchor": "end" }, t));
      (weights[i] || []).forEach((w, j) => {
        root.append(svgEl("rect", { class: "cell", x: left + CELL * j, y: top + CELL * i, width: CELL - 1, height: CELL - 1,
          fill: `rgba(37, 99, 235, ${Math.max(0.03, Math.min(1, w))})` }, svgEl("title", {}, `${target[i]} ← ${source[j]}: ${fmt(w)}`)));
      });
    });
    return el("figure", { class: "attention-figure" }, root, el("figcaption", {}, "attention: rows are target words, columns source words"));
  }

  // ---------------------------------------------------------------- the page

  const BUILDERS = {
    vectors: vectorsPanel,
    ngram: lmPanel,
    neural_lm: lmPanel,
    classifier: classifierPanel,
    tagger: taggerPanel,
    parser: parserPanel,
    translator: translatorPanel,
  };

  function summaryLine(model) {
    const s = model.summary || {};
    const bits = [];
    if (model.path_name) bits.push(model.path_name);
    if (s.description) {
      bits.push(s.description);
    } else {
      const params = s.params ?? s.total_params;
      if (params) bits.push(`${Number(params).toLocaleString("en")} parameters`);
      if (s.vocab_size) bits.push(`${Number(s.vocab_size).toLocaleString("en")} words`);
    }
    return bits.join(" · ");
  }

  function panel(model) {
    const build = BUILDERS[model.kind];
    const id = `panel-${model.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const headingId = `${id}-title`;
    const body = build ? build(model) : [el("p", { class: "hint" }, `No panel for models of kind ${model.kind}.`)];
    return el("section", { class: `panel panel-${model.kind}`, id, "data-model": model.name, "data-kind": model.kind, "aria-labelledby": headingId },
      el("header", { class: "panel-header" },
        el("h2", { id: headingId }, model.name),
        el("span", { class: "kind" }, KIND_TITLES[model.kind] || model.kind),
        el("p", { class: "summary" }, summaryLine(model))),
      el("div", { class: "cards" }, body));
  }

  async function main() {
    const main = document.getElementById("panels");
    const nav = document.getElementById("model-nav");
    try {
      const [models, lim] = await Promise.all([getJSON("api/models"), getJSON("api/limits").catch(() => ({}))]);
      limits = lim || {};
      const list = models.models || [];
      main.replaceChildren();
      if (!list.length) main.append(el("p", { class: "error", role: "alert" }, "The server has no models."));
      for (const m of list) {
        const p = panel(m);
        main.append(p);
        nav.append(el("a", { href: `#${p.id}` }, m.name, el("span", { class: "nav-kind" }, ` ${m.kind}`)));
      }
      document.body.dataset.ready = "true";
    } catch (err) {
      main.replaceChildren(el("p", { class: "error", role: "alert" }, `Could not load the models: ${err.message}`));
      document.body.dataset.ready = "error";
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
