/* Sourcemark annotation page: select words, build a claim, save it through the JSON API.
 *
 * Offsets: the server counts Unicode code points over the canonical text; the DOM counts
 * UTF-16 code units. Every offset sent is converted here (codePoints()), and the server
 * refuses any span whose text does not match, so a wrong conversion can never be stored.
 * No inline script anywhere (strict CSP): data arrives in a JSON block, handlers are bound here.
 */
(function () {
  "use strict";

  const root = document.getElementById("annotate");
  if (!root) return;
  const data = JSON.parse(document.getElementById("sm-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const textEl = document.getElementById("text");
  const form = document.getElementById("claim-form");
  const statusEl = document.getElementById("save-status");
  const paragraphs = Array.from(textEl.querySelectorAll(".para"));
  const draftKey = "sourcemark-draft-" + data.document;

  // The canonical text, as code points, rebuilt from the paragraphs exactly as the server joins them.
  const fullText = paragraphs.map((p) => p.textContent).join("\n\n");
  const chars = Array.from(fullText);

  function codePoints(s) { return Array.from(s).length; }
  function slice(start, end) { return chars.slice(start, end).join(""); }

  /* ---- selection -> code-point offsets ---- */
  function paragraphOf(node) {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return el ? el.closest(".para") : null;
  }
  function offsetIn(para, container, offset) {
    const range = document.createRange();
    range.setStart(para, 0);
    range.setEnd(container, offset);
    return Number(para.dataset.start) + codePoints(range.toString());
  }
  const WORD = /[\p{L}\p{M}\p{N}'’\-]/u;
  function snap(start, end) {
    // Whole words only: extend into a word cut in half, then trim white space at both ends.
    while (start > 0 && WORD.test(chars[start - 1]) && WORD.test(chars[start])) start--;
    while (end < chars.length && WORD.test(chars[end]) && WORD.test(chars[end - 1])) end++;
    // White space and the outer quotation marks are not part of a claim's words (codebook rule).
    while (start < end && /[\s"“”„«»‘’‚'‹›]/u.test(chars[start])) start++;
    while (end > start && /[\s"“”„«»’‘'‹›]/u.test(chars[end - 1])) end--;
    return [start, end];
  }
  function currentSelection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    const a = paragraphOf(range.startContainer), b = paragraphOf(range.endContainer);
    if (!a || !b || !textEl.contains(a) || !textEl.contains(b)) return null;
    const [start, end] = snap(offsetIn(a, range.startContainer, range.startOffset),
                              offsetIn(b, range.endContainer, range.endOffset));
    return end > start ? { start: start, end: end } : null;
  }
  function selectOffsets(start, end) {
    // Show a code-point span as the browser selection (for keyboard extend/shrink).
    function locate(pos) {
      for (const para of paragraphs) {
        const pStart = Number(para.dataset.start), pLen = codePoints(para.textContent);
        if (pos >= pStart && pos <= pStart + pLen) {
          let remaining = pos - pStart;
          const walker = document.createTreeWalker(para, NodeFilter.SHOW_TEXT);
          let node;
          while ((node = walker.nextNode())) {
            const len = codePoints(node.data);
            if (remaining <= len) {
              return [node, Array.from(node.data).slice(0, remaining).join("").length];
            }
            remaining -= len;
          }
          return [para, para.childNodes.length];
        }
      }
      return null;
    }
    const a = locate(start), b = locate(end);
    if (!a || !b) return;
    const range = document.createRange();
    range.setStart(a[0], a[1]);
    range.setEnd(b[0], b[1]);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  /* ---- the claim being built ---- */
  let draft = emptyDraft();
  function emptyDraft() { return { content: [], source: null, cue: null, claimId: null, version: null }; }

  function describe(span) { return span ? "“" + slice(span.start, span.end) + "”" : "—"; }
  function render() {
    const c = document.getElementById("content-preview");
    c.textContent = draft.content.length ? draft.content.map(describe).join(" … ")
      : "select words in the text, then press C";
    document.getElementById("source-preview").textContent = describe(draft.source);
    document.getElementById("cue-preview").textContent = describe(draft.cue);
    form.elements["content"].value = draft.content.map((s) => s.start + "-" + s.end).join(";");
    form.elements["source_span"].value = draft.source ? draft.source.start + "-" + draft.source.end : "";
    form.elements["cue_span"].value = draft.cue ? draft.cue.start + "-" + draft.cue.end : "";
    form.elements["claim_id"].value = draft.claimId || "";
    form.elements["version"].value = draft.version || "";
    document.getElementById("claim-form-title").textContent = draft.claimId ? "Edit claim " + draft.claimId : "New claim";
  }
  function addContent() {
    const span = currentSelection();
    if (!span) return setStatus("Select some words in the text first.", "warn");
    draft.content = draft.content.filter((s) => s.end <= span.start || s.start >= span.end);
    draft.content.push(span);
    draft.content.sort((x, y) => x.start - y.start);
    render(); saveDraft();
    setStatus("Content: " + draft.content.length + " segment(s). Press C again to add an interrupted part.", "");
  }
  function setSpan(kind) {
    const span = currentSelection();
    if (!span) return setStatus("Select the words of the " + kind + " first.", "warn");
    draft[kind] = span;
    render(); saveDraft();
  }
  function clearDraft() {
    draft = emptyDraft();
    form.reset();
    render();
    localStorage.removeItem(draftKey);
    setStatus("", "");
  }

  /* ---- payload, drafts, saving ---- */
  function payload() {
    const get = (name) => (form.elements[name] ? form.elements[name].value : "") || null;
    const body = {
      content: draft.content.map((s) => ({ start: s.start, end: s.end, text: slice(s.start, s.end) })),
      source_span: draft.source ? { start: draft.source.start, end: draft.source.end, text: slice(draft.source.start, draft.source.end) } : null,
      cue_span: draft.cue ? { start: draft.cue.start, end: draft.cue.end, text: slice(draft.cue.start, draft.cue.end) } : null,
      speaker: get("speaker"),
      stances: Array.from(form.querySelectorAll("[data-stance]")).filter((el) => el.value)
        .map((el) => ({ target: el.dataset.stance, value: el.value })),
      note: get("note"),
    };
    ["attribution", "source_specificity", "speaker_resolution", "cue_valence", "claim_type",
     "check_worthiness", "authorial_stance"].forEach((name) => { body[name] = get(name); });
    return body;
  }
  function saveDraft() {
    const fields = {};
    Array.from(form.elements).forEach((el) => { if (el.name && el.type !== "hidden" && el.type !== "submit") fields[el.name] = el.value; });
    localStorage.setItem(draftKey, JSON.stringify({ draft: draft, fields: fields, saved: Date.now() }));
  }
  function restoreDraft() {
    const raw = localStorage.getItem(draftKey);
    if (!raw) return;
    try {
      const stored = JSON.parse(raw);
      draft = Object.assign(emptyDraft(), stored.draft);
      Object.entries(stored.fields || {}).forEach(([name, value]) => { if (form.elements[name]) form.elements[name].value = value; });
      render();
      if (draft.content.length) setStatus("Your unsaved draft was restored.", "warn");
    } catch (e) { localStorage.removeItem(draftKey); }
  }
  function setStatus(message, kind) {
    statusEl.textContent = message;
    statusEl.className = "status " + (kind || "");
  }
  function fieldLabel(field) {
    return field ? " (" + field + ")" : "";
  }

  let retryTimer = null;
  async function save(attempt) {
    attempt = attempt || 0;
    clearTimeout(retryTimer);
    if (!draft.content.length) return setStatus("Select the words of the claim and press C first.", "warn");
    saveDraft();
    const editing = Boolean(draft.claimId);
    const body = payload();
    if (editing) body.version = Number(draft.version);
    else if (data.layer === "gold") body.layer = "gold";
    if (!editing && draft.origin === "suggestion") body.origin = "suggestion";
    else body.client_id = draft.clientId || (draft.clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()));
    saveDraft();
    setStatus("Saving…", "");
    let response;
    try {
      response = await fetch(data.apiBase + (editing ? "/claims/" + draft.claimId : "/documents/" + data.document + "/claims"), {
        method: editing ? "PATCH" : "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      });
    } catch (networkError) {
      return notSaved("the server cannot be reached", attempt);
    }
    if (response.ok) {
      const claim = await response.json();
      localStorage.removeItem(draftKey);
      setStatus("Saved.", "ok");
      window.location.hash = "c" + claim.id;
      window.location.reload();
      return;
    }
    let error = {};
    try { error = (await response.json()).error || {}; } catch (e) { /* not JSON: a proxy or server page */ }
    if (response.status === 409) {
      setStatus("Not saved: someone changed this claim (now version " + (error.current || "?") +
        "). Your version is kept here; reload the page to see theirs, then re-apply your changes.", "error");
      showConflict(draft.claimId);
    } else if (response.status === 400 && error.code === "csrf" || response.status === 401) {
      setStatus("Not saved: your session expired. Your draft is kept in this browser: log in again (in a new tab) and press Save.", "error");
    } else if (response.status >= 500 || response.status === 429) {
      notSaved(error.message || "server error " + response.status, attempt);
    } else {
      setStatus("Not saved: " + (error.message || "error " + response.status) + fieldLabel(error.field), "error");
      if (error.field === "speaker" && body.speaker && /no speaker named/.test(error.message || "")) offerNewSpeaker(body.speaker);
    }
  }
  function offerNewSpeaker(name) {
    // The registry lacks this name: add it in place (name only; details on the speakers page).
    const button = document.createElement("button");
    button.type = "button";
    button.id = "add-speaker";
    button.textContent = "Add “" + name + "” to the registry and save";
    button.addEventListener("click", async () => {
      button.disabled = true;
      const result = await sendJson("POST", "/projects/" + data.project + "/speakers", { name: name });
      if (result.ok || result.status === 409) { button.remove(); save(); }
      else { setStatus("Could not add the speaker: " + explain(result), "error"); button.disabled = false; }
    });
    statusEl.after(button);
  }
  function notSaved(reason, attempt) {
    const delay = Math.min(30000, 2000 * Math.pow(2, attempt));
    setStatus("Not saved: " + reason + ". Your draft is kept; retrying in " + Math.round(delay / 1000) + " s.", "error");
    retryTimer = setTimeout(() => save(attempt + 1), delay);
  }
  async function showConflict(claimId) {
    try {
      const response = await fetch(data.apiBase + "/claims/" + claimId, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (!response.ok) return;
      const current = await response.json();
      const box = document.createElement("div");
      box.className = "conflict";
      box.setAttribute("role", "alert");
      const mine = payload();
      const rows = [["speaker", (current.speaker && current.speaker.name) || "—", mine.speaker || "—"],
        ["attribution", current.attribution, mine.attribution], ["claim type", current.claim_type, mine.claim_type],
        ["check-worthiness", current.check_worthiness, mine.check_worthiness], ["note", current.note, mine.note]];
      const table = document.createElement("table");
      const head = table.insertRow();
      ["", "saved (version " + current.version + ")", "yours"].forEach((t) => { const th = document.createElement("th"); th.textContent = t; head.appendChild(th); });
      rows.forEach((r) => { const tr = table.insertRow(); r.forEach((v) => { tr.insertCell().textContent = v == null ? "—" : String(v); }); });
      box.appendChild(table);
      const keep = document.createElement("button");
      keep.type = "button";
      keep.textContent = "Save mine over version " + current.version;
      keep.addEventListener("click", () => { draft.version = current.version; box.remove(); save(); });
      box.appendChild(keep);
      statusEl.after(box);
    } catch (e) { /* the status line already says what happened */ }
  }

  /* ---- editing and deleting existing claims ---- */
  // The claims come as one table ({fields, rows}: spans as [start, end], the speaker as a name).
  function claimFromRow(row) {
    const span = (pair) => (pair ? { start: pair[0], end: pair[1] } : null);
    const c = {};
    data.claims.fields.forEach((name, i) => { c[name] = row[i]; });
    c.content = c.content.map(span);
    c.source_span = span(c.source_span);
    c.cue_span = span(c.cue_span);
    c.speaker = c.speaker === null ? null : { name: c.speaker };
    c.stances = c.stances.map((pair) => ({ target: pair[0], value: pair[1] }));
    return c;
  }
  const claimsById = {};
  data.claims.rows.forEach((row) => { const c = claimFromRow(row); claimsById[c.id] = c; });
  function edit(claimId) {
    const c = claimsById[claimId];
    if (!c) return;
    form.reset();
    draft = { content: c.content.map((s) => ({ start: s.start, end: s.end })), source: c.source_span,
      cue: c.cue_span, claimId: c.id, version: c.version };
    form.elements["speaker"].value = c.speaker ? c.speaker.name : "";
    ["attribution", "source_specificity", "speaker_resolution", "cue_valence", "claim_type",
     "check_worthiness", "authorial_stance", "note"].forEach((name) => { if (form.elements[name]) form.elements[name].value = c[name] || ""; });
    c.stances.forEach((s) => { const el = form.querySelector('[data-stance="' + s.target + '"]'); if (el) el.value = s.value; });
    render();
    form.elements["speaker"].focus();
  }
  async function remove(claimId) {
    if (!window.confirm("Delete this claim? It stays in the audit log.")) return;
    const c = claimsById[claimId];
    const response = await fetch(data.apiBase + "/claims/" + claimId + (c ? "?version=" + c.version : ""), {
      method: "DELETE", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
    if (response.status === 204) window.location.reload();
    else setStatus("Not deleted (error " + response.status + ").", "error");
  }

  /* ---- codebook beside the text ---- */
  const definitionEl = document.getElementById("definition");
  function showDefinitions(name, selected) {
    const field = name.startsWith("stance_") ? "stance" : name;
    const entries = field === "targets" ? data.codebook.targets.map((t) => ({ code: t.code, label: t.label, definition: t.description }))
      : (data.codebook.fields || {})[field];
    if (!entries) return;
    definitionEl.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = field.replace(/_/g, " ");
    definitionEl.appendChild(title);
    const list = document.createElement("dl");
    entries.filter((e) => !e.retired).forEach((e) => {
      const dt = document.createElement("dt");
      dt.textContent = e.label + " (" + e.code + ")";
      const dd = document.createElement("dd");
      dd.textContent = e.definition || "";
      if (e.examples) {
        const ex = document.createElement("div");
        ex.className = "examples";
        ex.textContent = "Examples: " + e.examples;
        dd.appendChild(ex);
      }
      if (e.code === selected) { dt.className = dd.className = "selected"; }
      list.append(dt, dd);
    });
    definitionEl.appendChild(list);
  }

  /* ---- wiring ---- */
  if (form) {
    form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    form.addEventListener("change", saveDraft);
    form.addEventListener("input", saveDraft);
    form.querySelectorAll("select").forEach((el) => {
      el.addEventListener("focus", () => showDefinitions(el.name, el.value));
      el.addEventListener("change", () => showDefinitions(el.name, el.value));
    });
    form.querySelectorAll("[data-action]").forEach((button) => {
      button.addEventListener("click", () => {
        const action = button.dataset.action;
        if (action === "content") addContent();
        else if (action === "source" || action === "cue") setSpan(action);
        else clearDraft();
      });
    });
    // Keep the text selection when a button is pressed with the mouse.
    form.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("mousedown", (e) => e.preventDefault()));
    restoreDraft();
    render();
  }
  document.querySelectorAll("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(Number(b.dataset.edit))));
  // Delete buttons submit the page's one #delete-claim form (without JavaScript); here, the API deletes.
  document.querySelectorAll("button[data-delete]").forEach((b) => b.addEventListener("click", (event) => {
    event.preventDefault(); remove(Number(b.dataset.delete));
  }));
  textEl.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl");
    if (!mark || !window.getSelection().isCollapsed) return;
    if (mark.dataset.suggestions && !mark.dataset.claims) {
      const entry = document.getElementById("s" + mark.dataset.suggestions.split(" ")[0]);
      if (entry) { entry.scrollIntoView({ block: "nearest" }); }
      return;
    }
    const first = mark.dataset.claims.split(" ")[0];
    const item = document.getElementById("c" + first);
    if (item) { item.scrollIntoView({ block: "nearest" }); item.focus(); }
  });
  window.addEventListener("beforeunload", (event) => {
    if (draft.content.length && localStorage.getItem(draftKey)) { event.preventDefault(); }
  });

  /* ---- bias markers and article labels ---- */
  const markerForm = document.getElementById("marker-form");
  let markerSpan = null;
  function markSelection() {
    const span = currentSelection();
    if (!span || !markerForm) return;
    markerSpan = span;
    document.getElementById("marker-preview").textContent = describe(span);
    markerForm.elements["bias_type"].focus();
  }
  async function sendJson(method, path, body) {
    const response = await fetch(data.apiBase + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    try { payload = response.status === 204 ? null : await response.json(); } catch (e) { payload = null; }
    return { ok: response.ok, status: response.status, body: payload };
  }
  function explain(result) {
    const error = (result.body && result.body.error) || {};
    if (result.status === 400 && error.code === "csrf" || result.status === 401) return "your session expired; log in again (in a new tab) and retry";
    return (error.message || "error " + result.status) + fieldLabel(error.field);
  }
  if (markerForm) {
    markerForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = document.getElementById("marker-status");
      if (!markerSpan) { status.textContent = "Select words and press B first."; status.className = "status warn"; return; }
      const body = { layer: data.layer, span: { start: markerSpan.start, end: markerSpan.end, text: slice(markerSpan.start, markerSpan.end) },
        bias_type: markerForm.elements["bias_type"].value, target: markerForm.elements["target"].value || null,
        polarity: markerForm.elements["polarity"].value || null };
      let result;
      try { result = await sendJson("POST", "/documents/" + data.document + "/markers", body); }
      catch (e) { status.textContent = "Not saved: the server cannot be reached."; status.className = "status error"; return; }
      if (result.ok) { window.location.hash = "m" + result.body.id; window.location.reload(); return; }
      status.textContent = "Not saved: " + explain(result);
      status.className = "status error";
    });
    markerForm.querySelectorAll("select").forEach((el) => el.addEventListener("focus", () => showDefinitions(el.name === "target" ? "targets" : el.name, el.value)));
  }
  document.querySelectorAll("[data-delete-marker]").forEach((button) => button.addEventListener("click", async () => {
    if (!window.confirm("Delete this bias marker? It stays in the audit log.")) return;
    const result = await sendJson("DELETE", "/markers/" + button.dataset.deleteMarker);
    if (result.ok) window.location.reload();
  }));
  const labelsForm = document.getElementById("labels-form");
  if (labelsForm && root.dataset.editable === "yes") {
    labelsForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = document.getElementById("labels-status");
      const value = (name) => labelsForm.elements[name].value || null;
      const slant = {};
      labelsForm.querySelectorAll("[data-slant]").forEach((el) => { if (el.value) slant[el.dataset.slant] = el.value; });
      const body = { outlet: value("outlet"), ownership: value("ownership"), genre: value("genre"), frame: value("frame"),
        slant: slant, omissions: value("omissions"), notes: value("notes"), version: Number(labelsForm.dataset.version),
        layer: data.layer };
      let result;
      try { result = await sendJson("PUT", "/documents/" + data.document + "/labels", body); }
      catch (e) { status.textContent = "Not saved: the server cannot be reached."; status.className = "status error"; return; }
      if (result.ok) {
        labelsForm.dataset.version = result.body.version;
        status.textContent = "Saved.";
        status.className = "status ok";
      } else {
        status.textContent = "Not saved: " + explain(result) + (result.status === 409 ? " Reload to see the other version." : "");
        status.className = "status error";
      }
    });
  }

  /* ---- suggestions: accept (becomes the annotator's own claim), edit first, or dismiss ---- */
  function suggestionBody(item) {
    const body = { content: item.content.map((s) => ({ start: s.start, end: s.end, text: s.text })),
      source_span: item.source_span, cue_span: item.cue_span, attribution: item.attribution,
      speaker: item.speaker ? item.speaker.id : null, speaker_resolution: item.speaker_resolution,
      source_specificity: item.source_specificity, cue_valence: item.cue_valence, claim_type: item.claim_type,
      origin: "suggestion", client_id: "suggestion-" + item.key };
    return body;
  }
  async function acceptSuggestion(index) {
    const item = (data.suggestions || [])[index];
    if (!item) return;
    const result = await sendJson("POST", "/documents/" + data.document + "/claims", suggestionBody(item));
    if (result.ok) { window.location.reload(); return; }
    setStatus("Not accepted: " + explain(result), "error");
  }
  function editSuggestion(index) {
    const item = (data.suggestions || [])[index];
    if (!item || !form) return;
    form.reset();
    draft = { content: item.content.map((s) => ({ start: s.start, end: s.end })), source: item.source_span,
      cue: item.cue_span, claimId: null, version: null, origin: "suggestion" };
    form.elements["speaker"].value = item.speaker ? item.speaker.name : (item.speaker_mention || "");
    ["attribution", "source_specificity", "speaker_resolution", "cue_valence", "claim_type"].forEach((name) => {
      if (form.elements[name] && item[name]) form.elements[name].value = item[name];
    });
    render();
    saveDraft();
    form.elements["speaker"].focus();
  }
  async function dismissSuggestion(index) {
    const item = (data.suggestions || [])[index];
    if (!item) return;
    const result = await sendJson("POST", "/documents/" + data.document + "/suggestions/dismiss", { key: item.key });
    if (result.ok) { window.location.reload(); return; }
    setStatus("Not dismissed: " + explain(result), "error");
  }
  document.querySelectorAll("[data-accept]").forEach((b) => b.addEventListener("click", () => acceptSuggestion(Number(b.dataset.accept))));
  document.querySelectorAll("[data-edit-suggestion]").forEach((b) => b.addEventListener("click", () => editSuggestion(Number(b.dataset.editSuggestion))));
  document.querySelectorAll("[data-dismiss]").forEach((b) => b.addEventListener("click", () => dismissSuggestion(Number(b.dataset.dismiss))));

  const markDone = document.getElementById("mark-done");
  if (markDone) {
    markDone.addEventListener("click", async () => {
      const result = await sendJson("PATCH", "/assignments/" + markDone.dataset.assignment, { status: "done" });
      if (result.ok) window.location.href = markDone.dataset.next;
      else setStatus("Not marked done: " + explain(result), "error");
    });
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }
  // Keyboard selection, word by word: the end moves with Alt+Shift+arrows, the start with Alt+arrows.
  function nextWordEnd(pos) { while (pos < chars.length && /\s/u.test(chars[pos])) pos++; while (pos < chars.length && !/\s/u.test(chars[pos])) pos++; return pos; }
  function previousWordEnd(pos) { while (pos > 0 && !/\s/u.test(chars[pos - 1])) pos--; while (pos > 0 && /\s/u.test(chars[pos - 1])) pos--; return pos; }
  function nextWordStart(pos) { while (pos < chars.length && !/\s/u.test(chars[pos])) pos++; while (pos < chars.length && /\s/u.test(chars[pos])) pos++; return pos; }
  function previousWordStart(pos) { while (pos > 0 && /\s/u.test(chars[pos - 1])) pos--; while (pos > 0 && !/\s/u.test(chars[pos - 1])) pos--; return pos; }
  function moveSelection(edge, direction) {
    const span = currentSelection();
    if (!span) return selectParagraph(0);
    let { start, end } = span;
    if (edge === "end") end = direction > 0 ? nextWordEnd(end) : previousWordEnd(end);
    else start = direction > 0 ? nextWordStart(start) : previousWordStart(start);
    [start, end] = snap(Math.max(0, start), Math.min(chars.length, end));
    if (end > start) selectOffsets(start, end);
  }
  let currentParagraph = -1;
  function selectParagraph(step) {
    currentParagraph = Math.max(0, Math.min(paragraphs.length - 1, currentParagraph + step));
    const para = paragraphs[currentParagraph];
    const start = Number(para.dataset.start);
    para.scrollIntoView({ block: "center" });
    selectOffsets(start, nextWordEnd(start));
  }
  let currentClaim = -1;
  function focusClaim(step) {
    const items = Array.from(document.querySelectorAll("#claim-list li[data-claim]"));
    if (!items.length) return;
    currentClaim = (currentClaim + step + items.length) % items.length;
    items[currentClaim].focus();
    items[currentClaim].scrollIntoView({ block: "nearest" });
  }
  function toggleHelp() {
    const help = document.getElementById("keys-help");
    if (help) help.hidden = !help.hidden;
  }

  document.addEventListener("keydown", (event) => {
    if (!form) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); save(); return; }
    if (event.key === "Escape") {
      const help = document.getElementById("keys-help");
      if (help && !help.hidden) { help.hidden = true; return; }
      if (typing(event.target)) { event.target.blur(); return; }
      clearDraft(); return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey) return;
    if (event.altKey && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      event.preventDefault();
      moveSelection(event.shiftKey ? "end" : "start", event.key === "ArrowRight" ? 1 : -1);
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "c") { event.preventDefault(); addContent(); }
    else if (key === "s") { event.preventDefault(); setSpan("source"); }
    else if (key === "u") { event.preventDefault(); setSpan("cue"); }
    else if (key === "p") { event.preventDefault(); form.elements["speaker"].focus(); }
    else if (key === "a") { event.preventDefault(); form.elements["attribution"].focus(); }
    else if (key === "b") { event.preventDefault(); markSelection(); }
    else if (event.key === "]") { event.preventDefault(); selectParagraph(1); }
    else if (event.key === "[") { event.preventDefault(); selectParagraph(-1); }
    else if (key === "j") { event.preventDefault(); focusClaim(1); }
    else if (key === "k") { event.preventDefault(); focusClaim(-1); }
    else if (key === "e" && currentClaim >= 0) {
      event.preventDefault();
      const item = document.querySelectorAll("#claim-list li[data-claim]")[currentClaim];
      if (item) edit(Number(item.dataset.claim));
    }
    else if (event.key === "?") { event.preventDefault(); toggleHelp(); }
    else if (key === "y" && (data.suggestions || []).length) { event.preventDefault(); acceptSuggestion(0); }
    else if (key === "n" && (data.suggestions || []).length) { event.preventDefault(); dismissSuggestion(0); }
  });
})();
