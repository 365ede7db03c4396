// The ministry console: a script over the JSON API, rendered inside #console.
// - sign in with an issuer token (kept in this tab's sessionStorage only);
// - list and search the country's certificates (#/list);
// - a new application form generated from the application schema (#/new), with the
//   example applications as templates, photo upload, and the API's field errors and rule
//   findings shown beside the fields they name (matched by JSON Pointer, data-pointer);
// - a certificate's page (#/c/NUMBER): facts, QR code, PDF, rule evaluations, history,
//   and suspend / reinstate / revoke with a reason.
// Strict CSP: no inline styles or handlers, the DOM is built with createElement and
// textContent only. Every static text is written as a call of the i18n helper with a
// literal key (a unit test checks the keys against messages.json).
(function () {
  'use strict';

  const lang = document.body.dataset.lang === 'fr' ? 'fr' : 'en';
  const TOKEN_KEY = 'cartouche.issuer';
  const root = document.getElementById('console');
  if (!root) return;

  let texts = {};

  // The text of a static key; the key itself when the table lacks it (visible, not fatal).
  function t(key) {
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  }

  // A text with {name} placeholders.
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // The label of a schema property (dynamic key field.NAME), or null.
  function label(name) {
    const key = 'field.' + name;
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : null;
  }

  // The label of an enum value: field.NAME.VALUE, else the value itself.
  function enumLabel(name, value) {
    const key = 'field.' + name + '.' + value;
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : String(value);
  }

  async function loadTexts() {
    try {
      const response = await fetch(`/assets/i18n/${lang}.json`);
      if (response.ok) texts = await response.json();
    } catch (_) {
      // Keys stay visible; the console still works.
    }
  }

  function stateLabel(state) {
    const names = {
      active: t("state.active"),
      used: t("state.used"),
      exported_temporarily: t("state.exported_temporarily"),
      overdue: t("state.overdue"),
      suspended: t("state.suspended"),
      revoked: t("state.revoked"),
      expired: t("state.expired"),
    };
    return names[state] || String(state);
  }

  function eventLabel(kind) {
    const names = {
      issued: t("event.issued"),
      exited: t("event.exited"),
      returned: t("event.returned"),
      revoked: t("event.revoked"),
      suspended: t("event.suspended"),
      reinstated: t("event.reinstated"),
    };
    return names[kind] || String(kind);
  }

  function outcomeLabel(outcome) {
    const names = {
      pass: t("outcome.pass"),
      fail: t("outcome.fail"),
      warning: t("console.outcome.warning"),
      indeterminate: t("console.outcome.indeterminate"),
    };
    return names[outcome] || String(outcome);
  }

  function severityLabel(severity) {
    const names = {
      error: t("console.severity.error"),
      warning: t("console.severity.warning"),
      info: t("console.severity.info"),
    };
    return names[severity] || String(severity);
  }

  function exportTypeLabel(type) {
    const names = { definitive: t("export_type.definitive"), temporary: t("export_type.temporary") };
    return names[type] || String(type || '');
  }

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = value;
        else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
        else if (value === true) node.setAttribute(key, '');
        else node.setAttribute(key, String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  let uid = 0;
  function nextId(prefix) {
    uid += 1;
    return `${prefix}-${uid}`;
  }

  function byPointer(scope, pointer, selector) {
    const value = CSS.escape(pointer);
    return scope.querySelector(selector.split(',').map((s) => `${s.trim()}[data-pointer="${value}"]`).join(','));
  }

  function addDescribedBy(node, id) {
    const list = (node.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (!list.includes(id)) list.push(id);
    node.setAttribute('aria-describedby', list.join(' '));
  }

  // "Label: " in English, "Label : " (narrow no-break space) in French.
  function colon(text) {
    return lang === 'fr' ? `${text}\u202f: ` : `${text}: `;
  }

  function isoDate(text) {
    return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text);
  }

  function fmtDate(text) {
    if (!text) return '';
    if (isoDate(text)) {
      const date = new Date(`${text}T00:00:00Z`);
      if (Number.isNaN(date.getTime())) return text;
      return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
    }
    return fmtDateTime(text);
  }

  function fmtDateTime(text) {
    if (!text) return '';
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) return String(text);
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // Outside a secure context: a version-4 UUID from getRandomValues.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ---------------------------------------------------------------- token and API

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  function setToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      // Storage refused (private mode): the token lives as long as the page.
    }
    memoryToken = value || '';
  }

  let memoryToken = '';
  function currentToken() {
    return token() || memoryToken;
  }

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  // Calls the API with the Bearer token. Resolves to the parsed JSON (or a Blob with
  // as: 'blob'); rejects with an ApiError carrying the API's message.
  async function api(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    const bearer = options.token !== undefined ? options.token : currentToken();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let response;
    try {
      response = await fetch(path, { method: options.method || 'GET', headers, body, credentials: 'omit' });
    } catch (error) {
      throw new ApiError(0, 'network', fmt(t("console.network_error"), { detail: error && error.message ? error.message : '' }));
    }
    if (!response.ok) {
      let code = 'http_' + response.status;
      let message = `HTTP ${response.status}`;
      let details = {};
      try {
        const data = await response.json();
        if (data && data.error) {
          code = data.error.code || code;
          message = data.error.message || message;
          details = data.error.details || {};
        }
      } catch (_) {
        // not JSON: keep the status
      }
      const error = new ApiError(response.status, code, message, details);
      if (response.status === 401 && options.token === undefined) signedOut(error.message);
      throw error;
    }
    if (options.as === 'blob') return response.blob();
    if (response.status === 204) return null;
    try {
      return await response.json();
    } catch (_) {
      throw new ApiError(response.status, 'bad_response', t("console.bad_response"));
    }
  }

  let schemaPromise = null;
  function loadSchema() {
    if (!schemaPromise) {
      schemaPromise = fetch('/assets/application.schema.json').then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      });
      schemaPromise.catch(() => {
        schemaPromise = null;
      });
    }
    return schemaPromise;
  }

  // ---------------------------------------------------------------- frame

  const alertBox = h('div', { id: 'console-alert', class: 'alert', role: 'alert', hidden: true });
  const nav = h('nav', { id: 'console-nav', class: 'console-nav', hidden: true });
  const view = h('div', { id: 'console-view' });
  const objectUrls = new Set();
  let routeSeq = 0;
  let firstRender = true;
  let pendingNotice = '';

  function showAlert(message) {
    alertBox.replaceChildren(h('p', { text: message }));
    alertBox.hidden = false;
  }

  function clearAlert() {
    alertBox.replaceChildren();
    alertBox.hidden = true;
  }

  function objectUrl(blob) {
    const url = URL.createObjectURL(blob);
    objectUrls.add(url);
    return url;
  }

  function releaseUrls() {
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls.clear();
  }

  function heading(text, extraClass) {
    return h('h2', { id: 'view-title', tabindex: '-1', class: extraClass, text });
  }

  function focusHeading() {
    const title = document.getElementById('view-title');
    if (title) title.focus();
  }

  function buildNav() {
    nav.setAttribute('aria-label', t("console.nav.label"));
    // A link to the current route reloads it (no hashchange would fire).
    const reload = (event) => {
      if (location.hash === event.currentTarget.getAttribute('href')) {
        event.preventDefault();
        route();
      }
    };
    nav.replaceChildren(
      h('a', { id: 'nav-list', href: '#/list', onclick: reload, text: t("console.nav.list") }),
      h('a', { id: 'nav-new', href: '#/new', onclick: reload, text: t("console.nav.new") }),
      h('button', { id: 'sign-out', type: 'button', onclick: signOut, text: t("console.sign_out") }),
    );
  }

  function markNav(which) {
    for (const [id, name] of [['nav-list', 'list'], ['nav-new', 'new']]) {
      const link = document.getElementById(id);
      if (!link) continue;
      if (name === which) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  // The language switch keeps the console's route.
  function updateLanguageLinks() {
    for (const link of document.querySelectorAll('header.site nav.lang a[href]')) {
      const url = new URL(link.getAttribute('href'), location.href);
      url.hash = location.hash.startsWith('#/') ? location.hash : '';
      link.setAttribute('href', url.pathname + url.search + url.hash);
    }
  }

  function parseRoute() {
    const hash = location.hash || '';
    const match = /^#\/c\/([A-Za-z0-9-]+)$/.exec(hash);
    if (match) return { name: 'certificate', number: decodeURIComponent(match[1]) };
    if (hash.startsWith('#/new')) return { name: 'new' };
    return { name: 'list' };
  }

  async function route() {
    routeSeq += 1;
    const seq = routeSeq;
    releaseUrls();
    clearAlert();
    updateLanguageLinks();
    const focus = !firstRender;
    firstRender = false;
    if (!currentToken()) {
      nav.hidden = true;
      renderSignIn();
      if (focus) focusHeading();
      return;
    }
    nav.hidden = false;
    const where = parseRoute();
    markNav(where.name === 'certificate' ? '' : where.name);
    if (where.name === 'new') await renderNew(seq);
    else if (where.name === 'certificate') await renderCertificate(seq, where.number);
    else await renderList(seq);
    if (seq === routeSeq && focus) {
      const summary = document.getElementById('form-summary');
      if (summary && !summary.hidden && where.name === 'new') summary.focus();
      else focusHeading();
    }
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  // ---------------------------------------------------------------- sign in / out

  function renderSignIn(message) {
    const input = h('input', {
      id: 'signin-token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
      'aria-describedby': 'signin-help',
    });
    const button = h('button', { id: 'signin-submit', type: 'submit', class: 'primary', text: t("console.sign_in") });
    const form = h('form', { id: 'signin-form', novalidate: true },
      h('label', { for: 'signin-token', text: t("console.token") }),
      input,
      h('p', { id: 'signin-help', class: 'small', text: t("console.token_help") }),
      h('div', { class: 'actions' }, button),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearAlert();
      const candidate = input.value.trim();
      if (!candidate) {
        showAlert(t("console.token_missing"));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      button.disabled = true;
      try {
        await api('/api/v1/certificates?limit=1', { token: candidate });
        setToken(candidate);
        input.value = '';
        pendingNotice = t("console.signed_in");
        route();
      } catch (error) {
        input.setAttribute('aria-invalid', 'true');
        showAlert(error.message);
        input.focus();
      } finally {
        button.disabled = false;
      }
    });
    view.replaceChildren(h('section', { class: 'card signin' },
      heading(t("console.sign_in_heading")),
      h('p', { class: 'lead', text: t("console.sign_in_intro") }),
      form,
    ));
    if (message) showAlert(message);
  }

  function forgetWork() {
    if (formState) formState.dispose();
    formState = null;
    listState.status = '';
    listState.q = '';
  }

  function signOut() {
    setToken('');
    forgetWork();
    pendingNotice = '';
    firstRender = false;
    route().then(() => {
      const notice = h('p', { class: 'notice', role: 'status', text: t("console.signed_out") });
      view.prepend(notice);
      focusHeading();
    });
  }

  // The token was refused on a later call (expired, revoked): back to sign-in. An
  // application being written is kept for when a valid token is given.
  function signedOut(message) {
    setToken('');
    nav.hidden = true;
    routeSeq += 1;
    renderSignIn(message);
    focusHeading();
  }

  function takeNotice() {
    if (!pendingNotice) return null;
    const notice = h('p', { class: 'notice', role: 'status', text: pendingNotice });
    pendingNotice = '';
    return notice;
  }

  // ---------------------------------------------------------------- list

  const listState = { status: '', q: '' };
  const FILTERS = ['', 'active', 'used', 'exported_temporarily', 'overdue', 'suspended', 'revoked', 'expired'];

  async function renderList(seq) {
    const filterButtons = FILTERS.map((status) => h('button', {
      type: 'button',
      id: `filter-${status || 'all'}`,
      class: 'filter',
      'data-status': status,
      'aria-pressed': String(listState.status === status),
      text: status ? stateLabel(status) : t("console.filter.all"),
    }));
    const filters = h('div', { class: 'filters', role: 'group', 'aria-labelledby': 'filters-label' },
      h('span', { id: 'filters-label', class: 'filters-label', text: t("console.filter.label") }),
      filterButtons,
    );
    const search = h('input', { id: 'search-q', type: 'search', value: listState.q, maxlength: '200', 'aria-describedby': 'search-help' });
    const searchForm = h('form', { id: 'search-form', role: 'search', class: 'search' },
      h('label', { for: 'search-q', text: t("console.search.label") }),
      h('div', { class: 'search-row' },
        search,
        h('button', { id: 'search-submit', type: 'submit', class: 'primary', text: t("console.search.submit") }),
      ),
      h('p', { id: 'search-help', class: 'small', text: t("console.search.help") }),
    );
    const results = h('div', { id: 'list-results', 'aria-live': 'polite', 'aria-busy': 'true' });
    view.replaceChildren(
      ...[takeNotice()].filter(Boolean),
      heading(t("console.list.heading")),
      h('div', { class: 'card' }, filters, searchForm),
      results,
    );

    let loadSeq = 0;
    async function load(after) {
      loadSeq += 1;
      const mine = loadSeq;
      const params = new URLSearchParams();
      if (listState.status) params.set('status', listState.status);
      if (listState.q) params.set('q', listState.q);
      params.set('limit', '50');
      if (after) params.set('after', after);
      results.setAttribute('aria-busy', 'true');
      delete results.dataset.filter;
      if (!after) results.replaceChildren(h('p', { class: 'small', text: t("console.loading") }));
      try {
        const page = await api(`/api/v1/certificates?${params}`);
        if (mine !== loadSeq || seq !== routeSeq) return;
        showPage(page, Boolean(after));
      } catch (error) {
        if (mine !== loadSeq || seq !== routeSeq) return;
        results.replaceChildren(h('div', { class: 'alert', role: 'alert' }, h('p', { text: error.message })));
      } finally {
        if (mine === loadSeq) {
          results.setAttribute('aria-busy', 'false');
          results.dataset.filter = `${listState.status || 'all'}|${listState.q}`;
        }
      }
    }

    function row(item) {
      const titles = Array.isArray(item.titles) ? item.titles.join('; ') : '';
      const cell = (name, ...content) => h('td', { role: 'cell', 'data-label': name }, ...content);
      return h('tr', { role: 'row', 'data-number': item.number },
        h('th', { scope: 'row', role: 'rowheader', 'data-label': t("cert.number") },
          h('a', { href: `#/c/${encodeURIComponent(item.number)}`, class: 'number', text: item.number })),
        cell(t("cert.objects"), titles),
        cell(t("cert.destination"), item.destination_country || ''),
        cell(t("cert.status"), h('span', { class: `state state-${item.state}`, text: stateLabel(item.state) })),
        cell(t("cert.issued_at"), fmtDate(item.issued_at)),
      );
    }

    function showPage(page, append) {
      const items = (page && Array.isArray(page.items)) ? page.items : [];
      let table = document.getElementById('cert-table');
      if (!append || !table) {
        if (items.length === 0) {
          results.replaceChildren(h('p', { id: 'list-empty', class: 'card', text: t("console.list.empty") }));
          return;
        }
        // Explicit roles: on phones the cells are stacked (display: block).
        const column = (text) => h('th', { scope: 'col', role: 'columnheader', text });
        table = h('table', { id: 'cert-table', class: 'certs', role: 'table' },
          h('caption', { class: 'visually-hidden', text: t("console.list.heading") }),
          h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' },
            column(t("cert.number")),
            column(t("cert.objects")),
            column(t("cert.destination")),
            column(t("cert.status")),
            column(t("cert.issued_at")),
          )),
          h('tbody', { role: 'rowgroup' }),
        );
        results.replaceChildren(table);
      }
      const body = table.tBodies[0];
      const rows = items.map(row);
      body.append(...rows);
      const old = document.getElementById('list-more');
      if (old) old.remove();
      if (page.next_after) {
        const more = h('button', { id: 'list-more', type: 'button', text: t("console.list.more") });
        more.addEventListener('click', async () => {
          more.disabled = true;
          const count = body.rows.length;
          await load(page.next_after);
          const first = body.rows[count];
          const link = first && first.querySelector('a');
          if (link) link.focus();
        });
        results.append(h('div', { class: 'actions' }, more));
      }
      if (append && rows.length === 0 && !page.next_after) return;
    }

    filters.addEventListener('click', (event) => {
      const button = event.target.closest('button.filter');
      if (!button) return;
      listState.status = button.dataset.status || '';
      for (const other of filterButtons) other.setAttribute('aria-pressed', String(other === button));
      load();
    });
    searchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      listState.q = search.value.trim();
      load();
    });
    await load();
  }

  // ---------------------------------------------------------------- the form

  // Text fields that are written as paragraphs.
  const LONG_TEXT = new Set(['description', 'inscriptions', 'distinguishing_features', 'text', 'history']);
  // Hints for fields with a format that is not obvious.
  function hintFor(name, schema) {
    const hints = {
      country: t("console.hint.country"),
      destination_country: t("console.hint.country"),
      origin_country: t("console.hint.country"),
      currency: t("console.hint.currency"),
      language: t("console.hint.language"),
      amount: t("console.hint.amount"),
      category_codes: t("console.hint.category_code"),
      hs_code: t("console.hint.hs_code"),
      sha256: t("console.hint.sha256"),
      reimport_due_date: t("console.hint.reimport_due_date"),
      earliest_year: t("console.hint.year"),
      latest_year: t("console.hint.year"),
      object_type: t("console.hint.object_type"),
    };
    if (hints[name]) return hints[name];
    if (schema && schema.pattern === '^[A-Z]{2}$') return hints.country;
    return null;
  }

  function itemName(arrayName) {
    const key = 'field.' + arrayName + '.item';
    if (Object.prototype.hasOwnProperty.call(texts, key)) return texts[key];
    return label(arrayName) || arrayName;
  }

  // Builds the form of `schema`; returns its root controller. A controller has `wrap`
  // (the element with data-pointer), get() (the value, undefined when empty), set(value)
  // and check(errors, required) (client-side: required fields and unreadable numbers).
  function buildForm(schema, hooks) {
    const defs = schema.$defs || {};

    function resolve(node) {
      let out = node || {};
      const seen = new Set();
      while (out.$ref) {
        const ref = out.$ref;
        if (seen.has(ref)) break;
        seen.add(ref);
        const match = /^#\/\$defs\/(.+)$/.exec(ref);
        const target = match ? defs[match[1]] : null;
        const rest = Object.assign({}, out);
        delete rest.$ref;
        if (!target) return rest;
        out = Object.assign({}, target, rest);
      }
      return out;
    }

    function kindOf(node) {
      if (Array.isArray(node.enum)) return 'enum';
      const type = Array.isArray(node.type) ? node.type.find((x) => x !== 'null') : node.type;
      if (type === 'object' || (!type && node.properties)) return 'object';
      if (type === 'array') return 'array';
      if (type === 'boolean') return 'boolean';
      if (type === 'integer') return 'integer';
      if (type === 'number') return 'number';
      return 'string';
    }

    function captionText(name, fallback) {
      return label(name) || fallback || name;
    }

    function marker(required) {
      if (!required) return null;
      return h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' });
    }

    function build(node, name, pointer, required, ctx) {
      const kind = kindOf(node);
      if (kind === 'object') return objectField(node, name, pointer, required, ctx);
      if (kind === 'array') return arrayField(node, name, pointer, required, ctx);
      return scalarField(node, kind, name, pointer, required, ctx);
    }

    function scalarField(node, kind, name, pointer, required, ctx) {
      const id = nextId('field');
      const wrap = h('div', { class: `field field-${kind}`, 'data-pointer': pointer });
      const captionSpan = h('span', { class: 'caption-text', text: ctx.caption || captionText(name, node.title) });
      const hint = ctx.item ? null : hintFor(name, node);
      const hintId = hint ? nextId('hint') : null;
      let control;
      const common = { id, 'data-pointer': pointer, required: required || null, 'aria-describedby': hintId };
      if (kind === 'enum') {
        control = h('select', common,
          h('option', { value: '', text: required ? t("console.choose") : t("console.none") }),
          node.enum.map((value) => h('option', { value: String(value), text: enumLabel(name, value) })),
        );
      } else if (kind === 'boolean') {
        control = h('select', common,
          h('option', { value: '', text: t("console.unset") }),
          h('option', { value: 'true', text: t("console.yes") }),
          h('option', { value: 'false', text: t("console.no") }),
        );
      } else if (kind === 'integer' || kind === 'number') {
        control = h('input', Object.assign({}, common, {
          type: 'number',
          inputmode: kind === 'integer' ? 'numeric' : 'decimal',
          step: kind === 'integer' ? '1' : 'any',
          min: node.minimum !== undefined ? node.minimum : null,
          max: node.maximum !== undefined ? node.maximum : null,
        }));
      } else if (node.format === 'date') {
        control = h('input', Object.assign({}, common, { type: 'date' }));
      } else if (LONG_TEXT.has(ctx.textName || name) || (node.maxLength || 0) >= 1000) {
        control = h('textarea', Object.assign({}, common, {
          rows: (node.maxLength || 0) >= 2000 ? '5' : '3',
          maxlength: node.maxLength || null,
        }));
      } else {
        const code = Boolean(node.pattern);
        control = h('input', Object.assign({}, common, {
          type: 'text',
          maxlength: node.maxLength || null,
          spellcheck: code ? 'false' : null,
          autocapitalize: /\[A-Z\]/.test(node.pattern || '') ? 'characters' : null,
          autocomplete: 'off',
          class: name === 'sha256' ? 'mono' : null,
        }));
      }
      control.dataset.baseDescribedby = hintId || '';
      // The hint goes under the input, so that inputs side by side stay aligned.
      wrap.append(...[
        h('label', { for: id }, captionSpan, marker(required)),
        control,
        hint ? h('p', { id: hintId, class: 'hint small', text: hint }) : null,
      ].filter(Boolean));
      const ctrl = {
        wrap,
        control,
        caption: captionSpan,
        get() {
          const raw = control.value;
          if (kind === 'boolean') return raw === '' ? undefined : raw === 'true';
          if (kind === 'integer' || kind === 'number') {
            if (raw === '') return undefined;
            const number = Number(raw);
            return Number.isFinite(number) ? number : undefined;
          }
          const text = raw.trim();
          return text === '' ? undefined : text;
        },
        set(value) {
          if (value === undefined || value === null) control.value = '';
          else if (kind === 'boolean') control.value = value === true ? 'true' : value === false ? 'false' : '';
          else if (kind === 'enum' && !node.enum.map(String).includes(String(value))) {
            control.append(h('option', { value: String(value), text: String(value) }));
            control.value = String(value);
          } else control.value = String(value);
          control.dispatchEvent(new Event('change', { bubbles: true }));
        },
        check(errors, isRequired) {
          if (control.validity && control.validity.badInput) {
            errors.push({ path: wrap.dataset.pointer, message: t("console.not_a_number") });
          } else if (isRequired && ctrl.get() === undefined) {
            errors.push({ path: wrap.dataset.pointer, message: t("console.required") });
          }
        },
      };
      if (hooks.scalar) hooks.scalar(ctrl, name, ctx);
      return ctrl;
    }

    function objectField(node, name, pointer, required, ctx) {
      const properties = node.properties || {};
      const requiredSet = new Set(node.required || []);
      const captionSpan = h('span', { class: 'caption-text', text: ctx.caption || captionText(name, node.title) });
      const legendNode = h('legend', null, captionSpan, marker(required && !ctx.root && !ctx.item),
        !required && !ctx.item ? h('span', { class: 'optional', text: ` (${t("console.optional")})` }) : null);
      const wrap = h('fieldset', { class: ctx.root ? 'group root' : 'group', 'data-pointer': pointer });
      const messages = h('div', { class: 'messages' });
      const body = h('div', { class: 'group-body' });
      const children = [];
      let allScalar = true;
      for (const [key, sub] of Object.entries(properties)) {
        const resolved = resolve(sub);
        const kind = kindOf(resolved);
        if (kind === 'object' || kind === 'array') allScalar = false;
        const child = build(resolved, key, `${pointer}/${key}`, requiredSet.has(key), { parent: name });
        children.push([key, child]);
        if (kind !== 'object' && kind !== 'array' && child.control && child.control.tagName === 'TEXTAREA') {
          child.wrap.classList.add('wide');
        }
        body.append(child.wrap);
      }
      if (allScalar) body.classList.add('grid');
      if (ctx.root) wrap.append(messages, body);
      else wrap.append(legendNode, messages, body);
      const ctrl = {
        wrap,
        body,
        caption: captionSpan,
        get() {
          const out = {};
          let any = false;
          for (const [key, child] of children) {
            const value = child.get();
            if (value !== undefined) {
              out[key] = value;
              any = true;
            }
          }
          return any ? out : undefined;
        },
        set(value) {
          const source = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
          for (const [key, child] of children) child.set(source[key]);
        },
        check(errors, isRequired) {
          const present = ctrl.get() !== undefined;
          if (!present && !isRequired) return;
          for (const [key, child] of children) child.check(errors, requiredSet.has(key));
        },
      };
      if (hooks.object) hooks.object(ctrl, name, ctx);
      return ctrl;
    }

    function repoint(node, from, to) {
      for (const element of [node, ...node.querySelectorAll('[data-pointer]')]) {
        const pointer = element.dataset.pointer;
        if (pointer === from || pointer.startsWith(from + '/')) {
          element.dataset.pointer = to + pointer.slice(from.length);
        }
      }
    }

    function arrayField(node, name, pointer, required, ctx) {
      const itemSchema = resolve(node.items || {});
      const itemKind = kindOf(itemSchema);
      const min = node.minItems || 0;
      const max = node.maxItems === undefined ? Infinity : node.maxItems;
      const captionSpan = h('span', { class: 'caption-text', text: ctx.caption || captionText(name, node.title) });
      const hint = hintFor(name, node);
      const wrap = h('fieldset', { class: 'group array', 'data-pointer': pointer });
      const messages = h('div', { class: 'messages' });
      const list = h('div', { class: 'items' });
      const addButton = h('button', { type: 'button', class: 'add', 'data-add': name });
      const items = [];
      wrap.append(...[
        h('legend', null, captionSpan, marker(required),
          !required ? h('span', { class: 'optional', text: ` (${t("console.optional")})` }) : null),
        hint ? h('p', { class: 'hint small', text: hint }) : null,
        messages,
        list,
        h('div', { class: 'actions' }, addButton),
      ].filter(Boolean));

      function labelOf(index) {
        return `${itemName(name)} ${index + 1}`;
      }

      function refresh() {
        items.forEach((item, index) => {
          const wanted = `${wrap.dataset.pointer}/${index}`;
          const current = item.ctrl.wrap.dataset.pointer;
          if (current !== wanted) repoint(item.ctrl.wrap, current, wanted);
          item.ctrl.caption.textContent = labelOf(index);
          item.remove.textContent = fmt(t("console.remove_item"), { item: labelOf(index) });
          // At the minimum count an item cannot be removed: no button rather than a dead one.
          item.remove.hidden = items.length <= min;
        });
        addButton.textContent = fmt(t("console.add_item"), { item: itemName(name) });
        addButton.disabled = items.length >= max;
      }

      function add(value) {
        const index = items.length;
        const ctrl = build(itemSchema, name, `${wrap.dataset.pointer}/${index}`, true,
          { item: true, caption: labelOf(index), parent: name, textName: name });
        ctrl.wrap.classList.add('item');
        const remove = h('button', { type: 'button', class: 'danger remove' });
        const item = { ctrl, remove };
        remove.addEventListener('click', () => {
          const at = items.indexOf(item);
          if (at < 0 || items.length <= min) return;
          items.splice(at, 1);
          if (ctrl.dispose) ctrl.dispose();
          ctrl.wrap.remove();
          refresh();
          const next = items[at] || items[at - 1];
          const target = next ? next.ctrl.wrap.querySelector('input, select, textarea') : addButton;
          (target || addButton).focus();
        });
        if (itemKind === 'object' || itemKind === 'array') ctrl.wrap.append(h('div', { class: 'actions' }, remove));
        else ctrl.wrap.append(remove);
        items.push(item);
        list.append(ctrl.wrap);
        if (value !== undefined) ctrl.set(value);
        refresh();
        return item;
      }

      addButton.addEventListener('click', () => {
        if (items.length >= max) return;
        const item = add();
        const first = item.ctrl.wrap.querySelector('input, select, textarea');
        if (first) first.focus();
      });

      const initial = required ? Math.max(min, 1) : min;
      for (let i = 0; i < initial; i += 1) add();
      refresh();

      const ctrl = {
        wrap,
        caption: captionSpan,
        get() {
          const values = items.map((item) => item.ctrl.get()).filter((value) => value !== undefined);
          return values.length ? values : undefined;
        },
        set(value) {
          const source = Array.isArray(value) ? value : [];
          const count = Math.min(max, Math.max(source.length, value === undefined && required ? Math.max(min, 1) : min));
          while (items.length > count) {
            const item = items.pop();
            if (item.ctrl.dispose) item.ctrl.dispose();
            item.ctrl.wrap.remove();
          }
          while (items.length < count) add();
          items.forEach((item, index) => item.ctrl.set(source[index]));
          refresh();
        },
        check(errors, isRequired) {
          const present = ctrl.get() !== undefined;
          if (!present && !isRequired && items.length === 0) return;
          if (items.length === 0) {
            if (isRequired) errors.push({ path: wrap.dataset.pointer, message: t("console.required") });
            return;
          }
          for (const item of items) item.ctrl.check(errors, true);
          if (isRequired && items.length < min) {
            errors.push({ path: wrap.dataset.pointer, message: fmt(t("console.min_items"), { count: min }) });
          }
        },
      };
      return ctrl;
    }

    return build(resolve(schema), 'application', '', true, { root: true });
  }

  // ---------------------------------------------------------------- new application

  let formState = null;

  // Photo items get an upload control and a preview.
  function photoHook(ctrl, name, ctx) {
    if (ctx.parent !== 'photos' || !ctx.item) return;
    const fileId = nextId('photo-file');
    const statusId = nextId('photo-status');
    const file = h('input', { id: fileId, type: 'file', accept: 'image/jpeg,image/png', class: 'photo-file', 'aria-describedby': statusId });
    const preview = h('img', { class: 'photo-preview', alt: '', hidden: true });
    const status = h('div', { id: statusId, class: 'upload-status' });
    let previewUrl = null;
    const box = h('div', { class: 'upload' },
      h('label', { for: fileId, text: t("console.photo.upload") }),
      file,
      status,
      preview,
    );
    ctrl.body.after(box);
    const shaInput = () => ctrl.wrap.querySelector('.field[data-pointer$="/sha256"] input');
    function clearPreview() {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = null;
      preview.hidden = true;
      preview.removeAttribute('src');
    }
    ctrl.dispose = clearPreview;
    // Filled from an example: the previous upload's preview and message no longer apply.
    const set = ctrl.set;
    ctrl.set = (value) => {
      clearPreview();
      status.replaceChildren();
      file.value = '';
      set(value);
    };
    file.addEventListener('change', async () => {
      const chosen = file.files && file.files[0];
      status.replaceChildren();
      if (!chosen) return;
      if (!['image/jpeg', 'image/png'].includes(chosen.type)) {
        status.replaceChildren(h('p', { class: 'msg error', role: 'alert', text: t("console.photo.wrong_type") }));
        return;
      }
      file.disabled = true;
      status.replaceChildren(h('p', { class: 'small', role: 'status', text: t("console.photo.uploading") }));
      try {
        const result = await api('/api/v1/photos', { method: 'POST', body: chosen, headers: { 'Content-Type': chosen.type } });
        const input = shaInput();
        if (input) {
          input.value = result.sha256;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }
        clearPreview();
        previewUrl = URL.createObjectURL(chosen);
        preview.src = previewUrl;
        preview.alt = fmt(t("console.photo.preview_alt"), { name: chosen.name });
        preview.hidden = false;
        const size = result.width && result.height ? ` (${result.width} × ${result.height})` : '';
        status.replaceChildren(h('p', { class: 'msg ok', role: 'status', text: t("console.photo.uploaded") + size }));
      } catch (error) {
        status.replaceChildren(h('p', { class: 'msg error', role: 'alert', text: error.message }));
      } finally {
        file.disabled = false;
      }
    });
  }

  async function renderNew(seq) {
    if (formState) {
      view.replaceChildren(formState.element);
      return;
    }
    view.replaceChildren(heading(t("console.new.heading")), h('p', { class: 'small', text: t("console.loading") }));
    let schema;
    try {
      schema = await loadSchema();
    } catch (error) {
      if (seq !== routeSeq) return;
      showAlert(fmt(t("console.schema_error"), { detail: error.message }));
      return;
    }
    if (seq !== routeSeq) return;
    formState = createForm(schema);
    view.replaceChildren(formState.element);
  }

  function createForm(schema) {
    const rootCtrl = buildForm(schema, { object: photoHook });
    const state = {
      idempotencyKey: uuid(),
      element: null,
      dispose() {
        for (const element of this.element.querySelectorAll('.photo-preview[src]')) URL.revokeObjectURL(element.src);
      },
    };

    // Examples.
    const exampleSelect = h('select', { id: 'example-select' }, h('option', { value: '', text: t("console.example.choose") }));
    const exampleButton = h('button', { id: 'example-load', type: 'button', text: t("console.example.load") });
    const exampleStatus = h('p', { id: 'example-status', class: 'small', role: 'status' });
    const examples = h('div', { class: 'card examples' },
      h('h3', { text: t("console.example.heading") }),
      h('label', { for: 'example-select', text: t("console.example.label") }),
      h('div', { class: 'search-row' }, exampleSelect, exampleButton),
      exampleStatus,
    );
    fetch('/assets/examples/index.json')
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((names) => {
        for (const name of names) exampleSelect.append(h('option', { value: name, text: name }));
      })
      .catch((error) => {
        exampleStatus.textContent = fmt(t("console.example.error"), { detail: error.message });
      });
    exampleButton.addEventListener('click', async () => {
      const name = exampleSelect.value;
      if (!name) {
        exampleStatus.textContent = t("console.example.none");
        exampleSelect.focus();
        return;
      }
      exampleButton.disabled = true;
      try {
        const response = await fetch(`/assets/examples/${encodeURIComponent(name)}.json`);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const application = await response.json();
        clearMessages();
        rootCtrl.set(application);
        state.idempotencyKey = uuid();
        exampleStatus.textContent = fmt(t("console.example.loaded"), { name });
      } catch (error) {
        exampleStatus.textContent = fmt(t("console.example.error"), { detail: error.message });
      } finally {
        exampleButton.disabled = false;
      }
    });

    const summary = h('div', { id: 'form-summary', class: 'alert summary', role: 'alert', tabindex: '-1', hidden: true });
    const submit = h('button', { id: 'application-submit', type: 'submit', class: 'primary', text: t("console.submit") });
    const submitStatus = h('p', { id: 'submit-status', class: 'small', role: 'status' });
    const form = h('form', { id: 'application-form', novalidate: true },
      h('p', { class: 'small', text: t("console.required_note") }),
      rootCtrl.wrap,
      h('div', { class: 'actions submit-bar' }, submit, submitStatus),
    );

    function clearMessages() {
      summary.hidden = true;
      summary.replaceChildren();
      for (const message of form.querySelectorAll('.msg, .finding')) message.remove();
      for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
      for (const node of form.querySelectorAll('[data-base-describedby]')) {
        const base = node.dataset.baseDescribedby;
        if (base) node.setAttribute('aria-describedby', base);
        else node.removeAttribute('aria-describedby');
      }
      for (const node of form.querySelectorAll('fieldset[aria-describedby]')) node.removeAttribute('aria-describedby');
      for (const node of form.querySelectorAll('.has-error')) node.classList.remove('has-error');
    }

    // The field wrapper for `pointer`, or its nearest existing ancestor; null for the form.
    function wrapperFor(pointer) {
      let current = pointer || '';
      while (current !== '') {
        const found = byPointer(form, current, '.field, fieldset');
        if (found) return found;
        current = current.slice(0, current.lastIndexOf('/'));
      }
      return null;
    }

    function controlOf(wrapper) {
      if (!wrapper || !wrapper.classList.contains('field')) return null;
      return wrapper.querySelector('input:not([type=file]), select, textarea');
    }

    // Puts `node` (a message) beside the field of `pointer`; returns the control to focus.
    function attach(pointer, node, invalid) {
      const wrapper = wrapperFor(pointer);
      if (!wrapper) return null;
      const control = controlOf(wrapper);
      if (control) {
        let last = control;
        while (last.nextElementSibling && last.nextElementSibling.matches('.remove, .hint, .msg, .finding')) {
          last = last.nextElementSibling;
        }
        last.after(node);
        addDescribedBy(control, node.id);
        if (invalid) {
          control.setAttribute('aria-invalid', 'true');
          wrapper.classList.add('has-error');
        }
        return control;
      }
      const messages = wrapper.querySelector(':scope > .messages');
      (messages || wrapper).append(node);
      addDescribedBy(wrapper, node.id);
      if (invalid) wrapper.classList.add('has-error');
      return wrapper.querySelector('input:not([type=file]), select, textarea');
    }

    function focusLink(text, target) {
      if (!target) return h('span', { text });
      const link = h('a', { href: `#${target.id}`, text });
      link.addEventListener('click', (event) => {
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: 'center' });
      });
      return link;
    }

    // "Object 1 › Value › Amount" for the field of `pointer` (the pointer if none).
    function describe(pointer) {
      const wrapper = wrapperFor(pointer);
      if (!wrapper) return pointer ? pointer : t("console.whole_form");
      const names = [];
      let inItem = false;
      for (let node = wrapper; node && node !== form; node = node.parentElement) {
        if (!node.matches('.field[data-pointer], fieldset[data-pointer]')) continue;
        // "Object 1" already says "Objects".
        const skip = inItem && node.classList.contains('array');
        inItem = node.classList.contains('item');
        const caption = node.querySelector(':scope > label .caption-text, :scope > legend .caption-text');
        if (caption && !skip) names.unshift(caption.textContent);
      }
      const text = names.join(' › ');
      const exact = wrapper.dataset.pointer === pointer;
      return exact ? text : `${text} (${pointer})`;
    }

    function showValidation(errors, message) {
      const list = h('ul');
      for (const error of errors) {
        const id = nextId('msg');
        const node = h('p', { id, class: 'msg error', text: error.message });
        const target = attach(error.path, node, true);
        list.append(h('li', null, focusLink(colon(describe(error.path)) + error.message, target)));
      }
      summary.replaceChildren(...[
        h('h3', { text: fmt(t("console.errors.heading"), { count: errors.length }) }),
        message ? h('p', { class: 'small', text: message }) : null,
        list,
      ].filter(Boolean));
      summary.hidden = false;
    }

    function findingText(finding) {
      const translated = finding.translations && finding.translations[lang];
      return translated || finding.message || '';
    }

    function showFindings(code, message, evaluations) {
      const blocks = [];
      for (const evaluation of evaluations) {
        const findings = Array.isArray(evaluation.findings) ? evaluation.findings : [];
        const list = h('ul', { class: 'findings' });
        for (const finding of findings) {
          const text = findingText(finding);
          let target = null;
          if (finding.field !== undefined && finding.field !== null) {
            const id = nextId('finding');
            const node = h('div', { id, class: `finding sev-${finding.severity}`, 'data-code': finding.code },
              h('span', { class: 'severity', text: severityLabel(finding.severity) }), ' ',
              h('code', { text: finding.code }), ' ',
              h('span', { class: 'finding-message', text }),
            );
            target = attach(finding.field, node, finding.severity === 'error');
          }
          list.append(h('li', { class: `sev-${finding.severity}` },
            h('span', { class: 'severity', text: severityLabel(finding.severity) }), ' ',
            h('code', { text: finding.code }), ' ',
            target ? focusLink(colon(describe(finding.field)) + text, target) : h('span', { text }),
          ));
        }
        blocks.push(h('div', { class: 'evaluation' },
          h('h4', null,
            h('span', { text: `${evaluation.plugin} ${evaluation.version}` }), ' — ',
            h('span', { class: `outcome outcome-${evaluation.outcome}`, text: outcomeLabel(evaluation.outcome) })),
          findings.length ? list : null,
        ));
      }
      summary.replaceChildren(
        h('h3', { text: code === 'rules_indeterminate' ? t("console.rules.indeterminate") : t("console.rules.refused") }),
        h('p', { class: 'small', text: message }),
        ...blocks,
      );
      summary.hidden = false;
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearMessages();
      submitStatus.textContent = '';
      const errors = [];
      rootCtrl.check(errors, true);
      if (errors.length) {
        showValidation(errors, t("console.errors.client"));
        summary.focus();
        return;
      }
      const application = rootCtrl.get() || {};
      submit.disabled = true;
      submitStatus.textContent = t("console.submitting");
      try {
        const result = await api('/api/v1/certificates', {
          method: 'POST',
          json: application,
          headers: { 'Idempotency-Key': state.idempotencyKey },
        });
        state.idempotencyKey = uuid();
        const number = result && result.certificate && result.certificate.number;
        state.dispose();
        formState = null;
        pendingNotice = fmt(t("console.issued"), { number });
        go(`#/c/${encodeURIComponent(number)}`);
      } catch (error) {
        submitStatus.textContent = '';
        const details = error.details || {};
        if (error.code === 'validation_failed' && Array.isArray(details.errors)) {
          showValidation(details.errors, error.message);
        } else if ((error.code === 'rules_refused' || error.code === 'rules_indeterminate') && Array.isArray(details.rule_evaluations)) {
          showFindings(error.code, error.message, details.rule_evaluations);
        } else {
          summary.replaceChildren(h('h3', { text: t("console.not_issued") }), h('p', { text: error.message }));
          summary.hidden = false;
        }
        if (error.status !== 401) summary.focus();
      } finally {
        submit.disabled = false;
      }
    });

    state.element = h('div', { class: 'new-application' },
      heading(t("console.new.heading")),
      h('p', { class: 'lead', text: t("console.new.intro") }),
      examples,
      summary,
      form,
    );
    return state;
  }

  // ---------------------------------------------------------------- certificate

  function facts(pairs) {
    const list = h('dl', { class: 'facts' });
    for (const [name, value, id] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      list.append(h('dt', { text: name }), h('dd', { id }, value));
    }
    return list;
  }

  async function renderCertificate(seq, number) {
    view.replaceChildren(heading(number, 'number'), h('p', { class: 'small', text: t("console.loading") }));
    let record;
    try {
      record = await api(`/api/v1/certificates/${encodeURIComponent(number)}`);
    } catch (error) {
      if (seq !== routeSeq) return;
      view.replaceChildren(heading(number, 'number'));
      showAlert(error.message);
      return;
    }
    if (seq !== routeSeq) return;
    showCertificate(seq, record);
  }

  function showCertificate(seq, record, notice) {
    releaseUrls();
    const certificate = record.certificate || {};
    // The application's members: under "application", or flattened into the certificate.
    const application = certificate.application && typeof certificate.application === 'object'
      ? certificate.application : certificate;
    const status = record.status || {};
    const number = certificate.number;
    const objects = Array.isArray(application.objects) ? application.objects : [];

    const stateLine = h('p', { id: 'cert-state', class: 'state-line' },
      h('span', { class: `state state-${status.state}`, text: stateLabel(status.state) }),
      status.since ? h('span', { class: 'small', text: ` ${t("cert.since")} ${fmtDateTime(status.since)}` }) : null,
    );
    const reason = status.reason ? h('p', { id: 'cert-reason' }, h('strong', { text: colon(t("cert.reason")) }), status.reason) : null;

    const summaryCard = h('section', { class: 'card', 'aria-labelledby': 'cert-summary-h' },
      h('h3', { id: 'cert-summary-h', text: t("cert.status") }),
      stateLine,
      reason,
      facts([
        [t("cert.issuing_country"), application.issuing_authority && application.issuing_authority.country],
        [t("cert.issued_at"), fmtDateTime(certificate.issued_at)],
        [t("cert.export_type"), exportTypeLabel(application.export_type), 'cert-export-type'],
        [t("cert.destination"), application.destination_country, 'cert-destination'],
        [t("cert.valid_until"), fmtDate(application.valid_until), 'cert-valid-until'],
        [t("cert.reimport_due"), fmtDate(application.reimport_due_date)],
        [label('applicant') || 'applicant', application.applicant && application.applicant.name],
        [label('consignee') || 'consignee', application.consignee && application.consignee.name],
      ]),
      h('h4', { text: t("cert.objects") }),
      h('ol', { id: 'cert-objects', class: 'objects' }, objects.map((object) => h('li', {
        text: object.title || (Array.isArray(object.object_type) ? object.object_type.join(' / ') : ''),
      }))),
    );

    // QR code, PDF and links.
    const qr = h('img', { id: 'cert-qr', class: 'qr', alt: fmt(t("console.cert.qr_alt"), { number }), hidden: true, width: '240', height: '240' });
    const qrStatus = h('p', { id: 'cert-qr-status', class: 'small', text: t("console.loading") });
    const pdfBox = h('p', { id: 'cert-pdf-box', class: 'small', text: t("console.cert.pdf_preparing") });
    const statusUrl = `/c/${encodeURIComponent(number)}?lang=${lang}`;
    const verifyText = record.qr_text || (record.links && record.links.verify) || '';
    const verifyLink = /^https?:\/\//.test(verifyText)
      ? h('a', { id: 'cert-verify-link', href: verifyText, class: 'break', text: t("console.cert.verify_link") })
      : h('code', { id: 'cert-verify-link', text: verifyText });
    const documentsCard = h('section', { class: 'card cert-documents', 'aria-labelledby': 'cert-docs-h' },
      h('h3', { id: 'cert-docs-h', text: t("console.cert.documents") }),
      h('div', { class: 'qr-box' }, qr, qrStatus),
      pdfBox,
      h('ul', { class: 'links' },
        h('li', null, h('a', { id: 'cert-status-link', href: statusUrl, text: t("console.cert.status_page") })),
        h('li', null, verifyLink),
      ),
    );

    // Rule evaluations.
    const evaluations = Array.isArray(certificate.rule_evaluations) ? certificate.rule_evaluations : [];
    const rulesCard = h('section', { class: 'card', 'aria-labelledby': 'cert-rules-h' },
      h('h3', { id: 'cert-rules-h', text: t("console.cert.rules") }),
      evaluations.length === 0 ? h('p', { class: 'small', text: t("console.cert.no_rules") }) : h('ul', { id: 'cert-rules', class: 'evaluations' },
        evaluations.map((evaluation) => h('li', null,
          h('p', { class: 'evaluation-head' },
            h('strong', { text: evaluation.plugin }), ` ${evaluation.version} — `,
            h('span', { class: `outcome outcome-${evaluation.outcome}`, text: outcomeLabel(evaluation.outcome) })),
          (evaluation.findings || []).length ? h('ul', { class: 'findings' }, evaluation.findings.map((finding) => h('li', { class: `sev-${finding.severity}` },
            h('span', { class: 'severity', text: severityLabel(finding.severity) }), ' ',
            h('code', { text: finding.code }), ' ',
            (finding.translations && finding.translations[lang]) || finding.message,
            finding.field ? h('span', { class: 'small' }, ' (', h('code', { text: finding.field }), ')') : null,
          ))) : null,
        )),
      ),
    );

    // History.
    const events = Array.isArray(status.events) ? status.events : [];
    const historyCard = h('section', { class: 'card', 'aria-labelledby': 'cert-history-h' },
      h('h3', { id: 'cert-history-h', text: t("cert.history") }),
      h('ol', { id: 'cert-history', class: 'history' }, events.map((event) => {
        const actor = event.actor || {};
        const who = [actor.role, actor.country, actor.token_id].filter(Boolean).join(' · ');
        return h('li', null,
          h('strong', { text: eventLabel(event.kind) }), ` — ${fmtDateTime(event.at)}`,
          who ? h('span', { class: 'small', text: ` (${t("console.by")} ${who})` }) : null,
          event.office ? h('div', { class: 'small', text: colon(t("cert.office")) + event.office + (event.country ? ` (${event.country})` : '') }) : null,
          event.reason ? h('div', { class: 'small', text: colon(t("cert.reason")) + event.reason }) : null,
        );
      })),
    );

    const actionsCard = statusActions(seq, record);

    view.replaceChildren(
      ...[notice ? h('p', { class: 'notice', role: 'status', text: notice }) : takeNotice()].filter(Boolean),
      heading(number, 'number'),
      summaryCard,
      documentsCard,
      actionsCard,
      rulesCard,
      historyCard,
    );

    // The QR code and the PDF need the Bearer header: fetched as blobs.
    api(`/api/v1/certificates/${encodeURIComponent(number)}/qr.png`, { as: 'blob' })
      .then((blob) => {
        if (seq !== routeSeq) return;
        qr.src = objectUrl(blob);
        qr.hidden = false;
        qrStatus.remove();
      })
      .catch((error) => {
        if (seq !== routeSeq) return;
        qrStatus.textContent = error.message;
        qrStatus.setAttribute('role', 'alert');
      });
    api(`/api/v1/certificates/${encodeURIComponent(number)}/document.pdf`, { as: 'blob' })
      .then((blob) => {
        if (seq !== routeSeq) return;
        const link = h('a', { id: 'cert-pdf', class: 'button', href: objectUrl(blob), download: `${number}.pdf`, text: t("console.cert.pdf") });
        pdfBox.replaceWith(h('p', { id: 'cert-pdf-box' }, link));
      })
      .catch((error) => {
        if (seq !== routeSeq) return;
        pdfBox.textContent = error.message;
        pdfBox.setAttribute('role', 'alert');
      });
  }

  function statusActions(seq, record) {
    const number = record.certificate.number;
    const state = record.status && record.status.state;
    const card = h('section', { id: 'cert-actions', class: 'card', 'aria-labelledby': 'cert-actions-h' },
      h('h3', { id: 'cert-actions-h', text: t("console.actions.heading") }));
    if (state === 'revoked') {
      card.append(h('p', { class: 'small', text: t("console.actions.revoked_final") }));
      return card;
    }
    const reasonError = h('p', { id: 'status-reason-error', class: 'msg error', hidden: true, text: t("console.actions.reason_missing") });
    const reason = h('textarea', { id: 'status-reason', rows: '3', maxlength: '1000', required: true, 'aria-describedby': 'status-reason-help' });
    const error = h('div', { id: 'action-error', class: 'alert', role: 'alert', hidden: true });
    const buttons = [];
    const suspend = state === 'suspended' ? null
      : h('button', { id: 'action-suspend', type: 'button', text: t("console.actions.suspend") });
    const reinstate = state === 'suspended'
      ? h('button', { id: 'action-reinstate', type: 'button', class: 'primary', text: t("console.actions.reinstate") }) : null;
    const revoke = h('button', { id: 'action-revoke', type: 'button', class: 'danger', text: t("console.actions.revoke") });
    buttons.push(...[reinstate, suspend, revoke].filter(Boolean));
    const confirmButton = h('button', { id: 'action-revoke-confirm', type: 'button', class: 'danger solid', text: t("console.actions.revoke_confirm") });
    const cancelButton = h('button', { id: 'action-revoke-cancel', type: 'button', text: t("console.actions.cancel") });
    const confirmText = h('p');
    const confirm = h('div', { id: 'revoke-confirm', class: 'confirm', hidden: true },
      h('p', { class: 'confirm-title', text: t("console.actions.revoke_warning") }),
      confirmText,
      h('div', { class: 'actions' }, confirmButton, cancelButton),
    );

    function reasonText() {
      const text = reason.value.trim();
      if (!text) {
        reasonError.hidden = false;
        reason.setAttribute('aria-invalid', 'true');
        reason.setAttribute('aria-describedby', 'status-reason-help status-reason-error');
        reason.focus();
        return null;
      }
      reasonError.hidden = true;
      reason.removeAttribute('aria-invalid');
      reason.setAttribute('aria-describedby', 'status-reason-help');
      return text;
    }

    async function send(action, doneText) {
      const text = reasonText();
      if (text === null) return;
      error.hidden = true;
      for (const button of [...buttons, confirmButton, cancelButton]) button.disabled = true;
      try {
        const updated = await api(`/api/v1/certificates/${encodeURIComponent(number)}/${action}`, {
          method: 'POST', json: { reason: text },
        });
        if (seq !== routeSeq) return;
        showCertificate(seq, updated, doneText);
        focusHeading();
      } catch (failure) {
        if (seq !== routeSeq) return;
        error.replaceChildren(h('p', { text: failure.message }));
        error.hidden = false;
        for (const button of [...buttons, confirmButton, cancelButton]) button.disabled = false;
        error.setAttribute('tabindex', '-1');
        error.focus();
      }
    }

    if (suspend) suspend.addEventListener('click', () => send('suspend', t("console.actions.suspended")));
    if (reinstate) reinstate.addEventListener('click', () => send('reinstate', t("console.actions.reinstated")));
    revoke.addEventListener('click', () => {
      const text = reasonText();
      if (text === null) return;
      confirmText.textContent = colon(t("cert.reason")) + text;
      confirm.hidden = false;
      for (const button of buttons) button.disabled = true;
      confirmButton.focus();
    });
    cancelButton.addEventListener('click', () => {
      confirm.hidden = true;
      for (const button of buttons) button.disabled = false;
      revoke.focus();
    });
    confirmButton.addEventListener('click', () => send('revoke', t("console.actions.revoked")));

    card.append(
      h('label', { for: 'status-reason', text: t("console.actions.reason") }),
      h('p', { id: 'status-reason-help', class: 'small', text: t("console.actions.reason_help") }),
      reason,
      reasonError,
      h('div', { class: 'actions' }, buttons),
      confirm,
      error,
    );
    return card;
  }

  // ---------------------------------------------------------------- start

  async function start() {
    await loadTexts();
    buildNav();
    root.replaceChildren(nav, alertBox, view);
    window.addEventListener('hashchange', () => {
      if (location.hash === '' || location.hash.startsWith('#/')) route();
    });
    if (currentToken()) pendingNotice = '';
    await route();
  }

  start();
})();
