// Smart Customs Cloud — guided tariff classification page. Plain JS, no build step, nothing fetched but the API.
// API contract: docs/api.md (POST /v1/sessions, GET /v1/sessions/{id}, POST /v1/sessions/{id}/answers).
"use strict";

(() => {
  const LANGS = ["en", "zh-TW", "ko"];
  const params = new URLSearchParams(location.search);
  const API = (params.get("api") || `${location.protocol}//${location.hostname}:8000`).replace(/\/+$/, "");

  const state = {
    lang: pickLang(),
    view: null, // the last session view from the API
    busy: false,
    lastAction: null, // what "Try again" repeats
    error: null,
  };

  const $ = (id) => document.getElementById(id);

  // --- language ---------------------------------------------------------------------------------------

  function pickLang() {
    const fromUrl = params.get("lang");
    if (LANGS.includes(fromUrl)) return fromUrl;
    try {
      const saved = localStorage.getItem("customs.lang");
      if (LANGS.includes(saved)) return saved;
    } catch (_) { /* storage may be disabled */ }
    const browser = navigator.language || "";
    return /^zh/i.test(browser) ? "zh-TW" : /^ko/i.test(browser) ? "ko" : "en";
  }

  function t(key, vars) {
    const table = window.I18N[state.lang] || window.I18N.en;
    let text = key in table ? table[key] : window.I18N.en[key];
    if (typeof text === "string" && vars) {
      text = text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
    }
    return text;
  }

  function setLang(lang) {
    if (!LANGS.includes(lang)) return;
    state.lang = lang;
    try { localStorage.setItem("customs.lang", lang); } catch (_) { /* ignore */ }
    updateUrl({ lang });
    applyStaticText();
    render();
  }

  function applyStaticText() {
    document.documentElement.lang = state.lang;
    document.title = t("pageTitle");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    document.querySelectorAll(".lang-btn").forEach((btn) => btn.setAttribute("aria-pressed", String(btn.dataset.lang === state.lang)));
    const examples = t("exampleTexts");
    document.querySelectorAll("[data-example]").forEach((btn) => { btn.textContent = examples[Number(btn.dataset.example)] || ""; });
    $("api-base").textContent = API;
  }

  // --- formatting -------------------------------------------------------------------------------------

  /** 851713 → 8517.13; 8517130000 → 8517.13.00.00; 85 / 8517 unchanged. */
  function formatCode(code) {
    const digits = String(code || "").replace(/\D/g, "");
    if (digits.length <= 4) return digits;
    const pairs = digits.slice(4).match(/.{1,2}/g) || [];
    return [digits.slice(0, 4), ...pairs].join(".");
  }

  function percent(p) {
    const value = Math.max(0, Math.min(1, Number(p) || 0));
    const format = new Intl.NumberFormat(state.lang, { style: "percent", maximumFractionDigits: 1 });
    return value > 0 && value < 0.001 ? `<${format.format(0.001)}` : format.format(value);
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function bar(probability, label) {
    const pct = Math.round(Math.max(0, Math.min(1, Number(probability) || 0)) * 1000) / 10;
    return el("span", { class: "bar", role: "img", "aria-label": label },
      el("span", { class: "fill", style: `width:${pct}%` }));
  }

  function candidateItem(candidate, rank, testid) {
    const label = t("probabilityOf", { p: percent(candidate.probability) });
    return el("li", { class: "candidate", "data-testid": testid, "data-hs6": candidate.hs6 },
      el("div", { class: "candidate-head" },
        el("span", { class: "rank", "aria-hidden": "true", text: String(rank) }),
        el("span", { class: "code small-code", text: formatCode(candidate.hs6) }),
        el("span", { class: "candidate-desc", text: candidate.description || "" }),
        el("span", { class: "pct", text: percent(candidate.probability) })),
      bar(candidate.probability, label),
      // The HS wording is English; on the Chinese and Korean pages, trade names of the subheading help to check it.
      examplesLine(candidate, testid),
      candidate.path_text ? el("p", { class: "path-text small muted", text: candidate.path_text }) : null);
  }

  const EXAMPLES = { "zh-TW": { field: "examples_zh", joiner: "、" }, ko: { field: "examples_ko", joiner: ", " } };

  function examplesLine(candidate, testid) {
    const wanted = EXAMPLES[state.lang];
    const names = wanted ? candidate[wanted.field] || [] : [];
    return names.length
      ? el("p", { class: "examples small", "data-testid": `${testid}-examples`, lang: state.lang,
        text: t("examplesOf", { names: names.join(wanted.joiner) }) })
      : null;
  }

  // --- API --------------------------------------------------------------------------------------------

  async function call(method, path, body) {
    let response;
    try {
      response = await fetch(API + path, {
        method,
        headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw { network: true, message: t("networkError", { api: API }) };
    }
    let payload = null;
    try { payload = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const error = (payload && payload.error) || {};
      throw {
        status: response.status,
        code: error.code || "http_error",
        field: error.field || null,
        message: error.message || `HTTP ${response.status}`,
        retryAfter: response.headers.get("Retry-After"),
      };
    }
    return payload;
  }

  async function run(action, statusText) {
    if (state.busy) return;
    state.busy = true;
    state.lastAction = action;
    clearError();
    setBusy(true, statusText);
    try {
      const view = await action();
      state.lastAction = null;
      if (view) showView(view);
    } catch (error) {
      showError(error);
    } finally {
      state.busy = false;
      setBusy(false);
    }
  }

  function startSession(text) {
    return run(async () => call("POST", "/v1/sessions", { text, lang: state.lang }), t("working"));
  }

  function loadSession(id) {
    return run(async () => {
      try {
        return await call("GET", `/v1/sessions/${encodeURIComponent(id)}`);
      } catch (error) {
        // An unknown or expired session: say so, and leave an address that starts afresh.
        if (error.status === 404 || error.status === 400) updateUrl({ session: null });
        throw error;
      }
    }, t("loadingSession"));
  }

  function answer(questionId, optionId) {
    const view = state.view;
    return run(async () => {
      try {
        return await call("POST", `/v1/sessions/${encodeURIComponent(view.session_id)}/answers`,
          { question_id: questionId, option_id: optionId, version: view.version });
      } catch (error) {
        if (error.status === 409) {
          // Answered elsewhere (another tab): show where the session is now, and say so.
          const fresh = await call("GET", `/v1/sessions/${encodeURIComponent(view.session_id)}`);
          showView(fresh);
          throw error;
        }
        throw error;
      }
    }, t("working"));
  }

  // --- rendering ----------------------------------------------------------------------------------------

  function setBusy(busy, text) {
    $("main").setAttribute("aria-busy", String(busy));
    document.querySelectorAll("#describe-form button, #options button, #start-over, #retry").forEach((b) => { b.disabled = busy; });
    $("status").textContent = busy ? text || t("working") : "";
    $("status").classList.toggle("spinner", busy);
  }

  function showError(error) {
    state.error = error;
    renderError();
    $("error").focus?.();
  }

  function clearError() {
    state.error = null;
    renderError();
  }

  function renderError() {
    const error = state.error;
    $("error").hidden = !error;
    if (!error) return;
    $("error-message").textContent = error.message;
    const details = [];
    if (error.status) details.push(t("errorCode", { status: error.status, code: error.code }) + (error.field ? ` · ${error.field}` : ""));
    if (error.retryAfter) details.push(t("retryAfter", { s: error.retryAfter }));
    if (error.status === 409) details.push(t("staleReloaded"));
    $("error-detail").textContent = details.join(" — ");
    $("retry").hidden = !(state.lastAction && (error.network || error.status === 503 || error.status >= 500));
  }

  function showView(view) {
    const previous = state.view;
    state.view = view;
    updateUrl({ session: view.session_id });
    render();
    // Move focus to what changed, for keyboard and screen-reader users.
    if (view.status === "done") $("result-title").focus({ preventScroll: false });
    else if (view.question && (!previous || previous.version !== view.version)) $("question-title").focus({ preventScroll: false });
  }

  function render() {
    applyStaticText();
    renderError();
    const view = state.view;
    $("session").hidden = !view;
    $("describe").hidden = !!view; // the session view replaces the form; "Start over" brings it back
    if (!view) return;
    $("session-description").textContent = view.description || "";
    $("session-read-as").textContent = view.read_as || "";
    $("session-read-as-line").hidden = !view.read_as; // only when the classifier read a translation or expansion
    $("session-id").textContent = view.session_id;
    const done = view.status === "done";
    renderQuestion(done ? null : view.question, (view.history || []).length + 1);
    renderCandidates(done ? [] : view.candidates || []);
    $("candidates-card").hidden = done;
    renderResult(done ? view.result : null, view.history || []);
  }

  function renderQuestion(question, number) {
    $("question").hidden = !question;
    const options = $("options");
    options.replaceChildren();
    if (!question) return;
    $("question").dataset.questionId = question.id;
    $("question-step").textContent = t("questionStep", { n: number });
    $("question-title").textContent = question.text;
    for (const option of question.options || []) {
      const notSure = option.id === "not_sure";
      options.append(el("button", {
        type: "button",
        class: `btn option${notSure ? " not-sure" : ""}`,
        "data-testid": `option-${option.id}`,
        "data-option-id": option.id,
        text: option.label,
        onclick: () => answer(question.id, option.id),
      }));
    }
  }

  function renderCandidates(candidates) {
    $("candidates").replaceChildren(...candidates.map((c, i) => candidateItem(c, i + 1, `candidate-${c.hs6}`)));
  }

  function renderResult(result, history) {
    $("result").hidden = !result;
    if (!result) return;
    $("result-hs6").textContent = formatCode(result.hs6);
    const line = result.national_line;
    $("result-national").textContent = line ? formatCode(line.code) : t("noNationalLine");
    $("result-national").classList.toggle("undetermined", !line);
    $("result-national-text").textContent = line ? line.description + (line.unit ? ` (${line.unit})` : "") : "";
    $("result-description").textContent = result.description || "";
    $("result-probability").textContent = percent(result.probability);
    $("result-bar").style.width = `${Math.round((Number(result.probability) || 0) * 1000) / 10}%`;

    $("result-path").replaceChildren(...(result.path || []).map((step) =>
      el("li", { "data-testid": `path-${step.level}` },
        el("span", { class: "path-level small muted", text: `${t("level" + step.level) || step.level} ${formatCode(step.code)}` }),
        el("span", { text: step.description }))));
    $("result-path-text").textContent = result.path_text || "";

    const lines = result.national_lines || [];
    $("national-lines-box").hidden = !!line || lines.length === 0;
    $("national-lines").replaceChildren(...lines.map((l) =>
      el("li", { "data-testid": `national-line-${l.code}` },
        el("span", { class: "code small-code", text: formatCode(l.code) }), " ",
        el("span", { text: l.description }))));

    const alternatives = result.alternatives || [];
    $("alternatives").replaceChildren(...(alternatives.length
      ? alternatives.map((c, i) => candidateItem(c, i + 2, `alternative-${c.hs6}`))
      : [el("li", { class: "muted small", text: t("noAlternatives") })]));

    $("history").replaceChildren(...(history.length
      ? history.map((h, i) => el("li", { "data-testid": `history-item-${i}` },
        el("p", { class: "q" }, el("span", { class: "qa", "aria-hidden": "true", text: t("historyQuestion") }), h.question),
        el("p", { class: "a" }, el("span", { class: "qa", "aria-hidden": "true", text: t("historyAnswer") }), h.answer)))
      : [el("li", { class: "muted small", text: t("historyEmpty") })]));
  }

  // --- URL (resumable via ?session=) ----------------------------------------------------------------------

  function updateUrl(changes) {
    const url = new URL(location.href);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined) url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    }
    if (url.href !== location.href) history.replaceState(null, "", url);
  }

  function startOver() {
    state.view = null;
    state.lastAction = null;
    clearError();
    updateUrl({ session: null });
    $("describe-form").reset();
    render();
    $("description").focus();
  }

  // --- wiring -------------------------------------------------------------------------------------------

  function init() {
    document.querySelectorAll(".lang-btn").forEach((btn) => btn.addEventListener("click", () => setLang(btn.dataset.lang)));
    $("describe-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("description").value.trim();
      if (!text) {
        state.lastAction = null;
        showError({ message: t("emptyDescription"), field: "text" });
        $("description").setAttribute("aria-invalid", "true");
        $("description").focus();
        return;
      }
      $("description").removeAttribute("aria-invalid");
      startSession(text);
    });
    document.querySelectorAll("[data-example]").forEach((btn) => btn.addEventListener("click", () => {
      $("description").value = btn.textContent;
      $("description").focus();
    }));
    $("start-over").addEventListener("click", startOver);
    $("retry").addEventListener("click", () => { if (state.lastAction) run(state.lastAction, t("working")); });
    $("dismiss-error").addEventListener("click", clearError);
    $("error").tabIndex = -1;

    applyStaticText();
    render();
    const session = params.get("session");
    if (session) loadSession(session);
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
